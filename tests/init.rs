//! `drready init` against the seeded moto account and the real DR README: the config it writes
//! names the backup buckets it found (by name and by tag, not the bucket of website assets) with
//! each one's backup prefix, takes the regions and components from the documents, says what it
//! assumed, and audits the account without edits. It never overwrites a file.

#![expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]

mod common;

use common::{drready_with_keys, fixture, Moto};
use tempfile::TempDir;

#[test]
fn init_writes_a_config_that_audits_the_account_without_edits() {
    let Some(moto) = Moto::start(&[]) else { return };
    moto.seed(&["planted"]);
    // Backups under a dated folder of a bucket without a prefix tag, and older files elsewhere.
    let put = "import boto3,sys\ns3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='testing', aws_secret_access_key='testing')\ns3.put_object(Bucket='legacy-backups', Key='old/readme.txt', Body=b'x')\nimport time; time.sleep(1.1)\ns3.put_object(Bucket='legacy-backups', Key='pg/2026/12/02/app.dump', Body=b'x')\n";
    assert!(std::process::Command::new("python3")
        .args(["-c", put, &moto.url])
        .status()
        .unwrap()
        .success());
    let dir = TempDir::new().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir(&docs).unwrap();
    std::fs::copy(
        fixture("docs/llm-marketplace-dr-README.md"),
        docs.join("README.md"),
    )
    .unwrap();
    let config = dir.path().join("drready.toml");
    drready_with_keys("testing", "testing")
        .args(["init", "--quiet", "--docs"])
        .arg(&docs)
        .arg("--out")
        .arg(&config)
        .args(["--endpoint-url", &moto.url])
        .assert()
        .code(0)
        .stderr(predicates::str::contains("wrote"));
    let text = std::fs::read_to_string(&config).unwrap();

    // The regions the README names: "us-east-1 primary, us-west-2 DR".
    assert!(text.contains("regions = [\"us-east-1\"]"), "{text}");
    assert!(text.contains("dr_region = \"us-west-2\""), "{text}");
    // Backup buckets by name and by tag; not the website's.
    let buckets = text.lines().find(|l| l.starts_with("buckets = ")).unwrap();
    for b in [
        "orders-backup",
        "orders-backup-dr",
        "legacy-backups",
        "wal-archive",
    ] {
        assert!(buckets.contains(&format!("\"{b}\"")), "{b}: {buckets}");
    }
    assert!(!buckets.contains("website-assets"), "{buckets}");
    // The prefix with the newest object, and the one a tag already names.
    assert!(text.contains("\"legacy-backups\" = \"pg/\""), "{text}");
    assert!(text.contains("also old/"), "{text}");
    assert!(
        text.contains("drready:backup-prefix says \"dumps/\""),
        "{text}"
    );
    // Components from the README's recovery targets, matched by type where the name says which.
    assert!(text.contains("name = \"PostgreSQL\""), "{text}");
    assert!(
        text.contains("types = [\"rds_instance\"") || text.contains("types = [\"rds_cluster\""),
        "{text}"
    );
    assert!(text.contains("Assumed"), "the assumptions are said");
    assert!(text.contains("paths = [\"docs\"]"), "{text}");

    // It audits the account as written.
    drready_with_keys("testing", "testing")
        .args([
            "audit",
            "--quiet",
            "--no-evidence",
            "--format",
            "json",
            "--config",
        ])
        .arg(&config)
        .args(["--endpoint-url", &moto.url])
        .assert()
        .code(0);

    // Never over an existing file, and nothing is called before that is known.
    drready_with_keys("testing", "testing")
        .args(["init", "--out"])
        .arg(&config)
        .args(["--endpoint-url", "http://127.0.0.1:9"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("does not overwrite"));
}

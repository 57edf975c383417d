//! Golden outputs of the bundled example in every format, and of `--help`. Review a change to
//! them like code: `INSTA_UPDATE=always cargo test --test golden`, then read the diff.

#![expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]

use assert_cmd::Command;

fn run(args: &[&str]) -> String {
    let out = Command::cargo_bin("drready")
        .unwrap()
        .env("NO_COLOR", "1")
        .env("DRREADY_NO_EVIDENCE", "1")
        // clap wraps help to the terminal's width: fix it, so the golden output does not depend
        // on who runs the test.
        .env("COLUMNS", "100")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c == 0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The policy-set hash and tool version change with every policy edit or release: filter them.
fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r"[0-9a-f]{64}", "[policy-set-sha256]");
    s.add_filter(r"policy set [0-9a-f]{12}", "policy set [sha256]");
    s.add_filter(r"`[0-9a-f]{12}`", "`[sha256]`");
    s.add_filter(&regex_escape(env!("CARGO_PKG_VERSION")), "[version]");
    s.set_prepend_module_to_snapshot(false);
    s
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_ascii_alphanumeric() {
                vec![c]
            } else {
                vec!['\\', c]
            }
        })
        .collect()
}

#[test]
fn example_table() {
    settings().bind(|| insta::assert_snapshot!("example_table", run(&["audit", "--example"])));
}

#[test]
fn example_markdown() {
    settings().bind(|| {
        insta::assert_snapshot!(
            "example_markdown",
            run(&["audit", "--example", "--format", "markdown"])
        )
    });
}

#[test]
fn example_json() {
    settings().bind(|| {
        insta::assert_snapshot!(
            "example_json",
            run(&["audit", "--example", "--format", "json"])
        )
    });
}

#[test]
fn help() {
    settings().bind(|| {
        insta::assert_snapshot!("help", run(&["--help"]));
        insta::assert_snapshot!("help_audit", run(&["audit", "--help"]));
    });
}

//! The remediation paths moto 5.2 does not implement (AWS Backup StartBackupJob, and a restore test
//! through StartRestoreJob), tested with aws-smithy-mocks: the actions' own code runs on clients
//! whose answers are realistic responses built from the SDK's types. The RDS paths
//! (CreateDBSnapshot, RestoreDBInstanceToPointInTime, ModifyDBInstance, the cleanup) run against
//! moto_server in `tests/remediate.rs`.

#![expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_backup::operation::describe_restore_job::DescribeRestoreJobOutput;
use aws_sdk_backup::operation::get_recovery_point_restore_metadata::GetRecoveryPointRestoreMetadataOutput;
use aws_sdk_backup::operation::list_backup_jobs::ListBackupJobsOutput;
use aws_sdk_backup::operation::list_recovery_points_by_resource::ListRecoveryPointsByResourceOutput;
use aws_sdk_backup::operation::start_backup_job::StartBackupJobOutput;
use aws_sdk_backup::operation::start_restore_job::StartRestoreJobOutput;
use aws_sdk_backup::types::{
    BackupJob, BackupJobState, RecoveryPointByResource, RecoveryPointStatus, RestoreJobStatus,
};
use aws_sdk_rds::operation::add_tags_to_resource::AddTagsToResourceOutput;
use aws_sdk_rds::operation::delete_db_instance::DeleteDbInstanceOutput;
use aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput;
use aws_sdk_rds::types::{DbInstance, Tag};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use aws_smithy_types::DateTime as AwsTime;
use chrono::Utc;
use drready::aws::remediate::{self, ApplyOptions};
use drready::aws::session::Ctx;
use drready::model::remediation::{Call, Method, Plan, Step};

const DB: &str = "arn:aws:rds:us-east-1:123456789012:db:orders";
const ROLE: &str = "arn:aws:iam::123456789012:role/backup";

fn ctx(rds: Option<aws_sdk_rds::Client>, backup: aws_sdk_backup::Client) -> Ctx {
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .build();
    Ctx::new("123456789012", "us-east-1", sdk, 4, Utc::now()).with_clients(rds, Some(backup))
}

fn plan(method: Method, action: &str) -> Plan {
    Plan {
        created_at: Utc::now(),
        applied: false,
        steps: vec![Step {
            action: action.into(),
            resource: DB.into(),
            name: "orders".into(),
            account: "123456789012".into(),
            region: "us-east-1".into(),
            component: "orders".into(),
            controls: vec!["backup-last-recovery-point".into()],
            reason: "test".into(),
            call: Call {
                api: "test".into(),
                params: BTreeMap::new(),
            },
            method,
            modifies: false,
            fresh_within_seconds: Some(3600),
            outcome: None,
        }],
        manual: Vec::new(),
    }
}

fn opts() -> ApplyOptions {
    ApplyOptions {
        allow_modify: false,
        max_actions: 10,
        concurrency: 2,
        cleanup: true,
        timeout: Duration::from_secs(30),
        poll: Duration::from_millis(10),
    }
}

fn apply(p: &mut Plan, ctx: &Ctx) -> Vec<drready::model::snapshot::DrTest> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(remediate::apply(p, ctx, &opts()))
}

fn job(state: BackupJobState) -> BackupJob {
    BackupJob::builder()
        .backup_job_id("job-running")
        .resource_arn(DB)
        .state(state)
        .build()
}

#[test]
fn a_backup_job_starts_in_the_plans_vault_unless_one_runs() {
    let backup_now = || Method::BackupJob {
        vault: "main-vault".into(),
        role_arn: ROLE.into(),
    };
    // A job for the resource is running: skipped, nothing started.
    let list = mock!(aws_sdk_backup::Client::list_backup_jobs)
        .match_requests(|r| r.by_resource_arn() == Some(DB))
        .then_output(|| {
            ListBackupJobsOutput::builder()
                .backup_jobs(job(BackupJobState::Completed))
                .backup_jobs(job(BackupJobState::Running))
                .build()
        });
    let start = mock!(aws_sdk_backup::Client::start_backup_job).then_output(|| {
        StartBackupJobOutput::builder()
            .backup_job_id("job-new")
            .build()
    });
    let client = mock_client!(aws_sdk_backup, RuleMode::MatchAny, [&list, &start]);
    let mut p = plan(backup_now(), "backup-now");
    apply(&mut p, &ctx(None, client));
    let o = p.steps[0].outcome.as_ref().unwrap();
    assert_eq!(o.status, "skipped", "{o:?}");
    assert!(o.detail.contains("job-running"));
    assert_eq!(start.num_calls(), 0);

    // None runs: StartBackupJob into the plan's vault, with its role, tagged as drready's.
    let list = mock!(aws_sdk_backup::Client::list_backup_jobs).then_output(|| {
        ListBackupJobsOutput::builder()
            .backup_jobs(job(BackupJobState::Completed))
            .build()
    });
    let start = mock!(aws_sdk_backup::Client::start_backup_job)
        .match_requests(|r| {
            r.backup_vault_name() == Some("main-vault")
                && r.iam_role_arn() == Some(ROLE)
                && r.resource_arn() == Some(DB)
                && r.recovery_point_tags()
                    .and_then(|t| t.get("drready:created-by"))
                    .map(String::as_str)
                    == Some("drready")
        })
        .then_output(|| {
            StartBackupJobOutput::builder()
                .backup_job_id("job-new")
                .build()
        });
    let client = mock_client!(aws_sdk_backup, RuleMode::MatchAny, [&list, &start]);
    let mut p = plan(backup_now(), "backup-now");
    apply(&mut p, &ctx(None, client));
    let o = p.steps[0].outcome.as_ref().unwrap();
    assert_eq!(o.status, "done", "{o:?}");
    assert_eq!(o.created.as_deref(), Some("job-new"));
    assert_eq!(start.num_calls(), 1);
}

fn instance(id: &str, ours: bool) -> DbInstance {
    let mut b = DbInstance::builder()
        .db_instance_identifier(id)
        .db_instance_status("available");
    if ours {
        b = b
            .tag_list(
                Tag::builder()
                    .key("drready:created-by")
                    .value("drready")
                    .build(),
            )
            .tag_list(Tag::builder().key("drready:restore-test").value(DB).build());
    }
    b.build()
}

/// A restore test through AWS Backup: the newest completed recovery point restored into a scratch
/// instance, timed, tagged, and (when `ours`) deleted afterwards.
fn restore_test(ours: bool) -> (Plan, Vec<drready::model::snapshot::DrTest>, usize, usize) {
    let target = "drready-restore-test-orders-20261202120000";
    let points = mock!(aws_sdk_backup::Client::list_recovery_points_by_resource)
        .match_requests(|r| r.resource_arn() == Some(DB))
        .then_output(|| {
            let point = |arn: &str, hours: i64, status: RecoveryPointStatus| {
                RecoveryPointByResource::builder()
                    .recovery_point_arn(arn)
                    .backup_vault_name("main-vault")
                    .status(status)
                    .creation_date(AwsTime::from_secs(Utc::now().timestamp() - hours * 3600))
                    .build()
            };
            ListRecoveryPointsByResourceOutput::builder()
                .recovery_points(point("rp-old", 30, RecoveryPointStatus::Completed))
                .recovery_points(point("rp-new", 2, RecoveryPointStatus::Completed))
                .recovery_points(point("rp-partial", 1, RecoveryPointStatus::Partial))
                .build()
        });
    let metadata = mock!(aws_sdk_backup::Client::get_recovery_point_restore_metadata)
        .match_requests(|r| {
            r.recovery_point_arn() == Some("rp-new") && r.backup_vault_name() == Some("main-vault")
        })
        .then_output(|| {
            let mut m = HashMap::new();
            m.insert("DBInstanceIdentifier".to_string(), "orders".to_string());
            m.insert("Engine".to_string(), "postgres".to_string());
            GetRecoveryPointRestoreMetadataOutput::builder()
                .set_restore_metadata(Some(m))
                .build()
        });
    let start = mock!(aws_sdk_backup::Client::start_restore_job)
        .match_requests(move |r| {
            r.recovery_point_arn() == Some("rp-new")
                && r.iam_role_arn() == Some(ROLE)
                && r.metadata()
                    .and_then(|m| m.get("DBInstanceIdentifier"))
                    .map(String::as_str)
                    == Some(target)
                && r.metadata()
                    .and_then(|m| m.get("Engine"))
                    .map(String::as_str)
                    == Some("postgres")
        })
        .then_output(|| {
            StartRestoreJobOutput::builder()
                .restore_job_id("restore-1")
                .build()
        });
    // As AWS Backup answers: the job ran 41 minutes, from its creation to its completion.
    let describe_job = mock!(aws_sdk_backup::Client::describe_restore_job).then_output(|| {
        let now = Utc::now().timestamp();
        DescribeRestoreJobOutput::builder()
            .account_id("111111111111")
            .restore_job_id("restore-1")
            .recovery_point_arn("arn:aws:backup:us-east-1:111111111111:recovery-point:rp-1")
            .creation_date(AwsTime::from_secs(now - 41 * 60))
            .completion_date(AwsTime::from_secs(now))
            .status(RestoreJobStatus::Completed)
            .status_message("")
            .percent_done("100.00%")
            .backup_size_in_bytes(21_474_836_480)
            .iam_role_arn(ROLE)
            .expected_completion_time_minutes(40)
            .created_resource_arn("arn:aws:rds:us-east-1:111111111111:db:scratch")
            .resource_type("RDS")
            .build()
    });
    let backup = mock_client!(
        aws_sdk_backup,
        RuleMode::MatchAny,
        [&points, &metadata, &start, &describe_job]
    );

    // No restore test of the database exists yet; the scratch instance is then available.
    let list = mock!(aws_sdk_rds::Client::describe_db_instances)
        .match_requests(|r| r.db_instance_identifier().is_none())
        .then_output(|| {
            DescribeDbInstancesOutput::builder()
                .db_instances(instance("orders", false))
                .build()
        });
    let scratch = mock!(aws_sdk_rds::Client::describe_db_instances)
        .match_requests(move |r| r.db_instance_identifier() == Some(target))
        .then_output(move || {
            DescribeDbInstancesOutput::builder()
                .db_instances(instance(target, ours))
                .build()
        });
    let tag = mock!(aws_sdk_rds::Client::add_tags_to_resource)
        .then_output(|| AddTagsToResourceOutput::builder().build());
    let delete = mock!(aws_sdk_rds::Client::delete_db_instance)
        .match_requests(move |r| {
            r.db_instance_identifier() == Some(target) && r.skip_final_snapshot() == Some(true)
        })
        .then_output(|| DeleteDbInstanceOutput::builder().build());
    let rds = mock_client!(
        aws_sdk_rds,
        RuleMode::MatchAny,
        [&list, &scratch, &tag, &delete]
    );

    let mut p = plan(
        Method::BackupRestore {
            role_arn: ROLE.into(),
            target: target.into(),
        },
        "restore-test",
    );
    let tests = apply(&mut p, &ctx(Some(rds), backup));
    (p, tests, start.num_calls(), delete.num_calls())
}

#[test]
fn a_restore_test_restores_the_newest_point_measures_and_cleans_up() {
    let (p, tests, started, deleted) = restore_test(true);
    let o = p.steps[0].outcome.as_ref().unwrap();
    assert_eq!(o.status, "done", "{o:?}");
    assert!(o.detail.contains("deleted"), "{o:?}");
    assert_eq!((started, deleted), (1, 1));
    assert_eq!(tests.len(), 1);
    let t = &tests[0];
    assert_eq!(t.kind, drready::model::snapshot::DrTestKind::Restore);
    assert_eq!(t.component.as_deref(), Some("orders"));
    // Measured from the job's creation to the instance being available: 41 minutes and a little.
    let rto = t.measured_rto_seconds.unwrap();
    assert!(
        (41 * 60..41 * 60 + 30).contains(&rto),
        "measured RTO {rto} s"
    );
    assert!(t.notes.as_deref().unwrap().contains("StartRestoreJob"));
}

#[test]
fn cleanup_deletes_nothing_drready_did_not_tag() {
    let (p, _, started, deleted) = restore_test(false);
    let o = p.steps[0].outcome.as_ref().unwrap();
    assert_eq!(started, 1);
    assert_eq!(
        deleted, 0,
        "an instance without drready's tag is never deleted"
    );
    assert!(o.detail.contains("not deleted"), "{o:?}");
}

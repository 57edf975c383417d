//! The AWS Backup paths moto 5.2 does not implement (selections, vault access policies, recovery
//! points, protected resources, backup jobs, restore jobs), tested with aws-smithy-mocks: the
//! collector's own code runs on a client whose answers are realistic responses built from the
//! SDK's types. Plans and vaults are also covered against moto_server in `tests/live.rs`.

#![expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]

use aws_sdk_backup::operation::get_backup_plan::GetBackupPlanOutput;
use aws_sdk_backup::operation::get_backup_selection::GetBackupSelectionOutput;
use aws_sdk_backup::operation::get_backup_vault_access_policy::{
    GetBackupVaultAccessPolicyError, GetBackupVaultAccessPolicyOutput,
};
use aws_sdk_backup::operation::list_backup_jobs::ListBackupJobsOutput;
use aws_sdk_backup::operation::list_backup_plans::ListBackupPlansOutput;
use aws_sdk_backup::operation::list_backup_selections::ListBackupSelectionsOutput;
use aws_sdk_backup::operation::list_backup_vaults::ListBackupVaultsOutput;
use aws_sdk_backup::operation::list_protected_resources::ListProtectedResourcesOutput;
use aws_sdk_backup::operation::list_recovery_points_by_backup_vault::{
    ListRecoveryPointsByBackupVaultError, ListRecoveryPointsByBackupVaultOutput,
};
use aws_sdk_backup::operation::list_restore_jobs::ListRestoreJobsOutput;
use aws_sdk_backup::types::error::ResourceNotFoundException;
use aws_sdk_backup::types::{
    BackupJob, BackupJobState, BackupPlan, BackupPlansListMember, BackupRule, BackupSelection,
    BackupSelectionsListMember, BackupVaultListMember, CalculatedLifecycle, ConditionParameter,
    Conditions, CopyAction, EncryptionKeyType, Lifecycle, ProtectedResource,
    RecoveryPointByBackupVault, RecoveryPointStatus, RestoreJobStatus, RestoreJobsListMember,
    VaultType,
};
use aws_sdk_backup::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use aws_smithy_types::error::ErrorMetadata;
use aws_smithy_types::DateTime as AwsTime;
use chrono::{Duration, Utc};
use drready::aws::backup;
use drready::aws::session::Ctx;
use drready::model::config::Params;
use drready::model::snapshot::{RdsDatabase, Resource};

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";
const DB: &str = "arn:aws:rds:us-east-1:123456789012:db:orders";
const MAIN: &str = "arn:aws:backup:us-east-1:123456789012:backup-vault:main-vault";
const AIR: &str = "arn:aws:backup:us-east-1:123456789012:backup-vault:air-gapped";
const DR: &str = "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-vault";

fn at(hours_ago: i64) -> AwsTime {
    AwsTime::from_secs((Utc::now() - Duration::hours(hours_ago)).timestamp())
}

fn ctx() -> Ctx {
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .build();
    Ctx::new(ACCOUNT, REGION, sdk, 4, Utc::now())
}

fn point(
    arn: &str,
    hours_ago: i64,
    encrypted: bool,
    status: RecoveryPointStatus,
) -> RecoveryPointByBackupVault {
    RecoveryPointByBackupVault::builder()
        .recovery_point_arn(arn)
        .resource_arn(DB)
        .resource_type("RDS")
        .status(status)
        .creation_date(at(hours_ago + 1))
        .completion_date(at(hours_ago))
        .is_encrypted(encrypted)
        .calculated_lifecycle(
            CalculatedLifecycle::builder()
                .delete_at(at(hours_ago + 1 - 35 * 24))
                .build(),
        )
        .build()
}

/// A realistic account: one plan selecting tagged databases, a locked vault with a deny policy,
/// an air-gapped vault, recovery points, jobs and restores of one database.
fn rules(points_fail: bool) -> Vec<aws_smithy_mocks::Rule> {
    let mut rules = vec![
        mock!(Client::list_backup_plans).then_output(|| {
            ListBackupPlansOutput::builder()
                .backup_plans_list(
                    BackupPlansListMember::builder()
                        .backup_plan_id("p1")
                        .backup_plan_name("daily")
                        .backup_plan_arn("arn:aws:backup:us-east-1:123456789012:backup-plan:p1")
                        .build(),
                )
                .build()
        }),
        mock!(Client::get_backup_plan).then_output(|| {
            let rule = BackupRule::builder()
                .rule_name("daily-35d")
                .target_backup_vault_name("main-vault")
                .schedule_expression("cron(0 5 ? * * *)")
                .lifecycle(Lifecycle::builder().delete_after_days(35).build())
                .copy_actions(CopyAction::builder().destination_backup_vault_arn(DR).build().unwrap())
                .build()
                .unwrap();
            GetBackupPlanOutput::builder()
                .backup_plan(BackupPlan::builder().backup_plan_name("daily").rules(rule).build().unwrap())
                .build()
        }),
        mock!(Client::list_backup_selections).then_output(|| {
            ListBackupSelectionsOutput::builder()
                .backup_selections_list(BackupSelectionsListMember::builder().selection_id("s1").build())
                .build()
        }),
        mock!(Client::get_backup_selection).then_output(|| {
            GetBackupSelectionOutput::builder()
                .backup_selection(
                    BackupSelection::builder()
                        .selection_name("tagged-databases")
                        .iam_role_arn("arn:aws:iam::123456789012:role/backup")
                        .resources("arn:aws:rds:*:*:db:*")
                        .conditions(
                            Conditions::builder()
                                .string_equals(
                                    ConditionParameter::builder()
                                        .condition_key("aws:ResourceTag/backup")
                                        .condition_value("daily")
                                        .build(),
                                )
                                .build(),
                        )
                        .build()
                        .unwrap(),
                )
                .build()
        }),
        mock!(Client::list_backup_vaults).then_output(|| {
            ListBackupVaultsOutput::builder()
                .backup_vault_list(
                    BackupVaultListMember::builder()
                        .backup_vault_name("main-vault")
                        .backup_vault_arn(MAIN)
                        .vault_type(VaultType::BackupVault)
                        .encryption_key_arn("arn:aws:kms:us-east-1:123456789012:key/1")
                        .encryption_key_type(EncryptionKeyType::CustomerManagedKmsKey)
                        .locked(true)
                        .min_retention_days(14)
                        .build(),
                )
                .backup_vault_list(
                    BackupVaultListMember::builder()
                        .backup_vault_name("air-gapped")
                        .backup_vault_arn(AIR)
                        .vault_type(VaultType::LogicallyAirGappedBackupVault)
                        .encryption_key_type(EncryptionKeyType::AwsOwnedKmsKey)
                        .locked(true)
                        .min_retention_days(7)
                        .build(),
                )
                .build()
        }),
        mock!(Client::get_backup_vault_access_policy)
            .match_requests(|r| r.backup_vault_name() == Some("main-vault"))
            .then_output(|| {
                GetBackupVaultAccessPolicyOutput::builder()
                    .policy(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"backup:DeleteRecoveryPoint","Resource":"*","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/BreakGlassAdmin"}}}]}"#)
                    .build()
            }),
        // A vault without an access policy: AWS answers ResourceNotFoundException.
        mock!(Client::get_backup_vault_access_policy)
            .match_requests(|r| r.backup_vault_name() == Some("air-gapped"))
            .then_error(|| {
                GetBackupVaultAccessPolicyError::ResourceNotFoundException(
                    ResourceNotFoundException::builder()
                        .message("no access policy")
                        .meta(ErrorMetadata::builder().code("ResourceNotFoundException").build())
                        .build(),
                )
            }),
    ];
    if points_fail {
        rules.push(
            mock!(Client::list_recovery_points_by_backup_vault).then_error(|| {
                ListRecoveryPointsByBackupVaultError::generic(
                    ErrorMetadata::builder()
                        .code("ThrottlingException")
                        .message("Rate exceeded")
                        .build(),
                )
            }),
        );
    } else {
        rules.push(
            mock!(Client::list_recovery_points_by_backup_vault)
                .match_requests(|r| r.backup_vault_name() == Some("main-vault"))
                .then_output(|| {
                    ListRecoveryPointsByBackupVaultOutput::builder()
                        .recovery_points(point(
                            "rp-newest",
                            2,
                            true,
                            RecoveryPointStatus::Completed,
                        ))
                        .recovery_points(point("rp-old", 26, true, RecoveryPointStatus::Completed))
                        .recovery_points(point(
                            "rp-plain",
                            50,
                            false,
                            RecoveryPointStatus::Completed,
                        ))
                        .recovery_points(point("rp-partial", 1, true, RecoveryPointStatus::Partial))
                        .build()
                }),
        );
        rules.push(
            mock!(Client::list_recovery_points_by_backup_vault)
                .match_requests(|r| r.backup_vault_name() == Some("air-gapped"))
                .then_output(|| {
                    ListRecoveryPointsByBackupVaultOutput::builder()
                        .recovery_points(point("rp-air", 30, true, RecoveryPointStatus::Completed))
                        .build()
                }),
        );
    }
    rules.extend([
        mock!(Client::list_protected_resources).then_output(|| {
            ListProtectedResourcesOutput::builder()
                .results(
                    ProtectedResource::builder()
                        .resource_arn(DB)
                        .resource_type("RDS")
                        .resource_name("orders")
                        .build(),
                )
                .build()
        }),
        mock!(Client::list_backup_jobs).then_output(|| {
            let job = |state: BackupJobState| {
                BackupJob::builder()
                    .resource_arn(DB)
                    .state(state)
                    .creation_date(at(3))
                    .build()
            };
            let mut out = ListBackupJobsOutput::builder();
            for _ in 0..9 {
                out = out.backup_jobs(job(BackupJobState::Completed));
            }
            out.backup_jobs(job(BackupJobState::Failed)).build()
        }),
        mock!(Client::list_restore_jobs).then_output(|| {
            ListRestoreJobsOutput::builder()
                .restore_jobs(
                    RestoreJobsListMember::builder()
                        .restore_job_id("restore-new")
                        .source_resource_arn(DB)
                        .recovery_point_arn("rp-newest")
                        .creation_date(at(5))
                        .completion_date(AwsTime::from_secs(
                            (Utc::now() - Duration::hours(5) + Duration::minutes(11)).timestamp(),
                        ))
                        .status(RestoreJobStatus::Completed)
                        .build(),
                )
                // An older answer names only the recovery point.
                .restore_jobs(
                    RestoreJobsListMember::builder()
                        .restore_job_id("restore-old")
                        .recovery_point_arn("rp-old")
                        .creation_date(at(100))
                        .completion_date(at(99))
                        .status(RestoreJobStatus::Completed)
                        .build(),
                )
                .build()
        }),
    ]);
    rules
}

fn orders_db() -> Resource {
    let mut db = RdsDatabase {
        id: DB.into(),
        name: Some("orders".into()),
        account: ACCOUNT.into(),
        region: REGION.into(),
        ..RdsDatabase::default()
    };
    db.tags.insert("backup".into(), "daily".into());
    Resource::RdsInstance(db)
}

/// (the plans selecting the database, the records, the gaps).
type Collected = (
    Option<Vec<String>>,
    Vec<Resource>,
    Vec<drready::model::snapshot::Gap>,
);

fn collect(points_fail: bool) -> Collected {
    let rules = rules(points_fail);
    let client = mock_client!(aws_sdk_backup, RuleMode::MatchAny, &rules);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let raw = rt.block_on(backup::collect_with(&ctx(), &client, &Params::default()));
    let membership = raw.plans_selecting(DB, REGION, orders_db().record().tags());
    let (records, gaps) = raw.assemble(&[orders_db()]);
    (membership, records, gaps)
}

#[test]
fn plans_vaults_points_jobs_and_restores_become_records() {
    let (membership, records, gaps) = collect(false);
    assert!(gaps.is_empty(), "{gaps:?}");
    // The selection (every database tagged backup=daily) includes the orders database.
    assert_eq!(membership, Some(vec!["daily".to_string()]));
    let plan = records
        .iter()
        .find_map(|r| match r {
            Resource::BackupPlan(p) => Some(p),
            _ => None,
        })
        .unwrap();
    let rule = &plan.rules.as_ref().unwrap()[0];
    assert_eq!(rule.interval_seconds, Some(86_400));
    assert_eq!(rule.delete_after_days, Some(35));
    assert_eq!(rule.copy_destinations, vec![DR.to_string()]);

    let vault = |arn: &str| {
        records
            .iter()
            .find_map(|r| match r {
                Resource::BackupVault(v) if v.id == arn => Some(v.clone()),
                _ => None,
            })
            .unwrap()
    };
    let main = vault(MAIN);
    assert_eq!(main.customer_managed_key, Some(true));
    assert_eq!(
        (main.locked, main.lock_min_retention_days),
        (Some(true), Some(14))
    );
    assert_eq!(main.deletion_denied, Some(true));
    assert!(!main.air_gapped);
    let air = vault(AIR);
    assert_eq!(air.customer_managed_key, Some(false));
    assert_eq!(
        air.deletion_denied,
        Some(false),
        "no policy is a fact, not a gap"
    );
    assert!(air.air_gapped);

    let protected = records
        .iter()
        .find_map(|r| match r {
            Resource::BackupProtectedResource(p) => Some(p),
            _ => None,
        })
        .unwrap();
    assert_eq!(protected.id, DB);
    assert_eq!(protected.name.as_deref(), Some("orders (AWS Backup)"));
    assert_eq!(
        protected.tags.get("backup").map(String::as_str),
        Some("daily")
    );
    let rp = protected.recovery_points.as_ref().unwrap();
    assert_eq!(rp.count, 5);
    assert_eq!(rp.unencrypted, 1);
    // The newest *completed* point: the partial one an hour ago does not count.
    let age = Utc::now() - rp.newest_completed.unwrap();
    assert!(
        (Duration::minutes(110)..=Duration::minutes(130)).contains(&age),
        "{age}"
    );
    assert_eq!(rp.min_retention_days, Some(35));
    let air_age = Utc::now() - rp.newest_air_gapped.unwrap();
    assert!(
        (Duration::hours(29)..=Duration::hours(31)).contains(&air_age),
        "{air_age}"
    );
    let jobs = protected.jobs.as_ref().unwrap();
    assert_eq!((jobs.window_days, jobs.total, jobs.completed), (30, 10, 9));
    // Both restores, newest first; the older one found through its recovery point.
    let ids: Vec<&str> = protected.restores.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["restore-new", "restore-old"]);
    let took = protected.restores[0].finished.unwrap() - protected.restores[0].started;
    assert_eq!(took.num_minutes(), 11);
}

#[test]
fn a_throttled_listing_is_a_gap_with_its_code() {
    let (_, records, gaps) = collect(true);
    let gap = gaps
        .iter()
        .find(|g| g.operation == "ListRecoveryPointsByBackupVault")
        .unwrap();
    assert_eq!(gap.error_code.as_deref(), Some("ThrottlingException"));
    assert_eq!(
        gap.resource_type.as_deref(),
        Some("backup_protected_resource")
    );
    assert!(gap
        .attributes
        .contains(&"latest_recovery_point".to_string()));
    let protected = records
        .iter()
        .find_map(|r| match r {
            Resource::BackupProtectedResource(p) => Some(p),
            _ => None,
        })
        .unwrap();
    assert_eq!(protected.recovery_points, None, "unknown, never zero");
    // Jobs were read: they stay known.
    assert!(protected.jobs.is_some());
}

//! The posture snapshot: the one seam between collecting and judging.
//!
//! A snapshot is a versioned JSON document. Collectors (and other tools) write it; `evaluate` reads
//! it. It is plain data: serde and a JSON Schema, no I/O. Every fact a control may need is an
//! `Option`: `None` means "not collected" and can never pass a control. Where "nothing exists" is a
//! fact in itself (no snapshots, no lifecycle expiry), the model says so with an explicit value
//! (a count of 0, an empty list) rather than an absent one.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The snapshot format this build writes. Version 2 adds the platform's resource types (OpenSearch
/// domains, EKS clusters, Velero schedules, Route 53 failover names) and targets per disruption;
/// every version-1 snapshot is a version-2 snapshot without them, so both load.
pub const SCHEMA_VERSION: u32 = 2;

/// The snapshot formats this build reads.
pub const READABLE_VERSIONS: std::ops::RangeInclusive<u32> = 1..=SCHEMA_VERSION;

/// A DR posture snapshot. `resources` is written last so that readers can stream it; the type
/// parameter lets a reader skip them (`Snapshot<IgnoredAny>`) while reading the rest.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Snapshot", bound = "R: JsonSchema + Default")]
pub struct Snapshot<R = Vec<Resource>> {
    pub schema_version: u32,
    /// When the facts were collected (RFC 3339, UTC). The default evaluation time.
    pub collected_at: DateTime<Utc>,
    #[serde(default)]
    pub tool_version: String,
    #[serde(default)]
    pub scope: Scope,
    /// Logical components with their recovery targets, as known at collection time.
    #[serde(default)]
    pub components: Vec<ComponentSpec>,
    #[serde(default)]
    pub documents: Vec<Document>,
    #[serde(default)]
    pub dr_tests: Vec<DrTest>,
    /// What could not be collected. A gap turns the controls that need its facts into no_evidence.
    #[serde(default)]
    pub gaps: Vec<Gap>,
    /// Facts about the DR programme as a whole that come from neither tests nor documents.
    #[serde(default)]
    pub program: ProgramFacts,
    /// CloudWatch alarms: not judged themselves, they tell whether replicas and backup jobs are watched.
    #[serde(default)]
    pub alarms: Vec<CloudwatchAlarm>,
    #[serde(default)]
    pub resources: R,
}

impl Snapshot {
    /// The order every collected snapshot is written in: resources by type and id, alarms by id,
    /// gaps sorted with the same failure met twice (once per backup plan, say, or in two shards)
    /// kept once.
    pub fn normalize(&mut self) {
        self.resources.sort_by(|a, b| {
            (a.type_name(), a.record().id()).cmp(&(b.type_name(), b.record().id()))
        });
        self.alarms.sort_by(|a, b| a.id.cmp(&b.id));
        let key = |g: &Gap| {
            (
                g.source.clone(),
                g.operation.clone(),
                g.account.clone(),
                g.region.clone(),
                g.resource.clone(),
                g.resource_type.clone(),
                g.attributes.clone(),
                g.message.clone(),
            )
        };
        self.gaps.sort_by_key(key);
        self.gaps.dedup_by(|a, b| key(a) == key(b));
    }
}

/// The header of a snapshot: everything but the resources.
#[derive(Debug, Clone)]
pub struct SnapshotHeader {
    pub schema_version: u32,
    pub collected_at: DateTime<Utc>,
    pub tool_version: String,
    pub scope: Scope,
    pub components: Vec<ComponentSpec>,
    pub documents: Vec<Document>,
    pub dr_tests: Vec<DrTest>,
    pub gaps: Vec<Gap>,
    pub program: ProgramFacts,
    pub alarms: Vec<CloudwatchAlarm>,
}

impl<R> Snapshot<R> {
    /// Split into the header and the resources.
    pub fn split(self) -> (SnapshotHeader, R) {
        (
            SnapshotHeader {
                schema_version: self.schema_version,
                collected_at: self.collected_at,
                tool_version: self.tool_version,
                scope: self.scope,
                components: self.components,
                documents: self.documents,
                dr_tests: self.dr_tests,
                gaps: self.gaps,
                program: self.program,
                alarms: self.alarms,
            },
            self.resources,
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    #[serde(default)]
    pub accounts: Vec<String>,
    #[serde(default)]
    pub regions: Vec<String>,
    /// The region that must hold copies and replicas for cross-region recovery.
    #[serde(default)]
    pub dr_region: Option<String>,
    /// The identity that collected the snapshot: the caller's ARN from STS GetCallerIdentity
    /// (before any `[[accounts]]` role is assumed). Absent for snapshots from files and plans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_by: Option<String>,
    /// The share of a sharded collection this snapshot holds (`drready collect --shard I/N`);
    /// absent for a whole collection and for snapshots merged from their shards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<Partition>,
}

/// A share of a collection: shard `index` of `count` (from 0). Account `i` of the run (in the
/// order the config and the organization give them) belongs to shard `i % count`, with all its
/// regions: the joins between regions (replicas, copies, DR clusters) stay within one shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// `I/N` (0 ≤ I < N), or `N` alone with the index from the environment of the engine that
    /// runs the shards: `DRREADY_SHARD_INDEX`, `JOB_COMPLETION_INDEX` (a Kubernetes Indexed Job)
    /// or `AWS_BATCH_JOB_ARRAY_INDEX` (an AWS Batch array job), the first one set.
    pub fn parse(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Shard, String> {
        if !text.contains('/') {
            let index = SHARD_INDEX_VARS
                .iter()
                .find_map(|v| env(v).map(|i| (*v, i)))
                .ok_or_else(|| {
                    format!(
                        "`--shard {text}` gives the count only, and none of {} is set: give INDEX/COUNT",
                        SHARD_INDEX_VARS.join(", ")
                    )
                })?;
            return Self::parse(&format!("{}/{text}", index.1.trim()), &|_| None)
                .map_err(|e| format!("{e} (the index from {})", index.0));
        }
        let (i, n) = text
            .split_once('/')
            .ok_or_else(|| format!("`{text}` is not a shard (INDEX/COUNT, e.g. 0/4)"))?;
        let index: u32 = i
            .trim()
            .parse()
            .map_err(|_| format!("`{text}`: the shard index `{i}` is not a number"))?;
        let count: u32 = n
            .trim()
            .parse()
            .map_err(|_| format!("`{text}`: the shard count `{n}` is not a number"))?;
        if count == 0 || index >= count {
            return Err(format!(
                "`{text}`: the index must be below the count (shards are numbered from 0)"
            ));
        }
        Ok(Shard { index, count })
    }
}

/// Where a shard's index comes from, in this order.
pub const SHARD_INDEX_VARS: &[&str] = &[
    "DRREADY_SHARD_INDEX",
    "JOB_COMPLETION_INDEX",
    "AWS_BATCH_JOB_ARRAY_INDEX",
];

/// One shard of a collection: which units (`ACCOUNT/REGION`) the whole run has, which of them
/// this shard collected, and the config they were all collected with. `drready merge` checks
/// that the shards of a run cover every unit exactly once.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Partition {
    /// This shard's index, from 0.
    pub index: u32,
    /// How many shards the run has.
    pub count: u32,
    /// The SHA-256 of the config file the run was collected with.
    pub config_sha256: String,
    /// Every unit of the run, sorted.
    pub units: Vec<String>,
    /// The units this shard collected, sorted.
    pub collected: Vec<String>,
}

/// A logical component and its recovery targets. Durations are in seconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ComponentSpec {
    pub name: String,
    #[serde(
        default,
        deserialize_with = "crate::util::duration::bounded::opt_seconds"
    )]
    pub rto_seconds: Option<u64>,
    #[serde(
        default,
        deserialize_with = "crate::util::duration::bounded::opt_seconds"
    )]
    pub rpo_seconds: Option<u64>,
    /// RPO that cross-region replicas must meet; the component's RPO when absent.
    #[serde(
        default,
        deserialize_with = "crate::util::duration::bounded::opt_seconds"
    )]
    pub replica_rpo_seconds: Option<u64>,
    #[serde(default)]
    pub tier: Option<String>,
    /// Whether databases of this component must run Multi-AZ (default true).
    #[serde(default)]
    pub multi_az: Option<bool>,
    /// Whether the component needs copies in the DR region (default false).
    #[serde(default)]
    pub cross_region: Option<bool>,
    #[serde(default)]
    pub cross_account: Option<bool>,
    #[serde(default)]
    pub air_gapped: Option<bool>,
    /// Where the targets came from: `config`, `document`, `default` or `snapshot`.
    #[serde(default)]
    pub source: Option<String>,
    /// Who answers for the component (config `owner`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Targets per disruption (`az`, `region`, `data`), as AWS Resilience Hub's resiliency
    /// policies have them; the component's own RTO and RPO stand in where one is absent.
    /// (Schema version 2.)
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub targets: BTreeMap<Disruption, Targets>,
}

/// A kind of disruption a component has targets for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Disruption {
    /// An Availability Zone is lost: Multi-AZ failover.
    Az,
    /// A region is lost: replicas, cross-region copies, the DR cluster, DNS failover.
    Region,
    /// Data is lost or corrupted: point-in-time restore, snapshots, backups.
    Data,
}

impl Disruption {
    pub const ALL: [Disruption; 3] = [Self::Az, Self::Region, Self::Data];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Az => "az",
            Self::Region => "region",
            Self::Data => "data",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "az" => Some(Self::Az),
            "region" => Some(Self::Region),
            "data" => Some(Self::Data),
            _ => None,
        }
    }
}

/// The RTO and RPO of one disruption, in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    #[serde(
        default,
        deserialize_with = "crate::util::duration::bounded::opt_seconds"
    )]
    pub rto_seconds: Option<u64>,
    #[serde(
        default,
        deserialize_with = "crate::util::duration::bounded::opt_seconds"
    )]
    pub rpo_seconds: Option<u64>,
}

impl ComponentSpec {
    /// The component's own RTO and RPO, as reports show them and DR tests and claims are judged
    /// against: the ones it was given, else a region's loss (RTO) and data loss (RPO).
    pub fn headline(&self) -> Targets {
        Targets {
            rto_seconds: self
                .rto_seconds
                .or(self.targets_for(Disruption::Region).rto_seconds),
            rpo_seconds: self
                .rpo_seconds
                .or(self.targets_for(Disruption::Data).rpo_seconds),
        }
    }

    /// The targets a disruption is judged against: its own, else (for each of RTO and RPO) the
    /// ones that stand in for it. Data loss falls back to the component's RPO, then the regional
    /// and zonal targets; a region's loss to the replica RPO, the component's, then the data
    /// targets; a zone's loss to the component's targets.
    pub fn targets_for(&self, d: Disruption) -> Targets {
        let own = self.targets.get(&d).copied().unwrap_or_default();
        let t = |x: Disruption| self.targets.get(&x).copied().unwrap_or_default();
        let base = Targets {
            rto_seconds: self.rto_seconds,
            rpo_seconds: self.rpo_seconds,
        };
        let chain: Vec<Targets> = match d {
            Disruption::Data => vec![own, base, t(Disruption::Region), t(Disruption::Az)],
            Disruption::Region => vec![
                own,
                Targets {
                    rto_seconds: None,
                    rpo_seconds: self.replica_rpo_seconds,
                },
                base,
                t(Disruption::Data),
            ],
            Disruption::Az => vec![own, base],
        };
        Targets {
            rto_seconds: chain.iter().find_map(|t| t.rto_seconds),
            rpo_seconds: chain.iter().find_map(|t| t.rpo_seconds),
        }
    }
}

/// Where a fact came from: the API call or file (and line), and when.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
}

/// What could not be collected.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Gap {
    /// The service or source, e.g. `rds`, `s3`, `docs`.
    pub source: String,
    /// The API call or step, e.g. `DescribeDBSnapshots`.
    pub operation: String,
    #[serde(default)]
    pub account: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    /// The resource id (ARN) the failure concerns; absent when the whole call failed.
    #[serde(default)]
    pub resource: Option<String>,
    /// The snapshot resource type the failure concerns (e.g. `rds_instance`) when `resource` is absent.
    #[serde(default)]
    pub resource_type: Option<String>,
    /// The facts (Cedar attribute names) left unknown; empty means all of the resource's facts.
    #[serde(default)]
    pub attributes: Vec<String>,
    /// The AWS error code, e.g. `AccessDenied`, `ThrottlingException`.
    #[serde(default)]
    pub error_code: Option<String>,
    pub message: String,
    /// For gaps in files (documents, test history): the file and line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

/// Declares the resource types: the `Resource` enum (tagged by `type`), its `record()` and
/// `type_name()`, `RESOURCE_TYPES` and the Cedar entity type of each (`entity_type_of`). A new resource type is one line here, its record below (or in
/// a module of its own), its facts in `evaluate::entities`, and its entity in the Cedar schema:
/// nothing in the evaluator's core names a resource type.
macro_rules! resource_types {
    ($($(#[$m:meta])* $variant:ident($record:ty) = $tag:literal as $entity:literal,)*) => {
        /// A resource: one record per object the controls judge, tagged by `type`.
        #[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
        #[serde(tag = "type", rename_all = "snake_case")]
        pub enum Resource {
            $($(#[$m])* $variant($record),)*
        }

        /// Every `type` a snapshot's resource may have.
        pub const RESOURCE_TYPES: &[&str] = &[$($tag),*];

        /// The Cedar entity type a snapshot `type` becomes (`rds_instance` → `RdsDatabase`).
        pub fn entity_type_of(type_name: &str) -> Option<&'static str> {
            match type_name {
                $($tag => Some($entity),)*
                _ => None,
            }
        }

        impl Resource {
            pub fn record(&self) -> &dyn Record {
                match self {
                    $(Self::$variant(r) => r,)*
                }
            }

            /// The `type` tag as written in the snapshot.
            pub fn type_name(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => $tag,)*
                }
            }
        }
    };
}

resource_types! {
    RdsInstance(RdsDatabase) = "rds_instance" as "RdsDatabase",
    RdsCluster(RdsDatabase) = "rds_cluster" as "RdsDatabase",
    S3Bucket(S3Bucket) = "s3_bucket" as "S3Bucket",
    BackupPlan(BackupPlan) = "backup_plan" as "BackupPlan",
    BackupVault(BackupVault) = "backup_vault" as "BackupVault",
    BackupProtectedResource(BackupProtectedResource) = "backup_protected_resource" as "BackupProtectedResource",
    IamPrincipal(IamPrincipal) = "iam_principal" as "IamPrincipal",
    /// A change a Terraform plan would make that is a finding in itself (deleting a DR resource).
    PlanChange(PlanChange) = "plan_change" as "PlanChange",
    /// An Amazon OpenSearch Service domain, or a self-managed Elasticsearch/OpenSearch cluster.
    /// (Schema version 2.)
    OpensearchDomain(super::platform::OpensearchDomain) = "opensearch_domain" as "SearchDomain",
    /// An EKS cluster; a primary carries what was found of its DR cluster. (Schema version 2.)
    EksCluster(super::platform::EksCluster) = "eks_cluster" as "EksCluster",
    /// One Velero schedule's backups, read from its backup storage location. (Schema version 2.)
    VeleroSchedule(super::platform::VeleroSchedule) = "velero_schedule" as "VeleroSchedule",
    /// One Route 53 failover name: its PRIMARY and SECONDARY records. (Schema version 2.)
    Route53Failover(super::platform::Route53Failover) = "route53_failover" as "Route53Failover",
}

/// Declares a resource record with the fields every resource shares (id, name, account, region,
/// component, tags, provenance) followed by its own. A macro rather than `#[serde(flatten)]`,
/// which serde cannot combine with `deny_unknown_fields` and which buffers every record.
#[macro_export]
#[doc(hidden)]
macro_rules! resource_record {
    ($(#[$m:meta])* pub struct $name:ident { $($(#[$fm:meta])* pub $f:ident : $t:ty,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// Stable id: the ARN where there is one.
            pub id: String,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub name: Option<String>,
            #[serde(default)]
            pub account: String,
            #[serde(default)]
            pub region: String,
            /// The component, when the producer already knew it; else config rules decide.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub component: Option<String>,
            #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
            pub tags: BTreeMap<String, String>,
            $($(#[$fm])* pub $f: $t,)*
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub provenance: Option<Provenance>,
        }

        impl $crate::model::snapshot::Record for $name {
            fn id(&self) -> &str { &self.id }
            fn name(&self) -> Option<&str> { self.name.as_deref() }
            fn account(&self) -> &str { &self.account }
            fn region(&self) -> &str { &self.region }
            fn component(&self) -> Option<&str> { self.component.as_deref() }
            fn tags(&self) -> &BTreeMap<String, String> { &self.tags }
        }
    };
}

/// The fields every resource record shares.
pub trait Record {
    fn id(&self) -> &str;
    fn name(&self) -> Option<&str>;
    fn account(&self) -> &str;
    fn region(&self) -> &str;
    fn component(&self) -> Option<&str>;
    fn tags(&self) -> &BTreeMap<String, String>;
    /// The short name: `name`, or the last part of the id.
    fn display_name(&self) -> &str {
        match self.name() {
            Some(n) => n,
            None => {
                let id = self.id();
                id.rsplit([':', '/']).next().unwrap_or(id)
            }
        }
    }
}

resource_record! {
    pub struct RdsDatabase {
        #[serde(default)]
        pub engine: Option<String>,
        #[serde(default, deserialize_with = "crate::util::duration::bounded::opt_days")]
        pub backup_retention_days: Option<u32>,
        #[serde(default)]
        pub latest_restorable_time: Option<DateTime<Utc>>,
        #[serde(default)]
        pub storage_encrypted: Option<bool>,
        #[serde(default)]
        pub kms_key_id: Option<String>,
        #[serde(default)]
        pub multi_az: Option<bool>,
        #[serde(default)]
        pub deletion_protection: Option<bool>,
        /// Cross-region read replicas (or Aurora global secondaries); empty when there are none.
        #[serde(default)]
        pub replicas: Option<Vec<Replica>>,
        /// Regions holding replicated automated backups.
        #[serde(default)]
        pub replicated_backup_regions: Option<Vec<String>>,
        #[serde(default)]
        pub snapshots: Option<SnapshotSummary>,
        /// Names of the AWS Backup plans whose selections include this database.
        #[serde(default)]
        pub backup_plans: Option<Vec<String>>,
        /// Where an on-demand AWS Backup job of this database goes: the first selecting plan's
        /// vault and its selection's role (remediation uses it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub backup_target: Option<BackupTarget>,
    }
}

/// The vault and IAM role an on-demand backup job of a resource uses.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BackupTarget {
    pub plan: String,
    pub vault: String,
    pub role_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Replica {
    pub id: String,
    pub region: String,
    /// Maximum `ReplicaLag` over the window, in seconds; absent when not measured.
    #[serde(default, deserialize_with = "crate::util::duration::bounded::opt_lag")]
    pub lag_max_seconds: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotSummary {
    pub count: u32,
    #[serde(default)]
    pub newest: Option<DateTime<Utc>>,
    #[serde(default)]
    pub unencrypted: u32,
    /// Regions holding copies of the snapshots.
    #[serde(default)]
    pub copy_regions: Vec<String>,
}

resource_record! {
    pub struct S3Bucket {
        /// `none`, `AES256`, `aws:kms` or `aws:kms:dsse`.
        #[serde(default)]
        pub encryption: Option<String>,
        /// `Enabled`, `Suspended` or `Disabled`.
        #[serde(default)]
        pub versioning: Option<String>,
        /// `NONE`, `GOVERNANCE` or `COMPLIANCE`.
        #[serde(default)]
        pub object_lock_mode: Option<String>,
        /// Default Object Lock retention in days; 0 when there is none.
        #[serde(default, deserialize_with = "crate::util::duration::bounded::opt_days")]
        pub object_lock_days: Option<u32>,
        /// Days after which lifecycle rules expire current objects; 0 when nothing expires.
        #[serde(default, deserialize_with = "crate::util::duration::bounded::opt_days")]
        pub lifecycle_expiry_days: Option<u32>,
        #[serde(default)]
        pub replication_regions: Option<Vec<String>>,
        /// All four public access block settings are on.
        #[serde(default)]
        pub public_access_blocked: Option<bool>,
        /// The prefix logical dumps are written under, when the bucket holds them.
        #[serde(default)]
        pub backup_prefix: Option<String>,
        #[serde(default)]
        pub newest_backup_object: Option<DateTime<Utc>>,
    }
}

resource_record! {
    pub struct BackupPlan {
        #[serde(default)]
        pub rules: Option<Vec<BackupRule>>,
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BackupRule {
    pub name: String,
    /// The schedule expression, as AWS Backup has it (`cron(...)` or `rate(...)`).
    #[serde(default)]
    pub schedule: Option<String>,
    /// Interval between runs, in seconds, as derived from the schedule.
    #[serde(
        default,
        deserialize_with = "crate::util::duration::bounded::opt_seconds"
    )]
    pub interval_seconds: Option<u64>,
    /// Days after which recovery points are deleted; absent when they are kept forever.
    #[serde(default, deserialize_with = "crate::util::duration::bounded::opt_days")]
    pub delete_after_days: Option<u32>,
    #[serde(default)]
    pub target_vault: Option<String>,
    /// Vault ARNs that recovery points are copied to.
    #[serde(default)]
    pub copy_destinations: Vec<String>,
}

resource_record! {
    pub struct BackupVault {
        #[serde(default)]
        pub kms_key_arn: Option<String>,
        /// Whether the KMS key is customer managed.
        #[serde(default)]
        pub customer_managed_key: Option<bool>,
        #[serde(default)]
        pub locked: Option<bool>,
        #[serde(default, deserialize_with = "crate::util::duration::bounded::opt_days")]
        pub lock_min_retention_days: Option<u32>,
        /// Whether the vault access policy denies manual deletion of recovery points.
        #[serde(default)]
        pub deletion_denied: Option<bool>,
        /// A logically air-gapped vault.
        #[serde(default)]
        pub air_gapped: bool,
    }
}

resource_record! {
    pub struct BackupProtectedResource {
        /// The protected resource's type, e.g. `RDS`, `EFS`, `DynamoDB`.
        #[serde(default)]
        pub resource_type: Option<String>,
        #[serde(default)]
        pub recovery_points: Option<RecoveryPointSummary>,
        /// Backup jobs over the window.
        #[serde(default)]
        pub jobs: Option<JobSummary>,
        /// Restore jobs, newest first.
        #[serde(default)]
        pub restores: Vec<RestoreJob>,
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecoveryPointSummary {
    pub count: u32,
    #[serde(default)]
    pub newest_completed: Option<DateTime<Utc>>,
    #[serde(default)]
    pub unencrypted: u32,
    /// The shortest retention, in days, of any recovery point; absent when all are kept forever.
    #[serde(default, deserialize_with = "crate::util::duration::bounded::opt_days")]
    pub min_retention_days: Option<u32>,
    #[serde(default)]
    pub newest_air_gapped: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobSummary {
    #[serde(deserialize_with = "crate::util::duration::bounded::days")]
    pub window_days: u32,
    pub total: u32,
    pub completed: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreJob {
    pub id: String,
    pub started: DateTime<Utc>,
    #[serde(default)]
    pub finished: Option<DateTime<Utc>>,
    /// `COMPLETED`, `FAILED`, `ABORTED`, `RUNNING`, `PENDING`.
    pub status: String,
}

resource_record! {
    pub struct CloudwatchAlarm {
        pub namespace: String,
        pub metric: String,
        #[serde(default)]
        pub dimensions: BTreeMap<String, String>,
        /// Alarm actions (SNS topics, ...); an alarm with none pages nobody.
        #[serde(default)]
        pub actions: Vec<String>,
    }
}

resource_record! {
    pub struct IamPrincipal {
        /// `role` or `user`.
        pub kind: String,
        /// Statements that allow deleting recovery points, snapshots or backup objects on `*`.
        #[serde(default)]
        pub backup_deletion_grants: Option<Vec<IamGrant>>,
        /// Statements that allow the action `*` (or `service:*`).
        #[serde(default)]
        pub wildcard_action_grants: Option<Vec<IamGrant>>,
        /// Statements that allow a mutating action on the resource `*`.
        #[serde(default)]
        pub mutating_on_any_grants: Option<Vec<IamGrant>>,
    }
}

resource_record! {
    pub struct PlanChange {
        /// The Terraform resource type, e.g. `aws_backup_vault`.
        pub resource_type: String,
        /// `delete` or `replace`.
        pub action: String,
        /// Whether the resource is one recovery depends on (replica, vault, vault lock, plan, backup bucket).
        #[serde(default)]
        pub dr_critical: bool,
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamGrant {
    pub policy: String,
    pub action: String,
    pub resource: String,
}

/// A DR document (plan, runbook, README) and what was read from it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub path: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub last_updated: Option<NaiveDate>,
    #[serde(default)]
    pub next_review: Option<NaiveDate>,
    #[serde(default, deserialize_with = "crate::util::duration::bounded::opt_days")]
    pub review_frequency_days: Option<u32>,
    #[serde(default)]
    pub recovery_targets: Vec<TargetRow>,
    /// Rows of a document-review schedule table: other documents and when they are due.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub review_schedule: Vec<ReviewRow>,
    /// Local links and whether their targets exist; absent when the document was not read.
    #[serde(default)]
    pub links: Option<Vec<Link>>,
    /// The line each header fact was read from (`last_updated`, `next_review`, `owner`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub lines: BTreeMap<String, u32>,
    #[serde(default)]
    pub provenance: Option<Provenance>,
}

/// A row of a document-review schedule table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRow {
    /// The document as the table names it (usually a file name).
    pub document: String,
    /// The review frequency as written ("Quarterly", "After each test").
    #[serde(default)]
    pub frequency: Option<String>,
    /// The frequency in days, when it is a period.
    #[serde(default, deserialize_with = "crate::util::duration::bounded::opt_days")]
    pub frequency_days: Option<u32>,
    #[serde(default)]
    pub next_review: Option<NaiveDate>,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub line: Option<u32>,
}

/// A row of a document's recovery-targets table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetRow {
    /// The component, without the disruption the row names ("PostgreSQL" of "PostgreSQL (Multi-AZ)").
    pub component: String,
    /// The disruption the row's targets are for, when its name says one ("(Multi-AZ)" is `az`,
    /// "(Cross-Region)" is `region`, "(Backup)" or "(PITR)" is `data`). (Schema version 2.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disruption: Option<Disruption>,
    #[serde(
        default,
        deserialize_with = "crate::util::duration::bounded::opt_seconds"
    )]
    pub rto_seconds: Option<u64>,
    #[serde(
        default,
        deserialize_with = "crate::util::duration::bounded::opt_seconds"
    )]
    pub rpo_seconds: Option<u64>,
    /// The status cell as written ("Meeting target").
    #[serde(default)]
    pub claim: Option<String>,
    /// Whether the status cell claims the target is met.
    #[serde(default)]
    pub claims_met: bool,
    #[serde(default)]
    pub line: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub target: String,
    /// Whether the linked file exists; absent when it could not be checked.
    #[serde(default)]
    pub exists: Option<bool>,
    #[serde(default)]
    pub line: Option<u32>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum DrTestKind {
    Component,
    Integration,
    Full,
    Drill,
    Restore,
    BackupVerification,
    AccessReview,
    ExecReview,
}

impl DrTestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Component => "component",
            Self::Integration => "integration",
            Self::Full => "full",
            Self::Drill => "drill",
            Self::Restore => "restore",
            Self::BackupVerification => "backup-verification",
            Self::AccessReview => "access-review",
            Self::ExecReview => "exec-review",
        }
    }
}

/// Whose recovery a DR test measures: the rule both the evaluator and the reports keep to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measures<'a> {
    /// The named component's RTO and RPO.
    Component(&'a str),
    /// The whole platform's (the default component's): a full DR test that names no component.
    Platform,
    /// Nothing: reviews and verifications, and a component-level test that names no component
    /// (it cannot stand in for the whole platform).
    Nothing,
}

impl DrTest {
    /// Which component's RTO and RPO this test measures:
    /// - `full`: the component it names, else the whole platform;
    /// - `component`, `restore`, `integration`, `drill`: the component it names, else nothing;
    /// - `backup-verification`, `access-review`, `exec-review`: nothing.
    pub fn measures(&self) -> Measures<'_> {
        match (self.kind, self.component.as_deref()) {
            (
                DrTestKind::Full
                | DrTestKind::Component
                | DrTestKind::Restore
                | DrTestKind::Integration
                | DrTestKind::Drill,
                Some(c),
            ) => Measures::Component(c),
            (DrTestKind::Full, None) => Measures::Platform,
            _ => Measures::Nothing,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Partial,
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Partial => "partial",
            Self::Failure => "failure",
        }
    }
}

/// One DR test, drill or review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DrTest {
    pub id: String,
    pub kind: DrTestKind,
    pub started: DateTime<Utc>,
    #[serde(default)]
    pub finished: Option<DateTime<Utc>>,
    pub outcome: Outcome,
    #[serde(
        default,
        deserialize_with = "crate::util::duration::bounded::opt_seconds"
    )]
    pub measured_rto_seconds: Option<u64>,
    #[serde(
        default,
        deserialize_with = "crate::util::duration::bounded::opt_seconds"
    )]
    pub measured_rpo_seconds: Option<u64>,
    /// The component tested; the full platform (default component) when absent.
    #[serde(default)]
    pub component: Option<String>,
    /// The disruption the test simulated (`az`, `region`, `data`), when it says; read from a
    /// component named "PostgreSQL (Multi-AZ)" too. (Schema version 2.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disruption: Option<Disruption>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub provenance: Option<Provenance>,
}

/// Facts about the DR programme that are declared rather than measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgramFacts {
    /// How long the DR test results store keeps results, in days, as declared (a config or a
    /// file says so; not evidence).
    #[serde(default, deserialize_with = "crate::util::duration::bounded::opt_days")]
    pub results_retention_days: Option<u32>,
    /// The store of DR test results as collected: its Object Lock and lifecycle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results_store: Option<ResultsStore>,
}

/// The S3 bucket that keeps DR test results, as collected (`[program] results_bucket`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultsStore {
    pub bucket: String,
    /// `COMPLIANCE`, `GOVERNANCE` or `NONE`; absent when it could not be read.
    #[serde(default)]
    pub object_lock_mode: Option<String>,
    /// The default Object Lock retention in days (0: none); absent when it could not be read.
    #[serde(default)]
    pub object_lock_days: Option<u32>,
    /// The shortest lifecycle expiry over the results, in days (0: none expires); absent when it
    /// could not be read.
    #[serde(default)]
    pub lifecycle_expiry_days: Option<u32>,
}

/// The JSON Schema of a DR test record (one file per run, an array, or JSON Lines).
pub fn dr_test_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(DrTest)).unwrap_or_default()
}

/// The JSON Schema of the snapshot format, for tools that produce snapshots.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Snapshot)).unwrap_or_default()
}

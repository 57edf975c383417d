//! `drready.toml`: components and their targets, the rules that put resources in components, and
//! the control parameters (with the defaults of CONTROLS.md).
//!
//! The file is read into `RawConfig` (exactly what was written) and checked into `Config`. Values
//! are checked while the TOML is read, so an error names the file, line and column.

use sha2::Digest as _;
use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize};
use wildmatch::WildMatch;

use crate::model::snapshot::{ComponentSpec, Disruption, Resource, Targets};
use crate::util::duration;
use crate::util::error::InputError;

/// Name of the component that resources no rule matches belong to.
pub const DEFAULT_COMPONENT: &str = "platform";
/// The default component's targets: the seed DR plan's full-platform targets.
pub const DEFAULT_RTO_SECONDS: u64 = 4 * 3_600;
pub const DEFAULT_RPO_SECONDS: u64 = 15 * 60;

/// A duration written as text (`15m`, `4 hours`) or as a number of seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Seconds(pub u64);

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Text {
            Number(u64),
            Text(String),
        }
        let seconds = match Text::deserialize(d)? {
            Text::Number(n) => n,
            Text::Text(t) => duration::parse_seconds(&t).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "`{t}` is not a duration (write e.g. `15m`, `4h`, `7d` or `30 minutes`)"
                ))
            })?,
        };
        duration::check_seconds(seconds)
            .map(Seconds)
            .map_err(serde::de::Error::custom)
    }
}

/// A fraction from 0 to 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Fraction(pub f64);

impl<'de> Deserialize<'de> for Fraction {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        if (0.0..=1.0).contains(&v) {
            Ok(Fraction(v))
        } else {
            Err(serde::de::Error::custom(format!(
                "`{v}` is not a fraction between 0 and 1"
            )))
        }
    }
}

/// The control parameters. Every field has the CONTROLS.md default.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    #[serde(deserialize_with = "duration::bounded::days")]
    pub rds_min_retention_days: u32,
    pub snapshot_max_age: Seconds,
    pub replica_lag_window: Seconds,
    pub require_kms: bool,
    #[serde(deserialize_with = "duration::bounded::days")]
    pub object_lock_min_days: u32,
    #[serde(deserialize_with = "duration::bounded::days")]
    pub backup_retention_days: u32,
    #[serde(deserialize_with = "duration::bounded::days")]
    pub backup_max_retention_days: u32,
    pub backup_frequency: Seconds,
    #[serde(deserialize_with = "duration::bounded::days")]
    pub backup_min_retention_days: u32,
    #[serde(deserialize_with = "duration::bounded::days")]
    pub vault_lock_min_days: u32,
    pub recovery_point_max_age: Seconds,
    pub air_gapped_max_age: Seconds,
    pub backup_job_window: Seconds,
    pub backup_job_success_rate: Fraction,
    pub break_glass_principals: Vec<String>,
    pub dr_role: Option<String>,
    pub component_test_cadence: Seconds,
    pub integration_test_cadence: Seconds,
    pub full_test_cadence: Seconds,
    pub drill_cadence: Seconds,
    #[serde(deserialize_with = "duration::bounded::days")]
    pub test_results_retention_days: u32,
    pub backup_verification_window: Seconds,
    pub access_review_window: Seconds,
    pub exec_review_window: Seconds,
    /// Minor Kubernetes versions the DR cluster may be behind its primary (eks-dr-version-parity).
    pub eks_version_skew: u32,
    /// Nodes the DR cluster's ACTIVE node groups must keep (the smaller of desired and minimum,
    /// summed): 0 accepts a cold standby (eks-dr-capacity).
    pub eks_dr_min_nodes: u32,
    /// Control-plane log types every cluster must send (eks-secrets-encrypted's sibling,
    /// eks-control-plane-logging).
    pub eks_required_log_types: Vec<String>,
    /// Availability Zones a search domain must span (opensearch-zone-awareness).
    pub opensearch_min_azs: u32,
    /// Dedicated cluster manager nodes a search domain must have (opensearch-cluster-managers).
    pub opensearch_min_cluster_managers: u32,
    /// The longest TTL a non-alias failover record may have: clients keep the old answer that
    /// long after failover, so it adds to the RTO (route53-failover-ttl).
    pub failover_max_ttl: Seconds,
}

const DAY: u64 = 86_400;

impl Default for Params {
    fn default() -> Self {
        Self {
            rds_min_retention_days: 7,
            snapshot_max_age: Seconds(26 * 3_600),
            replica_lag_window: Seconds(3_600),
            require_kms: true,
            object_lock_min_days: 30,
            backup_retention_days: 90,
            backup_max_retention_days: 400,
            backup_frequency: Seconds(DAY),
            backup_min_retention_days: 35,
            vault_lock_min_days: 7,
            recovery_point_max_age: Seconds(DAY),
            air_gapped_max_age: Seconds(7 * DAY),
            backup_job_window: Seconds(30 * DAY),
            backup_job_success_rate: Fraction(0.99),
            break_glass_principals: Vec::new(),
            dr_role: None,
            component_test_cadence: Seconds(31 * DAY),
            integration_test_cadence: Seconds(92 * DAY),
            full_test_cadence: Seconds(183 * DAY),
            drill_cadence: Seconds(366 * DAY),
            test_results_retention_days: 1_096,
            backup_verification_window: Seconds(7 * DAY),
            access_review_window: Seconds(92 * DAY),
            exec_review_window: Seconds(183 * DAY),
            eks_version_skew: 0,
            eks_dr_min_nodes: 2,
            eks_required_log_types: vec!["api".into(), "audit".into()],
            opensearch_min_azs: 2,
            opensearch_min_cluster_managers: 3,
            failover_max_ttl: Seconds(60),
        }
    }
}

/// Which resources belong to a component. A resource matches when every given criterion holds:
/// its type is listed, its id or name matches one of the globs, and it carries every tag.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct MatchRule {
    pub types: Vec<String>,
    pub ids: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawComponent {
    pub name: String,
    #[serde(default)]
    pub rto: Option<Seconds>,
    #[serde(default)]
    pub rpo: Option<Seconds>,
    #[serde(default)]
    pub replica_rpo: Option<Seconds>,
    #[serde(default)]
    pub tier: Option<String>,
    #[serde(default)]
    pub multi_az: Option<bool>,
    #[serde(default)]
    pub cross_region: Option<bool>,
    #[serde(default)]
    pub cross_account: Option<bool>,
    #[serde(default)]
    pub air_gapped: Option<bool>,
    #[serde(default, rename = "match")]
    pub match_rule: Option<MatchRule>,
    /// Targets per disruption: `[components.targets.az]`, `.region`, `.data`.
    #[serde(default)]
    pub targets: BTreeMap<Disruption, RawTargets>,
    /// Who answers for the component: named beside its risks in the brief.
    #[serde(default)]
    pub owner: Option<String>,
}

/// The executive brief: whose audit it is, and how soon a risk of each severity is due.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RawBrief {
    /// The company or scope the brief names in its title.
    pub organization: Option<String>,
    /// How long after the audit a failing control of each severity is due to be fixed.
    pub due: RawDue,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RawDue {
    pub critical: Seconds,
    pub high: Seconds,
    pub medium: Seconds,
    pub low: Seconds,
}

impl Default for RawDue {
    fn default() -> Self {
        const DAY: u64 = 86_400;
        Self {
            critical: Seconds(7 * DAY),
            high: Seconds(30 * DAY),
            medium: Seconds(90 * DAY),
            low: Seconds(180 * DAY),
        }
    }
}

impl RawDue {
    /// The period for a severity by name (`critical`, `high`, `medium`, `low`).
    pub fn of(&self, severity: &str) -> u64 {
        match severity {
            "critical" => self.critical.0,
            "high" => self.high.0,
            "medium" => self.medium.0,
            _ => self.low.0,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RawTargets {
    pub rto: Option<Seconds>,
    pub rpo: Option<Seconds>,
}

/// EKS: which cluster is whose DR cluster, where the convention (`<name>-dr` in the DR region)
/// does not say.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RawEks {
    pub pairs: Vec<RawEksPair>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawEksPair {
    pub primary: String,
    pub dr: String,
    /// The DR cluster's region; the scope's DR region when absent.
    #[serde(default)]
    pub dr_region: Option<String>,
}

/// Velero's backup storage locations in S3.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RawVelero {
    /// Bucket names or globs; with none (and no tags), a name containing `velero` or the tag
    /// `drready:role=velero`.
    pub buckets: Vec<String>,
    pub tags: BTreeMap<String, String>,
    /// The backup storage location's prefix inside the bucket (`backups/` is under it).
    pub prefix: Option<String>,
}

/// The tag that marks a Velero bucket when no `[velero]` rule is configured.
pub const VELERO_ROLE_TAG: (&str, &str) = ("drready:role", "velero");

impl RawVelero {
    /// Whether a bucket is one of Velero's backup storage locations.
    pub fn is_velero_bucket(&self, name: &str, tags: &BTreeMap<String, String>) -> bool {
        if self.buckets.is_empty() && self.tags.is_empty() {
            name.to_ascii_lowercase().contains("velero")
                || tags.get(VELERO_ROLE_TAG.0).map(String::as_str) == Some(VELERO_ROLE_TAG.1)
        } else {
            self.buckets.iter().any(|g| WildMatch::new(g).matches(name))
                || self.tags.iter().any(|(k, v)| tags.get(k) == Some(v))
        }
    }
}

/// A search cluster's snapshots: read through its API, from its repository in S3, or both.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawSearchCluster {
    /// The Amazon OpenSearch Service domain's name, or a label for a self-managed cluster.
    pub name: String,
    /// The cluster's HTTP(S) endpoint; a domain's own endpoint when absent.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// The environment variable that holds the endpoint, instead of `endpoint`.
    #[serde(default)]
    pub endpoint_env: Option<String>,
    /// The snapshot repository to list through the API; `cs-automated-enc` (the service's
    /// automated snapshots) for a domain when absent.
    #[serde(default)]
    pub repository: Option<String>,
    /// Sign requests with SigV4 (the default for a domain's endpoint).
    #[serde(default)]
    pub sigv4: Option<bool>,
    /// Basic-auth user; the password is read from the environment variable `password_env`,
    /// never from this file, and never written anywhere.
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password_env: Option<String>,
    /// The repository's S3 bucket and base path, to judge it from its own files.
    #[serde(default)]
    pub s3_bucket: Option<String>,
    #[serde(default)]
    pub s3_prefix: Option<String>,
    /// The account and region the domain or cluster is recorded in (a self-managed cluster's).
    #[serde(default)]
    pub region: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RawScope {
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    pub dr_region: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RawProgram {
    /// A declared retention: recorded, but no longer evidence for `dr-test-results-retained`
    /// (bundles of earlier builds, whose policies read it, still verify).
    #[serde(deserialize_with = "duration::bounded::opt_days")]
    pub results_retention_days: Option<u32>,
    /// The S3 bucket that stores DR test results: its Object Lock and lifecycle are the evidence
    /// of how long results are kept.
    pub results_bucket: Option<String>,
    /// Where under the bucket the results are (lifecycle rules are matched against it).
    pub results_prefix: Option<String>,
}

/// DR documents to read: Markdown files or folders, relative to the config file.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RawDocs {
    pub paths: Vec<String>,
}

/// Evidence bundles: how long uploaded archives stay locked.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RawEvidence {
    #[serde(deserialize_with = "duration::bounded::days")]
    pub retention_days: u32,
}

impl Default for RawEvidence {
    fn default() -> Self {
        // Three years: the retention the seed DR README's SOC 2 checklist asks of test results.
        Self {
            retention_days: 1_096,
        }
    }
}

/// DR test history files: globs relative to the config file.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RawTests {
    pub paths: Vec<String>,
}

/// An account to collect through STS AssumeRole, besides (or instead of) the caller's own.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawAccount {
    pub role_arn: String,
    #[serde(default)]
    pub external_id: Option<String>,
    /// A label for progress and messages; the account id comes from the role ARN.
    #[serde(default)]
    pub name: Option<String>,
}

/// The accounts of an AWS Organization, each collected through the same role
/// (`[organization]`): listed with the caller's credentials (the management account or a
/// delegated administrator), then narrowed by OU and account id.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RawOrganization {
    /// The role assumed in every member account (`arn:aws:iam::ACCOUNT:role/ROLE_NAME`).
    pub role_name: String,
    pub external_id: Option<String>,
    /// Only the accounts under these OUs (or roots), at any depth; every account when empty.
    pub include_ous: Vec<String>,
    /// Not the accounts under these OUs, at any depth.
    pub exclude_ous: Vec<String>,
    /// Only these account ids (with `include_ous`: these as well).
    pub include_accounts: Vec<String>,
    /// Never these account ids.
    pub exclude_accounts: Vec<String>,
}

impl RawOrganization {
    /// The role ARN in an account.
    pub fn role_arn(&self, account: &str) -> String {
        format!("arn:aws:iam::{account}:role/{}", self.role_name)
    }
}

/// Which S3 buckets hold backups, and where logical dumps are written in them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RawS3 {
    /// Bucket names or globs (`*-backups`).
    pub buckets: Vec<String>,
    /// Bucket tags that mark a backup bucket (any one of them suffices).
    pub tags: BTreeMap<String, String>,
    /// The prefix logical dumps are written under, in every bucket without one of its own.
    pub prefix: Option<String>,
    /// The prefix of each bucket (by name or glob; the first matching entry in name order), which
    /// overrides the bucket tag `drready:backup-prefix` and `prefix`.
    pub prefixes: BTreeMap<String, String>,
    /// The date format of the part of the key after the prefix (`%Y/%m/%d/`): with it, the newest
    /// object is found by listing only the keys written since the freshness window began.
    pub key_date_format: Option<String>,
    /// How far back (from collection) a dated listing starts.
    pub lookback: Seconds,
    /// The most keys listed under a prefix; past it the newest object is unknown (a gap).
    pub max_keys: u32,
}

impl Default for RawS3 {
    fn default() -> Self {
        Self {
            buckets: Vec::new(),
            tags: BTreeMap::new(),
            prefix: None,
            prefixes: BTreeMap::new(),
            key_date_format: None,
            lookback: Seconds(2 * DAY),
            max_keys: 10_000,
        }
    }
}

/// The bucket tag that names where in a bucket its logical dumps are written.
pub const BACKUP_PREFIX_TAG: &str = "drready:backup-prefix";

/// The tag that marks a backup bucket when no `[s3]` rule is configured.
pub const BACKUP_ROLE_TAG: (&str, &str) = ("drready:role", "backup");

impl RawS3 {
    /// No rule given: the built-in one (a name containing `backup`, or the tag `drready:role=backup`).
    pub fn is_unset(&self) -> bool {
        self.buckets.is_empty() && self.tags.is_empty()
    }

    /// Whether a bucket's name alone makes it a backup bucket.
    pub fn backup_by_name(&self, name: &str) -> bool {
        if self.is_unset() {
            name.to_ascii_lowercase().contains("backup")
        } else {
            self.buckets.iter().any(|g| WildMatch::new(g).matches(name))
        }
    }

    /// Whether a bucket's tags make it a backup bucket.
    pub fn backup_by_tag(&self, tags: &BTreeMap<String, String>) -> bool {
        if self.is_unset() {
            tags.get(BACKUP_ROLE_TAG.0).map(String::as_str) == Some(BACKUP_ROLE_TAG.1)
        } else {
            self.tags.iter().any(|(k, v)| tags.get(k) == Some(v))
        }
    }

    /// The prefix this bucket's logical dumps are written under: its `[s3.prefixes]` entry (the
    /// bucket's name before any glob), else its `drready:backup-prefix` tag, else `prefix`.
    pub fn prefix_for(&self, name: &str, tags: &BTreeMap<String, String>) -> Option<String> {
        self.prefixes
            .get(name)
            .or_else(|| {
                self.prefixes
                    .iter()
                    .find(|(g, _)| WildMatch::new(g).matches(name))
                    .map(|(_, p)| p)
            })
            .or_else(|| tags.get(BACKUP_PREFIX_TAG))
            .or(self.prefix.as_ref())
            .cloned()
    }

    /// Whether a bucket holds backups: the one rule live collection and the CI gate share.
    pub fn is_backup_bucket(&self, name: &str, tags: &BTreeMap<String, String>) -> bool {
        self.backup_by_name(name) || self.backup_by_tag(tags)
    }
}

/// How the live collectors run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RawCollect {
    /// AWS calls in flight at once, across accounts, regions and services.
    pub concurrency: usize,
    /// How long a connection may take to open.
    pub connect_timeout: Seconds,
    /// How long an answer may go without a byte arriving.
    pub read_timeout: Seconds,
    /// How long one call may take in all, retries included: past it the call is a gap.
    pub operation_timeout: Seconds,
    /// Requests per second and burst, per account and service (and region, for regional
    /// services): a token bucket each, beside `concurrency`. Services not named keep their
    /// defaults (`DEFAULT_RATES`).
    pub rates: BTreeMap<String, Rate>,
}

/// A token bucket: `burst` requests at once, refilled at `per_second`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    pub per_second: f64,
    pub burst: u32,
}

/// The services whose requests can be rate-limited (`[collect.rates]` keys).
pub const RATED_SERVICES: &[&str] = &[
    "backup",
    "cloudwatch",
    "eks",
    "iam",
    "opensearch",
    "organizations",
    "rds",
    "route53",
    "s3",
    "sts",
];

/// The default request rates per account (and region), where AWS publishes a limit drready's
/// calls meet: service, per second, burst. Route 53: five requests a second per account;
/// CloudWatch: DescribeAlarms, nine a second; RDS: Describe calls, a bucket of about 300 refilled at
/// about 12 a second. Other services publish no request rate for these reads: no bucket unless
/// `[collect.rates]` sets one (the SDK retries a throttled call).
pub const DEFAULT_RATES: &[(&str, f64, u32)] = &[
    ("cloudwatch", 9.0, 9),
    ("rds", 12.0, 300),
    ("route53", 5.0, 5),
];

impl RawCollect {
    /// The rate of a service: the config's, else the default, else none (unbounded).
    pub fn rate(&self, service: &str) -> Option<Rate> {
        self.rates.get(service).copied().or_else(|| {
            DEFAULT_RATES
                .iter()
                .find(|(s, _, _)| *s == service)
                .map(|&(_, per_second, burst)| Rate { per_second, burst })
        })
    }
}

impl Default for RawCollect {
    fn default() -> Self {
        Self {
            concurrency: 16,
            connect_timeout: Seconds(10),
            read_timeout: Seconds(30),
            operation_timeout: Seconds(120),
            rates: BTreeMap::new(),
        }
    }
}

/// `drready.toml` as written.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RawConfig {
    pub scope: RawScope,
    pub accounts: Vec<RawAccount>,
    pub organization: Option<RawOrganization>,
    pub s3: RawS3,
    pub collect: RawCollect,
    pub params: Params,
    pub default_component: Option<RawComponent>,
    pub components: Vec<RawComponent>,
    pub program: RawProgram,
    pub docs: RawDocs,
    pub dr_tests: RawTests,
    pub evidence: RawEvidence,
    pub brief: RawBrief,
    pub eks: RawEks,
    pub velero: RawVelero,
    /// Search clusters whose snapshots to read (`[[opensearch]]`).
    pub opensearch: Vec<RawSearchCluster>,
}

/// A checked configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub scope: RawScope,
    pub accounts: Vec<RawAccount>,
    pub organization: Option<RawOrganization>,
    /// The SHA-256 of the config file (of nothing without one): shards of one run must share it.
    pub sha256: String,
    pub s3: RawS3,
    pub collect: RawCollect,
    pub params: Params,
    /// Components named in the config, in file order (the first matching rule wins).
    pub components: Vec<ConfigComponent>,
    /// Targets of resources no rule matches, when the config sets them.
    pub default_component: Option<ComponentSpec>,
    pub program: RawProgram,
    /// Document files or folders, resolved against the config file's folder.
    pub doc_paths: Vec<std::path::PathBuf>,
    /// DR test history globs, relative to `base`.
    pub test_globs: Vec<String>,
    /// The config file's folder.
    pub base: std::path::PathBuf,
    pub brief: RawBrief,
    pub evidence: RawEvidence,
    pub eks: RawEks,
    pub velero: RawVelero,
    pub opensearch: Vec<RawSearchCluster>,
}

#[derive(Debug, Clone)]
pub struct ConfigComponent {
    pub spec: ComponentSpec,
    rule: Option<CompiledRule>,
}

#[derive(Debug, Clone)]
struct CompiledRule {
    types: Vec<String>,
    ids: Vec<WildMatch>,
    tags: BTreeMap<String, String>,
}

impl CompiledRule {
    fn matches(&self, resource: &Resource) -> bool {
        let record = resource.record();
        (self.types.is_empty() || self.types.iter().any(|t| t == resource.type_name()))
            && (self.ids.is_empty()
                || self
                    .ids
                    .iter()
                    .any(|g| g.matches(record.id()) || g.matches(record.display_name())))
            && self
                .tags
                .iter()
                .all(|(k, v)| record.tags().get(k) == Some(v))
    }
}

fn spec_of(raw: &RawComponent, source: &str) -> ComponentSpec {
    ComponentSpec {
        name: raw.name.clone(),
        rto_seconds: raw.rto.map(|s| s.0),
        rpo_seconds: raw.rpo.map(|s| s.0),
        replica_rpo_seconds: raw.replica_rpo.map(|s| s.0),
        tier: raw.tier.clone(),
        multi_az: raw.multi_az,
        cross_region: raw.cross_region,
        cross_account: raw.cross_account,
        air_gapped: raw.air_gapped,
        owner: raw.owner.clone(),
        source: Some(source.to_string()),
        targets: raw
            .targets
            .iter()
            .map(|(d, t)| {
                (
                    *d,
                    Targets {
                        rto_seconds: t.rto.map(|s| s.0),
                        rpo_seconds: t.rpo.map(|s| s.0),
                    },
                )
            })
            .collect(),
    }
}

impl Config {
    /// Read and check a config file.
    pub fn load(path: &Path) -> Result<Config, InputError> {
        let text = crate::util::files::read_text(path, crate::util::files::MAX_SMALL_BYTES)?;
        Self::parse(&text, path)
    }

    /// Parse config text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, InputError> {
        let raw: RawConfig =
            toml::from_str(text).map_err(|e| crate::util::error::toml_error(path, text, &e))?;
        let mut config = Self::check(raw, path)?;
        config.sha256 = format!("{:x}", sha2::Sha256::digest(text.as_bytes()));
        Ok(config)
    }

    fn check(raw: RawConfig, path: &Path) -> Result<Config, InputError> {
        let mut seen = std::collections::BTreeSet::new();
        let mut components = Vec::new();
        for c in &raw.components {
            if c.name.trim().is_empty() {
                return Err(InputError::plain(path, "a component has an empty `name`"));
            }
            if !seen.insert(c.name.clone()) {
                return Err(InputError::plain(
                    path,
                    format!("component `{}` is defined twice", c.name),
                ));
            }
            let rule = c.match_rule.as_ref().map(|m| CompiledRule {
                types: m.types.clone(),
                ids: m.ids.iter().map(|g| WildMatch::new(g)).collect(),
                tags: m.tags.clone(),
            });
            components.push(ConfigComponent {
                spec: spec_of(c, "config"),
                rule,
            });
        }
        if let Some(region) = &raw.scope.dr_region {
            if region.trim().is_empty() {
                return Err(InputError::plain(path, "`scope.dr_region` is empty"));
            }
        }
        for a in &raw.accounts {
            if crate::util::arn::arn_account(&a.role_arn).is_none() {
                return Err(InputError::plain(
                    path,
                    format!(
                        "`{}` in `[[accounts]]` is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)",
                        a.role_arn
                    ),
                ));
            }
        }
        if let Some(o) = &raw.organization {
            check_organization(o, path)?;
        }
        for (service, r) in &raw.collect.rates {
            if !RATED_SERVICES.contains(&service.as_str()) {
                return Err(InputError::plain(
                    path,
                    format!(
                        "`collect.rates.{service}`: no such service (one of {})",
                        RATED_SERVICES.join(", ")
                    ),
                ));
            }
            if !(r.per_second.is_finite() && r.per_second > 0.0) || r.burst == 0 {
                return Err(InputError::plain(
                    path,
                    format!("`collect.rates.{service}`: `per_second` and `burst` must be above 0"),
                ));
            }
        }
        if raw.collect.concurrency == 0 {
            return Err(InputError::plain(
                path,
                "`collect.concurrency` must be at least 1",
            ));
        }
        if let Some(f) = &raw.s3.key_date_format {
            if !crate::util::duration::is_date_format(f) {
                return Err(InputError::plain(
                    path,
                    format!("`s3.key_date_format` `{f}` is not a strftime date format (e.g. `%Y/%m/%d/`)"),
                ));
            }
        }
        for c in &raw.opensearch {
            if c.name.trim().is_empty() {
                return Err(InputError::plain(
                    path,
                    "an `[[opensearch]]` entry has an empty `name`",
                ));
            }
            if let Some(e) = &c.endpoint {
                let Some(rest) = e
                    .strip_prefix("http://")
                    .or_else(|| e.strip_prefix("https://"))
                else {
                    return Err(InputError::plain(
                        path,
                        format!(
                            "`opensearch` `{}`: the endpoint is not an http:// or https:// URL",
                            c.name
                        ),
                    ));
                };
                // The config is kept in every evidence bundle: no credential may be in it.
                if rest.split('/').next().is_some_and(|a| a.contains('@')) {
                    return Err(InputError::plain(
                        path,
                        format!(
                            "`opensearch` `{}`: the endpoint holds user information; give `username` and `password_env` (the config is kept in evidence bundles)",
                            c.name
                        ),
                    ));
                }
            }
            if c.username.is_some() != c.password_env.is_some() {
                return Err(InputError::plain(
                    path,
                    format!(
                        "`opensearch` `{}`: `username` and `password_env` go together",
                        c.name
                    ),
                ));
            }
        }
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(Config {
            eks: raw.eks.clone(),
            velero: raw.velero.clone(),
            opensearch: raw.opensearch.clone(),
            accounts: raw.accounts.clone(),
            organization: raw.organization.clone(),
            sha256: String::new(),
            s3: raw.s3.clone(),
            collect: raw.collect.clone(),
            doc_paths: raw
                .docs
                .paths
                .iter()
                .map(|p| crate::util::files::normalize(&base.join(p)))
                .collect(),
            test_globs: raw.dr_tests.paths.clone(),
            evidence: raw.evidence.clone(),
            brief: raw.brief.clone(),
            base,
            default_component: raw.default_component.as_ref().map(|c| spec_of(c, "config")),
            scope: raw.scope,
            params: raw.params,
            components,
            program: raw.program,
        })
    }

    /// The SHA-256 of the config file; of no bytes without a file.
    pub fn file_sha256(&self) -> String {
        if self.sha256.is_empty() {
            format!("{:x}", sha2::Sha256::digest(b""))
        } else {
            self.sha256.clone()
        }
    }

    /// The names of the components that have a `[components.match]` rule.
    pub fn ruled_components(&self) -> impl Iterator<Item = &str> {
        self.components
            .iter()
            .filter(|c| c.rule.is_some())
            .map(|c| c.spec.name.as_str())
    }

    /// The component a resource belongs to by the config's rules, if any rule matches.
    pub fn component_for(&self, resource: &Resource) -> Option<&str> {
        self.components
            .iter()
            .find(|c| c.rule.as_ref().is_some_and(|r| r.matches(resource)))
            .map(|c| c.spec.name.as_str())
    }
}

/// `[organization]`: a role name, account ids and OU ids as AWS writes them.
fn check_organization(o: &RawOrganization, path: &Path) -> Result<(), InputError> {
    let bad = |m: String| Err(InputError::plain(path, m));
    if o.role_name.is_empty()
        || !o
            .role_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c))
    {
        return bad(format!(
            "`organization.role_name` `{}` is not an IAM role name",
            o.role_name
        ));
    }
    for (key, ids) in [
        ("include_accounts", &o.include_accounts),
        ("exclude_accounts", &o.exclude_accounts),
    ] {
        if let Some(id) = ids
            .iter()
            .find(|i| i.len() != 12 || !i.bytes().all(|b| b.is_ascii_digit()))
        {
            return bad(format!(
                "`organization.{key}`: `{id}` is not a 12-digit account id"
            ));
        }
    }
    for (key, ids) in [
        ("include_ous", &o.include_ous),
        ("exclude_ous", &o.exclude_ous),
    ] {
        if let Some(id) = ids
            .iter()
            .find(|i| !(i.starts_with("ou-") || i.starts_with("r-")))
        {
            return bad(format!(
                "`organization.{key}`: `{id}` is not an OU or root id (ou-… or r-…)"
            ));
        }
    }
    Ok(())
}

/// The default component when neither config nor snapshot gives one.
pub fn builtin_default_component() -> ComponentSpec {
    ComponentSpec {
        name: DEFAULT_COMPONENT.to_string(),
        rto_seconds: Some(DEFAULT_RTO_SECONDS),
        rpo_seconds: Some(DEFAULT_RPO_SECONDS),
        source: Some("default".to_string()),
        ..ComponentSpec::default()
    }
}

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_catalog() {
        let c = Config::parse("", Path::new("x.toml")).unwrap();
        assert_eq!(c.params.rds_min_retention_days, 7);
        assert_eq!(c.params.snapshot_max_age, Seconds(26 * 3_600));
        assert_eq!(c.params.backup_job_success_rate, Fraction(0.99));
        assert_eq!(c.params.test_results_retention_days, 1_096);
    }

    #[test]
    fn a_bad_duration_names_file_line_and_column() {
        let err = Config::parse(
            "[params]\nsnapshot_max_age = \"soon\"\n",
            Path::new("d.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("d.toml:2:20: "), "{err}");
        assert!(err.contains("`soon` is not a duration"), "{err}");
    }

    #[test]
    fn unknown_keys_and_duplicate_components_are_errors() {
        assert!(Config::parse("[params]\nretention = 3\n", Path::new("a.toml")).is_err());
        let twice = "[[components]]\nname = \"db\"\n[[components]]\nname = \"db\"\n";
        let err = Config::parse(twice, Path::new("b.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("component `db` is defined twice"), "{err}");
    }

    #[test]
    fn rules_match_on_type_glob_and_tags() {
        let text = r#"
[[components]]
name = "db"
[components.match]
types = ["rds_instance"]
ids = ["orders-*"]
tags = { app = "orders" }
"#;
        let c = Config::parse(text, Path::new("c.toml")).unwrap();
        let mut db = crate::model::snapshot::RdsDatabase {
            id: "arn:aws:rds:us-east-1:1:db:orders-main".into(),
            ..Default::default()
        };
        db.tags.insert("app".into(), "orders".into());
        assert_eq!(
            c.component_for(&Resource::RdsInstance(db.clone())),
            Some("db")
        );
        assert_eq!(c.component_for(&Resource::RdsCluster(db.clone())), None);
        db.tags.clear();
        assert_eq!(c.component_for(&Resource::RdsInstance(db)), None);
    }
}

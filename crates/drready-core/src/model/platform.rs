//! The platform's resource records (snapshot schema version 2): search clusters and their
//! snapshots, EKS clusters and their DR counterparts, Velero backups, Route 53 failover names.
//! Plain data, like the rest of the snapshot: every fact that may be unknown is an `Option`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::snapshot::Provenance;

crate::resource_record! {
    pub struct OpensearchDomain {
        /// Whether it is an Amazon OpenSearch Service domain (else a self-managed cluster, whose
        /// configuration drready does not read: only its snapshots).
        #[serde(default)]
        pub managed: bool,
        /// `OpenSearch_2.11`, `Elasticsearch_7.10`, or the version a cluster reports.
        #[serde(default)]
        pub engine_version: Option<String>,
        #[serde(default)]
        pub zone_awareness: Option<bool>,
        /// Availability Zones the data nodes are spread over (1 without zone awareness).
        #[serde(default)]
        pub availability_zones: Option<u32>,
        /// Multi-AZ with standby.
        #[serde(default)]
        pub multi_az_standby: Option<bool>,
        /// Dedicated cluster manager (master) nodes; 0 when there are none.
        #[serde(default)]
        pub dedicated_managers: Option<u32>,
        #[serde(default)]
        pub data_nodes: Option<u32>,
        #[serde(default)]
        pub encrypted_at_rest: Option<bool>,
        #[serde(default)]
        pub node_to_node_encryption: Option<bool>,
        /// The maximum of CloudWatch's `AutomatedSnapshotFailure` over the window.
        #[serde(default)]
        pub automated_snapshot_failures: Option<u32>,
        /// The snapshot repositories read (through the cluster's API, or in S3); absent when none
        /// was configured, empty when none could be read.
        #[serde(default)]
        pub snapshot_repositories: Option<Vec<SnapshotRepository>>,
    }
}

/// What one snapshot repository holds, as read through the cluster's snapshot API or from the
/// repository's own files in S3.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotRepository {
    /// The repository's name (API) or `s3://bucket/prefix`.
    pub repository: String,
    /// `api` or `s3`.
    pub source: String,
    pub count: u32,
    /// End time of the newest snapshot whose state is SUCCESS.
    #[serde(default)]
    pub newest_success: Option<DateTime<Utc>>,
    /// Snapshots FAILED, PARTIAL or INCOMPATIBLE that started after the newest success.
    #[serde(default)]
    pub failed_after_success: u32,
    /// The names of the newest few of those.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_names: Vec<String>,
}

crate::resource_record! {
    pub struct EksCluster {
        /// The Kubernetes version, `1.29`.
        #[serde(default)]
        pub version: Option<String>,
        /// `ACTIVE`, `CREATING`, ...
        #[serde(default)]
        pub status: Option<String>,
        /// Kubernetes secrets are envelope-encrypted with a KMS key.
        #[serde(default)]
        pub secrets_encrypted: Option<bool>,
        /// Control-plane log types enabled (`api`, `audit`, ...).
        #[serde(default)]
        pub logging: Option<Vec<String>>,
        #[serde(default)]
        pub nodegroups: Option<Vec<NodeGroup>>,
        /// For a primary: the DR cluster it is paired with, and what was found of it. Absent for a
        /// DR cluster itself, and where no DR region is known.
        #[serde(default)]
        pub dr_cluster: Option<EksPeer>,
        /// For a DR cluster: the primary it stands in for.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub dr_of: Option<String>,
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeGroup {
    pub name: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub desired: Option<u32>,
    #[serde(default)]
    pub min: Option<u32>,
    #[serde(default)]
    pub max: Option<u32>,
}

/// A primary's DR cluster as paired (by config, or `<name>-dr` in the DR region).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EksPeer {
    pub name: String,
    pub region: String,
    /// Whether the cluster exists; absent when the DR region could not be listed.
    #[serde(default)]
    pub found: Option<bool>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub nodegroups: Option<Vec<NodeGroup>>,
    /// How the pair was made: `config` or `convention`.
    #[serde(default)]
    pub paired_by: Option<String>,
}

crate::resource_record! {
    pub struct VeleroSchedule {
        /// The backup storage location: `s3://bucket/prefix`.
        pub location: String,
        /// The schedule (label `velero.io/schedule-name`); `-` for backups made by hand.
        pub schedule: String,
        /// Backups of this schedule found.
        pub backups: u32,
        /// Completion time of the newest backup in phase `Completed`.
        #[serde(default)]
        pub newest_completed: Option<DateTime<Utc>>,
        /// Backups `Failed`, `PartiallyFailed` or `FailedValidation` started after it.
        #[serde(default)]
        pub failed_after_completed: u32,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub failed_names: Vec<String>,
    }
}

crate::resource_record! {
    pub struct Route53Failover {
        pub zone_id: String,
        /// The record name (`api.example.com.`) and type (`A`, `CNAME`, ...).
        pub record_name: String,
        pub record_type: String,
        #[serde(default)]
        pub primary: Option<FailoverRecord>,
        #[serde(default)]
        pub secondary: Option<FailoverRecord>,
    }
}

/// One side of a failover pair.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FailoverRecord {
    pub set_identifier: String,
    /// The alias target's DNS name, or the record's values.
    #[serde(default)]
    pub targets: Vec<String>,
    #[serde(default)]
    pub alias: bool,
    /// TTL in seconds (non-alias records).
    #[serde(default)]
    pub ttl: Option<u64>,
    /// The AWS region the target is in, as its name says; absent when it says none.
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub health_check: Option<HealthCheck>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthCheck {
    pub id: String,
    /// Whether the health check exists (GetHealthCheck answered).
    #[serde(default)]
    pub exists: Option<bool>,
    /// The newest `HealthCheckStatus` datapoint in the window (1 healthy, 0 unhealthy).
    #[serde(default)]
    pub latest_status: Option<f64>,
    /// The minimum over the window.
    #[serde(default)]
    pub min_status: Option<f64>,
}

/// The region an AWS endpoint or DNS name names (`...us-west-2.elb.amazonaws.com`), if any.
pub fn region_in(name: &str) -> Option<String> {
    name.split(['.', '-', '/', ':'])
        .collect::<Vec<_>>()
        .windows(3)
        .find_map(|w| {
            let geo = ["us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx", "cn"];
            let dir = [
                "east",
                "west",
                "north",
                "south",
                "central",
                "northeast",
                "southeast",
                "northwest",
                "southwest",
                "gov",
            ];
            (geo.contains(&w[0]) && dir.contains(&w[1]) && w[2].parse::<u8>().is_ok())
                .then(|| format!("{}-{}-{}", w[0], w[1], w[2]))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_region_a_dns_name_names() {
        assert_eq!(
            region_in("dualstack.dr-alb-123.us-west-2.elb.amazonaws.com.").as_deref(),
            Some("us-west-2")
        );
        assert_eq!(
            region_in("search-x-abc.eu-central-1.es.amazonaws.com").as_deref(),
            Some("eu-central-1")
        );
        assert_eq!(region_in("10.0.0.1"), None);
        assert_eq!(region_in("api.example.com"), None);
    }
}

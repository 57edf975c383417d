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

/// Whether a cluster is a DR cluster: `[eks] pairs` names it, or it is `<name>-dr` in the DR
/// region (the seed's convention); a region that is not known does not rule it out. The gate
/// decides deletions with it.
pub fn is_dr_cluster(
    name: &str,
    region: &str,
    dr_region: Option<&str>,
    config: &crate::model::config::RawEks,
) -> bool {
    // A region that is not known (a plan whose provider says none) does not rule one out.
    let in_region = |r: Option<&str>| region.is_empty() || r.is_none_or(|r| r == region);
    config
        .pairs
        .iter()
        .any(|p| p.dr == name && in_region(p.dr_region.as_deref().or(dr_region)))
        || (name.ends_with("-dr") && in_region(dr_region))
}

/// Pair every primary with its DR cluster: by `[eks] pairs`, else `<name>-dr` in the DR region.
/// `listed` holds each region's clusters, `None` where the region could not be listed (the pair is
/// then unknown, never missing). A cluster some primary pairs with is that primary's DR cluster
/// (`dr_of`); the DR region's other clusters are judged on their own. Live collection and the gate
/// both use this rule.
pub fn pair_eks(
    listed: &BTreeMap<String, Option<Vec<EksCluster>>>,
    dr_region: Option<&str>,
    config: &crate::model::config::RawEks,
) -> Vec<EksCluster> {
    let find = |region: &str, name: &str| -> Option<Option<&EksCluster>> {
        match listed.get(region) {
            None | Some(None) => None,
            Some(Some(cs)) => Some(cs.iter().find(|c| c.name.as_deref() == Some(name))),
        }
    };
    let mut dr_of: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut out: Vec<EksCluster> = Vec::new();
    for (region, clusters) in listed {
        for c in clusters.iter().flatten() {
            let name = c.name.clone().unwrap_or_default();
            let configured = config.pairs.iter().find(|p| p.primary == name);
            let peer = match configured {
                Some(p) => p
                    .dr_region
                    .as_deref()
                    .or(dr_region)
                    .map(|r| (p.dr.clone(), r.to_string(), "config")),
                None if !is_dr_cluster(&name, region, dr_region, config)
                    && dr_region != Some(region.as_str()) =>
                {
                    dr_region.map(|r| (format!("{name}-dr"), r.to_string(), "convention"))
                }
                None => None,
            };
            let mut record = c.clone();
            if let Some((peer_name, peer_region, by)) = peer {
                let found = find(&peer_region, &peer_name);
                let peer_record = found.flatten();
                record.dr_cluster = Some(EksPeer {
                    name: peer_name.clone(),
                    region: peer_region.clone(),
                    found: found.map(|f| f.is_some()),
                    status: peer_record.and_then(|f| f.status.clone()),
                    version: peer_record.and_then(|f| f.version.clone()),
                    nodegroups: peer_record.and_then(|f| f.nodegroups.clone()),
                    paired_by: Some(by.into()),
                });
                if peer_record.is_some() {
                    dr_of.insert((peer_region, peer_name), name.clone());
                }
            }
            out.push(record);
        }
    }
    for c in &mut out {
        if let Some(p) = dr_of.get(&(c.region.clone(), c.name.clone().unwrap_or_default())) {
            c.dr_of = Some(p.clone());
            // A DR cluster is not itself a primary with a DR cluster of its own.
            c.dr_cluster = None;
        }
    }
    out
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

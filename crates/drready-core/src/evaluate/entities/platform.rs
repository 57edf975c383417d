//! Facts of the platform's resources: search clusters and their snapshots, EKS clusters and their
//! DR counterparts, Velero schedules, Route 53 failover names. Each record's facts are its own
//! function; what Cedar cannot compute (the newest snapshot across repositories, a version's
//! distance, a node group's capacity) is computed here.

use super::{push, Attrs, ResourceContext, Value};
use crate::model::platform::{
    EksCluster, NodeGroup, OpensearchDomain, Route53Failover, VeleroSchedule,
};

pub(super) fn opensearch(d: &OpensearchDomain, a: &mut Attrs) -> &'static str {
    a.push(("managed", Value::Bool(d.managed)));
    push(a, "engine_version", d.engine_version.as_deref(), Value::str);
    push(a, "zone_awareness", d.zone_awareness, Value::Bool);
    push(a, "availability_zones", d.availability_zones, |n| {
        Value::Long(n.into())
    });
    push(a, "multi_az_standby", d.multi_az_standby, Value::Bool);
    push(a, "dedicated_managers", d.dedicated_managers, |n| {
        Value::Long(n.into())
    });
    push(a, "data_nodes", d.data_nodes, |n| Value::Long(n.into()));
    push(a, "encrypted_at_rest", d.encrypted_at_rest, Value::Bool);
    push(
        a,
        "node_to_node_encryption",
        d.node_to_node_encryption,
        Value::Bool,
    );
    // A self-managed cluster has no service-run (automated) snapshots that could fail.
    let automated = if d.managed {
        d.automated_snapshot_failures
    } else {
        Some(0)
    };
    push(a, "automated_snapshot_failures", automated, |n| {
        Value::Long(n.into())
    });
    // Snapshots: facts only when some repository was read; the newest success over them all.
    if let Some(repos) = d.snapshot_repositories.as_ref().filter(|r| !r.is_empty()) {
        a.push((
            "snapshot_count",
            Value::Long(repos.iter().map(|r| i64::from(r.count)).sum()),
        ));
        push(
            a,
            "latest_snapshot",
            repos.iter().filter_map(|r| r.newest_success).max(),
            Value::datetime,
        );
        a.push((
            "snapshot_failures_after_success",
            Value::Long(
                repos
                    .iter()
                    .map(|r| i64::from(r.failed_after_success))
                    .sum(),
            ),
        ));
        a.push((
            "snapshot_sources",
            Value::set(
                repos
                    .iter()
                    .map(|r| format!("{}:{}", r.source, r.repository)),
            ),
        ));
    }
    "SearchDomain"
}

/// Nodes a set of node groups keeps: the smaller of desired and minimum of each ACTIVE group.
fn capacity(groups: &[NodeGroup]) -> Option<(bool, i64)> {
    let mut all_active = !groups.is_empty();
    let mut nodes = 0i64;
    for g in groups {
        let active = g.status.as_deref() == Some("ACTIVE");
        all_active &= active;
        if active {
            nodes += i64::from(g.desired?.min(g.min?));
        }
    }
    Some((all_active, nodes))
}

/// `1.29` → (1, 29).
fn version(v: &str) -> Option<(i64, i64)> {
    let mut parts = v.trim_start_matches('v').split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

pub(super) fn eks(c: &EksCluster, a: &mut Attrs) -> &'static str {
    push(a, "version", c.version.as_deref(), Value::str);
    push(a, "status", c.status.as_deref(), Value::str);
    push(a, "secrets_encrypted", c.secrets_encrypted, Value::Bool);
    push(a, "logging_types", c.logging.as_ref(), |l| {
        Value::set(l.iter().map(String::as_str))
    });
    if let Some((active, nodes)) = c.nodegroups.as_deref().and_then(capacity) {
        a.push(("nodegroups_active", Value::Bool(active)));
        a.push(("capacity", Value::Long(nodes)));
    }
    push(a, "dr_of", c.dr_of.as_deref(), Value::str);
    if let Some(p) = &c.dr_cluster {
        a.push(("dr_name", Value::str(format!("{} ({})", p.name, p.region))));
        push(a, "dr_found", p.found, Value::Bool);
        if p.found == Some(false) {
            // No DR cluster: nothing runs there, a fact rather than a gap.
            a.push(("dr_nodegroups_active", Value::Bool(false)));
            a.push(("dr_capacity", Value::Long(0)));
        }
        if p.found == Some(true) {
            push(a, "dr_status", p.status.as_deref(), Value::str);
            push(a, "dr_version", p.version.as_deref(), Value::str);
            // How many minor versions the DR cluster is behind (negative: ahead); another major
            // version is as far behind as can be.
            if let (Some(mine), Some(theirs)) = (
                c.version.as_deref().and_then(version),
                p.version.as_deref().and_then(version),
            ) {
                let behind = if mine.0 == theirs.0 {
                    mine.1 - theirs.1
                } else {
                    i64::from(u16::MAX)
                };
                a.push(("dr_versions_behind", Value::Long(behind)));
            }
            match p.nodegroups.as_deref() {
                Some([]) => {
                    a.push(("dr_nodegroups_active", Value::Bool(false)));
                    a.push(("dr_capacity", Value::Long(0)));
                }
                Some(groups) => {
                    if let Some((active, nodes)) = capacity(groups) {
                        a.push(("dr_nodegroups_active", Value::Bool(active)));
                        a.push(("dr_capacity", Value::Long(nodes)));
                    }
                }
                None => {}
            }
        }
    }
    "EksCluster"
}

pub(super) fn velero(v: &VeleroSchedule, a: &mut Attrs) -> &'static str {
    a.push(("location", Value::str(v.location.as_str())));
    a.push(("schedule", Value::str(v.schedule.as_str())));
    a.push(("backups", Value::Long(v.backups.into())));
    push(a, "latest_backup", v.newest_completed, Value::datetime);
    a.push((
        "failures_after_backup",
        Value::Long(v.failed_after_completed.into()),
    ));
    "VeleroSchedule"
}

pub(super) fn route53(
    f: &Route53Failover,
    a: &mut Attrs,
    cx: &ResourceContext<'_>,
) -> &'static str {
    a.push((
        "record",
        Value::str(format!("{} {}", f.record_name, f.record_type)),
    ));
    a.push(("has_primary", Value::Bool(f.primary.is_some())));
    a.push(("has_secondary", Value::Bool(f.secondary.is_some())));
    match &f.secondary {
        Some(s) => {
            push(a, "secondary_region", s.region.as_deref(), Value::str);
            // The SECONDARY resolves to the DR region; unknown when its target names no region.
            if let (Some(r), Some(dr)) = (s.region.as_deref(), cx.dr_region) {
                a.push(("secondary_in_dr_region", Value::Bool(r == dr)));
            }
        }
        // No SECONDARY: nothing answers in the DR region.
        None => a.push(("secondary_in_dr_region", Value::Bool(false))),
    }
    if let Some(p) = &f.primary {
        a.push((
            "primary_health_check",
            Value::Bool(
                p.health_check
                    .as_ref()
                    .is_some_and(|h| h.exists != Some(false)),
            ),
        ));
        if let Some(h) = &p.health_check {
            push(
                a,
                "primary_health_check_id",
                Some(h.id.as_str()),
                Value::str,
            );
            push(a, "primary_healthy", h.latest_status, |s| {
                Value::Bool(s >= 1.0)
            });
            push(a, "primary_unhealthy_in_window", h.min_status, |s| {
                Value::Bool(s < 1.0)
            });
        }
    }
    // The longest TTL of the pair's non-alias records (0 when both are aliases).
    let sides: Vec<_> = f.primary.iter().chain(f.secondary.iter()).collect();
    if !sides.is_empty() {
        let ttls: Option<Vec<u64>> = sides
            .iter()
            .map(|s| if s.alias { Some(0) } else { s.ttl })
            .collect();
        push(a, "max_ttl", ttls, |t| {
            Value::Duration(t.into_iter().max().unwrap_or(0) as i64)
        });
    }
    "Route53Failover"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_counts_active_groups_only() {
        let g = |status: &str, desired, min| NodeGroup {
            name: "g".into(),
            status: Some(status.into()),
            desired: Some(desired),
            min: Some(min),
            max: Some(10),
        };
        assert_eq!(
            capacity(&[g("ACTIVE", 3, 2), g("ACTIVE", 1, 1)]),
            Some((true, 3))
        );
        assert_eq!(
            capacity(&[g("ACTIVE", 3, 2), g("DEGRADED", 4, 4)]),
            Some((false, 2))
        );
        assert_eq!(capacity(&[]), Some((false, 0)));
        assert_eq!(version("1.29"), Some((1, 29)));
        assert_eq!(version("v1.30.2"), Some((1, 30)));
    }
}

//! The platform's Terraform resources, read with the live collectors' rules:
//! `aws_opensearch_domain` and `aws_elasticsearch_domain`; `aws_eks_cluster` with its
//! `aws_eks_node_group`s, paired with DR clusters by `model::platform::pair_eks`; and
//! `aws_route53_record`s with a failover routing policy, grouped into failover names.
//! A planned cluster or node group is taken as ACTIVE (the state Terraform leaves it in).

use std::collections::BTreeMap;

use serde_json::Value as J;

use super::change::{first, tags_of, unknown_gap, Change};
use super::{Family, Out};
use crate::model::platform::{
    region_in, EksCluster, FailoverRecord, HealthCheck, NodeGroup, OpensearchDomain,
    Route53Failover,
};
use crate::model::snapshot::Resource;

/// `aws_opensearch_domain` / `aws_elasticsearch_domain`.
pub(super) fn search_domain(f: &Family<'_, '_, '_>, c: &Change<'_>, region: &str, out: &mut Out) {
    let cc = first(c.get("cluster_config"));
    let flag = |block: Option<&J>, key: &str| block.and_then(|b| b.get(key)).and_then(J::as_bool);
    let count = |block: Option<&J>, key: &str| {
        block
            .and_then(|b| b.get(key))
            .and_then(J::as_u64)
            .and_then(|n| u32::try_from(n).ok())
    };
    let zone_awareness = Some(flag(cc, "zone_awareness_enabled").unwrap_or(false));
    let azs = match zone_awareness {
        Some(true) => Some(
            count(
                first(cc.and_then(|c| c.get("zone_awareness_config"))),
                "availability_zone_count",
            )
            .unwrap_or(2),
        ),
        _ => Some(1),
    };
    let managers = if flag(cc, "dedicated_master_enabled") == Some(true) {
        count(cc, "dedicated_master_count").or(Some(0))
    } else {
        Some(0)
    };
    for (key, fact) in [
        ("encrypt_at_rest", "encrypted_at_rest"),
        ("node_to_node_encryption", "node_to_node_encryption"),
    ] {
        if c.is_unknown(key) {
            out.gaps
                .push(unknown_gap(c, "opensearch_domain", &[fact], key));
        }
    }
    out.resources
        .push(Resource::OpensearchDomain(OpensearchDomain {
            id: c.address.clone(),
            name: c.str("domain_name").map(str::to_string),
            region: region.to_string(),
            tags: tags_of(c),
            managed: true,
            engine_version: c
                .str("engine_version")
                .or_else(|| c.str("elasticsearch_version"))
                .map(str::to_string),
            zone_awareness,
            availability_zones: azs,
            multi_az_standby: flag(cc, "multi_az_with_standby_enabled"),
            dedicated_managers: managers,
            data_nodes: count(cc, "instance_count").or(Some(1)),
            encrypted_at_rest: (!c.is_unknown("encrypt_at_rest"))
                .then(|| flag(first(c.get("encrypt_at_rest")), "enabled").unwrap_or(false)),
            node_to_node_encryption: (!c.is_unknown("node_to_node_encryption"))
                .then(|| flag(first(c.get("node_to_node_encryption")), "enabled").unwrap_or(false)),
            provenance: f.cx.provenance(c),
            ..OpensearchDomain::default()
        }));
}

/// Every `aws_eks_cluster` of the plan with its node groups, paired as live collection pairs them.
/// A region the plan holds no cluster of is not known to have none: its pairs stay unknown.
pub(super) fn eks(f: &Family<'_, '_, '_>, changes: &[&Change<'_>], out: &mut Out) {
    let mut groups: BTreeMap<String, Vec<NodeGroup>> = BTreeMap::new();
    for c in changes
        .iter()
        .filter(|c| c.ty == "aws_eks_node_group" && survives(c))
    {
        let Some(cluster) = c.str("cluster_name") else {
            continue;
        };
        let scaling = first(c.get("scaling_config"));
        let size = |k: &str| {
            scaling
                .and_then(|s| s.get(k))
                .and_then(J::as_u64)
                .and_then(|n| u32::try_from(n).ok())
        };
        groups
            .entry(cluster.to_string())
            .or_default()
            .push(NodeGroup {
                name: c.str("node_group_name").unwrap_or(&c.address).to_string(),
                status: Some("ACTIVE".into()),
                desired: size("desired_size"),
                min: size("min_size"),
                max: size("max_size"),
            });
    }
    let mut listed: BTreeMap<String, Option<Vec<EksCluster>>> = BTreeMap::new();
    for c in changes
        .iter()
        .filter(|c| c.ty == "aws_eks_cluster" && survives(c))
    {
        let region = f.cx.region_of(c);
        let name = c.str("name").unwrap_or(&c.address).to_string();
        if c.is_unknown("encryption_config") {
            out.gaps.push(unknown_gap(
                c,
                "eks_cluster",
                &["secrets_encrypted"],
                "encryption_config",
            ));
        }
        let key = first(c.get("encryption_config"))
            .and_then(|e| first(e.get("provider")))
            .and_then(|p| p.get("key_arn"));
        let secrets_encrypted = match key {
            Some(J::String(k)) => Some(!k.is_empty()),
            // A key created with the cluster: known only after apply, but there will be one.
            _ if c.unknown.pointer("/encryption_config/0/provider/0/key_arn")
                == Some(&J::Bool(true)) =>
            {
                Some(true)
            }
            _ => (!c.is_unknown("encryption_config")).then_some(false),
        };
        let logging = c
            .get("enabled_cluster_log_types")
            .and_then(J::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(J::as_str)
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            });
        let record = EksCluster {
            id: c.address.clone(),
            name: Some(name.clone()),
            region: region.clone(),
            tags: tags_of(c),
            version: c.str("version").map(str::to_string),
            status: Some("ACTIVE".into()),
            secrets_encrypted,
            logging: logging.or(Some(Vec::new())),
            nodegroups: Some(groups.get(&name).cloned().unwrap_or_default()),
            provenance: f.cx.provenance(c),
            ..EksCluster::default()
        };
        listed
            .entry(region)
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(record);
    }
    let dr_region = f.config.scope.dr_region.as_deref();
    // A DR cluster outside the plan may exist: "not found in the plan" is unknown, not absent.
    let paired = crate::model::platform::pair_eks(&listed, dr_region, &f.config.eks);
    for mut c in paired {
        if let Some(p) = c.dr_cluster.as_mut() {
            if p.found == Some(false) {
                p.found = None;
            }
        }
        out.resources.push(Resource::EksCluster(c));
    }
}

/// The failover routing policy's side of an `aws_route53_record` (`PRIMARY`, `SECONDARY`).
pub(super) fn failover_side(c: &Change<'_>) -> Option<String> {
    first(
        c.get("failover_routing_policy")
            .or_else(|| c.before.get("failover_routing_policy")),
    )
    .and_then(|p| p.get("type"))
    .and_then(J::as_str)
    .map(str::to_ascii_uppercase)
}

/// `aws_route53_record`s with a failover routing policy, grouped by zone, name and type.
pub(super) fn failover(f: &Family<'_, '_, '_>, changes: &[&Change<'_>], out: &mut Out) {
    let mut names: BTreeMap<(String, String, String), Route53Failover> = BTreeMap::new();
    for c in changes
        .iter()
        .filter(|c| c.ty == "aws_route53_record" && survives(c))
    {
        let Some(side) = failover_side(c) else {
            continue;
        };
        let zone = c
            .str("zone_id")
            .unwrap_or("(known after apply)")
            .to_string();
        let name = c
            .str("name")
            .unwrap_or(&c.address)
            .trim_end_matches('.')
            .to_string()
            + ".";
        let ty = c.str("type").unwrap_or("A").to_string();
        let alias = first(c.get("alias"));
        let targets: Vec<String> = match alias {
            Some(a) => a
                .get("name")
                .and_then(J::as_str)
                .map(str::to_string)
                .into_iter()
                .collect(),
            None => c
                .get("records")
                .and_then(J::as_array)
                .map(|r| r.iter().filter_map(J::as_str).map(str::to_string).collect())
                .unwrap_or_default(),
        };
        let health_check = match c.str("health_check_id") {
            Some(id) => Some(HealthCheck {
                id: id.to_string(),
                ..HealthCheck::default()
            }),
            // Set to a health check created with it: there will be one.
            None if c.is_unknown("health_check_id") => Some(HealthCheck {
                id: "(known after apply)".into(),
                ..HealthCheck::default()
            }),
            None => None,
        };
        if alias.is_none() && c.is_unknown("ttl") {
            out.gaps
                .push(unknown_gap(c, "route53_failover", &["max_ttl"], "ttl"));
        }
        let record = FailoverRecord {
            set_identifier: c.str("set_identifier").unwrap_or("").to_string(),
            region: targets.iter().find_map(|t| region_in(t)),
            alias: alias.is_some(),
            ttl: if alias.is_some() {
                None
            } else {
                c.get("ttl").and_then(J::as_u64)
            },
            targets,
            health_check,
        };
        let key = (zone.clone(), name.clone(), ty.clone());
        let entry = names.entry(key).or_insert_with(|| Route53Failover {
            id: format!("{zone}/{name}/{ty}"),
            name: Some(format!("{name} {ty}")),
            region: "us-east-1".into(),
            zone_id: zone.clone(),
            record_name: name.clone(),
            record_type: ty.clone(),
            provenance: f.cx.provenance(c),
            ..Route53Failover::default()
        });
        match side.as_str() {
            "PRIMARY" => entry.primary = Some(record),
            "SECONDARY" => entry.secondary = Some(record),
            _ => {}
        }
    }
    out.resources
        .extend(names.into_values().map(Resource::Route53Failover));
}

/// Whether the resource exists after apply: kept, created, updated or replaced.
fn survives(c: &Change<'_>) -> bool {
    !c.deletes() || c.creates_or_updates()
}

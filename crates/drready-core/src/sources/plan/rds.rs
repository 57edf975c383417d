//! `aws_db_instance` and `aws_rds_cluster` (Multi-AZ from its `aws_rds_cluster_instance`s).

use serde_json::Value as J;

use super::change::{day_count, tags_of, unknown_gap, Change};
use super::{Family, Out};
use crate::model::snapshot::{RdsDatabase, Resource};

/// A database instance or cluster as the plan leaves it.
pub(super) fn database(f: &Family<'_, '_, '_>, c: &Change<'_>, region: &str, out: &mut Out) {
    let cluster = c.ty == "aws_rds_cluster";
    if cluster && c.is_outside() {
        // Its other members and settings are not in the plan: every fact is unknown.
        out.resources.push(Resource::RdsCluster(RdsDatabase {
            id: c.address.clone(),
            name: c.str("cluster_identifier").map(str::to_string),
            region: region.to_string(),
            provenance: f.cx.provenance(c),
            ..RdsDatabase::default()
        }));
        return;
    }
    let ident = c.str(if cluster {
        "cluster_identifier"
    } else {
        "identifier"
    });
    let kind = if cluster {
        "rds_cluster"
    } else {
        "rds_instance"
    };
    let mut db = RdsDatabase {
        id: c.address.clone(),
        name: ident.map(str::to_string),
        region: region.to_string(),
        tags: tags_of(c),
        engine: c.str("engine").map(str::to_string),
        provenance: f.cx.provenance(c),
        ..RdsDatabase::default()
    };
    let mut unknown = Vec::new();
    match c.get("backup_retention_period").and_then(J::as_u64) {
        Some(d) => db.backup_retention_days = day_count(d),
        // Unset and not computed: the provider's default of 1 day applies to clusters,
        // 0 to instances restored without it; both are judged as written.
        None if c.is_unknown("backup_retention_period") => {
            unknown.push(("backup_retention_days", "backup_retention_period"))
        }
        None => db.backup_retention_days = Some(if cluster { 1 } else { 0 }),
    }
    match c.get("storage_encrypted").and_then(J::as_bool) {
        Some(b) => db.storage_encrypted = Some(b),
        None if c.is_unknown("storage_encrypted") => {
            unknown.push(("storage_encrypted", "storage_encrypted"))
        }
        None => db.storage_encrypted = Some(false),
    }
    db.kms_key_id = c.str("kms_key_id").map(str::to_string);
    match c.get("deletion_protection").and_then(J::as_bool) {
        Some(b) => db.deletion_protection = Some(b),
        None if c.is_unknown("deletion_protection") => {
            unknown.push(("deletion_protection", "deletion_protection"))
        }
        None => db.deletion_protection = Some(false),
    }
    if cluster {
        let members = ident
            .and_then(|i| f.parts.cluster_members.get(i))
            .or_else(|| f.parts.cluster_members.get(&c.plain))
            .copied()
            .unwrap_or(0);
        if ident.is_none() && c.is_unknown("cluster_identifier") && members == 0 {
            unknown.push(("multi_az", "cluster_identifier"));
        } else {
            db.multi_az = Some(members >= 2);
        }
    } else {
        match c.get("multi_az").and_then(J::as_bool) {
            Some(b) => db.multi_az = Some(b),
            None if c.is_unknown("multi_az") => unknown.push(("multi_az", "multi_az")),
            None => db.multi_az = Some(false),
        }
    }
    for (attr, field) in unknown {
        out.gaps.push(unknown_gap(c, kind, &[attr], field));
    }
    out.resources.push(if cluster {
        Resource::RdsCluster(db)
    } else {
        Resource::RdsInstance(db)
    });
}

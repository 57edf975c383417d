//! What a Terraform plan can tell, shared by the plan reader (which produces the facts) and
//! evaluation (which decides which controls apply to a plan).

/// The resource facts a plan can tell, by entity type. A control reading any other resource fact
/// (or the evaluation time: an age) needs live evidence and does not apply to a plan.
pub const ANSWERABLE: &[(&str, &[&str])] = &[
    (
        "RdsDatabase",
        &[
            "name",
            "kind",
            "account",
            "region",
            "engine",
            "backup_retention_days",
            "storage_encrypted",
            "kms_key_id",
            "multi_az",
            "deletion_protection",
        ],
    ),
    (
        "S3Bucket",
        &[
            "name",
            "account",
            "region",
            "encryption",
            "versioning",
            "object_lock_mode",
            "object_lock_days",
            "lifecycle_expiry_days",
            "replication_regions",
            "public_access_blocked",
        ],
    ),
    (
        "BackupPlan",
        &[
            "name",
            "account",
            "region",
            "rule_count",
            "max_interval",
            "min_retention_days",
            "copy_regions",
            "cross_account_copy",
        ],
    ),
    (
        "BackupVault",
        &[
            "name",
            "account",
            "region",
            "customer_managed_key",
            "lock_min_retention_days",
            "deletion_denied",
            "air_gapped",
        ],
    ),
    (
        "SearchDomain",
        &[
            "name",
            "account",
            "region",
            "managed",
            "engine_version",
            "zone_awareness",
            "availability_zones",
            "multi_az_standby",
            "dedicated_managers",
            "data_nodes",
            "encrypted_at_rest",
            "node_to_node_encryption",
        ],
    ),
    (
        "EksCluster",
        &[
            "name",
            "account",
            "region",
            "version",
            "status",
            "secrets_encrypted",
            "logging_types",
            "nodegroups_active",
            "capacity",
            "dr_of",
            "dr_name",
            "dr_found",
            "dr_status",
            "dr_version",
            "dr_versions_behind",
            "dr_nodegroups_active",
            "dr_capacity",
        ],
    ),
    (
        "Route53Failover",
        &[
            "name",
            "account",
            "region",
            "record",
            "has_primary",
            "has_secondary",
            "secondary_region",
            "secondary_in_dr_region",
            "primary_health_check",
            "primary_health_check_id",
            "max_ttl",
        ],
    ),
    (
        "PlanChange",
        &[
            "name",
            "account",
            "region",
            "resource_type",
            "action",
            "dr_critical",
        ],
    ),
];

/// Whether a control reading `facts` on `entity_type` can be judged from a plan.
pub fn answerable(entity_type: &str, facts: &[String]) -> bool {
    let Some((_, known)) = ANSWERABLE.iter().find(|(t, _)| *t == entity_type) else {
        return false;
    };
    facts.iter().all(|f| match f.strip_prefix("resource.") {
        Some(attr) if !attr.starts_with("component.") => known.contains(&attr),
        _ => f != "context.now",
    })
}

/// The error code of a gap for a value Terraform knows only after apply.
pub const KNOWN_AFTER_APPLY: &str = "KnownAfterApply";

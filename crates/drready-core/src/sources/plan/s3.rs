//! `aws_s3_bucket` joined with its split resources (`_versioning`,
//! `_server_side_encryption_configuration`, `_object_lock_configuration`,
//! `_lifecycle_configuration`, `_replication_configuration`, `_public_access_block`) or their
//! inline blocks. Only backup buckets (by the `[s3]` rule live collection applies) are judged.

use serde_json::Value as J;

use super::change::{day_count, first, tags_of, unknown_gap, Change};
use super::{Family, Out};
use crate::model::snapshot::{Gap, Resource, S3Bucket};

/// A bucket's split resource of one kind (`versioning`, `lifecycle_configuration`...).
type Part<'p, 'c, 'a> = &'p dyn Fn(&str) -> Option<&'c Change<'a>>;

/// A backup bucket as the plan leaves it, with its split parts.
pub(super) fn bucket(
    f: &Family<'_, '_, '_>,
    changes: &[Change<'_>],
    c: &Change<'_>,
    region: &str,
    out: &mut Out,
) {
    let name = c.str("bucket").map(str::to_string);
    let tags = tags_of(c);
    if !f
        .config
        .s3
        .is_backup_bucket(name.as_deref().unwrap_or(""), &tags)
    {
        return;
    }
    let mut parts: Vec<&Change<'_>> = Vec::new();
    if let Some(n) = &name {
        parts.extend(
            f.parts
                .splits
                .get(&format!("name:{n}"))
                .into_iter()
                .flatten(),
        );
    }
    parts.extend(
        f.parts
            .splits
            .get(&format!("addr:{}{}", c.plain, c.index_suffix()))
            .into_iter()
            .flatten(),
    );
    let part = |suffix: &str| {
        parts
            .iter()
            .find(|p| p.ty == format!("aws_s3_bucket_{suffix}"))
            .copied()
    };
    let mut b = S3Bucket {
        id: c.address.clone(),
        name,
        region: region.to_string(),
        tags,
        provenance: f.cx.provenance(c),
        ..S3Bucket::default()
    };
    b.encryption = Some(encryption(c, &part).unwrap_or("AES256").to_string());
    b.versioning = Some(versioning(c, &part).unwrap_or_else(|| "Disabled".into()));
    let lock = object_lock(c, &part);
    b.object_lock_mode = Some(
        lock.as_ref()
            .and_then(|l| l.get("mode"))
            .and_then(J::as_str)
            .unwrap_or("NONE")
            .to_string(),
    );
    b.object_lock_days = Some(lock.as_ref().and_then(days_of).unwrap_or(0));
    b.lifecycle_expiry_days = Some(lifecycle_expiry(c, &part).into_iter().min().unwrap_or(0));
    match replication_regions(f, changes, c, &part) {
        Ok(regions) => b.replication_regions = Some(regions),
        Err(gap) => out.gaps.push(*gap),
    }
    b.public_access_blocked = Some(part("public_access_block").is_some_and(|p| {
        [
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        ]
        .iter()
        .all(|k| p.get(k).and_then(J::as_bool) == Some(true))
    }));
    if c.is_outside() {
        // Only what the changed parts say is known of a bucket the plan does not hold.
        let has = |suffix: &str| part(suffix).is_some();
        if !has("server_side_encryption_configuration") {
            b.encryption = None;
        }
        if !has("versioning") {
            b.versioning = None;
        }
        if !has("object_lock_configuration") {
            b.object_lock_mode = None;
            b.object_lock_days = None;
        }
        if !has("lifecycle_configuration") {
            b.lifecycle_expiry_days = None;
        }
        if !has("replication_configuration") {
            b.replication_regions = None;
        }
        if !has("public_access_block") {
            b.public_access_blocked = None;
        }
    }
    out.resources.push(Resource::S3Bucket(b));
}

/// Encryption: the split resource, the inline block, else S3's default (SSE-S3) for the caller.
fn encryption<'c>(c: &'c Change<'_>, part: Part<'_, 'c, '_>) -> Option<&'c str> {
    part("server_side_encryption_configuration")
        .and_then(|p| first(p.get("rule")))
        .or_else(|| {
            first(c.get("server_side_encryption_configuration")).and_then(|s| first(s.get("rule")))
        })
        .and_then(|r| first(r.get("apply_server_side_encryption_by_default")))
        .and_then(|d| d.get("sse_algorithm").and_then(J::as_str))
}

fn versioning(c: &Change<'_>, part: Part<'_, '_, '_>) -> Option<String> {
    match part("versioning") {
        Some(p) => first(p.get("versioning_configuration"))
            .and_then(|v| v.get("status"))
            .and_then(J::as_str)
            .map(str::to_string),
        None => first(c.get("versioning"))
            .and_then(|v| v.get("enabled"))
            .and_then(J::as_bool)
            .map(|e| if e { "Enabled" } else { "Suspended" }.to_string()),
    }
}

/// The Object Lock default retention block.
fn object_lock(c: &Change<'_>, part: Part<'_, '_, '_>) -> Option<J> {
    match part("object_lock_configuration") {
        Some(p) => first(p.get("rule"))
            .and_then(|r| first(r.get("default_retention")))
            .cloned(),
        None => first(c.get("object_lock_configuration"))
            .and_then(|o| first(o.get("rule")))
            .and_then(|r| first(r.get("default_retention")))
            .cloned(),
    }
}

/// The expiration days of the enabled lifecycle rules. The split resource's rules say
/// `status = "Enabled"`, inline rules `enabled = true`.
fn lifecycle_expiry(c: &Change<'_>, part: Part<'_, '_, '_>) -> Vec<u32> {
    match part("lifecycle_configuration") {
        Some(p) => expiry_days(p.get("rule"), |r| {
            r.get("status").and_then(J::as_str) == Some("Enabled")
        }),
        None => expiry_days(c.get("lifecycle_rule"), |r| {
            r.get("enabled").and_then(J::as_bool) == Some(true)
        }),
    }
}

/// The regions a bucket replicates to; a destination's region is known only when the plan creates
/// that bucket too, else the answer is a gap.
fn replication_regions(
    f: &Family<'_, '_, '_>,
    changes: &[Change<'_>],
    c: &Change<'_>,
    part: Part<'_, '_, '_>,
) -> Result<Vec<String>, Box<Gap>> {
    let replication = part("replication_configuration")
        .map(|p| p.get("rule").cloned())
        .or_else(|| first(c.get("replication_configuration")).map(|r| r.get("rules").cloned()));
    let Some(rules) = replication else {
        return Ok(Vec::new());
    };
    let dests: Vec<String> = rules
        .iter()
        .flat_map(|r| r.as_array().cloned().unwrap_or_default())
        .filter_map(|r| {
            first(r.get("destination"))
                .and_then(|d| d.get("bucket"))
                .and_then(J::as_str)
                .map(str::to_string)
        })
        .collect();
    let regions: Option<Vec<String>> = dests
        .iter()
        .map(|arn| {
            let name = arn.rsplit(':').next().unwrap_or(arn);
            changes
                .iter()
                .find(|o| o.ty == "aws_s3_bucket" && o.str("bucket") == Some(name))
                .map(|o| f.cx.region_of(o))
                .filter(|r| !r.is_empty())
        })
        .collect();
    match regions {
        Some(r) if !dests.is_empty() => Ok(r),
        _ => Err(Box::new(Gap {
            error_code: None,
            message: format!(
                "the replication destination of `{}` is not in the plan: its region is unknown",
                c.address
            ),
            ..unknown_gap(
                c,
                "s3_bucket",
                &["replication_regions"],
                "replication_configuration",
            )
        })),
    }
}

/// The expiration days of the enabled lifecycle rules.
fn expiry_days(rules: Option<&J>, enabled: impl Fn(&J) -> bool) -> Vec<u32> {
    rules
        .and_then(J::as_array)
        .into_iter()
        .flatten()
        .filter(|r| enabled(r))
        .filter_map(|r| {
            first(r.get("expiration"))
                .and_then(|e| e.get("days"))
                .and_then(J::as_u64)
        })
        .filter(|d| *d > 0)
        .filter_map(day_count)
        .collect()
}

fn days_of(retention: &J) -> Option<u32> {
    let days = retention.get("days").and_then(J::as_u64).unwrap_or(0);
    let years = retention.get("years").and_then(J::as_u64).unwrap_or(0);
    day_count(years.checked_mul(365)?.checked_add(days)?)
}

//! S3 buckets that hold backups: which ones (by name, glob or tag in `[s3]`; with no rule, a name
//! containing `backup` or the tag `drready:role=backup`), and for each its default encryption,
//! versioning, Object Lock, lifecycle expiry, replication, public access block and the newest
//! object under the backup prefix.
//!
//! The newest object is found without listing an unbounded bucket. With `s3.key_date_format`
//! (dumps written under dated keys such as `dumps/2026/11/25/...`), the listing starts after the
//! key of the lookback window's first day (`StartAfter`), so it reads only recent keys. Either way
//! it stops after `s3.max_keys` keys: a listing cut short leaves the newest object unknown (a gap,
//! so no_evidence), never a guess.
//!
//! "Not configured" answers (`ServerSideEncryptionConfigurationNotFoundError`,
//! `NoSuchLifecycleConfiguration`, ...) are facts (no encryption, nothing expires), not gaps.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use futures::StreamExt;

use super::session::{each_page, failure, time, Ctx, Failure};
use crate::model::config::RawS3;
use crate::model::snapshot::{Gap, Provenance, Resource, S3Bucket};

/// The tag that marks a backup bucket when no `[s3]` rule is configured.
pub const ROLE_TAG: (&str, &str) = crate::model::config::BACKUP_ROLE_TAG;

/// A candidate bucket with its tags and region, each read or failed.
type Candidate = (
    Listed,
    Result<BTreeMap<String, String>, Failure>,
    Result<String, Failure>,
);

struct Listed {
    name: String,
    region: Option<String>,
}

/// Every backup bucket of the account.
pub async fn collect(ctx: &Ctx, rule: &RawS3) -> (Vec<Resource>, Vec<Gap>) {
    let client = ctx.s3();
    let mut gaps = Vec::new();
    let read = list_buckets(ctx).await;
    let listed: Vec<Listed> = match &read {
        Ok(b) => b
            .iter()
            .map(|(name, region)| Listed {
                name: name.clone(),
                region: region.clone(),
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    if let Err(f) = read {
        let mut g = ctx.gap("s3", "ListBuckets", &f, None, Some("s3_bucket"), &[]);
        g.region = None;
        return (Vec::new(), vec![g]);
    }
    let needs_tags = rule.is_unset() || !rule.tags.is_empty();
    let by_name = |name: &str| rule.backup_by_name(name);
    let by_tag = |tags: &BTreeMap<String, String>| rule.backup_by_tag(tags);
    // Region and tags of each candidate, as few calls as the rule allows.
    let concurrency = 16;
    let candidates: Vec<Candidate> = futures::stream::iter(
        listed
            .into_iter()
            .filter(|b| needs_tags || by_name(&b.name)),
    )
    .map(|b| {
        let client = &client;
        async move {
            let region = match &b.region {
                Some(r) => Ok(r.clone()),
                None => location(ctx, client, &b.name).await,
            };
            let tags = match &region {
                Ok(r) => bucket_tags(&ctx.in_region(r), &b.name).await,
                Err(f) => Err(f.clone()),
            };
            (b, tags, region)
        }
    })
    .buffer_unordered(concurrency)
    .collect()
    .await;
    let regions: HashMap<String, String> = candidates
        .iter()
        .filter_map(|(b, _, r)| r.as_ref().ok().map(|r| (b.name.clone(), r.clone())))
        .collect();
    let mut chosen = Vec::new();
    for (b, tags, region) in candidates {
        let arn = format!("arn:aws:s3:::{}", b.name);
        match (&tags, by_name(&b.name)) {
            (Ok(t), named) if named || by_tag(t) => {
                chosen.push((b.name, tags.unwrap_or_default(), region))
            }
            (Ok(_), _) => {}
            // Whether it holds backups is unknown: it stays in, with what could not be read.
            (Err(f), named) => {
                let mut g = ctx.gap(
                    "s3",
                    "GetBucketTagging",
                    f,
                    Some(&arn),
                    Some("s3_bucket"),
                    &[],
                );
                g.region = region.as_ref().ok().cloned();
                if named || needs_tags {
                    gaps.push(g);
                    chosen.push((b.name, BTreeMap::new(), region));
                }
            }
        }
    }
    ctx.progress.add(chosen.len() as u64);
    let results: Vec<(Resource, Vec<Gap>)> = futures::stream::iter(chosen)
        .map(|(name, tags, region)| {
            let regions = &regions;
            async move {
                ctx.progress.done(&format!("{} s3: {name}", ctx.account));
                match region {
                    Ok(r) => bucket(&ctx.in_region(&r), &name, tags, rule, regions).await,
                    Err(f) => {
                        let arn = format!("arn:aws:s3:::{name}");
                        let mut g = ctx.gap(
                            "s3",
                            "GetBucketLocation",
                            &f,
                            Some(&arn),
                            Some("s3_bucket"),
                            &[],
                        );
                        g.region = None;
                        let record = S3Bucket {
                            id: arn,
                            name: Some(name),
                            account: ctx.account.clone(),
                            tags,
                            ..S3Bucket::default()
                        };
                        (Resource::S3Bucket(record), vec![g])
                    }
                }
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let mut resources = Vec::new();
    for (r, g) in results {
        resources.push(r);
        gaps.extend(g);
    }
    (resources, gaps)
}

/// Every bucket of the account with the region ListBuckets gives, asked once per account.
pub(crate) async fn list_buckets(ctx: &Ctx) -> Result<Vec<(String, Option<String>)>, Failure> {
    ctx.memo
        .buckets
        .get_or_init(|| async {
            let mut listed = Vec::new();
            each_page(
                ctx,
                // A request with a parameter is answered with each bucket's region
                // (`BucketRegion`), so GetBucketLocation is needed only where it is not.
                ctx.s3()
                    .list_buckets()
                    .max_buckets(10_000)
                    .into_paginator()
                    .send(),
                |page| {
                    for b in page.buckets() {
                        if let Some(name) = b.name() {
                            listed.push((name.to_string(), b.bucket_region().map(str::to_string)));
                        }
                    }
                },
            )
            .await
            .map(|()| listed)
        })
        .await
        .clone()
}

/// A bucket's region, asked once per account.
pub(crate) async fn location(
    ctx: &Ctx,
    client: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<String, Failure> {
    let cell = super::session::Memo::cell(&ctx.memo.regions, bucket);
    cell.get_or_init(|| location_now(ctx, client, bucket))
        .await
        .clone()
}

async fn location_now(
    ctx: &Ctx,
    client: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<String, Failure> {
    let out = ctx
        .call(client.get_bucket_location().bucket(bucket).send())
        .await
        .map_err(|e| failure(&e))?;
    // No constraint means us-east-1; `EU` is the old name of eu-west-1.
    Ok(match out.location_constraint().map(|c| c.as_str()) {
        None | Some("") => "us-east-1".to_string(),
        Some("EU") => "eu-west-1".to_string(),
        Some(r) => r.to_string(),
    })
}

/// A bucket's tags, asked once per account (`ctx` in the bucket's region).
pub(crate) async fn bucket_tags(
    ctx: &Ctx,
    bucket: &str,
) -> Result<BTreeMap<String, String>, Failure> {
    let cell = super::session::Memo::cell(&ctx.memo.tags, bucket);
    cell.get_or_init(|| bucket_tags_now(ctx, bucket))
        .await
        .clone()
}

async fn bucket_tags_now(ctx: &Ctx, bucket: &str) -> Result<BTreeMap<String, String>, Failure> {
    match ctx
        .call(ctx.s3().get_bucket_tagging().bucket(bucket).send())
        .await
    {
        Ok(out) => Ok(out
            .tag_set()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect()),
        Err(e) => {
            let f = failure(&e);
            if f.is(&["NoSuchTagSet", "NoSuchTagSetError"]) {
                Ok(BTreeMap::new())
            } else {
                Err(f)
            }
        }
    }
}

/// Read a "not configured" answer as `absent`, any other failure as a gap.
fn or_absent<T>(r: Result<T, Failure>, absent: &[&str], none: T) -> Result<T, Failure> {
    match r {
        Err(f) if f.is(absent) => Ok(none),
        other => other,
    }
}

async fn bucket(
    ctx: &Ctx,
    name: &str,
    tags: BTreeMap<String, String>,
    rule: &RawS3,
    regions: &HashMap<String, String>,
) -> (Resource, Vec<Gap>) {
    let client = ctx.s3();
    let arn = format!("arn:aws:s3:::{name}");
    let mut gaps = Vec::new();
    let mut gap = |op: &str, f: &Failure, attrs: &[&str]| {
        gaps.push(ctx.gap("s3", op, f, Some(&arn), Some("s3_bucket"), attrs));
    };
    let prefix = rule.prefix_for(name, &tags);

    let (enc, ver, lock, life, repl, pab) = futures::join!(
        ctx.call(client.get_bucket_encryption().bucket(name).send()),
        ctx.unless_unimplemented("GetBucketVersioning", async {
            ctx.call(client.get_bucket_versioning().bucket(name).send())
                .await
                .map_err(|e| failure(&e))
        }),
        ctx.call(client.get_object_lock_configuration().bucket(name).send()),
        ctx.call(
            client
                .get_bucket_lifecycle_configuration()
                .bucket(name)
                .send()
        ),
        ctx.call(client.get_bucket_replication().bucket(name).send()),
        ctx.call(client.get_public_access_block().bucket(name).send()),
    );
    let encryption = or_absent(
        enc.map_err(|e| failure(&e)).map(|o| encryption_of(&o)),
        &["ServerSideEncryptionConfigurationNotFoundError"],
        "none".to_string(),
    );
    let encryption = encryption
        .map_err(|f| gap("GetBucketEncryption", &f, &["encryption"]))
        .ok();
    let versioning = ver
        .map(|o| {
            o.status()
                .map_or("Disabled".to_string(), |s| s.as_str().to_string())
        })
        .map_err(|f| gap("GetBucketVersioning", &f, &["versioning"]))
        .ok();
    let lock = or_absent(
        lock.map_err(|e| failure(&e)).map(|o| object_lock_of(&o)),
        &["ObjectLockConfigurationNotFoundError"],
        ("NONE".to_string(), 0),
    )
    .map_err(|f| {
        gap(
            "GetObjectLockConfiguration",
            &f,
            &["object_lock_mode", "object_lock_days"],
        )
    })
    .ok();
    let expiry = or_absent(
        life.map_err(|e| failure(&e))
            .and_then(|o| expiry_of(&o, prefix.as_deref())),
        &["NoSuchLifecycleConfiguration"],
        0,
    )
    .map_err(|f| {
        gap(
            "GetBucketLifecycleConfiguration",
            &f,
            &["lifecycle_expiry_days"],
        )
    })
    .ok();
    let destinations = or_absent(
        repl.map_err(|e| failure(&e)).map(|o| destinations_of(&o)),
        &["ReplicationConfigurationNotFoundError"],
        Vec::new(),
    )
    .map_err(|f| gap("GetBucketReplication", &f, &["replication_regions"]))
    .ok();
    let public_access_blocked = or_absent(
        pab.map_err(|e| failure(&e))
            .map(|o| public_access_blocked_of(&o)),
        &["NoSuchPublicAccessBlockConfiguration"],
        false,
    )
    .map_err(|f| gap("GetPublicAccessBlock", &f, &["public_access_blocked"]))
    .ok();

    let replication_regions = match destinations {
        None => None,
        Some(dests) => match destination_regions(ctx, &client, dests, regions).await {
            Ok(r) => Some(r),
            Err(failed) => {
                for f in failed {
                    gap("GetBucketLocation", &f, &["replication_regions"]);
                }
                None
            }
        },
    };

    let newest = match &prefix {
        None => None,
        Some(p) => match newest_object(ctx, &client, name, p, rule).await {
            Ok(t) => t,
            Err(f) => {
                gap("ListObjectsV2", &f, &["newest_backup_object"]);
                None
            }
        },
    };
    let (object_lock_mode, object_lock_days) = match lock {
        Some((m, d)) => (Some(m), Some(d)),
        None => (None, None),
    };
    let record = S3Bucket {
        id: arn.clone(),
        name: Some(name.to_string()),
        account: ctx.account.clone(),
        region: ctx.region.clone(),
        tags,
        encryption,
        versioning,
        object_lock_mode,
        object_lock_days,
        lifecycle_expiry_days: expiry,
        replication_regions,
        public_access_blocked,
        backup_prefix: prefix,
        newest_backup_object: newest,
        provenance: Some(Provenance {
            source: "s3:GetBucket*".into(),
            line: None,
            at: Some(ctx.now),
        }),
        ..S3Bucket::default()
    };
    (Resource::S3Bucket(record), gaps)
}

/// The default encryption algorithm (`none` without one).
fn encryption_of(
    o: &aws_sdk_s3::operation::get_bucket_encryption::GetBucketEncryptionOutput,
) -> String {
    o.server_side_encryption_configuration()
        .and_then(|c| c.rules().first())
        .and_then(|r| r.apply_server_side_encryption_by_default())
        .map(|d| d.sse_algorithm().as_str().to_string())
        .unwrap_or_else(|| "none".into())
}

/// Object Lock's default retention: (mode, days); `NONE` and 0 without one.
fn object_lock_of(
    o: &aws_sdk_s3::operation::get_object_lock_configuration::GetObjectLockConfigurationOutput,
) -> (String, u32) {
    let c = o.object_lock_configuration();
    let enabled = c
        .and_then(|c| c.object_lock_enabled())
        .is_some_and(|e| e.as_str() == "Enabled");
    let retention = c.and_then(|c| c.rule()).and_then(|r| r.default_retention());
    match (enabled, retention) {
        (true, Some(r)) => (
            r.mode()
                .map_or("NONE".to_string(), |m| m.as_str().to_string()),
            (r.days().unwrap_or(0).max(0) + r.years().unwrap_or(0).max(0) * 365) as u32,
        ),
        _ => ("NONE".to_string(), 0),
    }
}

/// The shortest expiry, in days, of the enabled lifecycle rules covering the backup prefix (0:
/// none expires). A rule that expires objects on a date has no age in days: unknown, never "never".
fn expiry_of(
    o: &aws_sdk_s3::operation::get_bucket_lifecycle_configuration::GetBucketLifecycleConfigurationOutput,
    prefix: Option<&str>,
) -> Result<u32, Failure> {
    let rules: Vec<_> = o
        .rules()
        .iter()
        .filter(|r| r.status().as_str() == "Enabled")
        .filter(|r| applies_to(r, prefix))
        .collect();
    if rules
        .iter()
        .any(|r| r.expiration().is_some_and(|e| e.date().is_some()))
    {
        return Err(Failure::new(
            None,
            "a lifecycle rule expires objects on a date, not after a number of days",
        ));
    }
    Ok(rules
        .iter()
        .filter_map(|r| r.expiration().and_then(|e| e.days()))
        .filter(|d| *d > 0)
        .min()
        .map_or(0, |d| d as u32))
}

/// The destination buckets of the enabled replication rules.
fn destinations_of(
    o: &aws_sdk_s3::operation::get_bucket_replication::GetBucketReplicationOutput,
) -> Vec<String> {
    o.replication_configuration()
        .map(|c| {
            c.rules()
                .iter()
                .filter(|r| r.status().as_str() == "Enabled")
                .filter_map(|r| r.destination().map(|d| d.bucket().to_string()))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
}

/// Whether all four public access blocks are on.
fn public_access_blocked_of(
    o: &aws_sdk_s3::operation::get_public_access_block::GetPublicAccessBlockOutput,
) -> bool {
    o.public_access_block_configuration().is_some_and(|c| {
        c.block_public_acls() == Some(true)
            && c.ignore_public_acls() == Some(true)
            && c.block_public_policy() == Some(true)
            && c.restrict_public_buckets() == Some(true)
    })
}

/// The regions of the replication destinations. They are bucket ARNs, which carry no region: each
/// one not listed in `regions` is looked up. Every lookup is made; the failures are returned.
async fn destination_regions(
    ctx: &Ctx,
    client: &aws_sdk_s3::Client,
    dests: Vec<String>,
    regions: &HashMap<String, String>,
) -> Result<Vec<String>, Vec<Failure>> {
    let mut out = Vec::new();
    let mut failed = Vec::new();
    for d in dests {
        let dest = d.strip_prefix("arn:aws:s3:::").unwrap_or(&d).to_string();
        match regions.get(&dest) {
            Some(r) => out.push(r.clone()),
            None => match location(ctx, client, &dest).await {
                Ok(r) => out.push(r),
                Err(f) => failed.push(f),
            },
        }
    }
    if !failed.is_empty() {
        return Err(failed);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Whether a lifecycle rule covers objects under the backup prefix.
fn applies_to(r: &aws_sdk_s3::types::LifecycleRule, prefix: Option<&str>) -> bool {
    let rule_prefix = r
        .filter()
        .and_then(|f| f.prefix().or_else(|| f.and().and_then(|a| a.prefix())))
        .or({
            #[expect(deprecated, reason = "old rules still carry a top-level prefix")]
            r.prefix()
        })
        .unwrap_or("");
    match prefix {
        Some(p) => p.starts_with(rule_prefix) || rule_prefix.starts_with(p),
        None => true,
    }
}

/// The newest object under `prefix`, listing at most `max_keys` keys.
async fn newest_object(
    ctx: &Ctx,
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    rule: &RawS3,
) -> Result<Option<DateTime<Utc>>, Failure> {
    let start_after = rule.key_date_format.as_ref().map(|f| {
        let from = crate::util::duration::before(ctx.now, rule.lookback.0);
        format!("{prefix}{}", from.format(f))
    });
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .set_start_after(start_after)
        .into_paginator()
        .page_size(1000)
        .send();
    let mut seen: u64 = 0;
    let mut newest: Option<DateTime<Utc>> = None;
    loop {
        match ctx.call(pages.next()).await {
            None => return Ok(newest),
            Some(Err(e)) => return Err(failure(&e)),
            Some(Ok(page)) => {
                for o in page.contents() {
                    seen += 1;
                    let t = o.last_modified().and_then(time);
                    if t > newest {
                        newest = t;
                    }
                }
                if page.is_truncated() == Some(true) && seen >= u64::from(rule.max_keys) {
                    return Err(Failure::new(
                        None,
                        format!(
                            "more than {} keys under `{prefix}`: the newest object is unknown (set `s3.key_date_format` so that only recent keys are listed, or raise `s3.max_keys`)",
                            rule.max_keys
                        ),
                    ));
                }
            }
        }
    }
}

/// The store of DR test results (`[program] results_bucket`): its Object Lock default retention
/// and the shortest lifecycle expiry over `prefix`. What cannot be read stays absent (no
/// evidence) and is a gap.
pub async fn results_store(
    ctx: &Ctx,
    bucket: &str,
    prefix: Option<&str>,
) -> (drready_core::model::snapshot::ResultsStore, Vec<Gap>) {
    let mut store = drready_core::model::snapshot::ResultsStore {
        bucket: bucket.to_string(),
        ..Default::default()
    };
    let mut gaps = Vec::new();
    let arn = format!("arn:aws:s3:::{bucket}");
    let client = ctx.s3();
    let region = match location(ctx, &client, bucket).await {
        Ok(r) => r,
        Err(f) => {
            gaps.push(ctx.gap(
                "s3",
                "GetBucketLocation",
                &f,
                Some(&arn),
                Some("program"),
                &["results_locked_days", "results_expiry_days"],
            ));
            return (store, gaps);
        }
    };
    let here = ctx.in_region(&region);
    let client = here.s3();
    let (lock, life) = futures::join!(
        here.call(client.get_object_lock_configuration().bucket(bucket).send()),
        here.call(
            client
                .get_bucket_lifecycle_configuration()
                .bucket(bucket)
                .send()
        ),
    );
    match or_absent(
        lock.map_err(|e| failure(&e)).map(|o| object_lock_of(&o)),
        &["ObjectLockConfigurationNotFoundError"],
        ("NONE".to_string(), 0),
    ) {
        Ok((mode, days)) => {
            store.object_lock_mode = Some(mode);
            store.object_lock_days = Some(days);
        }
        Err(f) => gaps.push(here.gap(
            "s3",
            "GetObjectLockConfiguration",
            &f,
            Some(&arn),
            Some("program"),
            &["results_locked_days"],
        )),
    }
    match or_absent(
        life.map_err(|e| failure(&e))
            .and_then(|o| expiry_of(&o, prefix)),
        &["NoSuchLifecycleConfiguration"],
        0,
    ) {
        Ok(days) => store.lifecycle_expiry_days = Some(days),
        Err(f) => gaps.push(here.gap(
            "s3",
            "GetBucketLifecycleConfiguration",
            &f,
            Some(&arn),
            Some("program"),
            &["results_expiry_days"],
        )),
    }
    (store, gaps)
}

#[cfg(test)]
mod tests {
    #[test]
    fn date_formats_are_checked() {
        assert!(crate::util::duration::is_date_format("%Y/%m/%d/"));
        assert!(!crate::util::duration::is_date_format("%Q"));
    }
}

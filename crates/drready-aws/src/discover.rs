//! `drready init`: what an account has, for a first config. A collection with a broad bucket rule,
//! then, in each backup bucket found, the top-level folders of its first keys with their newest
//! object, so that the config can name each bucket's backup prefix.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::collect::{collect, Collection};
use super::session::{account_contexts, failure, time, Ctx, Failure, Options};
use crate::model::config::Config;
use crate::model::snapshot::Resource;
use crate::util::error::Error;

/// Keys read from the start of each bucket to find its folders.
const KEYS: i32 = 1000;

/// A top-level folder of a bucket (`""` for keys at the top): its newest object and its key count
/// among the keys read.
#[derive(Debug, Clone)]
pub struct Folder {
    pub prefix: String,
    pub newest: DateTime<Utc>,
    pub keys: u64,
}

pub struct Found {
    pub collection: Collection,
    /// Each backup bucket's folders, newest first; a bucket that could not be listed is absent.
    pub folders: BTreeMap<String, Vec<Folder>>,
}

pub async fn discover(config: &Config, opts: &Options) -> Result<Found, Error> {
    let collection = collect(config, opts).await?;
    let (contexts, _) = account_contexts(config, opts).await?;
    let mut folders = BTreeMap::new();
    for r in &collection.snapshot.resources {
        let Resource::S3Bucket(b) = r else { continue };
        let Some(home) = contexts.iter().find(|c| c.account == b.account) else {
            continue;
        };
        let name = b
            .name
            .clone()
            .unwrap_or_else(|| b.id.trim_start_matches("arn:aws:s3:::").to_string());
        let ctx = home.in_region(if b.region.is_empty() {
            &home.region
        } else {
            &b.region
        });
        if let Ok(f) = top_folders(&ctx, &name).await {
            folders.insert(name, f);
        }
    }
    Ok(Found {
        collection,
        folders,
    })
}

async fn top_folders(ctx: &Ctx, bucket: &str) -> Result<Vec<Folder>, Failure> {
    let page = ctx
        .call(
            ctx.s3()
                .list_objects_v2()
                .bucket(bucket)
                .max_keys(KEYS)
                .send(),
        )
        .await
        .map_err(|e| failure(&e))?;
    let mut by: BTreeMap<String, Folder> = BTreeMap::new();
    for o in page.contents() {
        let (Some(key), Some(modified)) = (o.key(), o.last_modified().and_then(time)) else {
            continue;
        };
        let prefix = key
            .split_once('/')
            .map(|(top, _)| format!("{top}/"))
            .unwrap_or_default();
        let f = by.entry(prefix.clone()).or_insert(Folder {
            prefix,
            newest: modified,
            keys: 0,
        });
        f.keys += 1;
        f.newest = f.newest.max(modified);
    }
    let mut out: Vec<Folder> = by.into_values().collect();
    out.sort_by(|a, b| b.newest.cmp(&a.newest).then(a.prefix.cmp(&b.prefix)));
    Ok(out)
}

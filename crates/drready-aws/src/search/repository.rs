//! A snapshot repository read from its own files in S3, as OpenSearch's and Elasticsearch's
//! `BlobStoreRepository` writes them: `index.latest` (the current generation N, an 8-byte
//! big-endian number), `index-N` (the repository data, JSON: every snapshot's name, uuid and state,
//! and in Elasticsearch 7.13 and later its start and end times), and for a snapshot whose times
//! `index-N` does not hold (OpenSearch), its `snap-<uuid>.dat` (the snapshot's info in Smile,
//! wrapped in a Lucene codec header and footer). Only read-only S3 calls: an auditor can judge the
//! repository without reaching the cluster.

use futures::StreamExt;

use super::smile;
use super::Snap;
use crate::session::{failure, Ctx};

/// Snapshot states as `index-N` numbers them (OpenSearch's and Elasticsearch's `SnapshotState`).
pub fn state_name(n: i64) -> &'static str {
    match n {
        0 => "IN_PROGRESS",
        1 => "SUCCESS",
        2 => "FAILED",
        3 => "PARTIAL",
        4 => "INCOMPATIBLE",
        _ => "UNKNOWN",
    }
}

/// The generation `index.latest` names.
pub fn parse_latest(bytes: &[u8]) -> Result<i64, String> {
    let b: [u8; 8] = bytes
        .try_into()
        .map_err(|_| format!("index.latest holds {} bytes, not 8", bytes.len()))?;
    Ok(i64::from_be_bytes(b))
}

/// One entry of `index-N`: name, uuid, state and (Elasticsearch) times.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub name: String,
    pub uuid: String,
    pub state: String,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
}

/// The snapshots of `index-N`.
pub fn parse_index(text: &str) -> Result<Vec<Entry>, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let list = v
        .get("snapshots")
        .and_then(|s| s.as_array())
        .ok_or("no `snapshots` list")?;
    list.iter()
        .map(|s| {
            let text = |k: &str| s.get(k).and_then(|x| x.as_str()).map(str::to_string);
            let name = text("name").ok_or("a snapshot has no name")?;
            let uuid = text("uuid").ok_or_else(|| format!("snapshot `{name}` has no uuid"))?;
            // Repositories written before 7.x have no state: the snapshot's own file says it.
            let state = s
                .get("state")
                .and_then(|x| x.as_i64())
                .map_or("UNKNOWN", state_name)
                .to_string();
            let ms = |k: &str| s.get(k).and_then(|x| x.as_i64()).filter(|t| *t > 0);
            Ok(Entry {
                start_ms: ms("start_time_millis"),
                end_ms: ms("end_time_millis"),
                name,
                uuid,
                state,
            })
        })
        .collect()
}

/// The Lucene codec header's magic number and the footer's, around a blob's content.
const CODEC_MAGIC: [u8; 4] = [0x3f, 0xd7, 0x6c, 0x17];
const FOOTER_LEN: usize = 16;

/// The content of a checksummed blob (`snap-<uuid>.dat`): after the codec header (magic, codec
/// name, version), before the 16-byte footer; inflated when OpenSearch compressed it (`DFL\0`).
pub fn blob_content(bytes: &[u8]) -> Result<Vec<u8>, String> {
    if bytes.len() < 9 + FOOTER_LEN || bytes[..4] != CODEC_MAGIC {
        return Err("not a checksummed blob (no codec header)".into());
    }
    let name_len = usize::from(bytes[4]);
    if name_len >= 0x80 {
        return Err("the codec name is too long".into());
    }
    let start = 5 + name_len + 4;
    let end = bytes.len() - FOOTER_LEN;
    if start > end {
        return Err("the blob is shorter than its header".into());
    }
    let content = &bytes[start..end];
    match content.strip_prefix(b"DFL\0") {
        Some(deflated) => {
            use std::io::Read;
            let mut out = Vec::new();
            flate2::read::DeflateDecoder::new(deflated)
                .take(64 << 20)
                .read_to_end(&mut out)
                .map_err(|e| format!("inflating: {e}"))?;
            Ok(out)
        }
        None => Ok(content.to_vec()),
    }
}

/// What a `snap-<uuid>.dat` says of its snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapInfo {
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub state: Option<String>,
}

/// Start, end (ms) and state of a snapshot from its `snap-<uuid>.dat`.
pub fn parse_snap_info(bytes: &[u8]) -> Result<SnapInfo, String> {
    let content = blob_content(bytes)?;
    let v = if content.starts_with(b":)\n") {
        smile::decode(&content).map_err(|e| e.to_string())?
    } else {
        serde_json::from_slice(&content).map_err(|e| format!("not Smile or JSON: {e}"))?
    };
    let s = v.get("snapshot").ok_or("no `snapshot` object")?;
    let ms = |k: &str| s.get(k).and_then(|x| x.as_i64()).filter(|t| *t > 0);
    Ok(SnapInfo {
        start_ms: ms("start_time"),
        end_ms: ms("end_time"),
        state: s.get("state").and_then(|x| x.as_str()).map(str::to_string),
    })
}

/// The repository's key for a file: `base/name`.
fn key(prefix: &str, name: &str) -> String {
    let p = prefix.trim_matches('/');
    if p.is_empty() {
        name.to_string()
    } else {
        format!("{p}/{name}")
    }
}

async fn fetch(ctx: &Ctx, bucket: &str, k: &str) -> Result<Vec<u8>, String> {
    let out = ctx
        .call(ctx.s3().get_object().bucket(bucket).key(k).send())
        .await
        .map_err(|e| {
            let f = failure(&e);
            format!(
                "s3://{bucket}/{k}: {}{}",
                f.code.map(|c| format!("{c}: ")).unwrap_or_default(),
                f.message
            )
        })?;
    let bytes = out
        .body
        .collect()
        .await
        .map_err(|e| format!("s3://{bucket}/{k}: {e}"))?;
    Ok(bytes.into_bytes().to_vec())
}

/// Snapshots read from the repository's files in S3 (the context is the bucket's region).
pub async fn snapshots(ctx: &Ctx, bucket: &str, prefix: &str) -> Result<Vec<Snap>, String> {
    let latest = fetch(ctx, bucket, &key(prefix, "index.latest")).await?;
    let n = parse_latest(&latest)
        .map_err(|e| format!("s3://{bucket}/{}: {e}", key(prefix, "index.latest")))?;
    let index_key = key(prefix, &format!("index-{n}"));
    let index = fetch(ctx, bucket, &index_key).await?;
    let text =
        String::from_utf8(index).map_err(|_| format!("s3://{bucket}/{index_key}: not UTF-8"))?;
    let entries = parse_index(&text).map_err(|e| format!("s3://{bucket}/{index_key}: {e}"))?;
    // Times (and, for old repositories, states) the index does not hold come from each snapshot's
    // own file.
    let read: Vec<Result<Snap, String>> = futures::stream::iter(entries)
        .map(|e| async move {
            if e.end_ms.is_some() && e.state != "UNKNOWN" {
                return Ok(Snap {
                    name: e.name,
                    state: e.state,
                    start_ms: e.start_ms,
                    end_ms: e.end_ms,
                });
            }
            let k = key(prefix, &format!("snap-{}.dat", e.uuid));
            let bytes = fetch(ctx, bucket, &k).await?;
            let info =
                parse_snap_info(&bytes).map_err(|why| format!("s3://{bucket}/{k}: {why}"))?;
            Ok(Snap {
                state: if e.state == "UNKNOWN" {
                    info.state.unwrap_or(e.state)
                } else {
                    e.state
                },
                name: e.name,
                start_ms: info.start_ms,
                end_ms: info.end_ms,
            })
        })
        .buffer_unordered(8)
        .collect()
        .await;
    read.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_index_files_as_opensearch_writes_them() {
        assert_eq!(parse_latest(&[0, 0, 0, 0, 0, 0, 0, 7]), Ok(7));
        assert!(parse_latest(b"7").is_err());
        // The shape of an `index-N` written by OpenSearch 2.19 (no times), and Elasticsearch 8's.
        let os = r#"{"snapshots":[{"name":"s1","uuid":"u1","state":1,"version":"2.19.6"},{"name":"s2","uuid":"u2","state":3}],"indices":{}}"#;
        let e = parse_index(os).unwrap_or_default();
        assert_eq!((e[0].state.as_str(), e[0].end_ms), ("SUCCESS", None));
        assert_eq!(e[1].state, "PARTIAL");
        let es = r#"{"snapshots":[{"name":"s","uuid":"u","state":2,"start_time_millis":5,"end_time_millis":9}]}"#;
        let e = parse_index(es).unwrap_or_default();
        assert_eq!(
            (e[0].state.as_str(), e[0].start_ms, e[0].end_ms),
            ("FAILED", Some(5), Some(9))
        );
        assert!(parse_index("{").is_err());
        assert!(parse_index(r#"{"snapshots":[{"uuid":"u"}]}"#).is_err());
    }

    #[test]
    fn a_blob_without_a_codec_header_is_an_error() {
        assert!(blob_content(b"{\"snapshot\":{}}").is_err());
        assert!(parse_snap_info(&[0x3f, 0xd7, 0x6c, 0x17, 0x7f]).is_err());
    }
}

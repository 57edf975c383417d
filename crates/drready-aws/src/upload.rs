//! Storing an evidence archive in S3 under Object Lock (COMPLIANCE mode), so that nobody, the
//! account root included, can delete or change it before its retention ends. The only network code
//! besides the collectors; credentials come from the AWS default chain and are never recorded.

use std::path::Path;

use aws_sdk_s3::primitives::{ByteStream, DateTime as AwsDateTime};
use aws_sdk_s3::types::ObjectLockMode;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};

use crate::util::error::Error;

/// The HTTPS client: rustls on ring (no aws-lc build), as the SDK crates are used without their
/// default features to keep builds cheap.
pub fn http_client() -> aws_sdk_s3::config::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// `s3://bucket/prefix` → (bucket, prefix without slashes at either end).
pub fn parse_target(target: &str) -> Result<(String, String), Error> {
    let rest = target.strip_prefix("s3://").ok_or_else(|| {
        Error::Other(format!(
            "`{target}` is not an S3 location (write `s3://bucket/prefix`)"
        ))
    })?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(Error::Other(format!("`{target}` names no bucket")));
    }
    Ok((bucket.to_string(), prefix.trim_matches('/').to_string()))
}

/// An S3 client on the default credential chain.
async fn client(endpoint: Option<&str>) -> aws_sdk_s3::Client {
    let mut loader =
        aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(http_client());
    if let Some(ep) = endpoint {
        loader = loader.endpoint_url(ep);
    }
    let shared = loader.load().await;
    // Without a configured region, us-east-1; a bucket elsewhere needs AWS_REGION set to its region.
    let region = shared
        .region()
        .cloned()
        .unwrap_or_else(|| aws_config::Region::new("us-east-1"));
    // Path-style addressing works with every endpoint, AWS's and S3-compatible ones alike.
    let conf = aws_sdk_s3::config::Builder::from(&shared)
        .region(region)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// `s3://bucket/key` → (bucket, key): an object, so the key must be there.
pub fn parse_object(url: &str) -> Result<(String, String), Error> {
    let (bucket, key) = parse_target(url)?;
    if key.is_empty() || url.ends_with('/') {
        return Err(Error::Other(format!(
            "`{url}` names no object (write `s3://bucket/key`)"
        )));
    }
    Ok((bucket, key))
}

/// Store a new object (a snapshot or a shard) from a file. Like files, it is never overwritten:
/// the write is conditional (`If-None-Match: *`), and refused when the key exists.
pub async fn put_new(file: &Path, url: &str, endpoint: Option<&str>) -> Result<(), Error> {
    let (bucket, key) = parse_object(url)?;
    let fail =
        |what: &str, e: &dyn std::fmt::Display| Error::Other(format!("writing {url}: {what}: {e}"));
    let body = ByteStream::from_path(file)
        .await
        .map_err(|e| fail("reading the snapshot", &e))?;
    client(endpoint)
        .await
        .put_object()
        .bucket(&bucket)
        .key(&key)
        .body(body)
        .content_type("application/json")
        .if_none_match("*")
        .send()
        .await
        .map_err(|e| {
            if e.raw_response().is_some_and(|r| r.status().as_u16() == 412) {
                Error::Other(format!(
                    "{url} exists; drready does not overwrite snapshots"
                ))
            } else {
                fail("PutObject", &aws_sdk_s3::error::DisplayErrorContext(e))
            }
        })?;
    Ok(())
}

/// Read an object into `out`, as it arrives.
pub async fn get(
    url: &str,
    out: &mut (dyn std::io::Write + Send),
    endpoint: Option<&str>,
) -> Result<(), Error> {
    let (bucket, key) = parse_object(url)?;
    let fail =
        |what: &str, e: &dyn std::fmt::Display| Error::Other(format!("reading {url}: {what}: {e}"));
    let object = client(endpoint)
        .await
        .get_object()
        .bucket(&bucket)
        .key(&key)
        .send()
        .await
        .map_err(|e| fail("GetObject", &aws_sdk_s3::error::DisplayErrorContext(e)))?;
    let mut body = object.body;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| fail("downloading", &e))?;
        out.write_all(&chunk)
            .map_err(|e| fail("writing a local copy", &e))?;
    }
    Ok(())
}

/// Upload `archive` to `target` with COMPLIANCE retention of `days`; the object's `s3://` URL and
/// its retain-until date, as S3 reports them back.
pub async fn upload(
    archive: &Path,
    target: &str,
    days: u32,
    endpoint: Option<&str>,
) -> Result<(String, String), Error> {
    let (bucket, prefix) = parse_target(target)?;
    let name = archive
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let key = if prefix.is_empty() {
        name
    } else {
        format!("{prefix}/{name}")
    };
    {
        let client = client(endpoint).await;
        let until = chrono::Utc::now() + chrono::Duration::days(i64::from(days));
        let fail = |what: &str, e: &dyn std::fmt::Display| {
            Error::Other(format!("uploading to s3://{bucket}/{key}: {what}: {e}"))
        };
        let body = ByteStream::from_path(archive)
            .await
            .map_err(|e| fail("reading the archive", &e))?;
        client
            .put_object()
            .bucket(&bucket)
            .key(&key)
            .body(body)
            .content_type("application/gzip")
            .object_lock_mode(ObjectLockMode::Compliance)
            .object_lock_retain_until_date(AwsDateTime::from_secs(until.timestamp()))
            .send()
            .await
            .map_err(|e| fail("PutObject", &aws_sdk_s3::error::DisplayErrorContext(e)))?;
        let head = client
            .head_object()
            .bucket(&bucket)
            .key(&key)
            .send()
            .await
            .map_err(|e| fail("HeadObject", &aws_sdk_s3::error::DisplayErrorContext(e)))?;
        if head.object_lock_mode() != Some(&ObjectLockMode::Compliance) {
            return Err(Error::Other(format!(
                "uploading to s3://{bucket}/{key}: the object is not under COMPLIANCE Object Lock (is Object Lock enabled on the bucket?)"
            )));
        }
        let retain = head
            .object_lock_retain_until_date()
            .map(|d| d.to_string())
            .unwrap_or_default();
        Ok((format!("s3://{bucket}/{key}"), retain))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn targets_parse() {
        assert_eq!(
            super::parse_target("s3://b/audits/q4/").ok(),
            Some(("b".into(), "audits/q4".into()))
        );
        assert_eq!(
            super::parse_target("s3://b").ok(),
            Some(("b".into(), String::new()))
        );
        assert!(super::parse_target("b/x").is_err());
        assert!(super::parse_target("s3:///x").is_err());
    }
}

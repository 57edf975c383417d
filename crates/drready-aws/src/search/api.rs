//! The snapshot API of an Elasticsearch or OpenSearch cluster: `GET _snapshot/<repo>/_all`, over
//! HTTP(S) with basic auth (the password read from the environment) or SigV4 (Amazon OpenSearch
//! Service), on the blocking pool. Credentials stay in this module: messages name the endpoint
//! without user information, and nothing read here carries them.

use std::time::Duration;

use aws_credential_types::provider::ProvideCredentials;

use super::Snap;
use crate::util::duration::MAX_SECONDS;

/// How to reach a cluster.
pub struct Endpoint {
    /// `https://host:port`, without user information or a trailing slash.
    pub url: String,
    pub basic: Option<(String, String)>,
    /// Sign with SigV4 for this region (service `es`).
    pub sigv4_region: Option<String>,
    pub timeout: Duration,
}

/// The endpoint as it may be shown: user information removed.
pub fn shown(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
            format!("{scheme}://{}", host.trim_end_matches('/'))
        }
        None => url.to_string(),
    }
}

/// Every snapshot of a repository, or why they could not be read (a message without credentials).
pub async fn snapshots(
    ctx: &crate::session::Ctx,
    endpoint: &Endpoint,
    repository: &str,
) -> Result<Vec<Snap>, String> {
    let url = format!(
        "{}/_snapshot/{}/_all",
        endpoint.url.trim_end_matches('/'),
        percent(repository)
    );
    let mut headers: Vec<(String, String)> = vec![("accept".into(), "application/json".into())];
    if let Some((user, password)) = &endpoint.basic {
        let token = aws_smithy_types::base64::encode(format!("{user}:{password}").as_bytes());
        headers.push(("authorization".into(), format!("Basic {token}")));
    }
    if let Some(region) = &endpoint.sigv4_region {
        headers.extend(sign(ctx, &url, region).await?);
    }
    let timeout = endpoint.timeout;
    let shown_url = shown(&url);
    let answer = tokio::task::spawn_blocking(move || get(&url, &headers, timeout))
        .await
        .map_err(|e| format!("GET {shown_url}: {e}"))?;
    let (status, body) = answer.map_err(|e| format!("GET {shown_url}: {e}"))?;
    if status != 200 {
        let reason = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| {
                let e = v.get("error")?;
                Some(format!(
                    "{}: {}",
                    e.get("type")?.as_str()?,
                    e.get("reason").and_then(|r| r.as_str()).unwrap_or("")
                ))
            })
            .unwrap_or_else(|| "no error body".into());
        return Err(format!("GET {shown_url}: HTTP {status} ({reason})"));
    }
    parse_snapshots(&body).map_err(|e| format!("GET {shown_url}: {e}"))
}

fn get(
    url: &str,
    headers: &[(String, String)],
    timeout: Duration,
) -> Result<(u16, String), String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build()
        .into();
    let mut req = agent.get(url);
    for (k, v) in headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let mut resp = req.call().map_err(|e| redact(&e.to_string(), url))?;
    let status = resp.status().as_u16();
    let body = resp
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_string()
        .map_err(|e| redact(&e.to_string(), url))?;
    Ok((status, body))
}

/// An error message with the URL's user information taken out, whatever the library wrote.
fn redact(message: &str, url: &str) -> String {
    let mut m = crate::util::error::one_line(message);
    if let Some((_, rest)) = url.split_once("://") {
        if let Some((userinfo, _)) = rest.rsplit_once('@') {
            m = m.replace(userinfo, "***");
        }
    }
    m
}

/// SigV4 headers for a GET with an empty body.
async fn sign(
    ctx: &crate::session::Ctx,
    url: &str,
    region: &str,
) -> Result<Vec<(String, String)>, String> {
    use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
    let provider = ctx
        .sdk
        .credentials_provider()
        .ok_or("SigV4: no AWS credentials are configured")?;
    let creds = provider
        .provide_credentials()
        .await
        .map_err(|e| format!("SigV4: credentials: {e}"))?;
    let identity = creds.into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("es")
        .time(std::time::SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| format!("SigV4: {e}"))?
        .into();
    let signable = SignableRequest::new("GET", url, std::iter::empty(), SignableBody::Bytes(b""))
        .map_err(|e| format!("SigV4: {e}"))?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| format!("SigV4: {e}"))?
        .into_parts();
    let mut req = http::Request::builder()
        .method("GET")
        .uri(url)
        .body(())
        .map_err(|e| format!("SigV4: {e}"))?;
    instructions.apply_to_request_http1x(&mut req);
    Ok(req
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.to_string(), v.to_str().ok()?.to_string())))
        .collect())
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The answer of `GET _snapshot/<repo>/_all`: `{"snapshots": [{snapshot, state,
/// start_time_in_millis, end_time_in_millis}, ...]}`.
pub fn parse_snapshots(body: &str) -> Result<Vec<Snap>, String> {
    let v: serde_json::Value =
        serde_json::from_str(body).map_err(|e| format!("the answer is not JSON: {e}"))?;
    let list = v
        .get("snapshots")
        .and_then(|s| s.as_array())
        .ok_or("the answer has no `snapshots` list")?;
    list.iter()
        .map(|s| {
            let name = s
                .get("snapshot")
                .and_then(|n| n.as_str())
                .ok_or("a snapshot has no name")?;
            let state = s
                .get("state")
                .and_then(|n| n.as_str())
                .ok_or_else(|| format!("snapshot `{name}` has no state"))?;
            let ms = |k: &str| {
                s.get(k)
                    .and_then(|t| t.as_i64())
                    .filter(|t| *t > 0 && *t / 1000 <= MAX_SECONDS as i64 * 2)
            };
            Ok(Snap {
                name: name.to_string(),
                state: state.to_string(),
                start_ms: ms("start_time_in_millis"),
                end_ms: ms("end_time_in_millis"),
            })
        })
        .collect()
}

//! Search clusters: Amazon OpenSearch Service domains in every collected region (ListDomainNames,
//! DescribeDomains, and CloudWatch's `AutomatedSnapshotFailure`), and the snapshots of the
//! clusters `[[opensearch]]` names, read through the cluster's snapshot API (`api`), from the
//! repository's own files in S3 (`repository`), or both. A cluster no domain matches is a
//! self-managed one, recorded for its snapshots only.

pub mod api;
pub mod repository;
pub mod smile;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::session::{failure, Ctx, Failure};
use crate::model::config::{Config, RawSearchCluster};
use crate::model::platform::{OpensearchDomain, SnapshotRepository};
use crate::model::snapshot::{Gap, Provenance, Resource};

/// One snapshot as either source gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Snap {
    pub name: String,
    /// `SUCCESS`, `PARTIAL`, `FAILED`, `IN_PROGRESS`, `INCOMPATIBLE`.
    pub state: String,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
}

/// The names of failed snapshots kept in the record.
const FAILED_NAMES: usize = 5;

/// What a repository's snapshots say: the newest SUCCESS's end, and the failed, partial or
/// incompatible snapshots started after it (all of them when none succeeded).
pub fn summarize(repository: &str, source: &str, snaps: &[Snap]) -> SnapshotRepository {
    let at = |ms: Option<i64>| ms.and_then(DateTime::<Utc>::from_timestamp_millis);
    let newest = snaps
        .iter()
        .filter(|s| s.state == "SUCCESS")
        .filter_map(|s| Some((s.end_ms?, s.start_ms.unwrap_or(0))))
        .max();
    let mut failed: Vec<&Snap> = snaps
        .iter()
        .filter(|s| matches!(s.state.as_str(), "FAILED" | "PARTIAL" | "INCOMPATIBLE"))
        .filter(|s| match newest {
            // Not before it: a failure that started at the same instant counts (fail closed).
            Some((_, start)) => s.start_ms.unwrap_or(i64::MAX) >= start,
            None => true,
        })
        .collect();
    failed.sort_by_key(|s| std::cmp::Reverse(s.start_ms));
    SnapshotRepository {
        repository: repository.to_string(),
        source: source.to_string(),
        count: u32::try_from(snaps.len()).unwrap_or(u32::MAX),
        newest_success: newest.and_then(|(end, _)| at(Some(end))),
        failed_after_success: u32::try_from(failed.len()).unwrap_or(u32::MAX),
        failed_names: failed
            .iter()
            .take(FAILED_NAMES)
            .map(|s| format!("{} ({})", s.name, s.state))
            .collect(),
    }
}

/// The Amazon OpenSearch Service domains of the context's region.
/// A domain as listed, with its endpoint (for the snapshot API; not a fact of the snapshot).
pub struct Listed {
    pub domain: OpensearchDomain,
    pub endpoint: Option<String>,
}

pub async fn domains(ctx: &Ctx, window: std::time::Duration) -> (Vec<Listed>, Vec<Gap>) {
    let client = ctx.opensearch();
    let mut gaps = Vec::new();
    let names: Vec<String> = match ctx.call(client.list_domain_names().send()).await {
        Ok(out) => out
            .domain_names()
            .iter()
            .filter_map(|d| d.domain_name().map(str::to_string))
            .collect(),
        Err(e) => {
            gaps.push(ctx.gap(
                "opensearch",
                "ListDomainNames",
                &failure(&e),
                None,
                Some("opensearch_domain"),
                &[],
            ));
            return (Vec::new(), gaps);
        }
    };
    let mut out = Vec::new();
    // DescribeDomains takes at most five names a call.
    for chunk in names.chunks(5) {
        let described = ctx
            .call(
                client
                    .describe_domains()
                    .set_domain_names(Some(chunk.to_vec()))
                    .send(),
            )
            .await;
        let statuses = match described {
            Ok(o) => o.domain_status_list().to_vec(),
            Err(e) => {
                // Domains listed but not described: an unlisted domain stands for them.
                let mut g = ctx.gap(
                    "opensearch",
                    "DescribeDomains",
                    &failure(&e),
                    None,
                    Some("opensearch_domain"),
                    &[],
                );
                g.message = format!("domains {}: {}", chunk.join(", "), g.message);
                gaps.push(g);
                continue;
            }
        };
        for d in statuses {
            let cc = d.cluster_config();
            let zone_awareness = cc.and_then(|c| c.zone_awareness_enabled());
            let azs = match (zone_awareness, cc.and_then(|c| c.zone_awareness_config())) {
                (Some(false), _) => Some(1),
                (Some(true), Some(z)) => z
                    .availability_zone_count()
                    .and_then(|n| u32::try_from(n).ok()),
                // Zone awareness on with no count: the service's default, two zones.
                (Some(true), None) => Some(2),
                (None, _) => None,
            };
            let managers = cc.map(|c| {
                if c.dedicated_master_enabled() == Some(true) {
                    c.dedicated_master_count()
                        .and_then(|n| u32::try_from(n).ok())
                        .unwrap_or(0)
                } else {
                    0
                }
            });
            let domain = OpensearchDomain {
                id: d.arn().to_string(),
                name: Some(d.domain_name().to_string()),
                account: ctx.account.clone(),
                region: ctx.region.clone(),
                managed: true,
                engine_version: d.engine_version().map(str::to_string),
                zone_awareness,
                availability_zones: azs,
                multi_az_standby: cc.and_then(|c| c.multi_az_with_standby_enabled()),
                dedicated_managers: managers,
                data_nodes: cc
                    .and_then(|c| c.instance_count())
                    .and_then(|n| u32::try_from(n).ok()),
                encrypted_at_rest: Some(
                    d.encryption_at_rest_options()
                        .and_then(|e| e.enabled())
                        .unwrap_or(false),
                ),
                node_to_node_encryption: Some(
                    d.node_to_node_encryption_options()
                        .and_then(|e| e.enabled())
                        .unwrap_or(false),
                ),
                provenance: Some(Provenance {
                    source: "opensearch:DescribeDomains".into(),
                    line: None,
                    at: Some(ctx.now),
                }),
                ..OpensearchDomain::default()
            };
            out.push(Listed {
                domain,
                endpoint: d.endpoint().map(str::to_string),
            });
        }
    }
    for Listed { domain: d, .. } in &mut out {
        let name = d.name.clone().unwrap_or_default();
        let account = ctx.account.clone();
        let failures = super::cloudwatch::series(
            ctx,
            "AWS/ES",
            "AutomatedSnapshotFailure",
            &[("DomainName", &name), ("ClientId", &account)],
            "Maximum",
            window,
        )
        .await;
        match failures {
            Ok(points) if !points.is_empty() => {
                let max = points.iter().map(|(_, v)| *v).fold(0.0_f64, f64::max);
                d.automated_snapshot_failures = Some(max.max(0.0).min(f64::from(u32::MAX)) as u32);
            }
            Ok(_) => gaps.push(Gap {
                message: format!(
                    "AutomatedSnapshotFailure of domain `{name}` has no datapoints in the window"
                ),
                ..ctx.gap(
                    "cloudwatch",
                    "GetMetricData",
                    &Failure::new(None, ""),
                    Some(&d.id),
                    Some("opensearch_domain"),
                    &["automated_snapshot_failures"],
                )
            }),
            Err(f) => gaps.push(ctx.gap(
                "cloudwatch",
                "GetMetricData",
                &f,
                Some(&d.id),
                Some("opensearch_domain"),
                &["automated_snapshot_failures"],
            )),
        }
    }
    (out, gaps)
}

/// The facts the snapshot sources give.
const SNAPSHOT_FACTS: &[&str] = &[
    "snapshot_count",
    "latest_snapshot",
    "snapshot_failures_after_success",
];

/// Join the configured clusters' snapshots to the domains (adding self-managed clusters), and
/// return every record.
pub async fn snapshots(
    home: &Ctx,
    config: &Config,
    listed: Vec<Listed>,
) -> (Vec<Resource>, Vec<Gap>) {
    let (mut domains, mut endpoints): (Vec<OpensearchDomain>, Vec<Option<String>>) =
        listed.into_iter().map(|l| (l.domain, l.endpoint)).unzip();
    let mut gaps = Vec::new();
    let by_name: BTreeMap<String, usize> = domains
        .iter()
        .enumerate()
        .filter_map(|(i, d)| Some((d.name.clone()?, i)))
        .collect();
    let mut configured = vec![false; domains.len()];
    for c in &config.opensearch {
        let i = match by_name.get(&c.name) {
            Some(&i) => i,
            None => {
                let region = c.region.clone().unwrap_or_else(|| home.region.clone());
                domains.push(OpensearchDomain {
                    id: format!("opensearch:{}", c.name),
                    name: Some(c.name.clone()),
                    account: home.account.clone(),
                    region,
                    managed: false,
                    provenance: Some(Provenance {
                        source: "config [[opensearch]]".into(),
                        line: None,
                        at: Some(home.now),
                    }),
                    ..OpensearchDomain::default()
                });
                configured.push(false);
                endpoints.push(None);
                domains.len() - 1
            }
        };
        configured[i] = true;
        let d = &mut domains[i];
        let (repos, g) = read_cluster(home, config, c, d, endpoints[i].as_deref()).await;
        gaps.extend(g);
        d.snapshot_repositories = Some(repos);
    }
    for (d, configured) in domains.iter().zip(&configured) {
        if !configured {
            gaps.push(Gap {
                message: format!(
                    "no `[[opensearch]]` entry names domain `{}`: its snapshots were not read (give `repository` for its snapshot API, or `s3_bucket` for its repository's files)",
                    d.name.as_deref().unwrap_or(&d.id)
                ),
                ..home.gap(
                    "opensearch",
                    "snapshots",
                    &Failure::new(None, ""),
                    Some(&d.id),
                    Some("opensearch_domain"),
                    SNAPSHOT_FACTS,
                )
            });
        }
    }
    let out = domains
        .into_iter()
        .map(Resource::OpensearchDomain)
        .collect();
    (out, gaps)
}

/// Read one configured cluster's snapshot sources. A source that fails is a gap naming the
/// endpoint or key; the others still count.
async fn read_cluster(
    home: &Ctx,
    config: &Config,
    c: &RawSearchCluster,
    d: &OpensearchDomain,
    listed_endpoint: Option<&str>,
) -> (Vec<SnapshotRepository>, Vec<Gap>) {
    let mut repos = Vec::new();
    let mut gaps = Vec::new();
    let ctx = home.in_region(&d.region);
    let gap = |operation: &str, message: String| Gap {
        message,
        ..ctx.gap(
            "opensearch",
            operation,
            &Failure::new(None, ""),
            Some(&d.id),
            Some("opensearch_domain"),
            SNAPSHOT_FACTS,
        )
    };
    let endpoint = c
        .endpoint
        .clone()
        .or_else(|| c.endpoint_env.as_ref().and_then(|v| std::env::var(v).ok()))
        .or_else(|| listed_endpoint.map(|e| format!("https://{e}")));
    let repository = c
        .repository
        .clone()
        .or_else(|| d.managed.then(|| "cs-automated-enc".to_string()));
    let mut sources = 0;
    if let (Some(url), Some(repo)) = (endpoint, repository) {
        sources += 1;
        let basic = match (&c.username, &c.password_env) {
            (Some(u), Some(var)) => match std::env::var(var) {
                Ok(p) => Some((u.clone(), p)),
                Err(_) => {
                    gaps.push(gap(
                        "GET _snapshot",
                        format!(
                            "cluster `{}`: the password variable `{var}` is not set",
                            c.name
                        ),
                    ));
                    None
                }
            },
            _ => None,
        };
        let ep = api::Endpoint {
            url: url.clone(),
            basic,
            sigv4_region: c.sigv4.unwrap_or(d.managed).then(|| d.region.clone()),
            timeout: std::time::Duration::from_secs(config.collect.read_timeout.0.max(1)),
        };
        match api::snapshots(&ctx, &ep, &repo).await {
            Ok(snaps) => repos.push(summarize(&repo, "api", &snaps)),
            Err(why) => gaps.push(gap(
                "GET _snapshot",
                format!("cluster `{}`, repository `{repo}`: {why}", c.name),
            )),
        }
    }
    if let Some(bucket) = &c.s3_bucket {
        sources += 1;
        let prefix = c.s3_prefix.clone().unwrap_or_default();
        let location = format!("s3://{bucket}/{}", prefix.trim_matches('/'));
        let region = match super::s3::location(home, &home.s3(), bucket).await {
            Ok(r) => r,
            Err(_) => d.region.clone(),
        };
        match repository::snapshots(&home.in_region(&region), bucket, &prefix).await {
            Ok(snaps) => repos.push(summarize(&location, "s3", &snaps)),
            Err(why) => gaps.push(gap(
                "GetObject",
                format!("cluster `{}`, repository {location}: {why}", c.name),
            )),
        }
    }
    if sources == 0 {
        gaps.push(gap(
            "snapshots",
            format!(
                "`[[opensearch]]` `{}` names no source: give `endpoint` and `repository`, or `s3_bucket`",
                c.name
            ),
        ));
    }
    (repos, gaps)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(name: &str, state: &str, start: i64, end: i64) -> Snap {
        Snap {
            name: name.into(),
            state: state.into(),
            start_ms: Some(start),
            end_ms: Some(end),
        }
    }

    #[test]
    fn the_newest_success_and_the_failures_after_it() {
        let s = summarize(
            "r",
            "api",
            &[
                snap("a", "SUCCESS", 1_000, 2_000),
                snap("b", "FAILED", 500, 600),
                snap("c", "SUCCESS", 3_000, 4_000),
                snap("d", "PARTIAL", 5_000, 6_000),
                snap("e", "IN_PROGRESS", 7_000, 0),
            ],
        );
        assert_eq!(s.count, 5);
        assert_eq!(s.newest_success.map(|t| t.timestamp_millis()), Some(4_000));
        assert_eq!(s.failed_after_success, 1);
        assert_eq!(s.failed_names, ["d (PARTIAL)"]);
        let none = summarize("r", "s3", &[snap("x", "FAILED", 1, 2)]);
        assert_eq!((none.newest_success, none.failed_after_success), (None, 1));
    }

    #[test]
    fn endpoints_are_shown_without_user_information() {
        assert_eq!(
            api::shown("https://u:secret@es.example:9200/"),
            "https://es.example:9200"
        );
        assert_eq!(api::shown("http://127.0.0.1:9200"), "http://127.0.0.1:9200");
    }
}

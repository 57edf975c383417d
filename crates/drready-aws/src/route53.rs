//! Route 53 failover: every hosted zone's record sets (ListHostedZones, then ListResourceRecordSets
//! paginated by record name, type and set identifier), grouped into failover names with their
//! PRIMARY and SECONDARY; the health checks they reference (ListHealthChecks, and GetHealthCheck for
//! one the list does not hold); and each PRIMARY health check's state from CloudWatch's
//! `HealthCheckStatus` over the window (in us-east-1, where Route 53 publishes it), not from
//! GetHealthCheckStatus, which is not meant for production rates.
//!
//! Route 53 is global: it is collected once per account, and its records carry the region
//! `us-east-1` (where its API and metrics live).

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_route53::types::{ResourceRecordSet, ResourceRecordSetFailover, RrType};

use super::session::{each_page, failure, Ctx, Failure};
use crate::model::platform::{region_in, FailoverRecord, HealthCheck, Route53Failover};
use crate::model::snapshot::{Gap, Provenance, Resource};

/// Where Route 53's API and metrics live.
pub const HOME_REGION: &str = "us-east-1";

/// Every failover name of the account.
pub async fn collect(home: &Ctx, window: std::time::Duration) -> (Vec<Resource>, Vec<Gap>) {
    let ctx = home.in_region(HOME_REGION);
    let client = ctx.route53();
    let mut gaps = Vec::new();
    let mut zones = Vec::new();
    let listed = each_page(
        &ctx,
        client.list_hosted_zones().into_paginator().send(),
        |p| {
            for z in p.hosted_zones() {
                zones.push((
                    z.id().trim_start_matches("/hostedzone/").to_string(),
                    z.name().to_string(),
                ));
            }
        },
    )
    .await;
    if let Err(f) = listed {
        gaps.push(ctx.gap(
            "route53",
            "ListHostedZones",
            &f,
            None,
            Some("route53_failover"),
            &[],
        ));
        return (Vec::new(), gaps);
    }
    let mut names: BTreeMap<(String, String, String), Route53Failover> = BTreeMap::new();
    for (zone, zone_name) in &zones {
        let sets = match record_sets(&ctx, zone).await {
            Ok(s) => s,
            Err(f) => {
                // The zone's failover names are unknown: a gap on the zone, every fact unknown.
                // No failover name of the zone is known: an unlisted one stands for them.
                let mut g = ctx.gap(
                    "route53",
                    "ListResourceRecordSets",
                    &f,
                    None,
                    Some("route53_failover"),
                    &[],
                );
                g.message = format!("hosted zone `{zone_name}` ({zone}): {}", g.message);
                gaps.push(g);
                continue;
            }
        };
        for s in sets {
            let Some(side) = s.failover().cloned() else {
                continue;
            };
            let key = (
                zone.clone(),
                s.name().to_string(),
                s.r#type().as_str().to_string(),
            );
            let entry = names.entry(key.clone()).or_insert_with(|| Route53Failover {
                id: format!("{}/{}/{}", key.0, key.1, key.2),
                name: Some(format!("{} {}", key.1, key.2)),
                account: ctx.account.clone(),
                region: HOME_REGION.into(),
                zone_id: key.0.clone(),
                record_name: key.1.clone(),
                record_type: key.2.clone(),
                provenance: Some(Provenance {
                    source: "route53:ListResourceRecordSets".into(),
                    line: None,
                    at: Some(ctx.now),
                }),
                ..Route53Failover::default()
            });
            let record = failover_record(&s);
            match side {
                ResourceRecordSetFailover::Primary => entry.primary = Some(record),
                ResourceRecordSetFailover::Secondary => entry.secondary = Some(record),
                _ => {}
            }
        }
    }
    // Health checks: which exist, then each referenced one's state.
    let referenced: BTreeSet<String> = names
        .values()
        .flat_map(|n| n.primary.iter().chain(n.secondary.iter()))
        .filter_map(|r| r.health_check.as_ref().map(|h| h.id.clone()))
        .collect();
    let mut existing: Option<BTreeSet<String>> = None;
    if !referenced.is_empty() {
        let mut ids = BTreeSet::new();
        match each_page(
            &ctx,
            client.list_health_checks().into_paginator().send(),
            |p| ids.extend(p.health_checks().iter().map(|h| h.id().to_string())),
        )
        .await
        {
            Ok(()) => existing = Some(ids),
            Err(f) => gaps.push(ctx.gap(
                "route53",
                "ListHealthChecks",
                &f,
                None,
                Some("route53_failover"),
                &["primary_health_check"],
            )),
        }
    }
    let mut exists: BTreeMap<String, Option<bool>> = BTreeMap::new();
    let mut status: BTreeMap<String, Result<Vec<f64>, Failure>> = BTreeMap::new();
    for id in &referenced {
        let known = match &existing {
            Some(set) if set.contains(id) => Some(true),
            // Not in the list: ask for it, so a missing one is told from one the list left out.
            Some(_) => match ctx
                .call(client.get_health_check().health_check_id(id).send())
                .await
            {
                Ok(_) => Some(true),
                Err(e) => {
                    let f = failure(&e);
                    if f.is(&["NoSuchHealthCheck"]) {
                        Some(false)
                    } else {
                        gaps.push(ctx.gap(
                            "route53",
                            "GetHealthCheck",
                            &f,
                            Some(&format!("arn:aws:route53:::healthcheck/{id}")),
                            Some("route53_failover"),
                            &["primary_health_check"],
                        ));
                        None
                    }
                }
            },
            None => None,
        };
        exists.insert(id.clone(), known);
        if known == Some(true) {
            let s = super::cloudwatch::series(
                &ctx,
                "AWS/Route53",
                "HealthCheckStatus",
                &[("HealthCheckId", id)],
                "Minimum",
                window,
            )
            .await
            .map(|p| p.into_iter().map(|(_, v)| v).collect());
            status.insert(id.clone(), s);
        }
    }
    let mut out = Vec::new();
    for (_, mut n) in names {
        for side in [n.primary.as_mut(), n.secondary.as_mut()]
            .into_iter()
            .flatten()
        {
            let Some(h) = side.health_check.as_mut() else {
                continue;
            };
            h.exists = exists.get(&h.id).copied().flatten();
            match status.get(&h.id) {
                Some(Ok(points)) if !points.is_empty() => {
                    h.latest_status = points.last().copied();
                    h.min_status = points.iter().copied().reduce(f64::min);
                }
                Some(Ok(_)) => gaps.push(Gap {
                    message: format!(
                        "health check {} has no HealthCheckStatus datapoints in the window",
                        h.id
                    ),
                    ..ctx.gap(
                        "cloudwatch",
                        "GetMetricData",
                        &Failure::new(None, ""),
                        Some(&n.id),
                        Some("route53_failover"),
                        &["primary_healthy", "primary_unhealthy_in_window"],
                    )
                }),
                Some(Err(f)) => gaps.push(ctx.gap(
                    "cloudwatch",
                    "GetMetricData",
                    f,
                    Some(&n.id),
                    Some("route53_failover"),
                    &["primary_healthy", "primary_unhealthy_in_window"],
                )),
                None => {}
            }
        }
        out.push(Resource::Route53Failover(n));
    }
    (out, gaps)
}

/// Every record set of a zone: the pages are chained by record name, type and set identifier.
async fn record_sets(ctx: &Ctx, zone: &str) -> Result<Vec<ResourceRecordSet>, Failure> {
    let client = ctx.route53();
    let mut sets = Vec::new();
    let mut next: Option<(String, RrType, Option<String>)> = None;
    loop {
        let mut req = client.list_resource_record_sets().hosted_zone_id(zone);
        if let Some((name, kind, id)) = next.take() {
            req = req
                .start_record_name(name)
                .start_record_type(kind)
                .set_start_record_identifier(id);
        }
        let page = ctx.call(req.send()).await.map_err(|e| failure(&e))?;
        sets.extend(page.resource_record_sets().iter().cloned());
        if !page.is_truncated() {
            return Ok(sets);
        }
        match (page.next_record_name(), page.next_record_type()) {
            (Some(n), Some(t)) => {
                next = Some((
                    n.to_string(),
                    t.clone(),
                    page.next_record_identifier().map(str::to_string),
                ))
            }
            _ => {
                return Err(Failure::new(
                    None,
                    "a truncated page named no next record: the listing is incomplete",
                ))
            }
        }
    }
}

fn failover_record(s: &ResourceRecordSet) -> FailoverRecord {
    let alias = s.alias_target();
    let targets: Vec<String> = match alias {
        Some(a) => vec![a.dns_name().to_string()],
        None => s
            .resource_records()
            .iter()
            .map(|r| r.value().to_string())
            .collect(),
    };
    let region = s
        .region()
        .map(|r| r.as_str().to_string())
        .or_else(|| targets.iter().find_map(|t| region_in(t)));
    FailoverRecord {
        set_identifier: s.set_identifier().unwrap_or_default().to_string(),
        alias: alias.is_some(),
        ttl: if alias.is_some() {
            None
        } else {
            s.ttl().and_then(|t| u64::try_from(t).ok())
        },
        region,
        health_check: s.health_check_id().map(|id| HealthCheck {
            id: id.to_string(),
            ..HealthCheck::default()
        }),
        targets,
    }
}

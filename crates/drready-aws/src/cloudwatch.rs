//! CloudWatch: metric alarms (what is watched, and whether anyone is told), and the worst replica
//! lag over the window, read for every replica of a region in as few GetMetricData calls as the
//! API allows (500 queries a call).

use std::collections::HashMap;

use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, StatusCode};

use super::session::{aws_time, each_page, Ctx};
use crate::model::snapshot::{CloudwatchAlarm, Gap, Provenance};

/// GetMetricData takes at most this many queries a call.
const QUERIES_PER_CALL: usize = 500;

/// One replica's lag metric.
#[derive(Debug, Clone, PartialEq)]
pub struct LagQuery {
    /// The replica's ARN (the key the result is stored under).
    pub replica: String,
    /// The replica's region: CloudWatch is asked there.
    pub region: String,
    pub metric: &'static str,
    pub dimension: &'static str,
    pub value: String,
    /// Multiply the metric by this to get seconds.
    pub scale: f64,
    /// The snapshot type of the primary, for gaps.
    pub resource_type: &'static str,
}

impl LagQuery {
    fn new(
        arn: &str,
        primary_region: &str,
        metric: &'static str,
        dimension: &'static str,
        scale: f64,
        resource_type: &'static str,
    ) -> Self {
        Self {
            replica: arn.to_string(),
            region: crate::util::arn::arn_region(arn)
                .unwrap_or(primary_region)
                .to_string(),
            metric,
            dimension,
            value: arn.rsplit(':').next().unwrap_or(arn).to_string(),
            scale,
            resource_type,
        }
    }

    /// An RDS read replica: `ReplicaLag`, in seconds.
    pub fn instance(arn: &str, primary_region: &str) -> Self {
        Self::new(
            arn,
            primary_region,
            "ReplicaLag",
            "DBInstanceIdentifier",
            1.0,
            "rds_instance",
        )
    }

    /// An Aurora cross-region read replica cluster: `AuroraBinlogReplicaLag`, in seconds.
    pub fn binlog_cluster(arn: &str, primary_region: &str) -> Self {
        Self::new(
            arn,
            primary_region,
            "AuroraBinlogReplicaLag",
            "DBClusterIdentifier",
            1.0,
            "rds_cluster",
        )
    }

    /// An Aurora global database secondary: `AuroraGlobalDBReplicationLag`, in milliseconds.
    pub fn global_cluster(arn: &str, primary_region: &str) -> Self {
        Self::new(
            arn,
            primary_region,
            "AuroraGlobalDBReplicationLag",
            "DBClusterIdentifier",
            0.001,
            "rds_cluster",
        )
    }
}

/// The metric alarms of a region.
pub async fn alarms(ctx: &Ctx) -> (Vec<CloudwatchAlarm>, Vec<Gap>) {
    let client = ctx.cloudwatch();
    let mut out = Vec::new();
    let listed = each_page(
        ctx,
        client.describe_alarms().into_paginator().send(),
        |page| {
            for a in page.metric_alarms() {
                let actions: Vec<String> = if a.actions_enabled() == Some(false) {
                    Vec::new()
                } else {
                    a.alarm_actions().to_vec()
                };
                // A plain alarm names its metric; a metric-math alarm lists its metrics.
                let mut metrics: Vec<WatchedMetric> = Vec::new();
                if let (Some(ns), Some(m)) = (a.namespace(), a.metric_name()) {
                    metrics.push((ns.to_string(), m.to_string(), dims(a.dimensions())));
                }
                for q in a.metrics() {
                    if let Some(metric) = q.metric_stat().and_then(|s| s.metric()) {
                        if let (Some(ns), Some(m)) = (metric.namespace(), metric.metric_name()) {
                            metrics.push((
                                ns.to_string(),
                                m.to_string(),
                                dims(metric.dimensions()),
                            ));
                        }
                    }
                }
                let name = a.alarm_name().unwrap_or_default().to_string();
                let arn = a.alarm_arn().map(str::to_string).unwrap_or_else(|| {
                    format!(
                        "arn:aws:cloudwatch:{}:{}:alarm:{name}",
                        ctx.region, ctx.account
                    )
                });
                for (i, (namespace, metric, dimensions)) in metrics.into_iter().enumerate() {
                    out.push(CloudwatchAlarm {
                        id: if i == 0 {
                            arn.clone()
                        } else {
                            format!("{arn}#{i}")
                        },
                        name: Some(name.clone()),
                        account: ctx.account.clone(),
                        region: ctx.region.clone(),
                        namespace,
                        metric,
                        dimensions: dimensions.into_iter().collect(),
                        actions: actions.clone(),
                        provenance: Some(Provenance {
                            source: "cloudwatch:DescribeAlarms".into(),
                            line: None,
                            at: Some(ctx.now),
                        }),
                        ..CloudwatchAlarm::default()
                    });
                }
            }
        },
    )
    .await;
    if let Err(f) = listed {
        // Without the region's alarms, no alarm fact anywhere can be trusted.
        let gap = ctx.gap(
            "cloudwatch",
            "DescribeAlarms",
            &f,
            None,
            Some("cloudwatch_alarm"),
            &[],
        );
        return (Vec::new(), vec![gap]);
    }
    (out, Vec::new())
}

/// (namespace, metric name, dimensions) of a metric an alarm watches.
type WatchedMetric = (String, String, Vec<(String, String)>);

fn dims(d: &[Dimension]) -> Vec<(String, String)> {
    d.iter()
        .filter_map(|d| Some((d.name()?.to_string(), d.value()?.to_string())))
        .collect()
}

/// The maximum of each replica's lag metric over the window ending at collection, in seconds.
/// A replica with no datapoints is left out (its lag is unknown, never zero); a failed call is a
/// gap on each replica it concerned.
pub async fn replica_lag(
    ctx: &Ctx,
    queries: &[&LagQuery],
    window: std::time::Duration,
) -> (HashMap<String, f64>, Vec<Gap>) {
    let client = ctx.cloudwatch();
    let end = ctx.now;
    let start = crate::util::duration::before(end, window.as_secs().max(60));
    // One datapoint per minute at most, and at most 1,440 per series (GetMetricData returns at
    // most 100,800 datapoints a call): the maximum over them is the window's maximum.
    let period =
        i32::try_from((window.as_secs() / 1_440).max(60).div_ceil(60) * 60).unwrap_or(i32::MAX);
    let mut found = HashMap::new();
    let mut gaps = Vec::new();
    for chunk in queries.chunks(QUERIES_PER_CALL) {
        let data: Vec<MetricDataQuery> = chunk
            .iter()
            .enumerate()
            .map(|(i, q)| {
                MetricDataQuery::builder()
                    .id(format!("q{i}"))
                    .return_data(true)
                    .metric_stat(
                        MetricStat::builder()
                            .metric(
                                Metric::builder()
                                    .namespace("AWS/RDS")
                                    .metric_name(q.metric)
                                    .dimensions(
                                        Dimension::builder()
                                            .name(q.dimension)
                                            .value(&q.value)
                                            .build(),
                                    )
                                    .build(),
                            )
                            .period(period)
                            .stat("Maximum")
                            .build(),
                    )
                    .build()
            })
            .collect();
        let mut maxima: HashMap<usize, f64> = HashMap::new();
        let mut partial: Vec<usize> = Vec::new();
        let listed = each_page(
            ctx,
            client
                .get_metric_data()
                .set_metric_data_queries(Some(data))
                .start_time(aws_time(start))
                .end_time(aws_time(end))
                .into_paginator()
                .send(),
            |page| {
                for r in page.metric_data_results() {
                    let Some(i) = r
                        .id()
                        .and_then(|id| id.strip_prefix('q'))
                        .and_then(|n| n.parse::<usize>().ok())
                    else {
                        continue;
                    };
                    if matches!(
                        r.status_code(),
                        Some(StatusCode::InternalError) | Some(StatusCode::Forbidden)
                    ) {
                        partial.push(i);
                    }
                    for v in r.values() {
                        let e = maxima.entry(i).or_insert(f64::MIN);
                        *e = e.max(*v);
                    }
                }
            },
        )
        .await;
        // A replica whose lag is unknown: the call failed, or its series is not a lag.
        let lag_gap = |q: &LagQuery, f: &super::session::Failure| {
            ctx.gap(
                "cloudwatch",
                "GetMetricData",
                f,
                Some(&q.replica),
                Some(q.resource_type),
                &["replica_lag_max"],
            )
        };
        let unknown =
            |q: &LagQuery, why: String| lag_gap(q, &super::session::Failure::new(None, why));
        if let Err(f) = listed {
            for q in chunk {
                gaps.push(Gap {
                    message: format!(
                        "reading {} of replica `{}`: {}",
                        q.metric, q.value, f.message
                    ),
                    ..lag_gap(q, &f)
                });
            }
            maxima.clear();
            partial.clear();
        }
        for (i, max) in maxima {
            if partial.contains(&i) {
                continue;
            }
            let Some(q) = chunk.get(i) else { continue };
            let seconds = max * q.scale;
            if seconds.is_finite()
                && (0.0..=crate::util::duration::MAX_SECONDS as f64).contains(&seconds)
            {
                found.insert(q.replica.clone(), seconds);
            } else {
                // RDS reports -1 while replication is not running: the lag is unknown, not zero.
                gaps.push(unknown(
                    q,
                    format!(
                        "{} of `{}` reached {seconds} s, which is not a lag (replication may not be running)",
                        q.metric, q.value
                    ),
                ));
            }
        }
        for q in partial.into_iter().filter_map(|i| chunk.get(i)) {
            gaps.push(unknown(
                q,
                format!(
                    "CloudWatch returned an incomplete series for {} of `{}`",
                    q.metric, q.value
                ),
            ));
        }
    }
    (found, gaps)
}

/// One metric's datapoints over the window ending at collection, oldest first: (time, value) of
/// the statistic per period. An empty series means no datapoints (unknown, never zero).
pub async fn series(
    ctx: &Ctx,
    namespace: &str,
    metric: &str,
    dimensions: &[(&str, &str)],
    stat: &str,
    window: std::time::Duration,
) -> Result<Vec<(chrono::DateTime<chrono::Utc>, f64)>, super::session::Failure> {
    let client = ctx.cloudwatch();
    let end = ctx.now;
    let start = crate::util::duration::before(end, window.as_secs().max(60));
    let period =
        i32::try_from((window.as_secs() / 1_440).max(60).div_ceil(60) * 60).unwrap_or(i32::MAX);
    let mut m = Metric::builder().namespace(namespace).metric_name(metric);
    for (k, v) in dimensions {
        m = m.dimensions(Dimension::builder().name(*k).value(*v).build());
    }
    let query = MetricDataQuery::builder()
        .id("q0")
        .return_data(true)
        .metric_stat(
            MetricStat::builder()
                .metric(m.build())
                .period(period)
                .stat(stat)
                .build(),
        )
        .build();
    let mut points = Vec::new();
    let mut incomplete = false;
    each_page(
        ctx,
        client
            .get_metric_data()
            .metric_data_queries(query)
            .start_time(aws_time(start))
            .end_time(aws_time(end))
            .into_paginator()
            .send(),
        |page| {
            for r in page.metric_data_results() {
                incomplete |= matches!(
                    r.status_code(),
                    Some(StatusCode::InternalError) | Some(StatusCode::Forbidden)
                );
                for (t, v) in r.timestamps().iter().zip(r.values()) {
                    if let Some(t) = super::session::time(t) {
                        points.push((t, *v));
                    }
                }
            }
        },
    )
    .await?;
    if incomplete {
        return Err(super::session::Failure::new(
            None,
            format!("CloudWatch returned an incomplete series for {namespace} {metric}"),
        ));
    }
    points.sort_by_key(|p| p.0);
    Ok(points)
}

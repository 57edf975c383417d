//! Live collection: every account (through its role) and region, each service's collector, and
//! the joins between them, into one snapshot. Failed calls are gaps, never errors.
//!
//! Collection runs in two phases. The first lists every service in every account and region at
//! once. The second needs the first: replica lag is read from CloudWatch in each replica's own
//! region, snapshot copies and backup-plan selections are joined to the databases they concern,
//! each EKS primary is paired with its DR cluster, and search domains with their snapshots.

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;

use super::session::{Ctx, Options, Progress, Session};
use crate::model::config::Config;
use crate::model::snapshot::{Gap, Resource, Scope, Snapshot, SCHEMA_VERSION};
use crate::util::error::Error;

/// A collected snapshot and what collecting it cost.
pub struct Collection {
    pub snapshot: Snapshot,
    /// HTTP requests made, by `service:Operation` (retries included).
    pub calls: BTreeMap<String, u64>,
    /// Time requests waited for their account's rate limits, summed over requests.
    pub rate_waits: std::time::Duration,
}

/// Collect the DR posture of every account and region into a snapshot.
pub async fn collect(config: &Config, opts: &Options) -> Result<Collection, Error> {
    let mut resources = Vec::new();
    let mut c = collect_each(config, opts, &mut |batch| {
        resources.extend(batch);
        Ok(())
    })
    .await?;
    c.snapshot.resources = resources;
    c.snapshot.normalize();
    Ok(c)
}

/// Collect, handing each account's resources (sorted by type and id) to `sink` as soon as the
/// account is done, so that memory holds the accounts in flight (at most `collect.concurrency`
/// of them), not the organization. The snapshot returned has everything but the resources.
pub async fn collect_each(
    config: &Config,
    opts: &Options,
    sink: &mut dyn FnMut(Vec<Resource>) -> Result<(), Error>,
) -> Result<Collection, Error> {
    use futures::StreamExt as _;
    let session = Session::open(config, opts).await?;
    let progress = opts.progress.clone();
    let window = std::time::Duration::from_secs(config.params.replica_lag_window.0);
    let regions = &session.regions;
    let progress_ref = &progress;
    let mut per_account = futures::stream::iter(session.contexts())
        .map(|mut home| {
            home.progress = progress_ref.clone();
            let dr_region = opts
                .dr_region
                .as_deref()
                .or(config.scope.dr_region.as_deref());
            collect_account(home, regions, config, progress_ref, window, dr_region)
        })
        .buffer_unordered(config.collect.concurrency.max(1));
    let mut gaps = session.gaps.clone();
    let mut alarms = Vec::new();
    while let Some(mut r) = per_account.next().await {
        r.resources.sort_by(|a: &Resource, b: &Resource| {
            (a.type_name(), a.record().id()).cmp(&(b.type_name(), b.record().id()))
        });
        sink(r.resources)?;
        gaps.extend(r.gaps);
        alarms.extend(r.alarms);
    }
    drop(per_account);
    // The DR test results store, read with the run's first account's credentials (by its shard).
    let mut program = drready_core::model::snapshot::ProgramFacts::default();
    let mut store_gaps = Vec::new();
    if let (Some(bucket), Some(home), true) = (
        &config.program.results_bucket,
        session.contexts().into_iter().next(),
        session.holds_first,
    ) {
        let (store, g) =
            crate::s3::results_store(&home, bucket, config.program.results_prefix.as_deref()).await;
        program.results_store = Some(store);
        store_gaps = g;
    }

    gaps.extend(store_gaps);
    let mut snapshot = Snapshot {
        schema_version: SCHEMA_VERSION,
        // When the last answer arrived, not when the first call left: every fact was true by then, so
        // a restorable time read mid-collection is never "in the future" of the evaluation, and ages
        // count from the later instant (the stricter reading).
        collected_at: Utc::now().max(session.now),
        tool_version: crate::VERSION.to_string(),
        scope: Scope {
            accounts: session.accounts.iter().map(|a| a.id.clone()).collect(),
            regions: session.regions.clone(),
            dr_region: opts
                .dr_region
                .clone()
                .or_else(|| config.scope.dr_region.clone()),
            collected_by: session.caller.clone(),
            partition: session.partition.clone(),
        },
        components: Vec::new(),
        documents: Vec::new(),
        dr_tests: Vec::new(),
        gaps,
        program,
        alarms,
        resources: Vec::new(),
    };
    snapshot.normalize();
    Ok(Collection {
        snapshot,
        calls: session.recorder.calls(),
        rate_waits: session.rates.waited(),
    })
}

struct AccountResult {
    resources: Vec<Resource>,
    gaps: Vec<Gap>,
    alarms: Vec<crate::model::snapshot::CloudwatchAlarm>,
}

async fn collect_account(
    home: Ctx,
    regions: &[String],
    config: &Config,
    progress: &Progress,
    window: std::time::Duration,
    dr_region: Option<&str>,
) -> AccountResult {
    let ctxs: Vec<Ctx> = regions.iter().map(|r| home.in_region(r)).collect();
    progress.add(4 + 5 * ctxs.len() as u64);
    // Phase one: every service in every region at once.
    let iam = async {
        let r = super::iam::collect(&home).await;
        progress.done(&format!("{}: iam", home.account));
        r
    };
    let s3 = async {
        let r = super::s3::collect(&home, &config.s3).await;
        progress.done(&format!("{}: s3", home.account));
        r
    };
    let rds = futures::future::join_all(ctxs.iter().map(|c| async move {
        let r = super::rds::collect(c).await;
        progress.done(&format!("{} {}: rds", c.account, c.region));
        r
    }));
    let backup = futures::future::join_all(ctxs.iter().map(|c| async move {
        let r = super::backup::collect(c, &config.params).await;
        progress.done(&format!("{} {}: backup", c.account, c.region));
        r
    }));
    let alarms = futures::future::join_all(ctxs.iter().map(|c| async move {
        let r = super::cloudwatch::alarms(c).await;
        progress.done(&format!("{} {}: cloudwatch", c.account, c.region));
        r
    }));
    let eks = futures::future::join_all(ctxs.iter().map(|c| async move {
        let r = super::eks::collect(c).await;
        progress.done(&format!("{} {}: eks", c.account, c.region));
        r
    }));
    let search = futures::future::join_all(ctxs.iter().map(|c| async move {
        let r = super::search::domains(c, window).await;
        progress.done(&format!("{} {}: opensearch", c.account, c.region));
        r
    }));
    let route53 = async {
        let r = super::route53::collect(&home, window).await;
        progress.done(&format!("{}: route53", home.account));
        r
    };
    let velero = async {
        let r = super::velero::collect(&home, &config.velero).await;
        progress.done(&format!("{}: velero", home.account));
        r
    };
    let ((iam, s3, rds, backup, alarms), (eks, search, route53, velero)) = futures::join!(
        async { futures::join!(iam, s3, rds, backup, alarms) },
        async { futures::join!(eks, search, route53, velero) }
    );

    let mut resources = Vec::new();
    let mut gaps = Vec::new();
    let (r, g) = iam;
    resources.extend(r);
    gaps.extend(g);
    let (r, g) = s3;
    resources.extend(r);
    gaps.extend(g);
    for (r, g) in [route53, velero] {
        resources.extend(r);
        gaps.extend(g);
    }
    let mut clusters = Vec::new();
    let mut eks_gaps = Vec::new();
    for (r, g) in eks {
        clusters.push(r);
        eks_gaps.extend(g);
    }
    let (r, g) = super::eks::assemble(clusters, dr_region, &config.eks, &eks_gaps);
    resources.extend(r);
    gaps.extend(eks_gaps);
    gaps.extend(g);
    let mut domains = Vec::new();
    for (d, g) in search {
        domains.extend(d);
        gaps.extend(g);
    }
    let (r, g) = super::search::snapshots(&home, config, domains).await;
    resources.extend(r);
    gaps.extend(g);
    let mut all_alarms = Vec::new();
    for (a, g) in alarms {
        all_alarms.extend(a);
        gaps.extend(g);
    }

    // Phase two: replica lag in each replica's region, then the joins.
    let mut rds = super::rds::Raw::merge(rds);
    let wanted = rds.lag_queries();
    let by_region: BTreeMap<&str, Vec<&super::cloudwatch::LagQuery>> =
        wanted.iter().fold(BTreeMap::new(), |mut m, q| {
            m.entry(q.region.as_str()).or_default().push(q);
            m
        });
    progress.add(by_region.len() as u64);
    let lag_results = futures::future::join_all(by_region.into_iter().map(|(region, queries)| {
        let ctx = home.in_region(region);
        async move {
            let r = super::cloudwatch::replica_lag(&ctx, &queries, window).await;
            progress.done(&format!("{} {}: replica lag", ctx.account, ctx.region));
            r
        }
    }))
    .await;
    let mut lags: HashMap<String, f64> = HashMap::new();
    for (found, failed) in lag_results {
        lags.extend(found);
        rds.lag_failures.extend(failed);
    }
    let backup = super::backup::Raw::merge(backup);
    let (db_resources, db_gaps) = rds.assemble(&lags, &backup);
    resources.extend(db_resources);
    gaps.extend(db_gaps);
    let (b_resources, b_gaps) = backup.assemble(&resources);
    resources.extend(b_resources);
    gaps.extend(b_gaps);
    AccountResult {
        resources,
        gaps,
        alarms: all_alarms,
    }
}

//! RDS and Aurora: instances and clusters with their backup settings, replicas (cross-region read
//! replicas and Aurora global secondaries), replicated automated backups, snapshots and their
//! cross-region copies. Tags come with the Describe calls, so no call is made per database.
//!
//! Read replicas are not judged as databases of their own: they are the primary's DR copy, and
//! appear in its `replicas` with their lag. Aurora cluster members are judged through their cluster.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use super::backup;
use super::cloudwatch::LagQuery;
use super::session::{each_page, time, Ctx, Failure};
use crate::model::snapshot::{Gap, Provenance, RdsDatabase, Replica, Resource, SnapshotSummary};
use crate::util::arn::arn_region;

/// The facts a snapshot lists leave unknown when DescribeDB*Snapshots fails.
const SNAPSHOT_ATTRS: &[&str] = &[
    "snapshot_count",
    "unencrypted_snapshots",
    "latest_snapshot_time",
    "dr_regions",
];

#[derive(Debug, Clone, Default)]
struct Snap {
    owner: String,
    region: String,
    created: Option<DateTime<Utc>>,
    encrypted: Option<bool>,
    /// Where a copy came from, when the API says.
    source_region: Option<String>,
}

#[derive(Debug, Clone)]
struct Db {
    cluster: bool,
    record: RdsDatabase,
    /// Replicas with the CloudWatch metric that measures their lag.
    lag: Vec<LagQuery>,
}

/// What one region's RDS calls gave, before the joins.
#[derive(Debug, Default)]
pub struct Raw {
    dbs: Vec<Db>,
    snapshots: Vec<Snap>,
    /// Regions whose instance (cluster) snapshot listing failed.
    snapshots_failed: BTreeSet<(String, bool)>,
    gaps: Vec<Gap>,
    /// Replica lag reads that failed (the replica's gap, moved to its primary when joined).
    pub lag_failures: Vec<Gap>,
}

pub async fn collect(ctx: &Ctx) -> Raw {
    let client = ctx.rds();
    let mut raw = Raw::default();
    instances(ctx, &client, &mut raw).await;
    let globals = global_clusters(ctx, &client).await;
    clusters(ctx, &client, &globals, &mut raw).await;
    snapshots(ctx, &client, &mut raw).await;
    raw
}

fn provenance(ctx: &Ctx, op: &str) -> Option<Provenance> {
    Some(Provenance {
        source: format!("rds:{op}"),
        line: None,
        at: Some(ctx.now),
    })
}

/// Instances (cluster members and read replicas are judged through their primary).
async fn instances(ctx: &Ctx, client: &aws_sdk_rds::Client, raw: &mut Raw) {
    let listed = each_page(
        ctx,
        client.describe_db_instances().into_paginator().send(),
        |page| {
            raw.dbs
                .extend(page.db_instances().iter().filter_map(|d| instance(ctx, d)))
        },
    )
    .await;
    if let Err(f) = listed {
        raw.gaps.push(ctx.gap(
            "rds",
            "DescribeDBInstances",
            &f,
            None,
            Some("rds_instance"),
            &[],
        ));
    }
}

/// An instance judged as a database of its own: not a cluster member, a read replica, or one of
/// drready's own restore tests (scratch copies).
fn instance(ctx: &Ctx, d: &aws_sdk_rds::types::DbInstance) -> Option<Db> {
    let scratch = d
        .tag_list()
        .iter()
        .any(|t| t.key() == Some(crate::model::remediation::RESTORE_TEST_TAG));
    if d.db_cluster_identifier().is_some()
        || d.read_replica_source_db_instance_identifier().is_some()
        || scratch
    {
        return None;
    }
    let name = d.db_instance_identifier().unwrap_or_default().to_string();
    let replicas: Vec<String> = d
        .read_replica_db_instance_identifiers()
        .iter()
        .map(|r| replica_arn(r, ctx, "db"))
        .collect();
    let lag = replicas
        .iter()
        .map(|arn| LagQuery::instance(arn, &ctx.region))
        .collect();
    let record = RdsDatabase {
        id: d
            .db_instance_arn()
            .map(str::to_string)
            .unwrap_or_else(|| own_arn(ctx, "db", &name)),
        name: Some(name),
        account: ctx.account.clone(),
        region: ctx.region.clone(),
        tags: tags(d.tag_list().iter().map(|t| (t.key(), t.value()))),
        engine: d.engine().map(str::to_string),
        backup_retention_days: d.backup_retention_period().map(|n| n.max(0) as u32),
        latest_restorable_time: d.latest_restorable_time().and_then(time),
        storage_encrypted: d.storage_encrypted(),
        kms_key_id: d.kms_key_id().map(str::to_string),
        multi_az: d.multi_az(),
        deletion_protection: d.deletion_protection(),
        replicas: Some(replica_records(&replicas, &ctx.region)),
        // The API leaves out empty lists: none listed is none.
        replicated_backup_regions: Some(
            d.db_instance_automated_backups_replications()
                .iter()
                .filter_map(|r| r.db_instance_automated_backups_arn())
                .filter_map(arn_region)
                .map(str::to_string)
                .collect(),
        ),
        provenance: provenance(ctx, "DescribeDBInstances"),
        ..RdsDatabase::default()
    };
    Some(Db {
        cluster: false,
        record,
        lag,
    })
}

/// Aurora global databases: each writer's secondaries, its cross-region replicas.
struct Globals {
    secondaries: HashMap<String, Vec<String>>,
    /// DescribeGlobalClusters failed: a global cluster's replicas are unknown.
    failed: Option<Failure>,
}

async fn global_clusters(ctx: &Ctx, client: &aws_sdk_rds::Client) -> Globals {
    let mut global_secondaries: HashMap<String, Vec<String>> = HashMap::new();
    let listed = each_page(
        ctx,
        client.describe_global_clusters().into_paginator().send(),
        |page| {
            for g in page.global_clusters() {
                let members = g.global_cluster_members();
                let Some(writer) = members
                    .iter()
                    .find(|m| m.is_writer() == Some(true))
                    .and_then(|m| m.db_cluster_arn())
                else {
                    continue;
                };
                let readers = members
                    .iter()
                    .filter(|m| m.is_writer() != Some(true))
                    .filter_map(|m| m.db_cluster_arn().map(str::to_string))
                    .collect();
                global_secondaries.insert(writer.to_string(), readers);
            }
        },
    )
    .await;
    Globals {
        secondaries: global_secondaries,
        failed: listed.err(),
    }
}

/// Clusters (a cluster replicating from another is judged through its source).
async fn clusters(ctx: &Ctx, client: &aws_sdk_rds::Client, globals: &Globals, raw: &mut Raw) {
    let mut gaps = Vec::new();
    let listed = each_page(
        ctx,
        client.describe_db_clusters().into_paginator().send(),
        |page| {
            let found = page
                .db_clusters()
                .iter()
                .filter_map(|c| cluster(ctx, c, globals, &mut gaps));
            raw.dbs.extend(found);
        },
    )
    .await;
    raw.gaps.extend(gaps);
    if let Err(f) = listed {
        raw.gaps.push(ctx.gap(
            "rds",
            "DescribeDBClusters",
            &f,
            None,
            Some("rds_cluster"),
            &[],
        ));
    }
}

fn cluster(
    ctx: &Ctx,
    c: &aws_sdk_rds::types::DbCluster,
    globals: &Globals,
    gaps: &mut Vec<Gap>,
) -> Option<Db> {
    if c.replication_source_identifier().is_some() {
        return None;
    }
    let name = c.db_cluster_identifier().unwrap_or_default().to_string();
    let id = c
        .db_cluster_arn()
        .map(str::to_string)
        .unwrap_or_else(|| own_arn(ctx, "cluster", &name));
    let read_replicas: Vec<String> = c
        .read_replica_identifiers()
        .iter()
        .map(|r| replica_arn(r, ctx, "cluster"))
        .collect();
    let secondaries = globals.secondaries.get(&id).cloned().unwrap_or_default();
    let mut lag: Vec<LagQuery> = read_replicas
        .iter()
        .map(|arn| LagQuery::binlog_cluster(arn, &ctx.region))
        .collect();
    lag.extend(
        secondaries
            .iter()
            .map(|arn| LagQuery::global_cluster(arn, &ctx.region)),
    );
    let mut all = read_replicas.clone();
    all.extend(secondaries);
    // A global database whose membership could not be read has unknown replicas.
    let replicas = match (&globals.failed, c.global_cluster_identifier()) {
        (Some(f), Some(_)) => {
            gaps.push(ctx.gap(
                "rds",
                "DescribeGlobalClusters",
                f,
                Some(&id),
                Some("rds_cluster"),
                &[
                    "dr_regions",
                    "replica_count",
                    "replica_lag_max",
                    "replicas_without_lag_alarm",
                ],
            ));
            None
        }
        _ => Some(replica_records(&all, &ctx.region)),
    };
    let record = RdsDatabase {
        id,
        name: Some(name),
        account: ctx.account.clone(),
        region: ctx.region.clone(),
        tags: tags(c.tag_list().iter().map(|t| (t.key(), t.value()))),
        engine: c.engine().map(str::to_string),
        backup_retention_days: c.backup_retention_period().map(|n| n.max(0) as u32),
        latest_restorable_time: c.latest_restorable_time().and_then(time),
        storage_encrypted: c.storage_encrypted(),
        kms_key_id: c.kms_key_id().map(str::to_string),
        multi_az: c.multi_az(),
        deletion_protection: c.deletion_protection(),
        replicas,
        // Aurora keeps no replicated automated backups; copies are snapshots.
        replicated_backup_regions: Some(Vec::new()),
        provenance: provenance(ctx, "DescribeDBClusters"),
        ..RdsDatabase::default()
    };
    Some(Db {
        cluster: true,
        record,
        lag,
    })
}

/// Snapshots, automated and manual, listed once per region and grouped by database.
async fn snapshots(ctx: &Ctx, client: &aws_sdk_rds::Client, raw: &mut Raw) {
    let mut found = Vec::new();
    let listed = each_page(
        ctx,
        client.describe_db_snapshots().into_paginator().send(),
        |page| {
            for s in page.db_snapshots() {
                found.push(Snap {
                    owner: format!("db:{}", s.db_instance_identifier().unwrap_or_default()),
                    region: ctx.region.clone(),
                    created: s.snapshot_create_time().and_then(time),
                    encrypted: s.encrypted(),
                    source_region: s.source_region().map(str::to_string).or_else(|| {
                        s.source_db_snapshot_identifier()
                            .and_then(arn_region)
                            .map(str::to_string)
                    }),
                });
            }
        },
    )
    .await;
    if let Err(f) = listed {
        snapshots_failed(ctx, raw, false, "DescribeDBSnapshots", &f);
    }
    let listed = each_page(
        ctx,
        client
            .describe_db_cluster_snapshots()
            .into_paginator()
            .send(),
        |page| {
            for s in page.db_cluster_snapshots() {
                found.push(Snap {
                    owner: format!("cluster:{}", s.db_cluster_identifier().unwrap_or_default()),
                    region: ctx.region.clone(),
                    created: s.snapshot_create_time().and_then(time),
                    encrypted: s.storage_encrypted(),
                    source_region: s
                        .source_db_cluster_snapshot_arn()
                        .and_then(arn_region)
                        .map(str::to_string),
                });
            }
        },
    )
    .await;
    if let Err(f) = listed {
        snapshots_failed(ctx, raw, true, "DescribeDBClusterSnapshots", &f);
    }
    raw.snapshots.extend(found);
}

/// A snapshot listing failed: the snapshot facts of the region's databases are unknown, and so
/// are the copies made into this region, whichever region their database is in.
fn snapshots_failed(ctx: &Ctx, raw: &mut Raw, cluster: bool, op: &str, f: &Failure) {
    let ty = if cluster {
        "rds_cluster"
    } else {
        "rds_instance"
    };
    raw.snapshots_failed.insert((ctx.region.clone(), cluster));
    raw.gaps
        .push(ctx.gap("rds", op, f, None, Some(ty), SNAPSHOT_ATTRS));
    raw.gaps.push(Gap {
        region: None,
        message: format!("in {}: {}", ctx.region, f.message),
        ..ctx.gap("rds", op, f, None, Some(ty), &["dr_regions"])
    });
}

fn own_arn(ctx: &Ctx, kind: &str, name: &str) -> String {
    format!("arn:aws:rds:{}:{}:{kind}:{name}", ctx.region, ctx.account)
}

/// Replicas are named by identifier in the primary's region and by ARN elsewhere.
fn replica_arn(id: &str, ctx: &Ctx, kind: &str) -> String {
    if id.starts_with("arn:") {
        id.to_string()
    } else {
        own_arn(ctx, kind, id)
    }
}

fn replica_records(arns: &[String], home: &str) -> Vec<Replica> {
    arns.iter()
        .map(|arn| Replica {
            id: arn.clone(),
            region: arn_region(arn).unwrap_or(home).to_string(),
            lag_max_seconds: None,
        })
        .collect()
}

pub fn tags<'a>(
    pairs: impl Iterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> BTreeMap<String, String> {
    pairs
        .filter_map(|(k, v)| Some((k?.to_string(), v.unwrap_or_default().to_string())))
        .collect()
}

impl Raw {
    /// One account's regions together.
    pub fn merge(parts: Vec<Raw>) -> Raw {
        let mut out = Raw::default();
        for p in parts {
            out.dbs.extend(p.dbs);
            out.snapshots.extend(p.snapshots);
            out.snapshots_failed.extend(p.snapshots_failed);
            out.gaps.extend(p.gaps);
        }
        out
    }

    /// The lag metrics to read: one per replica.
    pub fn lag_queries(&self) -> Vec<LagQuery> {
        self.dbs
            .iter()
            .flat_map(|d| d.lag.iter().cloned())
            .collect()
    }

    /// The database records: snapshots grouped, copies found, lag and backup-plan membership joined.
    pub fn assemble(
        mut self,
        lags: &HashMap<String, f64>,
        backup: &backup::Raw,
    ) -> (Vec<Resource>, Vec<Gap>) {
        // Which databases exist where, to tell a copy from a database's own snapshot.
        let local: BTreeSet<(String, String)> = self
            .dbs
            .iter()
            .map(|d| (d.record.region.clone(), owner_key(d)))
            .collect();
        let mut own: HashMap<(String, String), SnapshotSummary> = HashMap::new();
        let mut copies: HashMap<String, BTreeSet<String>> = HashMap::new();
        let mut copied_to: HashMap<(String, String), BTreeSet<String>> = HashMap::new();
        for s in &self.snapshots {
            let is_copy = match &s.source_region {
                Some(src) => src != &s.region,
                None => !local.contains(&(s.region.clone(), s.owner.clone())),
            };
            if is_copy {
                match &s.source_region {
                    Some(src) => {
                        copied_to
                            .entry((src.clone(), s.owner.clone()))
                            .or_default()
                            .insert(s.region.clone());
                    }
                    None => {
                        copies
                            .entry(s.owner.clone())
                            .or_default()
                            .insert(s.region.clone());
                    }
                }
                continue;
            }
            let sum = own.entry((s.region.clone(), s.owner.clone())).or_default();
            sum.count += 1;
            if s.encrypted != Some(true) {
                sum.unencrypted += 1;
            }
            if s.created > sum.newest {
                sum.newest = s.created;
            }
        }
        let mut gaps = std::mem::take(&mut self.gaps);
        gaps.append(&mut self.lag_failures);
        let mut out = Vec::with_capacity(self.dbs.len());
        for mut d in self.dbs {
            let key = owner_key(&d);
            let region = d.record.region.clone();
            if self.snapshots_failed.contains(&(region.clone(), d.cluster)) {
                d.record.snapshots = None;
            } else {
                let mut sum = own
                    .remove(&(region.clone(), key.clone()))
                    .unwrap_or_default();
                let mut regions: BTreeSet<String> = copied_to
                    .get(&(region.clone(), key.clone()))
                    .cloned()
                    .unwrap_or_default();
                regions.extend(
                    copies
                        .get(&key)
                        .into_iter()
                        .flatten()
                        .filter(|r| **r != region)
                        .cloned(),
                );
                sum.copy_regions = regions.into_iter().collect();
                d.record.snapshots = Some(sum);
            }
            if let Some(replicas) = &mut d.record.replicas {
                for r in replicas.iter_mut() {
                    r.lag_max_seconds = lags.get(&r.id).copied();
                }
            }
            d.record.backup_plans =
                backup.plans_selecting(&d.record.id, &d.record.region, &d.record.tags);
            out.push(if d.cluster {
                Resource::RdsCluster(d.record)
            } else {
                Resource::RdsInstance(d.record)
            });
        }
        // A lag read that failed concerns the primary: its replica_lag_max is unknown.
        for g in gaps.iter_mut().filter(|g| g.operation == "GetMetricData") {
            if let Some(primary) = g.resource.as_ref().and_then(|replica| {
                out.iter().find_map(|r| match r {
                    Resource::RdsInstance(db) | Resource::RdsCluster(db) => db
                        .replicas
                        .iter()
                        .flatten()
                        .any(|x| &x.id == replica)
                        .then(|| db.id.clone()),
                    _ => None,
                })
            }) {
                g.resource = Some(primary);
            }
        }
        (out, gaps)
    }
}

fn owner_key(d: &Db) -> String {
    let kind = if d.cluster { "cluster" } else { "db" };
    format!("{kind}:{}", d.record.name.as_deref().unwrap_or_default())
}

//! EKS clusters in every collected region (ListClusters, DescribeCluster, ListNodegroups,
//! DescribeNodegroup), and the pairing of each primary with its DR cluster: by `[eks] pairs`, else
//! by the convention `<name>-dr` in the DR region. A primary's record carries what was found of
//! its DR cluster, so the controls judge the pair in one place.

use std::collections::BTreeMap;

use super::session::{each_page, failure, Ctx};
use crate::model::config::RawEks;
use crate::model::platform::{EksCluster, NodeGroup};
use crate::model::snapshot::{Gap, Provenance, Resource};

/// The clusters of one region, or why they could not be listed.
pub struct Regional {
    pub region: String,
    pub clusters: Result<Vec<EksCluster>, ()>,
}

/// Every cluster of the context's region, with its node groups.
pub async fn collect(ctx: &Ctx) -> (Regional, Vec<Gap>) {
    let client = ctx.eks();
    let mut names = Vec::new();
    let mut gaps = Vec::new();
    let listed = each_page(ctx, client.list_clusters().into_paginator().send(), |p| {
        names.extend(p.clusters().iter().cloned())
    })
    .await;
    if let Err(f) = listed {
        gaps.push(ctx.gap("eks", "ListClusters", &f, None, Some("eks_cluster"), &[]));
        return (
            Regional {
                region: ctx.region.clone(),
                clusters: Err(()),
            },
            gaps,
        );
    }
    let mut clusters = Vec::new();
    for name in names {
        let arn_guess = format!("arn:aws:eks:{}:{}:cluster/{name}", ctx.region, ctx.account);
        let described = ctx.call(client.describe_cluster().name(&name).send()).await;
        let mut record = EksCluster {
            id: arn_guess.clone(),
            name: Some(name.clone()),
            account: ctx.account.clone(),
            region: ctx.region.clone(),
            provenance: Some(Provenance {
                source: "eks:DescribeCluster".into(),
                line: None,
                at: Some(ctx.now),
            }),
            ..EksCluster::default()
        };
        match described {
            Ok(out) => {
                if let Some(c) = out.cluster() {
                    if let Some(arn) = c.arn() {
                        record.id = arn.to_string();
                    }
                    record.version = c.version().map(str::to_string);
                    record.status = c.status().map(|s| s.as_str().to_string());
                    // Envelope encryption with a KMS key of the account's choosing (EKS encrypts
                    // with its own key otherwise); the `resources` list is deprecated.
                    record.secrets_encrypted = Some(
                        c.encryption_config()
                            .iter()
                            .any(|e| e.provider().and_then(|p| p.key_arn()).is_some()),
                    );
                    record.logging = Some(
                        c.logging()
                            .map(|l| {
                                l.cluster_logging()
                                    .iter()
                                    .filter(|s| s.enabled() == Some(true))
                                    .flat_map(|s| s.types().iter().map(|t| t.as_str().to_string()))
                                    .collect()
                            })
                            .unwrap_or_default(),
                    );
                    record.tags = c
                        .tags()
                        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                        .unwrap_or_default();
                }
            }
            Err(e) => {
                gaps.push(ctx.gap(
                    "eks",
                    "DescribeCluster",
                    &failure(&e),
                    Some(&arn_guess),
                    Some("eks_cluster"),
                    &["version", "status", "secrets_encrypted", "logging_types"],
                ));
            }
        }
        match nodegroups(ctx, &name).await {
            Ok(groups) => record.nodegroups = Some(groups),
            Err((op, f)) => gaps.push(ctx.gap(
                "eks",
                op,
                &f,
                Some(&record.id),
                Some("eks_cluster"),
                &["nodegroups_active", "capacity"],
            )),
        }
        clusters.push(record);
    }
    (
        Regional {
            region: ctx.region.clone(),
            clusters: Ok(clusters),
        },
        gaps,
    )
}

async fn nodegroups(
    ctx: &Ctx,
    cluster: &str,
) -> Result<Vec<NodeGroup>, (&'static str, super::session::Failure)> {
    let client = ctx.eks();
    let mut names = Vec::new();
    each_page(
        ctx,
        client
            .list_nodegroups()
            .cluster_name(cluster)
            .into_paginator()
            .send(),
        |p| names.extend(p.nodegroups().iter().cloned()),
    )
    .await
    .map_err(|f| ("ListNodegroups", f))?;
    let mut groups = Vec::new();
    for n in names {
        let out = ctx
            .call(
                client
                    .describe_nodegroup()
                    .cluster_name(cluster)
                    .nodegroup_name(&n)
                    .send(),
            )
            .await
            .map_err(|e| ("DescribeNodegroup", failure(&e)))?;
        let g = out.nodegroup();
        let scaling = g.and_then(|g| g.scaling_config());
        let count = |v: Option<i32>| v.and_then(|v| u32::try_from(v).ok());
        groups.push(NodeGroup {
            name: n,
            status: g.and_then(|g| g.status()).map(|s| s.as_str().to_string()),
            desired: count(scaling.and_then(|s| s.desired_size())),
            min: count(scaling.and_then(|s| s.min_size())),
            max: count(scaling.and_then(|s| s.max_size())),
        });
    }
    Ok(groups)
}

/// Pair every primary with its DR cluster (the shared rule: `model::platform::pair_eks`) and
/// return the records. A DR cluster that could not be described, or whose node groups could not
/// be read, leaves its primary's DR facts unknown: its gaps are repeated on the primary.
pub fn assemble(
    regions: Vec<Regional>,
    dr_region: Option<&str>,
    config: &RawEks,
    gaps: &[Gap],
) -> (Vec<Resource>, Vec<Gap>) {
    let listed: BTreeMap<String, Option<Vec<EksCluster>>> = regions
        .into_iter()
        .map(|r| (r.region, r.clusters.ok()))
        .collect();
    let ids: BTreeMap<(String, String), String> = listed
        .iter()
        .flat_map(|(region, cs)| {
            cs.iter().flatten().map(move |c| {
                (
                    (region.clone(), c.name.clone().unwrap_or_default()),
                    c.id.clone(),
                )
            })
        })
        .collect();
    let paired = crate::model::platform::pair_eks(&listed, dr_region, config);
    let mut more = Vec::new();
    for c in &paired {
        let Some(p) = c.dr_cluster.as_ref().filter(|p| p.found == Some(true)) else {
            continue;
        };
        let Some(dr_id) = ids.get(&(p.region.clone(), p.name.clone())) else {
            continue;
        };
        for g in gaps
            .iter()
            .filter(|g| g.resource.as_deref() == Some(dr_id.as_str()))
        {
            let attributes: &[&str] = match g.operation.as_str() {
                "DescribeCluster" => &["dr_status", "dr_version", "dr_versions_behind"],
                _ => &["dr_nodegroups_active", "dr_capacity"],
            };
            more.push(Gap {
                resource: Some(c.id.clone()),
                attributes: attributes.iter().map(|a| a.to_string()).collect(),
                message: format!("DR cluster `{}` ({}): {}", p.name, p.region, g.message),
                ..g.clone()
            });
        }
    }
    (paired.into_iter().map(Resource::EksCluster).collect(), more)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(name: &str, region: &str) -> EksCluster {
        EksCluster {
            id: format!("arn:aws:eks:{region}:1:cluster/{name}"),
            name: Some(name.into()),
            region: region.into(),
            status: Some("ACTIVE".into()),
            version: Some("1.29".into()),
            ..EksCluster::default()
        }
    }

    #[test]
    fn pairs_by_convention_and_by_config() {
        let regions = vec![
            Regional {
                region: "us-east-1".into(),
                clusters: Ok(vec![
                    cluster("shop", "us-east-1"),
                    cluster("jobs", "us-east-1"),
                ]),
            },
            Regional {
                region: "us-west-2".into(),
                clusters: Ok(vec![
                    cluster("shop-dr", "us-west-2"),
                    cluster("standby", "us-west-2"),
                ]),
            },
        ];
        let config = RawEks {
            pairs: vec![crate::model::config::RawEksPair {
                primary: "jobs".into(),
                dr: "standby".into(),
                dr_region: None,
            }],
        };
        let (out, _) = assemble(regions, Some("us-west-2"), &config, &[]);
        let get = |n: &str| {
            out.iter()
                .find_map(|r| match r {
                    Resource::EksCluster(c) if c.name.as_deref() == Some(n) => Some(c.clone()),
                    _ => None,
                })
                .unwrap_or_default()
        };
        let shop = get("shop").dr_cluster.unwrap_or_default();
        assert_eq!(
            (shop.name.as_str(), shop.found, shop.paired_by.as_deref()),
            ("shop-dr", Some(true), Some("convention"))
        );
        let jobs = get("jobs").dr_cluster.unwrap_or_default();
        assert_eq!(
            (jobs.name.as_str(), jobs.found, jobs.paired_by.as_deref()),
            ("standby", Some(true), Some("config"))
        );
        assert_eq!(get("shop-dr").dr_of.as_deref(), Some("shop"));
        assert_eq!(get("standby").dr_of.as_deref(), Some("jobs"));
        assert!(get("shop-dr").dr_cluster.is_none());
    }

    #[test]
    fn an_unlisted_dr_region_leaves_the_pair_unknown() {
        let regions = vec![
            Regional {
                region: "us-east-1".into(),
                clusters: Ok(vec![cluster("shop", "us-east-1")]),
            },
            Regional {
                region: "us-west-2".into(),
                clusters: Err(()),
            },
        ];
        let (out, _) = assemble(regions, Some("us-west-2"), &RawEks::default(), &[]);
        let Some(Resource::EksCluster(c)) = out.first() else {
            panic!("no cluster")
        };
        assert_eq!(c.dr_cluster.as_ref().and_then(|p| p.found), None);
    }

    #[test]
    fn a_dr_cluster_read_in_part_leaves_its_primary_unknown() {
        let regions = vec![
            Regional {
                region: "us-east-1".into(),
                clusters: Ok(vec![cluster("shop", "us-east-1")]),
            },
            Regional {
                region: "us-west-2".into(),
                clusters: Ok(vec![cluster("shop-dr", "us-west-2")]),
            },
        ];
        let failed = Gap {
            source: "eks".into(),
            operation: "ListNodegroups".into(),
            resource: Some("arn:aws:eks:us-west-2:1:cluster/shop-dr".into()),
            message: "ThrottlingException".into(),
            ..Gap::default()
        };
        let (_, gaps) = assemble(regions, Some("us-west-2"), &RawEks::default(), &[failed]);
        assert_eq!(gaps.len(), 1);
        assert_eq!(
            gaps[0].resource.as_deref(),
            Some("arn:aws:eks:us-east-1:1:cluster/shop")
        );
        assert_eq!(gaps[0].attributes, ["dr_nodegroups_active", "dr_capacity"]);
        assert!(gaps[0].message.contains("shop-dr"));
    }
}

//! What a change reaches besides itself. A bucket's split resources (versioning, lifecycle, Object
//! Lock, replication, encryption, public access block), a cluster's instances, a vault's lock and
//! policy are parts of one DR resource: the parts are joined to it (`Parts`), and the resource is
//! judged when a change reaches it even if its own action is no-op (`Reach`). A DR resource the
//! plan does not hold at all is made up from its real name and judged on the changed parts alone.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value as J;

use super::change::{Change, Configuration, OUTSIDE};

/// The split parts of the plan's resources, by the bucket, cluster or vault they belong to.
pub(super) struct Parts<'c, 'a> {
    /// Bucket key (`name:B` or `addr:ADDRESS[i]`) → its split S3 resources.
    pub splits: HashMap<String, Vec<&'c Change<'a>>>,
    /// Cluster identifier or address → how many instances it will have.
    pub cluster_members: HashMap<String, usize>,
    /// Vault key (`name:V` or `addr:ADDRESS`) → its lock configuration.
    pub vault_locks: HashMap<String, &'c Change<'a>>,
    /// Vault key → its access policy.
    pub vault_policies: HashMap<String, &'c Change<'a>>,
}

impl<'c, 'a> Parts<'c, 'a> {
    /// The parts of the resources the plan keeps (not those it only deletes).
    pub fn of(changes: &'c [Change<'a>], cx: &Configuration<'_>) -> Self {
        let bucket_key = |c: &Change<'_>| -> Option<String> {
            c.str("bucket").map(|b| format!("name:{b}")).or_else(|| {
                cx.reference(c, "bucket")
                    .map(|r| format!("addr:{r}{}", c.index_suffix()))
            })
        };
        let mut parts = Parts {
            splits: HashMap::new(),
            cluster_members: HashMap::new(),
            vault_locks: HashMap::new(),
            vault_policies: HashMap::new(),
        };
        for c in changes
            .iter()
            .filter(|c| !c.deletes() || c.creates_or_updates())
        {
            match c.ty {
                t if t.starts_with("aws_s3_bucket_") => {
                    if let Some(k) = bucket_key(c) {
                        parts.splits.entry(k).or_default().push(c);
                    }
                }
                "aws_rds_cluster_instance" => {
                    let key = c
                        .str("cluster_identifier")
                        .map(str::to_string)
                        .or_else(|| cx.reference(c, "cluster_identifier"));
                    if let Some(k) = key {
                        *parts.cluster_members.entry(k).or_insert(0) += 1;
                    }
                }
                "aws_backup_vault_lock_configuration" | "aws_backup_vault_policy" => {
                    let key = c
                        .str("backup_vault_name")
                        .map(|n| format!("name:{n}"))
                        .or_else(|| {
                            cx.reference(c, "backup_vault_name")
                                .map(|r| format!("addr:{r}"))
                        });
                    if let Some(k) = key {
                        if c.ty.ends_with("lock_configuration") {
                            parts.vault_locks.insert(k, c);
                        } else {
                            parts.vault_policies.insert(k, c);
                        }
                    }
                }
                _ => {}
            }
        }
        parts
    }
}

/// A DR resource reached through a changed part.
struct Touched<'a> {
    ty: &'a str,
    name: String,
    /// The name is the resource's real one, not an address.
    by_name: bool,
}

/// The DR resources the plan's changes reach through their parts.
pub(super) struct Reach<'a> {
    /// `TYPE KEY` → the resource reached.
    touched: BTreeMap<String, Touched<'a>>,
}

impl<'a> Reach<'a> {
    pub fn of(changes: &[Change<'a>], cx: &Configuration<'_>) -> Self {
        let mut touched = BTreeMap::new();
        for c in changes.iter().filter(|c| c.changes()) {
            let key = match c.ty {
                t if t.starts_with("aws_s3_bucket_") => c
                    .str_either("bucket")
                    .map(|b| (format!("name:{b}"), "aws_s3_bucket", b.to_string(), true))
                    .or_else(|| {
                        cx.reference(c, "bucket").map(|r| {
                            (
                                format!("addr:{r}{}", c.index_suffix()),
                                "aws_s3_bucket",
                                r,
                                false,
                            )
                        })
                    }),
                "aws_rds_cluster_instance" => c
                    .str_either("cluster_identifier")
                    .map(|i| {
                        (
                            format!("cluster:{i}"),
                            "aws_rds_cluster",
                            i.to_string(),
                            true,
                        )
                    })
                    .or_else(|| {
                        cx.reference(c, "cluster_identifier")
                            .map(|r| (format!("cluster:{r}"), "aws_rds_cluster", r, false))
                    }),
                "aws_backup_vault_lock_configuration" | "aws_backup_vault_policy" => c
                    .str_either("backup_vault_name")
                    .map(|n| (format!("name:{n}"), "aws_backup_vault", n.to_string(), true))
                    .or_else(|| {
                        cx.reference(c, "backup_vault_name")
                            .map(|r| (format!("addr:{r}"), "aws_backup_vault", r, false))
                    }),
                _ => None,
            };
            if let Some((k, ty, name, by_name)) = key {
                touched.insert(format!("{ty} {k}"), Touched { ty, name, by_name });
            }
        }
        Reach { touched }
    }

    /// Whether a change to one of its parts reaches this resource.
    pub fn reaches(&self, c: &Change<'_>) -> bool {
        reached_keys(c).iter().any(|k| self.touched.contains_key(k))
    }

    /// The DR resources reached but not in the plan, by their real names: (address, type, the
    /// attributes the plan would hold). Only a resource named by its real name can stand outside.
    pub fn outside(&self, changes: &[Change<'_>]) -> Vec<(String, &'a str, J)> {
        let present: HashSet<String> = changes.iter().flat_map(reached_keys).collect();
        self.touched
            .iter()
            .filter(|(k, t)| t.by_name && !present.contains(*k))
            .map(|(_, t)| {
                let attr = match t.ty {
                    "aws_s3_bucket" => "bucket",
                    "aws_rds_cluster" => "cluster_identifier",
                    _ => "name",
                };
                (
                    format!("{} `{}`{OUTSIDE}", t.ty, t.name),
                    t.ty,
                    serde_json::json!({ attr: t.name }),
                )
            })
            .collect()
    }
}

/// The keys a DR resource is reached by: its address, and its real name when the plan knows it.
fn reached_keys(c: &Change<'_>) -> Vec<String> {
    match c.ty {
        "aws_s3_bucket" => {
            let mut keys = vec![format!("addr:{}{}", c.plain, c.index_suffix())];
            keys.extend(c.str("bucket").map(|b| format!("name:{b}")));
            keys
        }
        "aws_rds_cluster" => {
            let mut keys = vec![format!("cluster:{}", c.plain)];
            keys.extend(c.str("cluster_identifier").map(|i| format!("cluster:{i}")));
            keys
        }
        "aws_backup_vault" => {
            let mut keys = vec![format!("addr:{}", c.plain)];
            keys.extend(c.str("name").map(|n| format!("name:{n}")));
            keys
        }
        _ => Vec::new(),
    }
    .into_iter()
    .map(|k| format!("{} {k}", c.ty))
    .collect()
}

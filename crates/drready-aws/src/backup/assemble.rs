//! The joins: AWS Backup's answers of every region merged per account, then joined into
//! protected resources (recovery points, jobs, restores) and plan membership of databases.

use std::collections::{BTreeMap, HashMap};

use super::{Point, Protected, Raw};
use crate::model::snapshot::{
    BackupProtectedResource, BackupTarget, Gap, JobSummary, Provenance, RecoveryPointSummary,
    Resource,
};

impl Raw {
    pub fn merge(parts: Vec<Raw>) -> Raw {
        let mut out = Raw::default();
        for p in parts {
            if out.account.is_empty() {
                out.account = p.account;
                out.window_days = p.window_days;
                out.now = p.now;
            }
            out.plans.extend(p.plans);
            out.vaults.extend(p.vaults);
            out.selections.extend(p.selections);
            out.membership_unknown.extend(p.membership_unknown);
            out.points.extend(p.points);
            out.points_failed.extend(p.points_failed);
            out.protected.extend(p.protected);
            for (k, (t, c)) in p.jobs {
                let e = out.jobs.entry(k).or_default();
                e.0 += t;
                e.1 += c;
            }
            out.jobs_failed.extend(p.jobs_failed);
            for (k, v) in p.restores {
                out.restores.entry(k).or_default().extend(v);
            }
            out.gaps.extend(p.gaps);
        }
        out
    }

    /// The names of the plans whose selections include a resource of `region`; `None` when the
    /// region's plans or selections could not be read.
    pub fn plans_selecting(
        &self,
        arn: &str,
        region: &str,
        tags: &BTreeMap<String, String>,
    ) -> Option<Vec<String>> {
        if self.membership_unknown.contains(region) {
            return None;
        }
        let mut plans: Vec<String> = self
            .selections
            .iter()
            .filter(|s| s.region == region && s.selects(arn, tags))
            .map(|s| s.plan.clone())
            .collect();
        plans.sort();
        plans.dedup();
        Some(plans)
    }

    /// The vault and role an on-demand backup of a selected resource would use: the first
    /// selecting plan's first rule's vault, and that selection's role.
    pub fn backup_target(
        &self,
        arn: &str,
        region: &str,
        tags: &BTreeMap<String, String>,
    ) -> Option<BackupTarget> {
        let s = self
            .selections
            .iter()
            .find(|s| s.region == region && s.selects(arn, tags))?;
        let vault = self
            .plans
            .iter()
            .filter(|p| p.region == region && p.name.as_deref() == Some(s.plan.as_str()))
            .flat_map(|p| p.rules.iter().flatten())
            .find_map(|r| r.target_vault.clone())?;
        Some(BackupTarget {
            plan: s.plan.clone(),
            vault,
            role_arn: s.role.clone(),
        })
    }

    /// Plans, vaults and protected resources as records; `known` are the records collected so
    /// far, whose names and tags the protected resources take.
    pub fn assemble(self, known: &[Resource]) -> (Vec<Resource>, Vec<Gap>) {
        let mut out: Vec<Resource> = Vec::new();
        out.extend(self.plans.into_iter().map(Resource::BackupPlan));
        out.extend(self.vaults.into_iter().map(Resource::BackupVault));
        let by_id: HashMap<&str, &Resource> = known.iter().map(|r| (r.record().id(), r)).collect();
        let mut resources: BTreeMap<String, Protected> = BTreeMap::new();
        for p in self.protected {
            resources.insert(p.arn.clone(), p);
        }
        for p in &self.points {
            resources
                .entry(p.resource.clone())
                .or_insert_with(|| Protected {
                    arn: p.resource.clone(),
                    region: p.region.clone(),
                    resource_type: p.resource_type.clone(),
                    name: None,
                });
        }
        let mut points: HashMap<&str, Vec<&Point>> = HashMap::new();
        for p in &self.points {
            points.entry(p.resource.as_str()).or_default().push(p);
        }
        for (arn, p) in resources {
            let region = crate::util::arn::arn_region(&arn)
                .unwrap_or(&p.region)
                .to_string();
            let recovery_points = (!self.points_failed.contains(&p.region)).then(|| {
                let mine = points.get(arn.as_str()).map(Vec::as_slice).unwrap_or(&[]);
                RecoveryPointSummary {
                    count: mine.len() as u32,
                    newest_completed: mine.iter().filter_map(|x| x.completed).max(),
                    unencrypted: mine.iter().filter(|x| !x.encrypted).count() as u32,
                    min_retention_days: mine.iter().filter_map(|x| x.retention_days).min(),
                    newest_air_gapped: mine
                        .iter()
                        .filter(|x| x.air_gapped)
                        .filter_map(|x| x.completed)
                        .max(),
                }
            });
            let jobs = (!self.jobs_failed.contains(&p.region)).then(|| {
                let (total, completed) = self.jobs.get(&arn).copied().unwrap_or((0, 0));
                JobSummary {
                    window_days: self.window_days,
                    total,
                    completed,
                }
            });
            let mut restores = self.restores.get(&arn).cloned().unwrap_or_default();
            restores.sort_by_key(|r| std::cmp::Reverse(r.started));
            let (name, tags) = match by_id.get(arn.as_str()) {
                Some(r) => (
                    Some(format!("{} (AWS Backup)", r.record().display_name())),
                    r.record().tags().clone(),
                ),
                None => (p.name.clone(), BTreeMap::new()),
            };
            out.push(Resource::BackupProtectedResource(BackupProtectedResource {
                id: arn.clone(),
                name,
                account: self.account.clone(),
                region,
                tags,
                resource_type: p.resource_type,
                recovery_points,
                jobs,
                restores,
                provenance: Some(Provenance {
                    source: "backup:ListProtectedResources".into(),
                    line: None,
                    at: self.now,
                }),
                ..BackupProtectedResource::default()
            }));
        }
        (out, self.gaps)
    }
}

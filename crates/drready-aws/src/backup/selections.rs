//! Backup selections: which resources a plan selects, as AWS Backup itself decides.

use std::collections::BTreeMap;

use super::super::session::{each_page, failure, glob, Ctx, Failure};

#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub(super) plan: String,
    pub(super) role: String,
    pub(super) region: String,
    resources: Vec<String>,
    not_resources: Vec<String>,
    /// `ListOfTags`: any one matching tag selects.
    any_tags: Vec<(String, String)>,
    /// `Conditions`: (operator, tag key, value); all must hold.
    conditions: Vec<(&'static str, String, String)>,
}

impl Selection {
    pub fn selects(&self, arn: &str, tags: &BTreeMap<String, String>) -> bool {
        let tag = |k: &str| tags.get(k.strip_prefix("aws:ResourceTag/").unwrap_or(k));
        let picked = self.resources.iter().any(|p| glob(p, arn))
            || self
                .any_tags
                .iter()
                .any(|(k, v)| tag(k).is_some_and(|t| glob(v, t)));
        let holds = self.conditions.iter().all(|(op, k, v)| {
            let t = tag(k);
            match *op {
                "StringEquals" => t == Some(v),
                "StringNotEquals" => t != Some(v),
                "StringLike" => t.is_some_and(|t| glob(v, t)),
                _ => !t.is_some_and(|t| glob(v, t)),
            }
        });
        picked && holds && !self.not_resources.iter().any(|p| glob(p, arn))
    }
}

pub(super) type SelectionsResult = Result<Vec<Selection>, (String, Failure)>;

pub(super) async fn selections(
    ctx: &Ctx,
    client: &aws_sdk_backup::Client,
    plan_id: &str,
    plan_name: &str,
) -> SelectionsResult {
    let mut ids = Vec::new();
    let listed = ctx
        .unless_unimplemented(
            "ListBackupSelections",
            each_page(
                ctx,
                client
                    .list_backup_selections()
                    .backup_plan_id(plan_id)
                    .into_paginator()
                    .send(),
                |page| {
                    ids.extend(
                        page.backup_selections_list()
                            .iter()
                            .filter_map(|s| s.selection_id().map(str::to_string)),
                    );
                },
            ),
        )
        .await;
    if let Err(f) = listed {
        return Err(("ListBackupSelections".into(), f));
    }
    let mut out = Vec::new();
    for id in ids {
        let got = ctx
            .call(
                client
                    .get_backup_selection()
                    .backup_plan_id(plan_id)
                    .selection_id(&id)
                    .send(),
            )
            .await
            .map_err(|e| ("GetBackupSelection".to_string(), failure(&e)))?;
        let Some(s) = got.backup_selection() else {
            continue;
        };
        let mut conditions = Vec::new();
        if let Some(c) = s.conditions() {
            for (op, list) in [
                ("StringEquals", c.string_equals()),
                ("StringNotEquals", c.string_not_equals()),
                ("StringLike", c.string_like()),
                ("StringNotLike", c.string_not_like()),
            ] {
                for p in list {
                    if let (Some(k), Some(v)) = (p.condition_key(), p.condition_value()) {
                        conditions.push((op, k.to_string(), v.to_string()));
                    }
                }
            }
        }
        out.push(Selection {
            plan: plan_name.to_string(),
            role: s.iam_role_arn().to_string(),
            region: ctx.region.clone(),
            resources: s.resources().to_vec(),
            not_resources: s.not_resources().to_vec(),
            any_tags: s
                .list_of_tags()
                .iter()
                .map(|c| {
                    (
                        c.condition_key().to_string(),
                        c.condition_value().to_string(),
                    )
                })
                .collect(),
            conditions,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn selections_match_as_aws_backup_does() {
        let s = Selection {
            plan: "daily".into(),
            role: "arn:aws:iam::1:role/backup".into(),
            region: "us-east-1".into(),
            resources: vec!["arn:aws:rds:*:*:db:*".into()],
            not_resources: vec!["arn:aws:rds:*:*:db:scratch-*".into()],
            any_tags: vec![],
            conditions: vec![(
                "StringEquals",
                "aws:ResourceTag/backup".into(),
                "yes".into(),
            )],
        };
        let db = "arn:aws:rds:us-east-1:1:db:orders";
        assert!(s.selects(db, &tags(&[("backup", "yes")])));
        assert!(!s.selects(db, &tags(&[("backup", "no")])));
        assert!(!s.selects(
            "arn:aws:rds:us-east-1:1:db:scratch-1",
            &tags(&[("backup", "yes")])
        ));
        let by_tag = Selection {
            any_tags: vec![("backup".into(), "yes".into())],
            ..Selection::default()
        };
        assert!(by_tag.selects(db, &tags(&[("backup", "yes")])));
        assert!(!by_tag.selects(db, &tags(&[])));
    }
}

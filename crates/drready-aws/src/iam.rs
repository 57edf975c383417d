//! IAM: every role and user with the statements of its inline, group and attached managed
//! policies, read in one paginated call (GetAccountAuthorizationDetails gives every document,
//! managed policies at their default version), and analysed for who may delete recovery points,
//! snapshots or backup objects on any resource, and for wildcard and mutating grants.
//!
//! Service-linked roles (path `/aws-service-role/`) are AWS's own and are left out.

use std::collections::HashMap;

use serde_json::Value;

use super::session::{each_page, Ctx};
use crate::model::snapshot::{Gap, IamGrant, IamPrincipal, Provenance, Resource};

/// Actions that destroy a backup: recovery points, vaults, snapshots, backup objects.
pub const DELETION_ACTIONS: &[&str] = &[
    "backup:DeleteRecoveryPoint",
    "backup:DeleteBackupVault",
    "backup:UpdateRecoveryPointLifecycle",
    "rds:DeleteDBSnapshot",
    "rds:DeleteDBClusterSnapshot",
    "rds:DeleteDBInstanceAutomatedBackup",
    "rds:DeleteDBClusterAutomatedBackup",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:DeleteBucket",
    "s3:PutLifecycleConfiguration",
];

/// Verbs of actions that only read.
const READ_VERBS: &[&str] = &[
    "Describe", "List", "Get", "BatchGet", "Search", "Lookup", "View", "Head", "Query", "Scan",
    "Select", "Check", "Test", "Estimate", "Preview", "Validate", "Verify", "Simulate",
];

pub use crate::model::rules::{action_matches, statements, strings};

/// A resource pattern that reaches every resource of its service (`*`, `arn:aws:s3:::*`).
fn any_resource(r: &str) -> bool {
    if r == "*" {
        return true;
    }
    let mut parts = r.splitn(6, ':');
    let (Some("arn"), Some(_), Some(_)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    parts.all(|p| p.chars().all(|c| matches!(c, '*' | '/' | '?')))
}

fn is_read_only(action: &str) -> bool {
    let name = action.split_once(':').map_or(action, |(_, n)| n);
    if name.is_empty() || name == "*" {
        return false;
    }
    READ_VERBS.iter().any(|v| name.starts_with(v))
}

/// Percent-decode a policy document (the API returns them URL-encoded).
fn decode(doc: &str) -> String {
    if !doc.contains('%') {
        return doc.to_string();
    }
    let bytes = doc.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What one identity's statements grant.
#[derive(Debug, Default, PartialEq)]
pub struct Grants {
    pub deletion: Vec<IamGrant>,
    pub wildcard: Vec<IamGrant>,
    pub mutating: Vec<IamGrant>,
}

/// Analyse the Allow statements of one policy document.
pub fn analyse(policy: &str, doc: &Value, into: &mut Grants) {
    for s in statements(doc) {
        if s.get("Effect").and_then(Value::as_str) != Some("Allow") {
            continue;
        }
        let not_resource = s.get("NotResource").is_some();
        let resources = strings(s.get("Resource"));
        let anywhere = not_resource || resources.iter().any(|r| any_resource(r));
        let resource = if not_resource {
            "NotResource".to_string()
        } else {
            resources
                .iter()
                .find(|r| any_resource(r))
                .cloned()
                .unwrap_or_default()
        };
        let grant = |action: &str| IamGrant {
            policy: policy.to_string(),
            action: action.to_string(),
            resource: resource.clone(),
        };
        if let Some(not) = s.get("NotAction") {
            // Everything but a list: as wide as a wildcard.
            let text = format!("NotAction {}", strings(Some(not)).join(","));
            into.wildcard.push(grant(&text));
            if anywhere {
                into.mutating.push(grant(&text));
                into.deletion.push(grant(&text));
            }
            continue;
        }
        for a in strings(s.get("Action")) {
            if a == "*" || a.ends_with(":*") {
                into.wildcard.push(grant(&a));
            }
            if !anywhere {
                continue;
            }
            if DELETION_ACTIONS.iter().any(|d| action_matches(&a, d)) {
                into.deletion.push(grant(&a));
            }
            if !is_read_only(&a) {
                into.mutating.push(grant(&a));
            }
        }
    }
}

struct Policies<'a> {
    /// (name, document) of each policy.
    inline: Vec<(String, Option<String>)>,
    attached: Vec<(&'a str, &'a str)>,
}

/// A principal's or group's own policies.
fn policies<'a>(
    inline: &[aws_sdk_iam::types::PolicyDetail],
    attached: &'a [aws_sdk_iam::types::AttachedPolicy],
) -> Policies<'a> {
    Policies {
        inline: inline
            .iter()
            .map(|p| {
                (
                    p.policy_name().unwrap_or_default().to_string(),
                    p.policy_document().map(decode),
                )
            })
            .collect(),
        attached: attached
            .iter()
            .filter_map(|a| Some((a.policy_arn()?, a.policy_name().unwrap_or_default())))
            .collect(),
    }
}

/// What GetAccountAuthorizationDetails returns, over all its pages.
#[derive(Default)]
struct Details {
    roles: Vec<aws_sdk_iam::types::RoleDetail>,
    users: Vec<aws_sdk_iam::types::UserDetail>,
    groups: Vec<aws_sdk_iam::types::GroupDetail>,
    /// Managed policy ARN → (name, default version's document).
    managed: HashMap<String, (String, Option<String>)>,
}

/// Every role and user of the account.
pub async fn collect(ctx: &Ctx) -> (Vec<Resource>, Vec<Gap>) {
    let client = ctx.iam();
    let mut d = Details::default();
    let listed = each_page(
        ctx,
        client
            .get_account_authorization_details()
            .into_paginator()
            .send(),
        |page| {
            d.roles.extend(page.role_detail_list().iter().cloned());
            d.users.extend(page.user_detail_list().iter().cloned());
            d.groups.extend(page.group_detail_list().iter().cloned());
            for p in page.policies() {
                let Some(arn) = p.arn() else { continue };
                let doc = p
                    .policy_version_list()
                    .iter()
                    .find(|v| v.is_default_version())
                    .and_then(|v| v.document())
                    .map(decode);
                d.managed.insert(
                    arn.to_string(),
                    (p.policy_name().unwrap_or(arn).to_string(), doc),
                );
            }
        },
    )
    .await;
    if let Err(f) = listed {
        let mut g = ctx.gap(
            "iam",
            "GetAccountAuthorizationDetails",
            &f,
            None,
            Some("iam_principal"),
            &[],
        );
        g.region = None;
        return (Vec::new(), vec![g]);
    }
    let group_policies: HashMap<String, Policies> = d
        .groups
        .iter()
        .filter_map(|g| {
            Some((
                g.group_name()?.to_string(),
                policies(g.group_policy_list(), g.attached_managed_policies()),
            ))
        })
        .collect();
    let judge = Principals {
        ctx,
        managed: &d.managed,
        group_policies: &group_policies,
    };
    let mut out = Vec::new();
    let mut gaps = Vec::new();
    for r in &d.roles {
        if r.path()
            .is_some_and(|p| p.starts_with("/aws-service-role/"))
        {
            continue;
        }
        let (Some(name), Some(arn)) = (r.role_name(), r.arn()) else {
            continue;
        };
        let own = policies(r.role_policy_list(), r.attached_managed_policies());
        let (principal, gap) = judge.principal("role", name, arn, own, &[]);
        out.push(principal);
        gaps.extend(gap);
    }
    for u in &d.users {
        let (Some(name), Some(arn)) = (u.user_name(), u.arn()) else {
            continue;
        };
        let own = policies(u.user_policy_list(), u.attached_managed_policies());
        let (principal, gap) = judge.principal("user", name, arn, own, u.group_list());
        out.push(principal);
        gaps.extend(gap);
    }
    (out, gaps)
}

/// What judging a principal's grants needs: the managed policies and the groups' policies.
struct Principals<'a> {
    ctx: &'a Ctx,
    managed: &'a HashMap<String, (String, Option<String>)>,
    group_policies: &'a HashMap<String, Policies<'a>>,
}

impl Principals<'_> {
    /// A role or user with the grants of its own and its groups' policies; a gap when a policy
    /// document could not be read (the grants are then unknown).
    fn principal(
        &self,
        kind: &str,
        name: &str,
        arn: &str,
        own: Policies<'_>,
        member_of: &[String],
    ) -> (Resource, Option<Gap>) {
        let ctx = self.ctx;
        let mut grants = Grants::default();
        let mut unreadable: Vec<String> = Vec::new();
        let mut all: Vec<&Policies> = vec![&own];
        all.extend(member_of.iter().filter_map(|g| self.group_policies.get(g)));
        for p in all {
            for (pname, doc) in &p.inline {
                match doc.as_deref().map(serde_json::from_str::<Value>) {
                    Some(Ok(v)) => analyse(pname, &v, &mut grants),
                    _ => unreadable.push(pname.clone()),
                }
            }
            for (parn, pname) in &p.attached {
                match self
                    .managed
                    .get(*parn)
                    .and_then(|(_, d)| d.as_deref())
                    .map(serde_json::from_str::<Value>)
                {
                    Some(Ok(v)) => analyse(pname, &v, &mut grants),
                    _ => unreadable.push((*pname).to_string()),
                }
            }
        }
        let known = unreadable.is_empty();
        let gap = (!known).then(|| {
            let f = super::session::Failure::new(
                None,
                format!(
                    "policy document not readable or not returned: {}",
                    unreadable.join(", ")
                ),
            );
            let mut g = ctx.gap(
                "iam",
                "GetAccountAuthorizationDetails",
                &f,
                Some(arn),
                Some("iam_principal"),
                &[],
            );
            g.region = None;
            g
        });
        let principal = Resource::IamPrincipal(IamPrincipal {
            id: arn.to_string(),
            name: Some(name.to_string()),
            account: ctx.account.clone(),
            region: String::new(),
            kind: kind.to_string(),
            backup_deletion_grants: known.then_some(grants.deletion),
            wildcard_action_grants: known.then_some(grants.wildcard),
            mutating_on_any_grants: known.then_some(grants.mutating),
            provenance: Some(Provenance {
                source: "iam:GetAccountAuthorizationDetails".into(),
                line: None,
                at: Some(ctx.now),
            }),
            ..IamPrincipal::default()
        });
        (principal, gap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grants(doc: &str) -> Grants {
        let mut g = Grants::default();
        analyse("p", &serde_json::from_str(doc).unwrap_or_default(), &mut g);
        g
    }

    #[test]
    fn deletion_on_any_resource_is_found() {
        let g = grants(
            r#"{"Statement":[{"Effect":"Allow","Action":["backup:*","rds:Describe*"],"Resource":"*"}]}"#,
        );
        assert_eq!(g.deletion.len(), 1);
        assert_eq!(g.deletion[0].action, "backup:*");
        assert_eq!(g.wildcard.len(), 1);
        assert_eq!(g.mutating.len(), 1, "rds:Describe* only reads");
    }

    #[test]
    fn scoped_resources_and_denies_are_not_grants_on_any() {
        let g = grants(
            r#"{"Statement":[
            {"Effect":"Allow","Action":"rds:DeleteDBSnapshot","Resource":"arn:aws:rds:us-east-1:1:snapshot:scratch-*"},
            {"Effect":"Deny","Action":"*","Resource":"*"}]}"#,
        );
        assert_eq!(g, Grants::default());
        let s3 = grants(
            r#"{"Statement":{"Effect":"Allow","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::*/*"}}"#,
        );
        assert_eq!(s3.deletion.len(), 1);
    }

    #[test]
    fn not_action_counts_as_a_wildcard() {
        let g = grants(r#"{"Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}"#);
        assert_eq!(
            (g.wildcard.len(), g.mutating.len(), g.deletion.len()),
            (1, 1, 1)
        );
    }

    #[test]
    fn documents_are_url_decoded() {
        assert_eq!(decode("%7B%22a%22%3A1%7D"), "{\"a\":1}");
        assert_eq!(decode("{\"a\":\"50%\"}"), "{\"a\":\"50%\"}");
    }
}

//! The accounts of an AWS Organization (`[organization]`): listed with the caller's credentials
//! (the management account or a delegated administrator), narrowed by OU and account id, and the
//! ACTIVE ones returned for collection through `role_name`. An account left out (by the config, or
//! because it is not ACTIVE) is said as a gap, never dropped in silence.

use std::collections::{BTreeMap, BTreeSet};

use aws_config::SdkConfig;

use super::session::{failure, Failure, Recorder};
use crate::model::config::RawOrganization;
use crate::model::snapshot::Gap;
use crate::util::error::Error;

/// An account of the organization.
#[derive(Debug, Clone)]
pub struct Member {
    pub id: String,
    pub name: Option<String>,
    /// `ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`, ….
    pub status: String,
}

/// What the listing found: the accounts to collect, in id order, and the gaps of those left out.
#[derive(Debug, Default)]
pub struct Discovered {
    pub accounts: Vec<Member>,
    pub gaps: Vec<Gap>,
}

/// List the organization's accounts as the config narrows them. A listing that fails ends the
/// run: without it, drready cannot say which accounts it did not audit.
pub async fn discover(
    sdk: &SdkConfig,
    recorder: &Recorder,
    org: &RawOrganization,
) -> Result<Discovered, Error> {
    let conf = aws_sdk_organizations::config::Builder::from(sdk)
        .interceptor(recorder.clone())
        .build();
    let client = aws_sdk_organizations::Client::from_conf(conf);
    let fail = |op: &str, f: Failure| {
        Error::Other(format!(
            "cannot list the organization's accounts (organizations:{op}): {}{}; `[organization]` needs the management account's credentials or a delegated administrator's",
            f.code.map(|c| format!("{c}: ")).unwrap_or_default(),
            f.message
        ))
    };
    let all = list_accounts(&client)
        .await
        .map_err(|f| fail("ListAccounts", f))?;
    let mut included: Option<BTreeSet<String>> = None;
    if !org.include_ous.is_empty() || !org.include_accounts.is_empty() {
        let mut set: BTreeSet<String> = org.include_accounts.iter().cloned().collect();
        for ou in &org.include_ous {
            set.extend(under(&client, ou).await.map_err(|(op, f)| fail(op, f))?);
        }
        included = Some(set);
    }
    let mut excluded_by_ou = BTreeMap::new();
    for ou in &org.exclude_ous {
        for id in under(&client, ou).await.map_err(|(op, f)| fail(op, f))? {
            excluded_by_ou.entry(id).or_insert_with(|| ou.clone());
        }
    }

    let mut out = Discovered::default();
    let left_out = |id: &str, why: String| Gap {
        source: "organizations".into(),
        operation: "ListAccounts".into(),
        account: Some(id.to_string()),
        region: None,
        resource: None,
        resource_type: None,
        attributes: Vec::new(),
        error_code: None,
        message: why,
        file: None,
        line: None,
    };
    for m in all.values() {
        if included.as_ref().is_some_and(|s| !s.contains(&m.id)) {
            continue;
        }
        if org.exclude_accounts.contains(&m.id) {
            out.gaps.push(left_out(
                &m.id,
                "account not audited: excluded by `organization.exclude_accounts`".into(),
            ));
        } else if let Some(ou) = excluded_by_ou.get(&m.id) {
            out.gaps.push(left_out(
                &m.id,
                format!("account not audited: under {ou}, excluded by `organization.exclude_ous`"),
            ));
        } else if m.status != "ACTIVE" {
            out.gaps.push(left_out(
                &m.id,
                format!("account not audited: its status is {}", m.status),
            ));
        } else {
            out.accounts.push(m.clone());
        }
    }
    // An account the config names that the organization does not have.
    for id in &org.include_accounts {
        if !all.contains_key(id) {
            out.gaps.push(left_out(
                id,
                "account not audited: named in `organization.include_accounts`, not in the organization".into(),
            ));
        }
    }
    Ok(out)
}

/// Every account of the organization, by id.
async fn list_accounts(
    client: &aws_sdk_organizations::Client,
) -> Result<BTreeMap<String, Member>, Failure> {
    let mut out = BTreeMap::new();
    let mut pages = client.list_accounts().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| failure(&e))?;
        for a in page.accounts() {
            let Some(id) = a.id() else { continue };
            #[allow(deprecated, reason = "moto and older endpoints answer only `Status`")]
            let status = a
                .state()
                .map(|s| s.as_str().to_string())
                .or_else(|| a.status().map(|s| s.as_str().to_string()))
                .unwrap_or_else(|| "UNKNOWN".into());
            out.insert(
                id.to_string(),
                Member {
                    id: id.to_string(),
                    name: a.name().map(str::to_string),
                    status,
                },
            );
        }
    }
    Ok(out)
}

/// The ids of the accounts under an OU or root, at any depth.
async fn under(
    client: &aws_sdk_organizations::Client,
    parent: &str,
) -> Result<BTreeSet<String>, (&'static str, Failure)> {
    let mut out = BTreeSet::new();
    let mut todo = vec![parent.to_string()];
    while let Some(p) = todo.pop() {
        let mut pages = client
            .list_accounts_for_parent()
            .parent_id(&p)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| ("ListAccountsForParent", failure(&e)))?;
            out.extend(
                page.accounts()
                    .iter()
                    .filter_map(|a| a.id().map(str::to_string)),
            );
        }
        let mut pages = client
            .list_organizational_units_for_parent()
            .parent_id(&p)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| ("ListOrganizationalUnitsForParent", failure(&e)))?;
            todo.extend(
                page.organizational_units()
                    .iter()
                    .filter_map(|u| u.id().map(str::to_string)),
            );
        }
    }
    Ok(out)
}

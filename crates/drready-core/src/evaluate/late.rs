//! What is judged after the resource stream, when the evidence resources carry is known:
//! components (with their restores, measurements and claims), documents, DR tests, the DR
//! programme, account-regions, and placeholders for what could not be listed or read.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::components::test_source;
use super::entities::{self, ComponentEvidence, Facts};
use super::judge::{gap_cause, gap_entity_type};
use super::ResourceInfo;
use crate::model::config::Config;
use crate::model::snapshot::{DrTest, DrTestKind, Measures, Outcome, SnapshotHeader};

/// The newest DR test of each kind: (when, index into the header's tests).
pub(super) type NewestTests = HashMap<DrTestKind, (DateTime<Utc>, usize)>;

/// Add the evidence the header holds to the components': DR tests that measured a component (the
/// newest measurement, and successful ones as restores) and documents' claims that targets are
/// met. Returns the newest test of each kind. Tests after `as_of` count for nothing.
pub(super) fn header_evidence(
    header: &SnapshotHeader,
    as_of: DateTime<Utc>,
    name_index: &HashMap<&str, u32>,
    default_component: u32,
    evidence: &mut [ComponentEvidence],
) -> NewestTests {
    let mut newest_test: NewestTests = HashMap::new();
    for (i, t) in header.dr_tests.iter().enumerate() {
        let at = entities::test_time(t);
        if at > as_of {
            continue;
        }
        let slot = newest_test.entry(t.kind).or_insert((at, i));
        if at > slot.0 {
            *slot = (at, i);
        }
        // Only a test of a kind that measures a component counts for that component: an
        // integration test without a component says nothing of the whole platform.
        let c = match t.measures() {
            Measures::Component(n) => name_index.get(n).copied(),
            Measures::Platform => Some(default_component),
            Measures::Nothing => None,
        };
        let Some(c) = c.map(|c| c as usize) else {
            continue;
        };
        if t.measured_rto_seconds.is_some() || t.measured_rpo_seconds.is_some() {
            let ev = &mut evidence[c];
            let m = entities::Measurement {
                at,
                rto: t.measured_rto_seconds.map(|s| s as i64),
                rpo: t.measured_rpo_seconds.map(|s| s as i64),
                source: test_source(t),
            };
            if let Some(d) = t.disruption {
                let slot = ev.by_disruption.entry(d).or_insert_with(|| m.clone());
                if at > slot.at {
                    *slot = m.clone();
                }
            }
            if ev.measured.as_ref().is_none_or(|m| at > m.at) {
                ev.measured = Some(m);
            }
            if t.outcome == Outcome::Success {
                if let Some(rto) = t.measured_rto_seconds {
                    ev.add_restore(at, rto as i64, format!("DR test {}", t.id));
                }
            }
        }
    }
    for d in &header.documents {
        for row in d.recovery_targets.iter().filter(|r| r.claims_met) {
            if let Some(&c) = name_index.get(row.component.as_str()) {
                let at = row
                    .line
                    .map_or(d.path.clone(), |l| format!("{}:{l}", d.path));
                evidence[c as usize].claim.get_or_insert(at);
            }
        }
    }
    newest_test
}

/// An entity without account or region.
fn info(
    id: &str,
    entity_type: &'static str,
    kind: &'static str,
    name: &str,
    c: u32,
) -> ResourceInfo {
    let blank: Arc<str> = "".into();
    ResourceInfo::new(id, entity_type, kind, name, c, Arc::clone(&blank), blank)
}

/// What the late entities are made from.
pub(super) struct LateInputs<'a> {
    pub header: &'a SnapshotHeader,
    pub config: &'a Config,
    pub name_index: &'a HashMap<&'a str, u32>,
    pub default_component: u32,
    pub newest_test: &'a NewestTests,
    /// The DR tests dated by the evaluation time.
    pub current_tests: &'a [&'a DrTest],
    pub alarms_known: bool,
}

/// The entities judged after the stream, with their facts: components, documents (those a review
/// schedule names included), DR tests, the programme, and account-regions.
pub(super) fn entities(
    x: &LateInputs<'_>,
    component_facts: &[Facts],
    account_regions: &mut BTreeSet<(String, String)>,
) -> Vec<(ResourceInfo, Facts)> {
    let header = x.header;
    let default_component = x.default_component;
    let mut late: Vec<(ResourceInfo, Facts)> = Vec::new();
    for (i, f) in component_facts.iter().enumerate() {
        late.push((
            info(&f.id, "Component", "component", &f.id, i as u32),
            f.clone(),
        ));
    }
    for d in &crate::model::rules::scheduled(&header.documents) {
        late.push((
            info(
                &d.path,
                "Document",
                "document",
                d.title.as_deref().unwrap_or(&d.path),
                default_component,
            ),
            entities::document_facts(d, default_component),
        ));
    }
    for (i, t) in header.dr_tests.iter().enumerate() {
        let c = t
            .component
            .as_deref()
            .and_then(|n| x.name_index.get(n).copied())
            .unwrap_or(default_component);
        let newest = x.newest_test.get(&t.kind).is_some_and(|(_, j)| *j == i);
        late.push((
            info(&t.id, "DrTest", "dr_test", &t.id, c),
            entities::test_facts(t, c, newest),
        ));
    }
    late.push((
        info(
            "dr-program",
            "Program",
            "program",
            "DR programme",
            default_component,
        ),
        entities::program_facts(
            x.current_tests,
            default_component,
            x.config
                .program
                .results_retention_days
                .or(header.program.results_retention_days),
            header.program.results_store.as_ref(),
        ),
    ));
    for a in &header.scope.accounts {
        for r in &header.scope.regions {
            account_regions.insert((a.clone(), r.clone()));
        }
    }
    for (account, region) in account_regions.iter() {
        let name = format!("{account}/{region}");
        let i = ResourceInfo::new(
            &name,
            "AccountRegion",
            "account_region",
            &name,
            default_component,
            account.as_str().into(),
            region.as_str().into(),
        );
        late.push((
            i,
            entities::account_region_facts(
                account,
                region,
                default_component,
                &header.alarms,
                x.alarms_known,
            ),
        ));
    }
    late
}

/// Stand-ins whose every control is no_evidence, with the cause. A gap that names no resource and
/// no facts means the resources themselves could not be listed: it stands in as an unlisted
/// resource. A document the config names that could not be read at all (missing, unreadable)
/// stands in as a document: it must cost score, not vanish.
pub(super) fn placeholders(
    header: &SnapshotHeader,
    default_component: u32,
) -> Vec<(ResourceInfo, String)> {
    let mut placeholders = Vec::new();
    for g in header
        .gaps
        .iter()
        .filter(|g| g.resource.is_none() && g.attributes.is_empty())
    {
        let Some(ty) = gap_entity_type(g) else {
            continue;
        };
        if matches!(ty, "Document" | "DrTest" | "AccountRegion" | "Component") {
            continue;
        }
        let id = format!(
            "unlisted:{}:{}:{}:{}",
            g.source,
            g.operation,
            g.account.as_deref().unwrap_or("-"),
            g.region.as_deref().unwrap_or("-")
        );
        let name = format!(
            "(unlisted {} in {})",
            g.source,
            g.region.as_deref().unwrap_or("all regions")
        );
        let account: Arc<str> = g.account.as_deref().unwrap_or("").into();
        let region: Arc<str> = g.region.as_deref().unwrap_or("").into();
        let i = ResourceInfo::new(
            &id,
            ty,
            "unlisted",
            &name,
            default_component,
            account,
            region,
        );
        placeholders.push((i, gap_cause(g)));
    }
    let read: HashSet<&str> = header.documents.iter().map(|d| d.path.as_str()).collect();
    let mut unread = HashSet::new();
    for g in header
        .gaps
        .iter()
        .filter(|g| g.resource_type.as_deref() == Some("document") && g.attributes.is_empty())
    {
        let Some(path) = g.resource.as_deref() else {
            continue;
        };
        if read.contains(path) || !unread.insert(path) {
            continue;
        }
        let i = info(path, "Document", "document", path, default_component);
        placeholders.push((i, gap_cause(g)));
    }
    placeholders
}

//! Facts of what is not an AWS resource: components (targets, and the evidence of their recovery),
//! DR documents, DR tests, the DR programme, and account-regions.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{backup_failure_alarmed, base, push, Attrs, Facts, Value};
use crate::model::snapshot::{
    CloudwatchAlarm, ComponentSpec, Document, DrTest, DrTestKind, Gap, Outcome, Provenance,
};

/// What a DR test measured of a component.
#[derive(Debug, Clone)]
pub struct Measurement {
    pub at: DateTime<Utc>,
    pub rto: Option<i64>,
    pub rpo: Option<i64>,
    /// Which test, and where it was recorded.
    pub source: String,
}

/// What the components' facts need from the resources and tests.
#[derive(Debug, Clone, Default)]
pub struct ComponentEvidence {
    /// Newest completed restore: (finished, duration seconds, source).
    pub last_restore: Option<(DateTime<Utc>, i64, String)>,
    /// Newest test measurement.
    pub measured: Option<Measurement>,
    /// A document claims the target is met: the claim's source (file:line).
    pub claim: Option<String>,
    /// Newest test measurement of each disruption scenario the tests name.
    pub by_disruption: BTreeMap<crate::model::snapshot::Disruption, Measurement>,
}

impl ComponentEvidence {
    pub fn add_restore(&mut self, finished: DateTime<Utc>, seconds: i64, source: String) {
        if self
            .last_restore
            .as_ref()
            .is_none_or(|(t, _, _)| finished > *t)
        {
            self.last_restore = Some((finished, seconds, source));
        }
    }
}

/// Entity facts of a component. `evidence` is `None` for the targets-only form resources see.
pub fn component_facts(spec: &ComponentSpec, evidence: Option<&ComponentEvidence>) -> Facts {
    use crate::model::snapshot::Disruption;
    let mut a: Attrs = vec![("name", Value::str(spec.name.as_str()))];
    let dur = |s: u64| Value::Duration(s as i64);
    let (az, region, data) = (
        spec.targets_for(Disruption::Az),
        spec.targets_for(Disruption::Region),
        spec.targets_for(Disruption::Data),
    );
    // The component's own targets; with only targets per disruption, a region's loss (the RTO a
    // full DR test measures) and data loss (the RPO) stand for it.
    let headline = spec.headline();
    push(&mut a, "rto", headline.rto_seconds, dur);
    push(&mut a, "rpo", headline.rpo_seconds, dur);
    push(&mut a, "replica_rpo", region.rpo_seconds, dur);
    for (prefix, t) in [("az", az), ("region", region), ("data", data)] {
        let (rto, rpo): (&'static str, &'static str) = match prefix {
            "az" => ("az_rto", "az_rpo"),
            "region" => ("region_rto", "region_rpo"),
            _ => ("data_rto", "data_rpo"),
        };
        push(&mut a, rto, t.rto_seconds, dur);
        push(&mut a, rpo, t.rpo_seconds, dur);
    }
    push(&mut a, "tier", spec.tier.as_deref(), Value::str);
    a.push(("multi_az", Value::Bool(spec.multi_az.unwrap_or(true))));
    a.push((
        "cross_region",
        Value::Bool(spec.cross_region.unwrap_or(false)),
    ));
    a.push((
        "cross_account",
        Value::Bool(spec.cross_account.unwrap_or(false)),
    ));
    a.push(("air_gapped", Value::Bool(spec.air_gapped.unwrap_or(false))));
    if let Some(ev) = evidence {
        if let Some((at, secs, _)) = &ev.last_restore {
            a.push(("last_restore_duration", Value::Duration(*secs)));
            a.push(("last_restore_at", Value::datetime(*at)));
        }
        if let Some(source) = &ev.claim {
            a.push(("claimed_met", Value::Bool(true)));
            a.push(("claim_source", Value::str(source.as_str())));
        }
        if let Some(m) = &ev.measured {
            push(&mut a, "measured_rto", m.rto, Value::Duration);
            push(&mut a, "measured_rpo", m.rpo, Value::Duration);
            a.push(("measurement_source", Value::str(m.source.as_str())));
        }
    }
    Facts {
        entity_type: "Component",
        id: spec.name.as_str().into(),
        attrs: a,
    }
}

/// Entity facts of a DR document.
pub fn document_facts(d: &Document, component: u32) -> Facts {
    let mut a: Attrs = vec![
        ("component", Value::Component(component)),
        ("name", Value::str(d.path.as_str())),
    ];
    push(&mut a, "title", d.title.as_deref(), Value::str);
    push(&mut a, "owner", d.owner.as_deref(), Value::str);
    push(&mut a, "last_updated", d.last_updated, Value::date);
    push(&mut a, "next_review", d.next_review, Value::date);
    push(
        &mut a,
        "review_frequency",
        d.review_frequency_days,
        |days| Value::Duration(i64::from(days) * 86_400),
    );
    let by_frequency = d
        .last_updated
        .zip(d.review_frequency_days)
        .and_then(|(u, days)| u.checked_add_days(chrono::Days::new(days.into())));
    let due = match (d.next_review, by_frequency) {
        (Some(n), Some(f)) => Some(n.min(f)),
        (n, f) => n.or(f),
    };
    push(&mut a, "review_due", due, Value::date);
    if let Some(links) = d
        .links
        .as_ref()
        .filter(|ls| ls.iter().all(|l| l.exists.is_some()))
    {
        let broken: Vec<String> = links
            .iter()
            .filter(|l| l.exists == Some(false))
            .map(|l| match l.line {
                Some(n) => format!("{} (line {n})", l.target),
                None => l.target.clone(),
            })
            .collect();
        a.push(("broken_links", Value::Long(broken.len() as i64)));
        a.push(("broken_link_targets", Value::set(broken)));
    }
    Facts {
        entity_type: "Document",
        id: d.path.as_str().into(),
        attrs: a,
    }
}

/// Entity facts of a DR test.
pub fn test_facts(t: &DrTest, component: u32, newest_of_kind: bool) -> Facts {
    let mut a: Attrs = vec![
        ("component", Value::Component(component)),
        ("name", Value::str(t.id.as_str())),
        ("kind", Value::str(t.kind.as_str())),
        ("outcome", Value::str(t.outcome.as_str())),
        ("started", Value::datetime(t.started)),
        ("newest_of_kind", Value::Bool(newest_of_kind)),
    ];
    push(&mut a, "finished", t.finished, Value::datetime);
    push(&mut a, "measured_rto", t.measured_rto_seconds, |s| {
        Value::Duration(s as i64)
    });
    push(&mut a, "measured_rpo", t.measured_rpo_seconds, |s| {
        Value::Duration(s as i64)
    });
    Facts {
        entity_type: "DrTest",
        id: t.id.as_str().into(),
        attrs: a,
    }
}

/// When a test happened: its finish, or its start when it has none.
pub fn test_time(t: &DrTest) -> DateTime<Utc> {
    t.finished.unwrap_or(t.started)
}

/// Gaps for DR tests and documents dated after the evaluation time `now`: a test that has not
/// happened yet, a document updated later, prove nothing about `now`.
pub fn future_evidence(tests: &[DrTest], documents: &[Document], now: DateTime<Utc>) -> Vec<Gap> {
    let after = |what: String, at: String, source: Option<&Provenance>, kind: &str, id: &str| {
        Gap {
        source: if kind == "dr_test" { "dr_tests" } else { "docs" }.into(),
        operation: "read".into(),
        resource: Some(id.to_string()),
        resource_type: Some(kind.into()),
        message: format!(
            "{what} {at}, after the evaluation time {}: evidence dated in the future does not count",
            now.format("%Y-%m-%dT%H:%M:%SZ")
        ),
        file: source.map(|p| p.source.clone()),
        line: source.and_then(|p| p.line),
        ..Gap::default()
    }
    };
    let mut gaps = Vec::new();
    for t in tests.iter().filter(|t| test_time(t) > now) {
        gaps.push(after(
            format!("DR test `{}` is dated", t.id),
            test_time(t).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            t.provenance.as_ref(),
            "dr_test",
            &t.id,
        ));
    }
    for d in documents {
        if let Some(u) = d.last_updated.filter(|u| *u > now.date_naive()) {
            gaps.push(Gap {
                line: d.lines.get("last_updated").copied(),
                ..after(
                    format!("`{}` says it was last updated", d.path),
                    u.to_string(),
                    d.provenance.as_ref(),
                    "document",
                    &d.path,
                )
            });
        }
    }
    gaps
}

/// Entity facts of the DR programme: the newest successful test or review of each kind.
pub fn program_facts(
    tests: &[&DrTest],
    component: u32,
    results_retention_days: Option<u32>,
    store: Option<&crate::model::snapshot::ResultsStore>,
) -> Facts {
    let mut newest: BTreeMap<DrTestKind, DateTime<Utc>> = BTreeMap::new();
    for t in tests.iter().filter(|t| t.outcome == Outcome::Success) {
        let at = test_time(t);
        let e = newest.entry(t.kind).or_insert(at);
        if at > *e {
            *e = at;
        }
    }
    let mut a: Attrs = vec![
        ("component", Value::Component(component)),
        ("name", Value::str("dr-program")),
    ];
    for (kind, name) in [
        (DrTestKind::Component, "last_component_test"),
        (DrTestKind::Integration, "last_integration_test"),
        (DrTestKind::Full, "last_full_test"),
        (DrTestKind::Drill, "last_drill"),
        (DrTestKind::BackupVerification, "last_backup_verification"),
        (DrTestKind::AccessReview, "last_access_review"),
        (DrTestKind::ExecReview, "last_exec_review"),
    ] {
        push(&mut a, name, newest.get(&kind).copied(), Value::datetime);
    }
    push(
        &mut a,
        "results_retention_days",
        results_retention_days,
        |d| Value::Long(d.into()),
    );
    // The evidence: how long the results store's Object Lock keeps results, and when its
    // lifecycle deletes them. Absent (no evidence) without a collected store.
    if let Some(s) = store {
        push(&mut a, "results_store", Some(s.bucket.as_str()), Value::str);
        let locked = match (s.object_lock_mode.as_deref(), s.object_lock_days) {
            (Some("NONE"), _) => Some(0),
            (Some(_), d) => d,
            (None, _) => None,
        };
        push(&mut a, "results_locked_days", locked, |d| {
            Value::Long(d.into())
        });
        push(
            &mut a,
            "results_expiry_days",
            s.lifecycle_expiry_days,
            |d| Value::Long(d.into()),
        );
    }
    Facts {
        entity_type: "Program",
        id: "dr-program".into(),
        attrs: a,
    }
}

/// Entity facts of one account and region.
pub fn account_region_facts(
    account: &str,
    region: &str,
    component: u32,
    alarms: &[CloudwatchAlarm],
    alarms_known: bool,
) -> Facts {
    let mut a = base(component, &format!("{account}/{region}"), account, region);
    if alarms_known {
        a.push((
            "backup_failure_alarm",
            Value::Bool(backup_failure_alarmed(alarms, account, region)),
        ));
    }
    Facts {
        entity_type: "AccountRegion",
        id: format!("{account}/{region}").into(),
        attrs: a,
    }
}

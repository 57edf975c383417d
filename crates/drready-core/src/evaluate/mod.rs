//! Evaluation: a snapshot and the catalog in, verdicts out.
//!
//! One Cedar request per entity, against the policy set of its type. The response's `reason()` is
//! the set of controls whose forbid matched (and of `@applies` policies that matched); `errors()` are
//! the policies that could not be evaluated. `verdicts_of` is the one place that turns a response into
//! verdicts, and it fails closed: a fact the control reads that is absent or covered by a gap, or a
//! policy error, makes the verdict no_evidence, never pass.
//!
//! Resources are streamed in batches to worker threads; memory is bounded by the components,
//! documents and tests plus the verdicts, not by the resource records. Components, documents, DR
//! tests, the DR programme and account-regions are judged after the stream, when the evidence the
//! resources carry (restore jobs) is known.

pub mod catalog;
mod components;
pub mod entities;
pub mod explain;
pub mod frameworks;
mod judge;
mod late;
mod notices;
pub mod packed;
mod stream;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::config::Config;
use crate::model::snapshot::{
    ComponentSpec, DrTest, Gap, Resource, Scope, Snapshot, SnapshotHeader,
};
use crate::util::error::{Error, InputError};
use catalog::{Catalog, Control};
use components::resolve_components;
use entities::{Facts, ResourceContext, Value};
pub use judge::gap_cause;
use judge::{gap_entity_type, Judge};
use notices::{check_gap_attributes, notices, Seen};
use packed::{Packed, Packer};

/// Resources per batch sent to a worker.
pub const BATCH: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    NoEvidence,
    NotApplicable,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::NoEvidence => "no_evidence",
            Self::NotApplicable => "not_applicable",
        }
    }
}

/// The verdict of one control on one entity, with the facts that decided it.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// Index into `Catalog::controls`.
    pub control: u16,
    /// Index into `Evaluation::resources`.
    pub resource: u32,
    pub status: Status,
    /// Values of the control's facts (`Control::facts`, same order); `None` where absent.
    pub facts: Box<[Option<Value>]>,
    /// Why there is no evidence (or why the control does not apply).
    pub cause: Option<Box<str>>,
}

/// An entity that was judged.
#[derive(Debug, Clone)]
pub struct ResourceInfo {
    pub id: Box<str>,
    /// The Cedar entity type.
    pub entity_type: &'static str,
    /// The snapshot record type (`rds_instance`, `document`, ...).
    pub kind: &'static str,
    /// The display name, when it is not the last part of the id.
    name: Option<Box<str>>,
    pub component: u32,
    pub account: Arc<str>,
    pub region: Arc<str>,
}

impl ResourceInfo {
    pub fn new(
        id: &str,
        entity_type: &'static str,
        kind: &'static str,
        name: &str,
        component: u32,
        account: Arc<str>,
        region: Arc<str>,
    ) -> Self {
        let derived = id.rsplit([':', '/']).next().unwrap_or(id);
        Self {
            id: id.into(),
            entity_type,
            kind,
            name: (name != derived).then(|| name.into()),
            component,
            account,
            region,
        }
    }

    pub fn name(&self) -> &str {
        match &self.name {
            Some(n) => n,
            None => self.id.rsplit([':', '/']).next().unwrap_or(&self.id),
        }
    }
}

/// Shares the few distinct account and region strings among many resources.
#[derive(Default)]
struct Interner(HashMap<Box<str>, Arc<str>>);

impl Interner {
    fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.0.get(s) {
            return Arc::clone(a);
        }
        let a: Arc<str> = s.into();
        self.0.insert(s.into(), Arc::clone(&a));
        a
    }
}

/// A component with its targets and what was measured.
#[derive(Debug, Clone, Serialize)]
pub struct ComponentView {
    pub spec: ComponentSpec,
    /// Newest restore (restore job or DR test), seconds, with when and what.
    pub last_restore_seconds: Option<i64>,
    pub last_restore_source: Option<String>,
    /// Newest DR test measurement of the component.
    pub tested_rto_seconds: Option<i64>,
    pub tested_rpo_seconds: Option<i64>,
    /// Worst current restore-point age among the component's data resources, and which one.
    pub rpo_now_seconds: Option<i64>,
    pub rpo_now_resource: Option<String>,
    /// Where the document and the config disagree on targets, what the document said.
    pub notes: Vec<String>,
    /// Each disruption scenario the component has targets or tests for: its targets and the
    /// newest test of it.
    pub scenarios: Vec<Scenario>,
}

/// One disruption scenario of a component (the DR README's "PostgreSQL (Multi-AZ)" row).
#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    pub disruption: crate::model::snapshot::Disruption,
    pub rto_seconds: Option<u64>,
    pub rpo_seconds: Option<u64>,
    pub tested_rto_seconds: Option<i64>,
    pub tested_rpo_seconds: Option<i64>,
    pub tested_by: Option<String>,
}

/// Everything evaluation produced.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub as_of: DateTime<Utc>,
    pub collected_at: DateTime<Utc>,
    pub snapshot_tool_version: String,
    pub scope: Scope,
    pub components: Vec<ComponentView>,
    pub resources: Vec<ResourceInfo>,
    /// Verdicts packed per entity, in entity order.
    pub packed: Vec<Packed>,
    pub gaps: Vec<Gap>,
    /// Configuration that matched nothing, or is missing: also printed on stderr.
    pub warnings: Vec<String>,
    /// What drready did not judge at all: components with no resource, kinds of evidence it does
    /// not read yet.
    pub not_assessed: Vec<String>,
}

/// Kinds of DR evidence drready does not collect yet: always listed as not assessed, so a report
/// that looks complete says what it leaves out.
pub const NOT_YET_COLLECTED: &[&str] = &[
    "Kubernetes workloads: what runs on the EKS clusters (deployments, replicas, persistent volumes) is not read, only the clusters, their node groups and Velero's backups",
    "Self-managed Elasticsearch/OpenSearch clusters: their configuration (zones, managers, encryption) is not read, only their snapshots",
];

/// The inputs of an evaluation besides the resources.
pub struct Setup<'a> {
    pub catalog: &'a Catalog,
    pub config: &'a Config,
    /// Evaluation time; the snapshot's `collected_at` when `None`.
    pub as_of: Option<DateTime<Utc>>,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Documents, DR tests and gaps collected besides the snapshot (from files the config names).
    pub documents: &'a [crate::model::snapshot::Document],
    pub dr_tests: &'a [crate::model::snapshot::DrTest],
    pub gaps: &'a [Gap],
    /// Judging a Terraform plan: only its resources, and only controls a plan can answer.
    pub plan: bool,
    /// In a plan, what a value known only after apply counts as (no evidence when `None`).
    pub unknown: Option<Status>,
}

impl<'a> Setup<'a> {
    pub fn new(catalog: &'a Catalog, config: &'a Config) -> Self {
        Self {
            catalog,
            config,
            as_of: None,
            threads: 0,
            documents: &[],
            dr_tests: &[],
            gaps: &[],
            plan: false,
            unknown: None,
        }
    }
}

/// Evaluate a snapshot file, streaming its resources. The header is read from the keys before
/// `resources` (one pass over the file) and, should a header key follow `resources`, from the whole
/// file, and the evaluation is run again (two passes).
pub fn evaluate_path(path: &Path, setup: &Setup<'_>) -> Result<Evaluation, Error> {
    if let Some(header) = crate::model::load::read_header_before_resources(path)? {
        let mut late = false;
        let eval = evaluate(header, setup, path, |sink| {
            late = crate::model::load::stream_resources(path, BATCH, sink)?;
            Ok(())
        })?;
        if !late {
            return Ok(eval);
        }
    }
    let header = crate::model::load::read_header(path)?;
    evaluate(header, setup, path, |sink| {
        crate::model::load::stream_resources(path, BATCH, sink).map(|_| ())
    })
}

/// Evaluate a snapshot held in memory; `origin` names it in messages.
pub fn evaluate_snapshot(
    snapshot: Snapshot,
    origin: &Path,
    setup: &Setup<'_>,
) -> Result<Evaluation, Error> {
    let (header, resources) = snapshot.split();
    evaluate(header, setup, origin, move |sink| {
        let mut resources = resources;
        while !resources.is_empty() {
            let rest = resources.split_off(resources.len().min(BATCH));
            sink(resources).map_err(|m| InputError::plain(origin, m))?;
            resources = rest;
        }
        Ok(())
    })
}

fn evaluate(
    header: SnapshotHeader,
    setup: &Setup<'_>,
    origin: &Path,
    source: impl FnOnce(&mut dyn FnMut(Vec<Resource>) -> Result<(), String>) -> Result<(), InputError>,
) -> Result<Evaluation, Error> {
    let catalog = setup.catalog;
    let config = setup.config;
    let as_of = setup.as_of.unwrap_or(header.collected_at);
    let header = with_files(header, setup, as_of, origin)?;
    let current_tests: Vec<&DrTest> = header
        .dr_tests
        .iter()
        .filter(|t| entities::test_time(t) <= as_of)
        .collect();
    let (specs, notes, default_component) = resolve_components(&header, config);
    let dr_region = config
        .scope
        .dr_region
        .clone()
        .or_else(|| header.scope.dr_region.clone());
    let params = entities::params_facts(&config.params, dr_region.as_deref());
    let judge = Judge::new(setup, &specs, params, as_of, &header.gaps, origin)?;
    let name_index: HashMap<&str, u32> = specs
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), i as u32))
        .collect();

    // The resources, streamed, against the targets-only component entities they refer to.
    let target_facts: Vec<Facts> = specs
        .iter()
        .map(|s| entities::component_facts(s, None))
        .collect();
    let target_entities = judge.component_entities(&target_facts)?;
    let lag_alarmed = entities::lag_alarmed(&header.alarms);
    let alarms_known = !header
        .gaps
        .iter()
        .any(|g| gap_entity_type(g) == Some("AccountRegion"));
    let cx = ResourceContext {
        lag_alarmed: &lag_alarmed,
        dr_region: dr_region.as_deref(),
        alarms_known,
    };
    let batcher = stream::Batcher {
        judge: &judge,
        config,
        as_of,
        cx: &cx,
        name_index: &name_index,
        default_component,
        target_facts: &target_facts,
        target_entities: &target_entities,
        s3_globs: config
            .s3
            .buckets
            .iter()
            .map(|g| wildmatch::WildMatch::new(g))
            .collect(),
    };
    let threads = if setup.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        setup.threads
    };
    let batches = stream::run(&batcher, threads, source)?;
    let mut merged = stream::merge(batches, specs.len(), origin)?;

    // Then what the stream's evidence completes: components, documents, tests, the programme,
    // account-regions, and stand-ins for what could not be listed or read.
    let newest_test = late::header_evidence(
        &header,
        as_of,
        &name_index,
        default_component,
        &mut merged.evidence,
    );
    let full_facts: Vec<Facts> = specs
        .iter()
        .zip(&merged.evidence)
        .map(|(s, e)| entities::component_facts(s, Some(e)))
        .collect();
    let full_entities = judge.component_entities(&full_facts)?;
    let inputs = late::LateInputs {
        header: &header,
        config,
        name_index: &name_index,
        default_component,
        newest_test: &newest_test,
        current_tests: &current_tests,
        alarms_known,
    };
    let mut late = late::entities(&inputs, &full_facts, &mut merged.account_regions);
    let mut placeholders = late::placeholders(&header, default_component);
    if setup.plan {
        // A plan has no documents, tests or account-wide facts: judge only what it changes.
        late.clear();
        placeholders.clear();
    }
    let mut resources = merged.resources;
    let mut verdicts = merged.verdicts;
    let base = resources.len() as u32;
    let late_refs: Vec<(u32, &ResourceInfo, &Facts)> = late
        .iter()
        .enumerate()
        .map(|(i, (inf, f))| (base + i as u32, inf, f))
        .collect();
    // On a large stack, like the workers: Cedar's evaluator recurses on the policies.
    crate::util::stack::with_big_stack(|| {
        judge.judge(&full_facts, &full_entities, &late_refs, &mut verdicts)
    })
    .unwrap_or_else(|| Err(Error::Other("an evaluation thread panicked".into())))?;
    resources.extend(late.into_iter().map(|(i, _)| i));
    for (info, cause) in placeholders {
        verdicts.extend(no_evidence(catalog, &info, resources.len() as u32, &cause));
        resources.push(info);
    }

    let (warnings, not_assessed) = if setup.plan {
        (Vec::new(), Vec::new())
    } else {
        let seen = Seen {
            held: &held_per_component(&resources, specs.len()),
            s3_patterns: &merged.s3_patterns,
            s3_tags: &merged.s3_tags,
        };
        notices(&header, config, &specs, dr_region.as_deref(), &seen)
    };

    let components = specs
        .into_iter()
        .zip(merged.evidence)
        .zip(merged.exposure)
        .zip(notes)
        .map(|(((spec, ev), exp), notes)| ComponentView::new(spec, ev, exp, notes))
        .collect();
    Ok(Evaluation {
        as_of,
        collected_at: header.collected_at,
        snapshot_tool_version: header.tool_version,
        scope: Scope {
            dr_region,
            ..header.scope
        },
        components,
        resources,
        packed: verdicts,
        gaps: header.gaps,
        warnings,
        not_assessed,
    })
}

/// The header with what was read from files besides the snapshot (documents, DR tests, their
/// gaps). Tests and documents dated after the evaluation time are set aside: a gap says why (their
/// own controls are no_evidence), and they count for nothing else. A gap naming no fact any control
/// reads is an error.
fn with_files(
    mut header: SnapshotHeader,
    setup: &Setup<'_>,
    as_of: DateTime<Utc>,
    origin: &Path,
) -> Result<SnapshotHeader, Error> {
    header.documents.extend(setup.documents.iter().cloned());
    header.dr_tests.extend(setup.dr_tests.iter().cloned());
    header.gaps.extend(setup.gaps.iter().cloned());
    header.gaps.extend(entities::future_evidence(
        &header.dr_tests,
        &header.documents,
        as_of,
    ));
    check_gap_attributes(setup.catalog, &header.gaps, origin)?;
    Ok(header)
}

/// The verdicts of a stand-in: every control of its entity type is no_evidence, with the cause.
fn no_evidence(catalog: &Catalog, info: &ResourceInfo, index: u32, cause: &str) -> Option<Packed> {
    let mut packer = Packer::default();
    for (ci, c) in catalog.controls.iter().enumerate() {
        if c.resource_types.iter().any(|t| t == info.entity_type) {
            packer.push(ci as u16, Status::NoEvidence, Some(cause), &[]);
        }
    }
    (!packer.is_empty()).then(|| packer.finish(index))
}

/// How many resources (not components, documents, tests, the programme or account-regions) each
/// component holds.
fn held_per_component(resources: &[ResourceInfo], components: usize) -> Vec<usize> {
    let mut held = vec![0usize; components];
    for r in resources.iter().filter(|r| {
        !matches!(
            r.entity_type,
            "Component" | "Document" | "DrTest" | "Program" | "AccountRegion"
        )
    }) {
        held[r.component as usize] += 1;
    }
    held
}

impl ComponentView {
    fn new(
        spec: ComponentSpec,
        ev: entities::ComponentEvidence,
        exposure: Option<(i64, Box<str>)>,
        notes: Vec<String>,
    ) -> Self {
        ComponentView {
            last_restore_seconds: ev.last_restore.as_ref().map(|(_, s, _)| *s),
            last_restore_source: ev.last_restore.map(|(_, _, src)| src),
            tested_rto_seconds: ev.measured.as_ref().and_then(|m| m.rto),
            tested_rpo_seconds: ev.measured.as_ref().and_then(|m| m.rpo),
            rpo_now_seconds: exposure.as_ref().map(|(a, _)| *a),
            rpo_now_resource: exposure.map(|(_, id)| id.into()),
            notes,
            scenarios: {
                use crate::model::snapshot::Disruption;
                let tested = &ev.by_disruption;
                Disruption::ALL
                    .into_iter()
                    .filter(|d| spec.targets.contains_key(d) || tested.contains_key(d))
                    .map(|d| {
                        let t = spec.targets_for(d);
                        let m = tested.get(&d);
                        Scenario {
                            disruption: d,
                            rto_seconds: t.rto_seconds,
                            rpo_seconds: t.rpo_seconds,
                            tested_rto_seconds: m.and_then(|m| m.rto),
                            tested_rpo_seconds: m.and_then(|m| m.rpo),
                            tested_by: m.map(|m| m.source.clone()),
                        }
                    })
                    .collect()
            },
            spec,
        }
    }
}

impl Evaluation {
    /// Every verdict, unpacked one at a time, in entity order.
    pub fn verdicts(&self) -> impl Iterator<Item = Verdict> + '_ {
        self.packed.iter().flat_map(Packed::verdicts)
    }

    /// (control, entity, status) of every verdict, without the facts.
    pub fn statuses(&self) -> impl Iterator<Item = (u16, u32, Status)> + '_ {
        self.packed
            .iter()
            .flat_map(|p| p.statuses().map(move |(c, s)| (c, p.resource, s)))
    }

    /// The facts of a verdict as (path, value) pairs, for reports.
    pub fn facts<'v>(
        &self,
        catalog: &'v Catalog,
        v: &'v Verdict,
    ) -> impl Iterator<Item = (&'v str, Option<&'v Value>)> + 'v {
        let control: &Control = &catalog.controls[v.control as usize];
        control
            .facts
            .iter()
            .map(String::as_str)
            .zip(v.facts.iter().map(Option::as_ref))
    }
}

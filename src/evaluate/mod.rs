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
pub mod entities;
pub mod explain;
pub mod packed;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};

use packed::{Packed, Packer};

use cedar_policy::{
    Authorizer, Context, Entities, Entity, EntityUid, PolicySet, Request, RestrictedExpression,
};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::config::{self, Config};
use crate::model::snapshot::{
    ComponentSpec, DrTest, DrTestKind, Gap, Measures, Outcome, Resource, Scope, Snapshot,
    SnapshotHeader,
};
use crate::util::error::{Error, InputError};
use catalog::{Catalog, Control};
use entities::{CedarBuilder, ComponentEvidence, Facts, ResourceContext, Value};

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
    "Amazon OpenSearch Service / Elasticsearch: domain configuration and snapshot recency are not collected yet",
    "Amazon EKS: the DR cluster and Velero backups are not collected yet",
    "Amazon Route 53: failover records and health checks are not collected yet",
];

/// A control's facts, parsed once.
#[derive(Debug, Clone)]
enum FactPath {
    Resource(String),
    Component(String),
    Now,
    Param(String),
    Unknown,
}

impl FactPath {
    fn parse(path: &str) -> Self {
        let parts: Vec<&str> = path.split('.').collect();
        match parts.as_slice() {
            ["resource", "component", attr] => Self::Component((*attr).to_string()),
            ["resource", attr] => Self::Resource((*attr).to_string()),
            ["context", "now"] => Self::Now,
            ["context", "params", name] => Self::Param((*name).to_string()),
            _ => Self::Unknown,
        }
    }
}

struct PreparedControl {
    index: u16,
    id: String,
    applies_id: Option<String>,
    /// Resource attributes the `@applies` policy reads.
    applies_attrs: Vec<String>,
    facts: Vec<FactPath>,
    /// Per fact: whether it decides the verdict (false for `@show` facts, which are only quoted).
    decides: Vec<bool>,
    /// Per fact: whether its absence is a finding rather than missing evidence (`@absence_fails`).
    absence_fails: Vec<bool>,
    /// The resource attributes that decide the verdict, for matching gaps.
    read_attrs: Vec<String>,
    /// In a plan: the control needs live evidence (an age, a measurement) and does not apply.
    live_only: bool,
}

/// Which gaps concern which entities.
struct GapIndex {
    by_resource: HashMap<String, Vec<usize>>,
    /// Gaps on some facts of every resource of a type (no resource named, attributes named).
    by_type: Vec<usize>,
}

/// The snapshot record type a gap's `resource_type` or `source` points at, as a Cedar entity type.
fn gap_entity_type(gap: &Gap) -> Option<&'static str> {
    let key = gap.resource_type.as_deref().unwrap_or(gap.source.as_str());
    Some(match key {
        "rds_instance" | "rds_cluster" | "rds" => "RdsDatabase",
        "s3_bucket" | "s3" => "S3Bucket",
        "backup_plan" => "BackupPlan",
        "backup_vault" => "BackupVault",
        "backup_protected_resource" | "backup" => "BackupProtectedResource",
        "iam_principal" | "iam" => "IamPrincipal",
        "document" | "docs" => "Document",
        "dr_test" | "dr_tests" => "DrTest",
        "cloudwatch_alarm" | "cloudwatch" => "AccountRegion",
        "component" => "Component",
        "program" => "Program",
        _ => return None,
    })
}

fn kind_entity_type(kind: &str) -> &'static str {
    match kind {
        "rds_instance" | "rds_cluster" => "RdsDatabase",
        "s3_bucket" => "S3Bucket",
        "backup_plan" => "BackupPlan",
        "backup_vault" => "BackupVault",
        "backup_protected_resource" => "BackupProtectedResource",
        "iam_principal" => "IamPrincipal",
        "plan_change" => "PlanChange",
        _ => "",
    }
}

impl GapIndex {
    fn new(gaps: &[Gap]) -> Self {
        let mut by_resource: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_type = Vec::new();
        for (i, g) in gaps.iter().enumerate() {
            match &g.resource {
                Some(r) => by_resource.entry(r.clone()).or_default().push(i),
                None if !g.attributes.is_empty() => by_type.push(i),
                None => {}
            }
        }
        Self {
            by_resource,
            by_type,
        }
    }

    /// The first gap that leaves one of `attrs` of this entity unknown.
    fn covering<'g>(
        &self,
        gaps: &'g [Gap],
        info: &ResourceInfo,
        attrs: &[String],
    ) -> Option<&'g Gap> {
        let touches =
            |g: &Gap| g.attributes.is_empty() || g.attributes.iter().any(|a| attrs.contains(a));
        if let Some(ids) = self.by_resource.get(&*info.id) {
            if let Some(g) = ids.iter().map(|&i| &gaps[i]).find(|g| touches(g)) {
                return Some(g);
            }
        }
        self.by_type.iter().map(|&i| &gaps[i]).find(|g| {
            gap_entity_type(g) == Some(info.entity_type)
                && g.resource_type.as_deref().is_none_or(|t| t == info.kind)
                && g.region.as_deref().is_none_or(|r| r == &*info.region)
                && g.account.as_deref().is_none_or(|a| a == &*info.account)
                && touches(g)
        })
    }
}

/// An error and its sources, on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

/// A DR test named with where it was recorded: `2026-06-20-full-dr (dr-tests.jsonl:6)`.
fn test_source(t: &crate::model::snapshot::DrTest) -> String {
    match &t.provenance {
        Some(p) => match p.line {
            Some(l) => format!("DR test {} ({}:{l})", t.id, p.source),
            None => format!("DR test {} ({})", t.id, p.source),
        },
        None => format!("DR test {}", t.id),
    }
}

pub fn gap_cause(g: &Gap) -> String {
    if g.error_code.as_deref() == Some(crate::model::plan::KNOWN_AFTER_APPLY) {
        return g.message.clone();
    }
    let mut s = format!("{}:{} failed", g.source, g.operation);
    if let Some(code) = &g.error_code {
        s.push_str(&format!(" ({code})"));
    }
    if let Some(r) = &g.region {
        s.push_str(&format!(" in {r}"));
    }
    match (&g.file, g.line) {
        (Some(f), Some(l)) => s.push_str(&format!(" at {f}:{l}")),
        (Some(f), None) => s.push_str(&format!(" at {f}")),
        _ => {}
    }
    s.push_str(": ");
    s.push_str(&g.message);
    s
}

/// What stays fixed while resources stream past.
struct Judge<'a> {
    catalog: &'a Catalog,
    controls: HashMap<&'static str, Vec<PreparedControl>>,
    builder: CedarBuilder,
    auditor: EntityUid,
    action: EntityUid,
    context: Context,
    params: entities::Attrs,
    now: i64,
    gaps: &'a [Gap],
    gap_index: GapIndex,
    /// The snapshot file, for messages.
    origin: std::path::PathBuf,
    unknown: Option<Status>,
}

impl<'a> Judge<'a> {
    fn new(
        setup: &Setup<'a>,
        components: &[ComponentSpec],
        params: entities::Attrs,
        now: DateTime<Utc>,
        gaps: &'a [Gap],
        origin: &Path,
    ) -> Result<Self, Error> {
        let (catalog, plan, unknown) = (setup.catalog, setup.plan, setup.unknown);
        let builder = CedarBuilder::new(components).map_err(Error::Other)?;
        let mut controls: HashMap<&'static str, Vec<PreparedControl>> = HashMap::new();
        for (i, c) in catalog.controls.iter().enumerate() {
            for ty in &c.resource_types {
                let Some(ty) = entities::ENTITY_TYPES.iter().find(|t| **t == ty.as_str()) else {
                    continue;
                };
                controls.entry(ty).or_default().push(PreparedControl {
                    index: i as u16,
                    id: c.id.clone(),
                    applies_id: c.conditional.then(|| catalog::applies_id(&c.id)),
                    applies_attrs: c
                        .applies_facts
                        .iter()
                        .filter_map(|f| {
                            f.strip_prefix("resource.")
                                .filter(|a| !a.contains('.'))
                                .map(str::to_string)
                        })
                        .collect(),
                    facts: c.facts.iter().map(|f| FactPath::parse(f)).collect(),
                    decides: c.facts.iter().map(|f| !c.shown.contains(f)).collect(),
                    absence_fails: c
                        .facts
                        .iter()
                        .map(|f| {
                            f.strip_prefix("resource.")
                                .is_some_and(|a| c.absence_fails.iter().any(|x| x == a))
                        })
                        .collect(),
                    read_attrs: c
                        .facts
                        .iter()
                        .filter(|f| !c.shown.contains(f))
                        .filter_map(|f| {
                            f.strip_prefix("resource.")
                                .filter(|a| !a.contains('.'))
                                .map(str::to_string)
                        })
                        .collect(),
                    live_only: plan && !crate::model::plan::answerable(ty, &c.facts),
                });
            }
        }
        let mut pairs: Vec<(String, RestrictedExpression)> = vec![
            (
                "now".to_string(),
                builder.value(&Value::Datetime(now.timestamp())),
            ),
            ("params".to_string(), builder.record(&params)),
        ];
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        let context = Context::from_pairs(pairs)
            .map_err(|e| Error::Other(format!("building the request context: {e}")))?;
        let auditor = builder.uid("Auditor", "drready").map_err(Error::Other)?;
        let action = builder.uid("Action", "audit").map_err(Error::Other)?;
        // Check the context against the schema once, rather than on every request.
        if let Some(any) = builder.component_uids.first() {
            Request::new(
                auditor.clone(),
                action.clone(),
                any.clone(),
                context.clone(),
                Some(&catalog.schema),
            )
            .map_err(|e| {
                Error::Other(format!(
                    "the request context does not match the schema: {e}"
                ))
            })?;
        }
        Ok(Self {
            catalog,
            controls,
            builder,
            auditor,
            action,
            context,
            params,
            now: now.timestamp(),
            gaps,
            gap_index: GapIndex::new(gaps),
            origin: origin.to_path_buf(),
            unknown,
        })
    }

    fn entities(
        &self,
        component_entities: &[Entity],
        facts: &[&Facts],
    ) -> Result<(Entities, Vec<EntityUid>), Error> {
        let mut uids = Vec::with_capacity(facts.len());
        let mut list: Vec<Entity> = component_entities.to_vec();
        for f in facts {
            if f.entity_type == "Component" {
                uids.push(self.builder.uid("Component", &f.id).map_err(Error::Other)?);
                continue;
            }
            let (uid, e) = self
                .builder
                .entity(f)
                .map_err(|e| Error::Other(format!("entity `{}`: {e}", f.id)))?;
            uids.push(uid);
            list.push(e);
        }
        // Loaded against the schema, which rejects missing, undeclared or mistyped attributes.
        let entities =
            Entities::from_entities(list, Some(&self.catalog.schema)).map_err(|e| match e {
                cedar_policy::entities_errors::EntitiesError::Duplicate(d) => {
                    InputError::plain(&self.origin, format!("the snapshot lists {d}")).into()
                }
                other => Error::Other(format!(
                    "entities do not match the schema: {}",
                    error_chain(&other)
                )),
            })?;
        Ok((entities, uids))
    }

    /// Judge a batch of entities; `components` are the component facts they may refer to.
    fn judge(
        &self,
        component_facts: &[Facts],
        component_entities: &[Entity],
        batch: &[(u32, &ResourceInfo, &Facts)],
        out: &mut Vec<Packed>,
    ) -> Result<(), Error> {
        let facts: Vec<&Facts> = batch.iter().map(|(_, _, f)| *f).collect();
        let (entities, uids) = self.entities(component_entities, &facts)?;
        let authorizer = Authorizer::new();
        for ((index, info, facts), uid) in batch.iter().zip(uids) {
            let Some(prepared) = self.controls.get(facts.entity_type) else {
                continue;
            };
            let Some(set) = self.catalog.sets.get(facts.entity_type) else {
                continue;
            };
            let component = component_facts.get(info.component as usize);
            let response = self.request(set, uid, &authorizer, &entities);
            let mut packer = Packer::default();
            self.verdicts_of(&response, prepared, info, facts, component, &mut packer);
            if !packer.is_empty() {
                out.push(packer.finish(*index));
            }
        }
        Ok(())
    }

    fn request(
        &self,
        set: &PolicySet,
        uid: EntityUid,
        authorizer: &Authorizer,
        entities: &Entities,
    ) -> cedar_policy::Response {
        match Request::new(
            self.auditor.clone(),
            self.action.clone(),
            uid,
            self.context.clone(),
            None,
        ) {
            Ok(req) => authorizer.is_authorized(&req, set, entities),
            // Without a schema, building a request cannot fail; should it, every control errs.
            Err(_) => cedar_policy::Response::new(
                cedar_policy::Decision::Deny,
                Default::default(),
                Vec::new(),
            ),
        }
    }

    /// The one place a Cedar response becomes verdicts.
    fn verdicts_of(
        &self,
        response: &cedar_policy::Response,
        prepared: &[PreparedControl],
        info: &ResourceInfo,
        facts: &Facts,
        component: Option<&Facts>,
        out: &mut Packer,
    ) {
        let reason: HashSet<&str> = response
            .diagnostics()
            .reason()
            .map(|p| p.as_ref())
            .collect();
        let mut errors: HashMap<&str, String> = HashMap::new();
        for e in response.diagnostics().errors() {
            let cedar_policy::AuthorizationError::PolicyEvaluationError(pe) = e;
            errors.insert(pe.policy_id().as_ref(), pe.inner().to_string());
        }
        for c in prepared {
            if c.live_only {
                out.push(
                    c.index,
                    Status::NotApplicable,
                    Some("needs live evidence: not judged in a plan"),
                    &[],
                );
                continue;
            }
            if let Some(applies) = &c.applies_id {
                // An @applies policy that errs counts as applying: fail closed.
                if !reason.contains(applies.as_str()) && !errors.contains_key(applies.as_str()) {
                    // Whether it applies rests on facts a gap left unknown: no evidence either way.
                    let gap = if c.applies_attrs.is_empty() {
                        None
                    } else {
                        self.gap_index.covering(self.gaps, info, &c.applies_attrs)
                    };
                    let status = if gap.is_some() {
                        Status::NoEvidence
                    } else {
                        Status::NotApplicable
                    };
                    out.push(c.index, status, gap.map(gap_cause).as_deref(), &[]);
                    continue;
                }
            }
            let values: Box<[Option<Value>]> = c
                .facts
                .iter()
                .map(|p| self.value(p, facts, component))
                .collect();
            let mut missing = Vec::new();
            for (k, (p, v)) in c.facts.iter().zip(values.iter()).enumerate() {
                if v.is_none() && c.decides[k] && !c.absence_fails[k] {
                    missing.push(fact_name(p));
                }
            }
            let (status, cause) = if let Some(msg) = errors.get(c.id.as_str()) {
                (
                    Status::NoEvidence,
                    Some(format!("policy evaluation error: {msg}")),
                )
            } else if let Some(future) = self.dated_after_now(c, &values) {
                (Status::NoEvidence, Some(future))
            } else if let Some(g) = self.gap_index.covering(self.gaps, info, &c.read_attrs) {
                let after_apply =
                    g.error_code.as_deref() == Some(crate::model::plan::KNOWN_AFTER_APPLY);
                match self.unknown {
                    Some(status) if after_apply => (
                        status,
                        Some(format!(
                            "{} (counted as {} by --unknown)",
                            gap_cause(g),
                            status.as_str()
                        )),
                    ),
                    _ => (Status::NoEvidence, Some(gap_cause(g))),
                }
            } else if c.facts.iter().zip(values.iter()).any(|(p, v)| {
                v.is_none() && matches!(p, FactPath::Param(name) if name == "dr_region")
            }) {
                // Not missing evidence: a missing setting, and the cause says which.
                (
                    Status::NoEvidence,
                    Some("no DR region: set `[scope] dr_region` or `--dr-region`".to_string()),
                )
            } else if !missing.is_empty() {
                (
                    Status::NoEvidence,
                    Some(format!("not collected: {}", missing.join(", "))),
                )
            } else if reason.contains(c.id.as_str()) {
                (Status::Fail, None)
            } else {
                (Status::Pass, None)
            };
            out.push(c.index, status, cause.as_deref(), &values);
        }
    }

    /// Why a control's evidence does not count because it is dated after the evaluation time: an
    /// event (a backup, a test, a restore) that has not happened yet at `now` proves nothing about
    /// `now`. Due dates (`review_due`, `next_review`) are in the future by nature and are exempt.
    fn dated_after_now(&self, c: &PreparedControl, values: &[Option<Value>]) -> Option<String> {
        c.facts.iter().zip(values).find_map(|(p, v)| {
            let (FactPath::Resource(name) | FactPath::Component(name)) = p else {
                return None;
            };
            match v {
                Some(Value::Datetime(t))
                    if *t > self.now && !matches!(name.as_str(), "review_due" | "next_review") =>
                {
                    Some(format!(
                        "`{name}` ({}) is after the evaluation time ({}): evidence dated in the future does not count",
                        entities::rfc3339(*t),
                        entities::rfc3339(self.now)
                    ))
                }
                _ => None,
            }
        })
    }

    fn value(&self, path: &FactPath, facts: &Facts, component: Option<&Facts>) -> Option<Value> {
        match path {
            FactPath::Resource(a) => facts.get(a).cloned(),
            FactPath::Component(a) => component.and_then(|c| c.get(a)).cloned(),
            FactPath::Now => Some(Value::Datetime(self.now)),
            FactPath::Param(p) => self
                .params
                .iter()
                .find(|(k, _)| k == p)
                .map(|(_, v)| v.clone()),
            FactPath::Unknown => None,
        }
    }
}

fn fact_name(p: &FactPath) -> String {
    match p {
        FactPath::Resource(a) => format!("`{a}`"),
        FactPath::Component(a) => format!("component `{a}`"),
        FactPath::Now => "`now`".into(),
        FactPath::Param(p) => format!("parameter `{p}`"),
        FactPath::Unknown => "an unsupported fact".into(),
    }
}

/// The components of an evaluation: config first, then those the snapshot and its documents name,
/// then the default component.
fn resolve_components(
    header: &SnapshotHeader,
    config: &Config,
) -> (Vec<ComponentSpec>, Vec<Vec<String>>, u32) {
    let mut specs: Vec<ComponentSpec> = Vec::new();
    let mut notes: Vec<Vec<String>> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    // The first source to name a component wins; later ones fill targets it lacks, and where
    // they disagree with it the report says so.
    let mut add = |spec: ComponentSpec,
                   specs: &mut Vec<ComponentSpec>,
                   notes: &mut Vec<Vec<String>>| {
        let Some(&i) = index.get(&spec.name) else {
            index.insert(spec.name.clone(), specs.len());
            specs.push(spec);
            notes.push(Vec::new());
            return;
        };
        let have = &mut specs[i];
        let from = spec.source.as_deref().unwrap_or("snapshot");
        let differs = |a: Option<u64>, b: Option<u64>| a.is_some() && b.is_some() && a != b;
        if differs(spec.rto_seconds, have.rto_seconds)
            || differs(spec.rpo_seconds, have.rpo_seconds)
        {
            let h =
                |s: Option<u64>| s.map_or("-".into(), |s| crate::util::duration::human(s as i64));
            notes[i].push(format!(
                "{from} says RTO {} and RPO {}; {} wins",
                h(spec.rto_seconds),
                h(spec.rpo_seconds),
                have.source.as_deref().unwrap_or("config"),
            ));
        }
        let mut filled = false;
        for (mine, theirs) in [
            (&mut have.rto_seconds, spec.rto_seconds),
            (&mut have.rpo_seconds, spec.rpo_seconds),
            (&mut have.replica_rpo_seconds, spec.replica_rpo_seconds),
        ] {
            if mine.is_none() && theirs.is_some() {
                *mine = theirs;
                filled = true;
            }
        }
        if filled {
            have.source = Some(format!(
                "{} + {from}",
                have.source.as_deref().unwrap_or("config")
            ));
        }
    };
    for c in &config.components {
        add(c.spec.clone(), &mut specs, &mut notes);
    }
    let default_name = config
        .default_component
        .as_ref()
        .map_or(config::DEFAULT_COMPONENT.to_string(), |d| d.name.clone());
    if let Some(d) = &config.default_component {
        add(d.clone(), &mut specs, &mut notes);
    }
    for c in &header.components {
        let mut spec = c.clone();
        spec.source.get_or_insert_with(|| "snapshot".into());
        add(spec, &mut specs, &mut notes);
    }
    for d in &header.documents {
        for row in &d.recovery_targets {
            let source = match row.line {
                Some(l) => format!("document {}:{l}", d.path),
                None => format!("document {}", d.path),
            };
            add(
                ComponentSpec {
                    name: row.component.clone(),
                    rto_seconds: row.rto_seconds,
                    rpo_seconds: row.rpo_seconds,
                    source: Some(source),
                    ..ComponentSpec::default()
                },
                &mut specs,
                &mut notes,
            );
        }
    }
    if config.default_component.is_none() {
        add(config::builtin_default_component(), &mut specs, &mut notes);
    }
    for t in &header.dr_tests {
        if let Some(name) = &t.component {
            add(
                ComponentSpec {
                    name: name.clone(),
                    source: Some("dr test".into()),
                    ..ComponentSpec::default()
                },
                &mut specs,
                &mut notes,
            );
        }
    }
    let default_index = specs
        .iter()
        .position(|s| s.name == default_name)
        .unwrap_or(0) as u32;
    (specs, notes, default_index)
}

/// The newest restore-point age of a data resource, in seconds, at `now`.
fn restore_point_age(r: &Resource, now: DateTime<Utc>) -> Option<i64> {
    let ages: Vec<DateTime<Utc>> = match r {
        Resource::RdsInstance(db) | Resource::RdsCluster(db) => db
            .latest_restorable_time
            .into_iter()
            .chain(db.snapshots.as_ref().and_then(|s| s.newest))
            .collect(),
        Resource::S3Bucket(b) if b.backup_prefix.is_some() => {
            b.newest_backup_object.into_iter().collect()
        }
        Resource::BackupProtectedResource(p) => p
            .recovery_points
            .as_ref()
            .and_then(|rp| rp.newest_completed)
            .into_iter()
            .collect(),
        _ => return None,
    };
    ages.into_iter()
        .max()
        .map(|t| (now - t).num_seconds().max(0))
}

/// What a worker sends back for one batch.
#[derive(Default)]
struct BatchResult {
    offset: u32,
    infos: Vec<ResourceInfo>,
    verdicts: Vec<Packed>,
    restores: Vec<(u32, DateTime<Utc>, i64, String)>,
    exposures: Vec<(u32, i64, Box<str>)>,
    account_regions: BTreeSet<(String, String)>,
    /// Which `[s3]` bucket patterns and tags matched a bucket (by index).
    s3_patterns: BTreeSet<usize>,
    s3_tags: BTreeSet<usize>,
}

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
    let mut header = header;
    header.documents.extend(setup.documents.iter().cloned());
    header.dr_tests.extend(setup.dr_tests.iter().cloned());
    header.gaps.extend(setup.gaps.iter().cloned());
    // Tests and documents dated after the evaluation time are set aside: a gap says why (their own
    // controls are no_evidence), and they count for nothing else.
    header.gaps.extend(entities::future_evidence(
        &header.dr_tests,
        &header.documents,
        as_of,
    ));
    let current_tests: Vec<&DrTest> = header
        .dr_tests
        .iter()
        .filter(|t| entities::test_time(t) <= as_of)
        .collect();
    check_gap_attributes(catalog, &header.gaps, origin)?;
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
    // The targets-only component facts and entities that resources refer to.
    let target_facts: Vec<Facts> = specs
        .iter()
        .map(|s| entities::component_facts(s, None))
        .collect();
    let target_entities: Vec<Entity> = target_facts
        .iter()
        .map(|f| judge.builder.entity(f).map(|(_, e)| e))
        .collect::<Result<_, _>>()
        .map_err(Error::Other)?;
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
    let assign = |r: &Resource| -> u32 {
        config
            .component_for(r)
            .or_else(|| r.record().component())
            .and_then(|n| name_index.get(n).copied())
            .unwrap_or(default_component)
    };

    let threads = if setup.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        setup.threads
    };
    // `[s3]` bucket patterns, compiled once, to tell which matched nothing.
    let s3_globs: Vec<wildmatch::WildMatch> = config
        .s3
        .buckets
        .iter()
        .map(|g| wildmatch::WildMatch::new(g))
        .collect();
    let work = |offset: u32, batch: Vec<Resource>| -> Result<BatchResult, Error> {
        let mut result = BatchResult {
            offset,
            ..BatchResult::default()
        };
        let mut facts = Vec::with_capacity(batch.len());
        let mut interner = Interner::default();
        for r in &batch {
            let rec = r.record();
            let component = assign(r);
            result.infos.push(ResourceInfo::new(
                rec.id(),
                kind_entity_type(r.type_name()),
                r.type_name(),
                rec.display_name(),
                component,
                interner.get(rec.account()),
                interner.get(rec.region()),
            ));
            if !rec.account().is_empty() && !rec.region().is_empty() {
                result
                    .account_regions
                    .insert((rec.account().to_string(), rec.region().to_string()));
            }
            if let Resource::BackupProtectedResource(p) = r {
                for job in p.restores.iter().filter(|j| j.status == "COMPLETED") {
                    if let Some(done) = job.finished.filter(|d| *d <= as_of) {
                        result.restores.push((
                            component,
                            done,
                            (done - job.started).num_seconds(),
                            format!("restore job {}", job.id),
                        ));
                    }
                }
            }
            if let Resource::S3Bucket(b) = r {
                let name = b.name.as_deref().unwrap_or(&b.id);
                for (i, g) in s3_globs.iter().enumerate() {
                    if g.matches(name) {
                        result.s3_patterns.insert(i);
                    }
                }
                for (i, (k, v)) in config.s3.tags.iter().enumerate() {
                    if b.tags.get(k) == Some(v) {
                        result.s3_tags.insert(i);
                    }
                }
            }
            if let Some(age) = restore_point_age(r, as_of) {
                result.exposures.push((component, age, rec.id().into()));
            }
            facts.push(entities::resource_facts(r, component, &cx));
        }
        let batch_refs: Vec<(u32, &ResourceInfo, &Facts)> = facts
            .iter()
            .enumerate()
            .map(|(i, f)| (offset + i as u32, &result.infos[i], f))
            .collect();
        let mut verdicts = Vec::new();
        judge.judge(&target_facts, &target_entities, &batch_refs, &mut verdicts)?;
        result.verdicts = verdicts;
        Ok(result)
    };

    let (results, streamed) = std::thread::scope(
        |scope| -> Result<(Vec<BatchResult>, Result<(), InputError>), Error> {
            let (tx, rx) = mpsc::sync_channel::<(u32, Vec<Resource>)>(threads * 2);
            let rx = Arc::new(Mutex::new(rx));
            let mut handles = Vec::new();
            for _ in 0..threads {
                let rx = Arc::clone(&rx);
                let work = &work;
                // A large stack: Cedar's evaluator recurses on the policies' nesting.
                let worker =
                    std::thread::Builder::new().stack_size(crate::util::stack::CEDAR_STACK_BYTES);
                let handle =
                    worker.spawn_scoped(scope, move || -> Result<Vec<BatchResult>, Error> {
                        let mut done = Vec::new();
                        loop {
                            let next = match rx.lock() {
                                Ok(guard) => guard.recv(),
                                Err(_) => break,
                            };
                            let Ok((offset, batch)) = next else { break };
                            done.push(work(offset, batch)?);
                        }
                        Ok(done)
                    });
                handles
                    .push(handle.map_err(|e| {
                        Error::Other(format!("starting an evaluation thread: {e}"))
                    })?);
            }
            let mut offset: u32 = 0;
            let streamed = source(&mut |batch: Vec<Resource>| {
                let n = batch.len() as u32;
                tx.send((offset, batch))
                    .map_err(|_| "evaluation stopped".to_string())?;
                offset += n;
                Ok(())
            });
            drop(tx);
            let mut all = Vec::new();
            let mut first_error = None;
            for h in handles {
                match h.join() {
                    Ok(Ok(mut r)) => all.append(&mut r),
                    Ok(Err(e)) => first_error = first_error.or(Some(e)),
                    Err(_) => {
                        first_error = first_error
                            .or(Some(Error::Other("an evaluation thread panicked".into())))
                    }
                }
            }
            match first_error {
                Some(e) => Err(e),
                None => Ok((all, streamed)),
            }
        },
    )?;
    streamed?;

    let mut results = results;
    results.sort_by_key(|r| r.offset);
    let mut resources = Vec::new();
    let mut verdicts = Vec::new();
    let mut evidence: Vec<ComponentEvidence> = vec![ComponentEvidence::default(); specs.len()];
    let mut exposure: Vec<Option<(i64, Box<str>)>> = vec![None; specs.len()];
    let mut account_regions: BTreeSet<(String, String)> = BTreeSet::new();
    let (mut s3_patterns, mut s3_tags) = (BTreeSet::new(), BTreeSet::new());
    for r in results {
        s3_patterns.extend(r.s3_patterns);
        s3_tags.extend(r.s3_tags);
        resources.extend(r.infos);
        verdicts.extend(r.verdicts);
        for (c, at, secs, source) in r.restores {
            evidence[c as usize].add_restore(at, secs, source);
        }
        for (c, age, id) in r.exposures {
            let slot = &mut exposure[c as usize];
            if slot.as_ref().is_none_or(|(a, _)| age > *a) {
                *slot = Some((age, id));
            }
        }
        account_regions.extend(r.account_regions);
    }
    {
        let mut seen = HashSet::with_capacity(resources.len());
        for r in &resources {
            if !seen.insert((&*r.id, r.entity_type)) {
                let message = format!("the snapshot lists resource `{}` twice", r.id);
                return Err(InputError::plain(origin, message).into());
            }
        }
    }

    // Evidence from the header: tests, documents' claims.
    let mut newest_test: HashMap<DrTestKind, (DateTime<Utc>, usize)> = HashMap::new();
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
            if ev.measured.as_ref().is_none_or(|m| at > m.at) {
                ev.measured = Some(entities::Measurement {
                    at,
                    rto: t.measured_rto_seconds.map(|s| s as i64),
                    rpo: t.measured_rpo_seconds.map(|s| s as i64),
                    source: test_source(t),
                });
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

    // Component-level entities, judged after the stream.
    let full_facts: Vec<Facts> = specs
        .iter()
        .zip(&evidence)
        .map(|(s, e)| entities::component_facts(s, Some(e)))
        .collect();
    let full_entities: Vec<Entity> = full_facts
        .iter()
        .map(|f| judge.builder.entity(f).map(|(_, e)| e))
        .collect::<Result<_, _>>()
        .map_err(Error::Other)?;
    let mut late: Vec<(ResourceInfo, Facts)> = Vec::new();
    let blank: Arc<str> = "".into();
    let info =
        |id: &str, entity_type: &'static str, kind: &'static str, name: &str, component: u32| {
            ResourceInfo::new(
                id,
                entity_type,
                kind,
                name,
                component,
                Arc::clone(&blank),
                Arc::clone(&blank),
            )
        };
    for (i, f) in full_facts.iter().enumerate() {
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
            .and_then(|n| name_index.get(n).copied())
            .unwrap_or(default_component);
        let newest = newest_test.get(&t.kind).is_some_and(|(_, j)| *j == i);
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
            &current_tests,
            default_component,
            config
                .program
                .results_retention_days
                .or(header.program.results_retention_days),
        ),
    ));
    for a in &header.scope.accounts {
        for r in &header.scope.regions {
            account_regions.insert((a.clone(), r.clone()));
        }
    }
    for (account, region) in &account_regions {
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
                alarms_known,
            ),
        ));
    }
    // A gap that names no resource and no facts means the resources themselves could not be listed:
    // it stands in as an unknown resource whose every control is no_evidence.
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

    // A document the config names that could not be read at all (missing, unreadable) stands in
    // as a document whose every control is no_evidence: it must cost score, not vanish.
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

    if setup.plan {
        // A plan has no documents, tests or account-wide facts: judge only what it changes.
        late.clear();
        placeholders.clear();
    }
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
        let index = resources.len() as u32;
        let mut packer = Packer::default();
        for (ci, c) in catalog.controls.iter().enumerate() {
            if c.resource_types.iter().any(|t| t == info.entity_type) {
                packer.push(ci as u16, Status::NoEvidence, Some(&cause), &[]);
            }
        }
        if !packer.is_empty() {
            verdicts.push(packer.finish(index));
        }
        resources.push(info);
    }

    let (warnings, not_assessed) = if setup.plan {
        (Vec::new(), Vec::new())
    } else {
        let mut held = vec![0usize; specs.len()];
        for r in resources.iter().filter(|r| {
            !matches!(
                r.entity_type,
                "Component" | "Document" | "DrTest" | "Program" | "AccountRegion"
            )
        }) {
            held[r.component as usize] += 1;
        }
        let seen = Seen {
            held: &held,
            s3_patterns: &s3_patterns,
            s3_tags: &s3_tags,
        };
        notices(&header, config, &specs, dr_region.as_deref(), &seen)
    };

    let components = specs
        .into_iter()
        .zip(evidence)
        .zip(exposure)
        .zip(notes)
        .map(|(((spec, ev), exp), notes)| ComponentView {
            spec,
            last_restore_seconds: ev.last_restore.as_ref().map(|(_, s, _)| *s),
            last_restore_source: ev.last_restore.map(|(_, _, src)| src),
            tested_rto_seconds: ev.measured.as_ref().and_then(|m| m.rto),
            tested_rpo_seconds: ev.measured.as_ref().and_then(|m| m.rpo),
            rpo_now_seconds: exp.as_ref().map(|(a, _)| *a),
            rpo_now_resource: exp.map(|(_, id)| id.into()),
            notes,
        })
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

/// A gap that names facts must name at least one some control reads on that entity type: a gap
/// naming only unknown attributes would cover nothing, and the verdicts it should have made
/// no_evidence would be judged on absent facts instead.
fn check_gap_attributes(catalog: &Catalog, gaps: &[Gap], origin: &Path) -> Result<(), Error> {
    let mut read: HashMap<&str, HashSet<&str>> = HashMap::new();
    for c in &catalog.controls {
        for ty in &c.resource_types {
            let set = read.entry(ty.as_str()).or_default();
            for f in c.facts.iter().chain(&c.applies_facts) {
                if let Some(a) = f.strip_prefix("resource.").filter(|a| !a.contains('.')) {
                    set.insert(a);
                }
            }
        }
    }
    for g in gaps.iter().filter(|g| !g.attributes.is_empty()) {
        let Some(ty) = gap_entity_type(g) else {
            continue;
        };
        let known = read.get(ty);
        if !g
            .attributes
            .iter()
            .any(|a| known.is_some_and(|k| k.contains(a.as_str())))
        {
            return Err(InputError::plain(
                origin,
                format!(
                    "a gap of `{}:{}` names facts `{}`, none of which a control reads on {ty}",
                    g.source,
                    g.operation,
                    g.attributes.join("`, `")
                ),
            )
            .into());
        }
    }
    Ok(())
}

/// What the resources showed of the configuration, for [`notices`].
struct Seen<'a> {
    /// Resources per component (by index).
    held: &'a [usize],
    s3_patterns: &'a BTreeSet<usize>,
    s3_tags: &'a BTreeSet<usize>,
}

/// Warnings about configuration that matched nothing, and what was not assessed.
fn notices(
    header: &SnapshotHeader,
    config: &Config,
    specs: &[ComponentSpec],
    dr_region: Option<&str>,
    seen: &Seen<'_>,
) -> (Vec<String>, Vec<String>) {
    let mut warnings = Vec::new();
    if dr_region.is_none() {
        warnings.push(
            "no DR region: set `[scope] dr_region` or `--dr-region` (cross-region controls cannot be judged without it)"
                .to_string(),
        );
    }
    let ruled: HashSet<&str> = config.ruled_components().collect();
    for (spec, n) in specs.iter().zip(seen.held) {
        if *n == 0 && ruled.contains(spec.name.as_str()) {
            warnings.push(format!(
                "component `{}`: its `[components.match]` rule matched no resource",
                spec.name
            ));
        }
    }
    for (i, g) in config.s3.buckets.iter().enumerate() {
        if !seen.s3_patterns.contains(&i) {
            warnings.push(format!("`[s3] buckets` pattern `{g}` matched no bucket"));
        }
    }
    for (i, (k, v)) in config.s3.tags.iter().enumerate() {
        if !seen.s3_tags.contains(&i) {
            warnings.push(format!("`[s3] tags` rule `{k} = {v}` matched no bucket"));
        }
    }
    for g in &header.gaps {
        let config_level = (g.source == "dr_tests" && g.operation == "glob")
            || (g.source == "docs"
                && g.resource_type.as_deref() == Some("document")
                && g.attributes.is_empty()
                && g.line.is_none()
                && !g.message.contains("after the evaluation time"));
        if config_level {
            warnings.push(gap_cause(g));
        }
    }
    let names: HashSet<&str> = specs.iter().map(|s| s.name.as_str()).collect();
    for t in &header.dr_tests {
        if let Some(c) = t.component.as_deref().filter(|c| !names.contains(c)) {
            warnings.push(format!(
                "DR test `{}` names component `{c}`, which no config, document or snapshot defines: its measurements count for no component",
                t.id
            ));
        }
    }
    let mut not_assessed: Vec<String> = specs
        .iter()
        .zip(seen.held)
        .filter(|(_, n)| **n == 0)
        .map(|(s, _)| {
            format!(
                "component `{}`: no resource belongs to it, so its backups, replicas and RPO now are not assessed",
                s.name
            )
        })
        .collect();
    not_assessed.extend(NOT_YET_COLLECTED.iter().map(|s| (*s).to_string()));
    (warnings, not_assessed)
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

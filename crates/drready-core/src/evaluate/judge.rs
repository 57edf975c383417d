//! Judging entities with Cedar: each control prepared once (the facts it reads, which decide it),
//! one request per entity, and `verdicts_of`, the one place that turns a response into verdicts.
//! Every doubt (a fact absent or covered by a gap, a policy error, evidence dated later) becomes
//! no_evidence with a stated cause.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use cedar_policy::{
    Authorizer, Context, Entities, Entity, EntityUid, PolicySet, Request, RestrictedExpression,
};
use chrono::{DateTime, Utc};

use super::catalog::{self, Catalog};
use super::entities::{self, CedarBuilder, Facts, Value};
use super::packed::{Packed, Packer};
use super::{ResourceInfo, Setup, Status};
use crate::model::snapshot::{ComponentSpec, Gap};
use crate::util::error::{Error, InputError};

/// A control's facts, parsed once.
#[derive(Debug, Clone)]
pub(super) enum FactPath {
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

pub(super) struct PreparedControl {
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
pub(super) struct GapIndex {
    by_resource: HashMap<String, Vec<usize>>,
    /// Gaps on some facts of every resource of a type (no resource named, attributes named).
    by_type: Vec<usize>,
}

/// The snapshot record type a gap's `resource_type` or `source` points at, as a Cedar entity type.
/// Record types come from the snapshot's own list; a service name stands for the record type it
/// collects, and a few sources are not records at all.
pub(super) fn gap_entity_type(gap: &Gap) -> Option<&'static str> {
    let key = gap.resource_type.as_deref().unwrap_or(gap.source.as_str());
    if let Some(t) = crate::model::snapshot::entity_type_of(key) {
        return Some(t);
    }
    Some(match key {
        "rds" => "RdsDatabase",
        "s3" => "S3Bucket",
        "backup" => "BackupProtectedResource",
        "iam" => "IamPrincipal",
        "eks" => "EksCluster",
        "route53" => "Route53Failover",
        "opensearch" => "SearchDomain",
        "velero" => "VeleroSchedule",
        "document" | "docs" => "Document",
        "dr_test" | "dr_tests" => "DrTest",
        "cloudwatch_alarm" | "cloudwatch" => "AccountRegion",
        "component" => "Component",
        "program" => "Program",
        _ => return None,
    })
}

/// The Cedar entity type of a snapshot record type; empty for one this build does not know.
pub(super) fn kind_entity_type(kind: &str) -> &'static str {
    crate::model::snapshot::entity_type_of(kind).unwrap_or("")
}

impl GapIndex {
    pub(super) fn new(gaps: &[Gap]) -> Self {
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
pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
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
pub(super) struct Judge<'a> {
    catalog: &'a Catalog,
    controls: HashMap<&'static str, Vec<PreparedControl>>,
    pub(super) builder: CedarBuilder,
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
    pub(super) fn new(
        setup: &Setup<'a>,
        components: &[ComponentSpec],
        params: entities::Attrs,
        now: DateTime<Utc>,
        gaps: &'a [Gap],
        origin: &Path,
    ) -> Result<Self, Error> {
        let (catalog, plan, unknown) = (setup.catalog, setup.plan, setup.unknown);
        let builder =
            CedarBuilder::new(components, catalog.declared.clone()).map_err(Error::Other)?;
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
            (
                "params".to_string(),
                builder.record(
                    &params
                        .iter()
                        .filter(|(k, _)| catalog.declared.allows_param(k))
                        .cloned()
                        .collect(),
                ),
            ),
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
    /// The Cedar entities of component facts.
    pub(super) fn component_entities(&self, facts: &[Facts]) -> Result<Vec<Entity>, Error> {
        facts
            .iter()
            .map(|f| self.builder.entity(f).map(|(_, e)| e))
            .collect::<Result<_, _>>()
            .map_err(Error::Other)
    }

    pub(super) fn judge(
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

pub(super) fn fact_name(p: &FactPath) -> String {
    match p {
        FactPath::Resource(a) => format!("`{a}`"),
        FactPath::Component(a) => format!("component `{a}`"),
        FactPath::Now => "`now`".into(),
        FactPath::Param(p) => format!("parameter `{p}`"),
        FactPath::Unknown => "an unsupported fact".into(),
    }
}

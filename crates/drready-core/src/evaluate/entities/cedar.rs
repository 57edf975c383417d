//! Facts to Cedar entities: the one place entity values become Cedar expressions.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use cedar_policy::{Entity, EntityId, EntityTypeName, EntityUid, RestrictedExpression};

use super::{cedar_datetime, Attrs, Facts, Value};
use crate::model::snapshot::ComponentSpec;
use crate::util::duration;

/// The Cedar entity types drready judges, as its schema declares them.
pub const ENTITY_TYPES: &[&str] = &[
    "RdsDatabase",
    "S3Bucket",
    "BackupPlan",
    "BackupVault",
    "BackupProtectedResource",
    "AccountRegion",
    "IamPrincipal",
    "Component",
    "Document",
    "DrTest",
    "Program",
    "PlanChange",
    "SearchDomain",
    "EksCluster",
    "VeleroSchedule",
    "Route53Failover",
];

/// Turns facts into Cedar values and entities, with the type names parsed once.
pub struct CedarBuilder {
    types: HashMap<&'static str, EntityTypeName>,
    pub component_uids: Vec<EntityUid>,
    /// What the schema declares: other facts are left out of entities.
    declared: std::sync::Arc<crate::evaluate::catalog::Declared>,
}

impl CedarBuilder {
    pub fn new(
        components: &[ComponentSpec],
        declared: std::sync::Arc<crate::evaluate::catalog::Declared>,
    ) -> Result<Self, String> {
        let mut types = HashMap::new();
        for t in ENTITY_TYPES.iter().copied().chain(["Auditor"]) {
            types.insert(t, EntityTypeName::from_str(t).map_err(|e| e.to_string())?);
        }
        let mut b = Self {
            types,
            component_uids: Vec::new(),
            declared,
        };
        b.component_uids = components
            .iter()
            .map(|c| b.uid("Component", &c.name))
            .collect::<Result<_, _>>()?;
        Ok(b)
    }

    pub fn uid(&self, ty: &str, id: &str) -> Result<EntityUid, String> {
        let t = match self.types.get(ty) {
            Some(t) => t.clone(),
            None => EntityTypeName::from_str(ty).map_err(|e| e.to_string())?,
        };
        Ok(EntityUid::from_type_name_and_id(t, EntityId::new(id)))
    }

    pub fn value(&self, v: &Value) -> RestrictedExpression {
        match v {
            Value::Bool(b) => RestrictedExpression::new_bool(*b),
            Value::Long(n) => RestrictedExpression::new_long(*n),
            Value::Str(s) => RestrictedExpression::new_string(s.to_string()),
            Value::Datetime(t) => RestrictedExpression::new_datetime(cedar_datetime(*t)),
            Value::Duration(s) => cached_duration(*s, || {
                RestrictedExpression::new_duration(duration::cedar(*s))
            }),
            Value::Set(items) => RestrictedExpression::new_set(
                items
                    .iter()
                    .map(|s| RestrictedExpression::new_string(s.to_string())),
            ),
            Value::Component(i) => {
                RestrictedExpression::new_entity_uid(self.component_uids[*i as usize].clone())
            }
        }
    }

    pub fn record(&self, attrs: &Attrs) -> RestrictedExpression {
        // Attribute names are unique by construction, so this cannot fail.
        RestrictedExpression::new_record(attrs.iter().map(|(k, v)| (k.to_string(), self.value(v))))
            .unwrap_or_else(|_| RestrictedExpression::new_bool(false))
    }

    pub fn entity(&self, f: &Facts) -> Result<(EntityUid, Entity), String> {
        let uid = self.uid(f.entity_type, &f.id)?;
        let mut parents = HashSet::new();
        let mut attrs = HashMap::with_capacity(f.attrs.len());
        for (k, v) in &f.attrs {
            if let Value::Component(i) = v {
                parents.insert(self.component_uids[*i as usize].clone());
            }
            if self.declared.allows(f.entity_type, k) {
                attrs.insert(k.to_string(), self.value(v));
            }
        }
        let entity = Entity::new(uid.clone(), attrs, parents).map_err(|e| e.to_string())?;
        Ok((uid, entity))
    }
}

thread_local! {
    static EXTENSION_VALUES: std::cell::RefCell<HashMap<i64, RestrictedExpression>> =
        std::cell::RefCell::new(HashMap::new());
}

/// Duration expressions, reused by value (durations repeat: targets, lags in whole seconds).
/// Building one re-parses the constructor's name each time. Bounded, per thread.
fn cached_duration(
    seconds: i64,
    make: impl FnOnce() -> RestrictedExpression,
) -> RestrictedExpression {
    EXTENSION_VALUES.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(e) = cache.get(&seconds) {
            return e.clone();
        }
        if cache.len() >= 16_384 {
            cache.clear();
        }
        let e = make();
        cache.insert(seconds, e.clone());
        e
    })
}

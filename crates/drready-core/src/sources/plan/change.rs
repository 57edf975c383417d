//! One planned change as the plan has it, the configuration behind it (provider region, the
//! resources its attributes refer to), and the small readers every resource family shares.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde_json::Value as J;

use crate::model::plan::KNOWN_AFTER_APPLY;
use crate::model::snapshot::{Gap, Provenance};
use crate::util::error::InputError;

/// One planned change, as the plan has it.
#[derive(Debug, Clone)]
pub(super) struct Change<'a> {
    pub address: String,
    /// The address without instance keys (`module.a.aws_s3_bucket.b`), as configuration names it.
    pub plain: String,
    pub index: String,
    pub ty: &'a str,
    pub actions: Vec<&'a str>,
    pub before: &'a J,
    pub after: &'a J,
    pub unknown: &'a J,
}

/// The actions a plan's `change.actions` may hold (Terraform 0.12 to 1.x).
const ACTIONS: &[&str] = &["no-op", "create", "read", "update", "delete", "forget"];

/// The suffix of a resource drready makes up for a DR resource a change reaches but the plan does
/// not hold.
pub(super) const OUTSIDE: &str = " (not in the plan)";

impl Change<'_> {
    /// Whether the change alters the resource: created, updated, replaced or deleted.
    pub fn changes(&self) -> bool {
        self.actions
            .iter()
            .any(|a| matches!(*a, "create" | "update" | "delete"))
    }
    /// A string attribute as it will be, or as it was when the resource goes away.
    pub fn str_either(&self, key: &str) -> Option<&str> {
        self.str(key).or_else(|| {
            self.before
                .get(key)
                .and_then(J::as_str)
                .filter(|s| !s.is_empty())
        })
    }
    pub fn creates_or_updates(&self) -> bool {
        self.actions
            .iter()
            .any(|a| *a == "create" || *a == "update")
    }
    pub fn deletes(&self) -> bool {
        self.actions.contains(&"delete")
    }
    pub fn get(&self, key: &str) -> Option<&J> {
        self.after.get(key).filter(|v| !v.is_null())
    }
    pub fn is_unknown(&self, key: &str) -> bool {
        self.unknown
            .get(key)
            .is_some_and(|v| v == &J::Bool(true) || v.is_object() || v.is_array())
            && self.get(key).is_none()
    }
    pub fn str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(J::as_str).filter(|s| !s.is_empty())
    }
    pub fn index_suffix(&self) -> String {
        if self.index.is_empty() {
            String::new()
        } else {
            format!("[{}]", self.index)
        }
    }
    /// A DR resource made up for the changes that reach it (see `reach`).
    pub fn is_outside(&self) -> bool {
        self.address.ends_with(OUTSIDE)
    }
}

/// The managed resource changes of a plan, checked: every change has an address, a `change` and
/// known actions.
pub(super) fn changes<'a>(
    changes_json: &'a [J],
    path: &Path,
    empty: &'a J,
) -> Result<Vec<Change<'a>>, InputError> {
    let mut changes = Vec::new();
    for rc in changes_json {
        if rc
            .get("mode")
            .and_then(J::as_str)
            .is_some_and(|m| m != "managed")
        {
            continue;
        }
        let address = rc
            .get("address")
            .and_then(J::as_str)
            .ok_or_else(|| plan_error(path, "a resource change has no `address`"))?;
        let ty = rc.get("type").and_then(J::as_str).unwrap_or("");
        let change = rc.get("change").ok_or_else(|| {
            plan_error(path, format!("resource change `{address}` has no `change`"))
        })?;
        let actions: Vec<&str> = change
            .get("actions")
            .and_then(J::as_array)
            .map(|a| a.iter().filter_map(J::as_str).collect())
            .unwrap_or_default();
        if let Some(bad) = actions.iter().find(|a| !ACTIONS.contains(a)) {
            return Err(plan_error(
                path,
                format!(
                    "resource change `{address}` has unknown action `{bad}` (drready knows {})",
                    ACTIONS.join(", ")
                ),
            ));
        }
        if actions.is_empty() {
            return Err(plan_error(
                path,
                format!("resource change `{address}` has no `change.actions`"),
            ));
        }
        let (plain, index) = plain_address(address);
        let object = |key: &str| change.get(key).filter(|v| v.is_object()).unwrap_or(empty);
        changes.push(Change {
            address: address.to_string(),
            plain,
            index,
            ty,
            actions,
            before: object("before"),
            after: object("after"),
            unknown: object("after_unknown"),
        });
    }
    Ok(changes)
}

/// Split `module.a["x"].aws_s3_bucket.b[0]` into the plain address and the instance key of the resource.
pub(super) fn plain_address(address: &str) -> (String, String) {
    let mut plain = String::with_capacity(address.len());
    let mut depth = 0;
    let mut last_index = String::new();
    let mut current = String::new();
    for c in address.chars() {
        match c {
            '[' => {
                depth += 1;
                current.clear();
            }
            ']' => {
                depth -= 1;
                last_index = current.clone();
            }
            _ if depth > 0 => current.push(c),
            _ => {
                plain.push(c);
                last_index.clear();
            }
        }
    }
    (plain, last_index)
}

/// What configuration says of a resource: its provider key and expressions.
#[derive(Debug, Clone, Default)]
struct Configured {
    module: String,
    provider_key: String,
    expressions: J,
}

fn walk_config(module: &J, prefix: &str, out: &mut HashMap<String, Configured>) {
    if let Some(resources) = module.get("resources").and_then(J::as_array) {
        for r in resources {
            let Some(addr) = r.get("address").and_then(J::as_str) else {
                continue;
            };
            out.insert(
                format!("{prefix}{addr}"),
                Configured {
                    module: prefix.to_string(),
                    provider_key: r
                        .get("provider_config_key")
                        .and_then(J::as_str)
                        .unwrap_or("")
                        .to_string(),
                    expressions: r.get("expressions").cloned().unwrap_or(J::Null),
                },
            );
        }
    }
    if let Some(calls) = module.get("module_calls").and_then(J::as_object) {
        for (name, call) in calls {
            if let Some(m) = call.get("module") {
                walk_config(m, &format!("{prefix}module.{name}."), out);
            }
        }
    }
}

/// The region a provider configuration key stands for, when the plan says it.
fn provider_region(config: &J, key: &str) -> Option<String> {
    let providers = config.get("provider_config")?;
    let constant = |p: &J| {
        p.pointer("/expressions/region/constant_value")
            .and_then(J::as_str)
            .map(str::to_string)
    };
    providers.get(key).and_then(constant).or_else(|| {
        // Module-scoped keys (`db_instance:aws`) inherit the root provider unless they set a region.
        let name = key.rsplit(':').next().unwrap_or(key);
        providers.get(name).and_then(constant)
    })
}

/// The plan's configuration, read once: what each change's region is and what its attributes
/// refer to.
pub(super) struct Configuration<'p> {
    path: &'p Path,
    resources: HashMap<String, Configured>,
    json: J,
}

impl<'p> Configuration<'p> {
    pub fn new(plan: &J, path: &'p Path) -> Self {
        let mut resources = HashMap::new();
        if let Some(root) = plan.pointer("/configuration/root_module") {
            walk_config(root, "", &mut resources);
        }
        Configuration {
            path,
            resources,
            json: plan.get("configuration").cloned().unwrap_or(J::Null),
        }
    }

    pub fn region_of(&self, c: &Change<'_>) -> String {
        self.resources
            .get(&c.plain)
            .and_then(|cf| provider_region(&self.json, &cf.provider_key))
            .unwrap_or_default()
    }

    /// The address of the resource an attribute of `c` refers to (`bucket = aws_s3_bucket.b.id`).
    pub fn reference(&self, c: &Change<'_>, attr: &str) -> Option<String> {
        let cf = self.resources.get(&c.plain)?;
        let refs = cf.expressions.get(attr)?.get("references")?.as_array()?;
        refs.iter()
            .filter_map(J::as_str)
            .find(|r| r.matches('.').count() == 1)
            .map(|r| format!("{}{r}", cf.module))
    }

    pub fn provenance(&self, c: &Change<'_>) -> Option<Provenance> {
        Some(Provenance {
            source: format!("{} {}", self.path.display(), c.address),
            line: None,
            at: None,
        })
    }
}

pub(super) fn plan_error(path: &Path, message: impl Into<String>) -> InputError {
    InputError::plain(path, message)
}

/// The gap for a value Terraform knows only after apply.
pub(super) fn unknown_gap(c: &Change<'_>, kind: &str, attrs: &[&str], field: &str) -> Gap {
    Gap {
        source: "terraform".into(),
        operation: "plan".into(),
        resource: Some(c.address.clone()),
        resource_type: Some(kind.into()),
        attributes: attrs.iter().map(|a| (*a).to_string()).collect(),
        error_code: Some(KNOWN_AFTER_APPLY.into()),
        message: format!("`{field}` of `{}` is known only after apply", c.address),
        ..Gap::default()
    }
}

/// A string map (`tags`, `dimensions`) of a JSON object.
pub(super) fn string_map(v: Option<&J>) -> BTreeMap<String, String> {
    v.and_then(J::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

pub(super) fn tags_of(c: &Change<'_>) -> BTreeMap<String, String> {
    string_map(c.get("tags"))
}

/// A block's first element (Terraform writes nested blocks as lists), or the value itself.
pub(super) fn first(v: Option<&J>) -> Option<&J> {
    match v {
        Some(J::Array(items)) => items.first(),
        Some(J::Null) | None => None,
        other => other,
    }
}

/// A day count as the model holds it: within 100 years, else unknown (no evidence, never a pass).
pub(super) fn day_count(days: u64) -> Option<u32> {
    crate::util::duration::check_days(days)
        .ok()
        .and_then(|d| u32::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_lose_their_instance_keys() {
        assert_eq!(
            plain_address("module.a[\"x\"].aws_s3_bucket.b[0]"),
            ("module.a.aws_s3_bucket.b".into(), "0".into())
        );
        assert_eq!(
            plain_address("aws_db_instance.db"),
            ("aws_db_instance.db".into(), String::new())
        );
    }
}

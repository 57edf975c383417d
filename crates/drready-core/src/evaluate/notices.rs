//! What an evaluation tells besides verdicts: gaps naming unknown facts (an error), and warnings
//! about configuration that matched nothing and evidence not yet collected.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use super::catalog::Catalog;
use super::judge::{gap_cause, gap_entity_type};
use super::NOT_YET_COLLECTED;
use crate::model::config::Config;
use crate::model::snapshot::{ComponentSpec, Gap, SnapshotHeader};
use crate::util::error::{Error, InputError};

/// A gap that names facts must name at least one some control reads on that entity type: a gap
/// naming only unknown attributes would cover nothing, and the verdicts it should have made
/// no_evidence would be judged on absent facts instead.
pub(super) fn check_gap_attributes(
    catalog: &Catalog,
    gaps: &[Gap],
    origin: &Path,
) -> Result<(), Error> {
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
        // A fact the schema declares is a fact, even where no control reads it yet.
        let declared = catalog.declared.entities.get(ty);
        if !g.attributes.iter().any(|a| {
            known.is_some_and(|k| k.contains(a.as_str()))
                || declared.is_some_and(|d| d.contains(a.as_str()))
        }) {
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
pub(super) struct Seen<'a> {
    /// Resources per component (by index).
    pub held: &'a [usize],
    pub s3_patterns: &'a BTreeSet<usize>,
    pub s3_tags: &'a BTreeSet<usize>,
}

/// Warnings about configuration that matched nothing, and what was not assessed.
pub(super) fn notices(
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

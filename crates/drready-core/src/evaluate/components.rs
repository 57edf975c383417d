//! Components: which ones an evaluation has (config, snapshot, documents, the default), and the
//! evidence resources carry for them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::model::config::{self, Config};
use crate::model::snapshot::{ComponentSpec, Resource, SnapshotHeader};

/// A DR test named with where it was recorded: `2026-06-20-full-dr (dr-tests.jsonl:6)`.
pub(super) fn test_source(t: &crate::model::snapshot::DrTest) -> String {
    match &t.provenance {
        Some(p) => match p.line {
            Some(l) => format!("DR test {} ({}:{l})", t.id, p.source),
            None => format!("DR test {} ({})", t.id, p.source),
        },
        None => format!("DR test {}", t.id),
    }
}

/// The components of an evaluation: config first, then those the snapshot and its documents name,
/// then the default component.
pub(super) fn resolve_components(
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
        let h = |s: Option<u64>| s.map_or("-".into(), |s| crate::util::duration::human(s as i64));
        // A component given targets per disruption keeps them: another source's own RTO and RPO
        // are compared with its headline, not added to it.
        let by_disruption = !have.targets.is_empty();
        let shown = if by_disruption {
            have.headline()
        } else {
            crate::model::snapshot::Targets {
                rto_seconds: have.rto_seconds,
                rpo_seconds: have.rpo_seconds,
            }
        };
        if differs(spec.rto_seconds, shown.rto_seconds)
            || differs(spec.rpo_seconds, shown.rpo_seconds)
        {
            notes[i].push(format!(
                "{from} says RTO {} and RPO {}; {} wins",
                h(spec.rto_seconds),
                h(spec.rpo_seconds),
                have.source.as_deref().unwrap_or("config"),
            ));
        }
        let mut filled = false;
        for (d, t) in &spec.targets {
            let mine = have.targets.entry(*d).or_default();
            if differs(t.rto_seconds, mine.rto_seconds) || differs(t.rpo_seconds, mine.rpo_seconds)
            {
                notes[i].push(format!(
                    "{from} says {} RTO {} and RPO {}; {} wins",
                    d.as_str(),
                    h(t.rto_seconds),
                    h(t.rpo_seconds),
                    have.source.as_deref().unwrap_or("config"),
                ));
            }
            for (m, theirs) in [
                (&mut mine.rto_seconds, t.rto_seconds),
                (&mut mine.rpo_seconds, t.rpo_seconds),
            ] {
                if m.is_none() && theirs.is_some() {
                    *m = theirs;
                    filled = true;
                }
            }
        }
        let plain = if by_disruption {
            Vec::new()
        } else {
            vec![
                (&mut have.rto_seconds, spec.rto_seconds),
                (&mut have.rpo_seconds, spec.rpo_seconds),
                (&mut have.replica_rpo_seconds, spec.replica_rpo_seconds),
            ]
        };
        for (mine, theirs) in plain {
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
            let targets = crate::model::snapshot::Targets {
                rto_seconds: row.rto_seconds,
                rpo_seconds: row.rpo_seconds,
            };
            // A row for one disruption gives that disruption's targets, not the component's own.
            let spec = match row.disruption {
                Some(d) => ComponentSpec {
                    name: row.component.clone(),
                    targets: [(d, targets)].into(),
                    source: Some(source),
                    ..ComponentSpec::default()
                },
                None => ComponentSpec {
                    name: row.component.clone(),
                    rto_seconds: row.rto_seconds,
                    rpo_seconds: row.rpo_seconds,
                    source: Some(source),
                    ..ComponentSpec::default()
                },
            };
            add(spec, &mut specs, &mut notes);
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
pub(super) fn restore_point_age(r: &Resource, now: DateTime<Utc>) -> Option<i64> {
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
        Resource::OpensearchDomain(d) => d
            .snapshot_repositories
            .iter()
            .flatten()
            .filter_map(|r| r.newest_success)
            .max()
            .into_iter()
            .collect(),
        Resource::VeleroSchedule(v) => v.newest_completed.into_iter().collect(),
        _ => return None,
    };
    ages.into_iter()
        .max()
        .map(|t| (now - t).num_seconds().max(0))
}

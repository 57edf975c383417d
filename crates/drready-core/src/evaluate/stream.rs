//! The resource stream: batches judged on worker threads, their results merged in stream order.
//! Memory is bounded by the verdicts and the per-component evidence, not by the resource records.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};

use cedar_policy::Entity;
use chrono::{DateTime, Utc};

use super::components::restore_point_age;
use super::entities::{self, ComponentEvidence, Facts, ResourceContext};
use super::judge::{kind_entity_type, Judge};
use super::packed::Packed;
use super::{Interner, ResourceInfo};
use crate::model::config::Config;
use crate::model::snapshot::Resource;
use crate::util::error::{Error, InputError};

/// A restore that completed by the evaluation time: evidence of its component's recovery time.
pub(super) struct Restore {
    component: u32,
    finished: DateTime<Utc>,
    seconds: i64,
    source: String,
}

/// A data resource's newest restore point, as an age at the evaluation time.
pub(super) struct Exposure {
    component: u32,
    age: i64,
    resource: Box<str>,
}

/// What a worker sends back for one batch.
#[derive(Default)]
pub(super) struct BatchResult {
    offset: u32,
    infos: Vec<ResourceInfo>,
    verdicts: Vec<Packed>,
    restores: Vec<Restore>,
    exposures: Vec<Exposure>,
    account_regions: BTreeSet<(String, String)>,
    /// Which `[s3]` bucket patterns and tags matched a bucket (by index).
    s3_patterns: BTreeSet<usize>,
    s3_tags: BTreeSet<usize>,
}

/// What judging a batch needs, shared read-only by the workers.
pub(super) struct Batcher<'a> {
    pub judge: &'a Judge<'a>,
    pub config: &'a Config,
    pub as_of: DateTime<Utc>,
    pub cx: &'a ResourceContext<'a>,
    /// Component name → index.
    pub name_index: &'a HashMap<&'a str, u32>,
    pub default_component: u32,
    /// The components' targets, as facts and as the entities resources refer to.
    pub target_facts: &'a [Facts],
    pub target_entities: &'a [Entity],
    /// `[s3]` bucket patterns, compiled once, to tell which matched nothing.
    pub s3_globs: Vec<wildmatch::WildMatch>,
}

impl Batcher<'_> {
    /// The component a resource belongs to: the config's rules first, then its own tag.
    fn assign(&self, r: &Resource) -> u32 {
        self.config
            .component_for(r)
            .or_else(|| r.record().component())
            .and_then(|n| self.name_index.get(n).copied())
            .unwrap_or(self.default_component)
    }

    /// Judge one batch: its entities, verdicts and the evidence its resources carry.
    fn batch(&self, offset: u32, batch: Vec<Resource>) -> Result<BatchResult, Error> {
        let mut result = BatchResult {
            offset,
            ..BatchResult::default()
        };
        let mut facts = Vec::with_capacity(batch.len());
        let mut interner = Interner::default();
        for r in &batch {
            let rec = r.record();
            let component = self.assign(r);
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
            self.carried_evidence(r, component, &mut result);
            facts.push(entities::resource_facts(r, component, self.cx));
        }
        let batch_refs: Vec<(u32, &ResourceInfo, &Facts)> = facts
            .iter()
            .enumerate()
            .map(|(i, f)| (offset + i as u32, &result.infos[i], f))
            .collect();
        let mut verdicts = Vec::new();
        self.judge.judge(
            self.target_facts,
            self.target_entities,
            &batch_refs,
            &mut verdicts,
        )?;
        result.verdicts = verdicts;
        Ok(result)
    }

    /// Evidence a resource carries for its component (restores, restore point age) and which
    /// `[s3]` rules it matched.
    fn carried_evidence(&self, r: &Resource, component: u32, result: &mut BatchResult) {
        if let Resource::BackupProtectedResource(p) = r {
            for job in p.restores.iter().filter(|j| j.status == "COMPLETED") {
                if let Some(done) = job.finished.filter(|d| *d <= self.as_of) {
                    result.restores.push(Restore {
                        component,
                        finished: done,
                        seconds: (done - job.started).num_seconds(),
                        source: format!("restore job {}", job.id),
                    });
                }
            }
        }
        if let Resource::S3Bucket(b) = r {
            let name = b.name.as_deref().unwrap_or(&b.id);
            for (i, g) in self.s3_globs.iter().enumerate() {
                if g.matches(name) {
                    result.s3_patterns.insert(i);
                }
            }
            for (i, (k, v)) in self.config.s3.tags.iter().enumerate() {
                if b.tags.get(k) == Some(v) {
                    result.s3_tags.insert(i);
                }
            }
        }
        if let Some(age) = restore_point_age(r, self.as_of) {
            result.exposures.push(Exposure {
                component,
                age,
                resource: r.record().id().into(),
            });
        }
    }
}

/// Judge the streamed resources on `threads` workers (each on a large stack: Cedar's evaluator
/// recurses on the policies' nesting). The results come back in any order.
pub(super) fn run(
    batcher: &Batcher<'_>,
    threads: usize,
    source: impl FnOnce(&mut dyn FnMut(Vec<Resource>) -> Result<(), String>) -> Result<(), InputError>,
) -> Result<Vec<BatchResult>, Error> {
    let (results, streamed) = std::thread::scope(
        |scope| -> Result<(Vec<BatchResult>, Result<(), InputError>), Error> {
            let (tx, rx) = mpsc::sync_channel::<(u32, Vec<Resource>)>(threads * 2);
            let rx = Arc::new(Mutex::new(rx));
            let mut handles = Vec::new();
            for _ in 0..threads {
                let rx = Arc::clone(&rx);
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
                            done.push(batcher.batch(offset, batch)?);
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
    Ok(results)
}

/// The batches merged in stream order.
pub(super) struct Merged {
    pub resources: Vec<ResourceInfo>,
    pub verdicts: Vec<Packed>,
    /// Per component: the restores and measurements that evidence it.
    pub evidence: Vec<ComponentEvidence>,
    /// Per component: the oldest newest-restore-point age, and the resource it belongs to.
    pub exposure: Vec<Option<(i64, Box<str>)>>,
    pub account_regions: BTreeSet<(String, String)>,
    pub s3_patterns: BTreeSet<usize>,
    pub s3_tags: BTreeSet<usize>,
}

/// Merge the batches (`components`: how many components there are). A resource listed twice is
/// an error naming the snapshot.
pub(super) fn merge(
    mut results: Vec<BatchResult>,
    components: usize,
    origin: &Path,
) -> Result<Merged, Error> {
    results.sort_by_key(|r| r.offset);
    let mut m = Merged {
        resources: Vec::new(),
        verdicts: Vec::new(),
        evidence: vec![ComponentEvidence::default(); components],
        exposure: vec![None; components],
        account_regions: BTreeSet::new(),
        s3_patterns: BTreeSet::new(),
        s3_tags: BTreeSet::new(),
    };
    for r in results {
        m.s3_patterns.extend(r.s3_patterns);
        m.s3_tags.extend(r.s3_tags);
        m.resources.extend(r.infos);
        m.verdicts.extend(r.verdicts);
        for x in r.restores {
            m.evidence[x.component as usize].add_restore(x.finished, x.seconds, x.source);
        }
        for x in r.exposures {
            let slot = &mut m.exposure[x.component as usize];
            if slot.as_ref().is_none_or(|(a, _)| x.age > *a) {
                *slot = Some((x.age, x.resource));
            }
        }
        m.account_regions.extend(r.account_regions);
    }
    let mut seen = HashSet::with_capacity(m.resources.len());
    for r in &m.resources {
        if !seen.insert((&*r.id, r.entity_type)) {
            let message = format!("the snapshot lists resource `{}` twice", r.id);
            return Err(InputError::plain(origin, message).into());
        }
    }
    Ok(m)
}

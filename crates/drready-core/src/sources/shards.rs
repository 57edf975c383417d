//! Merging the shards of one collection (`drready collect --shard I/N`) into one snapshot. The
//! shards must be one run's: the same count, config, tool and units, every index once, and between
//! them every unit collected exactly once; anything else is an error naming the files, never a
//! smaller audit. Headers are read whole (they are small); resources stream from every shard at
//! once and are merged in order, so memory holds a batch per shard, not the organization.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use crate::model::load::{read_header, stream_resources};
use crate::model::snapshot::{Partition, Resource, Scope, Snapshot, SnapshotHeader};
use crate::util::error::{Error, InputError};

/// Resources read at a time from each shard.
const BATCH: usize = 512;

/// The merged header: what every shard agrees on, and the union of what each found.
pub struct Merged {
    pub header: SnapshotHeader,
    /// The shards in index order.
    pub shards: Vec<PathBuf>,
}

/// Read the shards' headers and check that they are one run's partition, exactly.
pub fn check(paths: &[PathBuf]) -> Result<Merged, InputError> {
    let Some(first_path) = paths.first() else {
        return Err(InputError::plain(Path::new("merge"), "no shard given"));
    };
    let mut shards: Vec<(PathBuf, SnapshotHeader, Partition)> = Vec::new();
    for p in paths {
        let h = read_header(p)?;
        let Some(part) = h.scope.partition.clone() else {
            return Err(InputError::plain(
                p,
                "not a shard: the snapshot has no `scope.partition` (it was not collected with `--shard`)",
            ));
        };
        shards.push((p.clone(), h, part));
    }
    let (h0, p0) = (shards[0].1.clone(), shards[0].2.clone());
    for (p, h, part) in &shards[1..] {
        let differs = |what: &str| {
            InputError::plain(
                p,
                format!(
                    "not a shard of the same run as {}: {what} differs",
                    first_path.display()
                ),
            )
        };
        if part.count != p0.count {
            return Err(differs(&format!(
                "the shard count ({} against {})",
                part.count, p0.count
            )));
        }
        if part.config_sha256 != p0.config_sha256 {
            return Err(differs("the config (its SHA-256)"));
        }
        if part.units != p0.units {
            return Err(differs(
                "the accounts and regions the run had (the organization changed between shards?)",
            ));
        }
        if h.tool_version != h0.tool_version {
            return Err(differs(&format!(
                "the drready version ({} against {})",
                h.tool_version, h0.tool_version
            )));
        }
        if h.schema_version != h0.schema_version {
            return Err(differs("the snapshot schema version"));
        }
        if h.scope.regions != h0.scope.regions || h.scope.dr_region != h0.scope.dr_region {
            return Err(differs("the regions"));
        }
    }
    // Every index once.
    let mut by_index: BTreeMap<u32, &PathBuf> = BTreeMap::new();
    for (p, _, part) in &shards {
        if let Some(other) = by_index.insert(part.index, p) {
            return Err(InputError::plain(
                p,
                format!(
                    "shard {}/{} is given twice (also {})",
                    part.index,
                    part.count,
                    other.display()
                ),
            ));
        }
    }
    if let Some(missing) = (0..p0.count).find(|i| !by_index.contains_key(i)) {
        return Err(InputError::plain(
            first_path,
            format!(
                "shard {missing}/{} is missing: {} of {} shards given",
                p0.count,
                by_index.len(),
                p0.count
            ),
        ));
    }
    // Every unit collected by exactly one shard, and by none it does not belong to.
    let all: BTreeSet<&String> = p0.units.iter().collect();
    let mut owner: BTreeMap<&String, &PathBuf> = BTreeMap::new();
    for (p, _, part) in &shards {
        for u in &part.collected {
            if !all.contains(u) {
                return Err(InputError::plain(
                    p,
                    format!("collected {u}, which is not one of the run's units"),
                ));
            }
            if let Some(other) = owner.insert(u, p) {
                return Err(InputError::plain(
                    p,
                    format!("{u} was collected twice (also by {})", other.display()),
                ));
            }
        }
    }
    if let Some(hole) = p0.units.iter().find(|u| !owner.contains_key(u)) {
        return Err(InputError::plain(
            first_path,
            format!("{hole} was collected by no shard"),
        ));
    }

    shards.sort_by_key(|(_, _, part)| part.index);
    // Accounts in the run's order (the order of its units).
    let mut accounts: Vec<String> = Vec::new();
    for u in &p0.units {
        let account = u.split_once('/').map_or(u.as_str(), |(a, _)| a);
        if !accounts.iter().any(|a| a == account) {
            accounts.push(account.to_string());
        }
    }
    let mut collectors: Vec<String> = Vec::new();
    for (_, h, _) in &shards {
        if let Some(c) = &h.scope.collected_by {
            if !collectors.contains(c) {
                collectors.push(c.clone());
            }
        }
    }
    let mut header = SnapshotHeader {
        schema_version: h0.schema_version,
        collected_at: shards
            .iter()
            .map(|(_, h, _)| h.collected_at)
            .max()
            .unwrap_or(h0.collected_at),
        tool_version: h0.tool_version.clone(),
        scope: Scope {
            accounts,
            regions: h0.scope.regions.clone(),
            dr_region: h0.scope.dr_region.clone(),
            collected_by: (!collectors.is_empty()).then(|| collectors.join(", ")),
            partition: None,
        },
        components: Vec::new(),
        documents: Vec::new(),
        dr_tests: Vec::new(),
        gaps: Vec::new(),
        program: Default::default(),
        alarms: Vec::new(),
    };
    for (_, h, _) in &shards {
        header.components.extend(h.components.iter().cloned());
        header.documents.extend(h.documents.iter().cloned());
        header.dr_tests.extend(h.dr_tests.iter().cloned());
        header.gaps.extend(h.gaps.iter().cloned());
        header.alarms.extend(h.alarms.iter().cloned());
        // The run-wide facts are read by the shard holding the run's first account.
        if h.program.results_store.is_some() {
            header.program = h.program.clone();
        }
    }
    let mut sorted = Snapshot {
        schema_version: header.schema_version,
        collected_at: header.collected_at,
        tool_version: String::new(),
        scope: Scope::default(),
        components: Vec::new(),
        documents: Vec::new(),
        dr_tests: Vec::new(),
        gaps: std::mem::take(&mut header.gaps),
        program: Default::default(),
        alarms: std::mem::take(&mut header.alarms),
        resources: Vec::new(),
    };
    sorted.normalize();
    header.gaps = sorted.gaps;
    header.alarms = sorted.alarms;
    Ok(Merged {
        header,
        shards: shards.into_iter().map(|(p, _, _)| p).collect(),
    })
}

/// Write the merged snapshot: its header, then the resources of every shard merged in the order
/// each is written in (type, then id), as they stream in.
pub fn write(merged: Merged, out: &mut dyn Write) -> Result<(), Error> {
    let h = merged.header;
    let head = Snapshot {
        schema_version: h.schema_version,
        collected_at: h.collected_at,
        tool_version: h.tool_version,
        scope: h.scope,
        components: h.components,
        documents: h.documents,
        dr_tests: h.dr_tests,
        gaps: h.gaps,
        program: h.program,
        alarms: h.alarms,
        resources: Vec::<Resource>::new(),
    };
    let text = serde_json::to_string_pretty(&head).map_err(|e| Error::Other(e.to_string()))?;
    let Some(open) = text.rfind("\"resources\": []") else {
        return Err(Error::Other(
            "the merged header has no resources key".into(),
        ));
    };
    let io = |e| Error::io("writing the merged snapshot", e);
    out.write_all(&text.as_bytes()[..open]).map_err(io)?;
    out.write_all(b"\"resources\": [").map_err(io)?;

    // One reader thread per shard, each a sorted stream of batches.
    std::thread::scope(|scope| -> Result<(), Error> {
        let mut streams = Vec::new();
        for path in &merged.shards {
            let (tx, rx) = mpsc::sync_channel::<Vec<Resource>>(1);
            let handle = scope.spawn(move || {
                stream_resources(path, BATCH, &mut |batch| {
                    tx.send(batch).map_err(|_| "the merge stopped".to_string())
                })
            });
            streams.push(Stream {
                rx,
                head: None,
                rest: Vec::new().into_iter(),
                handle: Some(handle),
                path,
            });
        }
        let mut first = true;
        loop {
            for s in &mut streams {
                s.fill()?;
            }
            // The stream whose next resource comes first.
            let Some(best) = streams
                .iter_mut()
                .filter(|s| s.head.is_some())
                .min_by(|a, b| order(a.head.as_ref()).cmp(&order(b.head.as_ref())))
            else {
                break;
            };
            let Some(r) = best.head.take() else { break };
            let json = serde_json::to_string(&r).map_err(|e| Error::Other(e.to_string()))?;
            out.write_all(if first { b"\n    " } else { b",\n    " })
                .map_err(io)?;
            out.write_all(json.as_bytes()).map_err(io)?;
            first = false;
        }
        Ok(())
    })?;
    out.write_all(b"\n  ]\n}\n").map_err(io)?;
    Ok(())
}

/// The order snapshots write resources in.
fn order(r: Option<&Resource>) -> (&str, &str) {
    r.map_or(("", ""), |r| (r.type_name(), r.record().id()))
}

type Reader<'s> = std::thread::ScopedJoinHandle<'s, Result<bool, InputError>>;

struct Stream<'s> {
    rx: mpsc::Receiver<Vec<Resource>>,
    /// The shard's next resource.
    head: Option<Resource>,
    rest: std::vec::IntoIter<Resource>,
    handle: Option<Reader<'s>>,
    path: &'s Path,
}

impl Stream<'_> {
    /// Make `head` the next resource, reading the next batch when this one is used up; at the
    /// end, `head` stays `None` (and an error of the shard's reader is returned).
    fn fill(&mut self) -> Result<(), Error> {
        while self.head.is_none() {
            if let Some(r) = self.rest.next() {
                self.head = Some(r);
                break;
            }
            match self.rx.recv() {
                Ok(batch) => self.rest = batch.into_iter(),
                Err(_) => {
                    if let Some(h) = self.handle.take() {
                        match h.join() {
                            Ok(Ok(_)) => {}
                            Ok(Err(e)) => return Err(e.into()),
                            Err(_) => {
                                return Err(Error::Other(format!(
                                    "reading {} failed",
                                    self.path.display()
                                )))
                            }
                        }
                    }
                    break;
                }
            }
        }
        Ok(())
    }
}

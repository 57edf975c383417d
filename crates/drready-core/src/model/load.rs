//! Reading snapshot files: the header in one pass, the resources streamed in batches in another,
//! so that evaluation never holds every resource in memory. Errors name the file, line and column.

use std::fmt;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::model::snapshot::{
    Resource, Snapshot, SnapshotHeader, READABLE_VERSIONS, SCHEMA_VERSION,
};
use crate::util::error::{json_error, InputError};

const READ_BUFFER: usize = 1 << 20;

fn open(
    path: &Path,
) -> Result<serde_json::Deserializer<serde_json::de::IoRead<BufReader<File>>>, InputError> {
    // Read twice (header, then resources): a pipe cannot be, so only a regular file is taken.
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => {
            return Err(InputError::plain(
                path,
                "not a regular file: save the snapshot to a file first",
            ))
        }
        Err(e) => return Err(InputError::io(path, &e)),
        Ok(_) => {}
    }
    let file = File::open(path).map_err(|e| InputError::io(path, &e))?;
    Ok(serde_json::Deserializer::from_reader(
        BufReader::with_capacity(READ_BUFFER, file),
    ))
}

fn check_version(path: &Path, version: u32) -> Result<(), InputError> {
    if !READABLE_VERSIONS.contains(&version) {
        return Err(unsupported(path, &version.to_string()));
    }
    Ok(())
}

fn unsupported(path: &Path, version: &str) -> InputError {
    InputError::plain(
        path,
        format!(
            "unsupported snapshot `schema_version` {version} (this drready reads 1 to {SCHEMA_VERSION})"
        ),
    )
}

fn readable(v: &serde_json::Value) -> bool {
    v.as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .is_some_and(|n| READABLE_VERSIONS.contains(&n))
}

/// When a snapshot does not parse, a wrong `schema_version` is the more useful message.
fn version_error(path: &Path) -> Option<InputError> {
    #[derive(Deserialize)]
    struct VersionOnly {
        schema_version: Option<serde_json::Value>,
    }
    let mut de = open(path).ok()?;
    let v = VersionOnly::deserialize(&mut de).ok()?;
    match v.schema_version {
        Some(v) if readable(&v) => None,
        Some(other) => Some(unsupported(path, &other.to_string())),
        None => None,
    }
}

/// Read everything but the resources.
pub fn read_header(path: &Path) -> Result<SnapshotHeader, InputError> {
    let mut de = open(path)?;
    let doc = match Snapshot::<IgnoredAny>::deserialize(&mut de).and_then(|d| de.end().map(|()| d))
    {
        Ok(doc) => doc,
        Err(e) => return Err(version_error(path).unwrap_or_else(|| json_error(path, &e))),
    };
    check_version(path, doc.schema_version)?;
    Ok(doc.split().0)
}

/// The top-level keys of a snapshot other than `resources`.
const HEADER_KEYS: &[&str] = &[
    "schema_version",
    "collected_at",
    "tool_version",
    "scope",
    "components",
    "documents",
    "dr_tests",
    "gaps",
    "program",
    "alarms",
];

const STOP: &str = "drready: header read";

/// Read the header from the keys before `resources`, without reading the resources: cheap when, as
/// drready and its generator write them, `resources` comes last. `None` when that does not give a
/// whole header (a required key comes after `resources`, or the file is malformed); use
/// `read_header` then, which reads it all and reports errors.
pub fn read_header_before_resources(path: &Path) -> Result<Option<SnapshotHeader>, InputError> {
    struct Keys<'a>(&'a mut serde_json::Map<String, serde_json::Value>);
    impl<'de> Visitor<'de> for Keys<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a snapshot object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<String>()? {
                if key == "resources" {
                    // Stop here: the caller knows this error for what it is.
                    return Err(serde::de::Error::custom(STOP));
                }
                let value: serde_json::Value = map.next_value()?;
                self.0.insert(key, value);
            }
            Ok(())
        }
    }
    let mut keys = serde_json::Map::new();
    let mut de = open(path)?;
    match serde::Deserializer::deserialize_map(&mut de, Keys(&mut keys)) {
        Err(e) if e.to_string().starts_with(STOP) => {}
        _ => return Ok(None),
    }
    match serde_json::from_value::<Snapshot<IgnoredAny>>(serde_json::Value::Object(keys)) {
        Ok(doc) if READABLE_VERSIONS.contains(&doc.schema_version) => Ok(Some(doc.split().0)),
        _ => Ok(None),
    }
}

/// Read a whole snapshot into memory (for small files and tests).
pub fn read_snapshot(path: &Path) -> Result<Snapshot, InputError> {
    let text = crate::util::files::read_text(path, crate::util::files::MAX_REPORT_BYTES)?;
    parse_snapshot(&text, path)
}

/// Parse snapshot text; `path` names it in errors.
pub fn parse_snapshot(text: &str, path: &Path) -> Result<Snapshot, InputError> {
    let snapshot: Snapshot = match serde_json::from_str(text) {
        Ok(s) => s,
        Err(e) => {
            #[derive(Deserialize)]
            struct VersionOnly {
                schema_version: Option<serde_json::Value>,
            }
            if let Ok(VersionOnly {
                schema_version: Some(v),
            }) = serde_json::from_str(text)
            {
                if !readable(&v) {
                    return Err(unsupported(path, &v.to_string()));
                }
            }
            return Err(json_error(path, &e));
        }
    };
    check_version(path, snapshot.schema_version)?;
    Ok(snapshot)
}

/// Stream the resources of a snapshot file to `sink` in batches of `batch` records, in file order.
/// The sink returns `Err(message)` to stop early. Returns whether a header key came after
/// `resources` (so that a header read by `read_header_before_resources` missed it).
pub fn stream_resources(
    path: &Path,
    batch: usize,
    sink: &mut dyn FnMut(Vec<Resource>) -> Result<(), String>,
) -> Result<bool, InputError> {
    struct Top<'a> {
        batch: usize,
        sink: &'a mut dyn FnMut(Vec<Resource>) -> Result<(), String>,
        late: &'a mut bool,
    }
    impl<'de> Visitor<'de> for Top<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a snapshot object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let Top { batch, sink, late } = self;
            let mut seen_resources = false;
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if key == "resources" {
                    seen_resources = true;
                    map.next_value_seed(Resources {
                        batch,
                        sink: &mut *sink,
                    })?;
                } else if HEADER_KEYS.contains(&key.as_ref()) {
                    *late |= seen_resources;
                    map.next_value::<IgnoredAny>()?;
                } else {
                    return Err(serde::de::Error::unknown_field(&key, HEADER_KEYS));
                }
            }
            Ok(())
        }
    }
    struct Resources<'a> {
        batch: usize,
        sink: &'a mut dyn FnMut(Vec<Resource>) -> Result<(), String>,
    }
    impl<'de> DeserializeSeed<'de> for Resources<'_> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }
    impl<'de> Visitor<'de> for Resources<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array of resources")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let mut buf = Vec::with_capacity(self.batch);
            while let Some(r) = seq.next_element::<Resource>()? {
                buf.push(r);
                if buf.len() == self.batch {
                    let full = std::mem::replace(&mut buf, Vec::with_capacity(self.batch));
                    (self.sink)(full).map_err(serde::de::Error::custom)?;
                }
            }
            if !buf.is_empty() {
                (self.sink)(buf).map_err(serde::de::Error::custom)?;
            }
            Ok(())
        }
    }
    let mut late = false;
    let mut de = open(path)?;
    serde::Deserializer::deserialize_map(
        &mut de,
        Top {
            batch,
            sink,
            late: &mut late,
        },
    )
    .and_then(|()| de.end())
    .map_err(|e| json_error(path, &e))?;
    Ok(late)
}

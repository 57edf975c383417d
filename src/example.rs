//! The bundled example: a snapshot and config modelled on a real platform's DR documentation
//! (`evidence/example/`), embedded so that `drready audit --example` works from any folder.

use std::path::Path;

use crate::error::InputError;
use crate::snapshot::Snapshot;

pub const SNAPSHOT_PATH: &str = "evidence/example/snapshot.json";
pub const CONFIG_PATH: &str = "evidence/example/drready.toml";
pub const SNAPSHOT: &str = include_str!("../evidence/example/snapshot.json");
pub const CONFIG: &str = include_str!("../evidence/example/drready.toml");

pub fn snapshot() -> Result<Snapshot, InputError> {
    crate::load::parse_snapshot(SNAPSHOT, Path::new(SNAPSHOT_PATH))
}

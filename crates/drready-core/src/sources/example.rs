//! The bundled example: a snapshot, config, DR documents and DR test history modelled on a real
//! platform's DR documentation (`evidence/example/`), embedded so that `drready audit --example`
//! works from any folder.

use std::path::Path;

use crate::model::snapshot::Snapshot;
use crate::util::error::InputError;

pub const SNAPSHOT_PATH: &str = "evidence/example/snapshot.json";
pub const CONFIG_PATH: &str = "evidence/example/drready.toml";
pub const SNAPSHOT: &str = include_str!("../../../../evidence/example/snapshot.json");
pub const CONFIG: &str = include_str!("../../../../evidence/example/drready.toml");

macro_rules! embed {
    ($($path:literal),* $(,)?) => {
        &[$((concat!("evidence/example/", $path), include_str!(concat!("../../../../evidence/example/", $path)))),*]
    };
}

/// The example's files that the config names, by path.
pub const FILES: &[(&str, &str)] = embed![
    "docs/disaster-recovery/README.md",
    "docs/disaster-recovery/DISASTER_RECOVERY_PLAN.md",
    "docs/disaster-recovery/procedures/FAILOVER_PROCEDURES.md",
    "docs/disaster-recovery/procedures/RTO_RPO_VALIDATION.md",
    "docs/disaster-recovery/tests/DR_TESTING_SCHEDULE.md",
    "docs/disaster-recovery/scripts/restore-database.sh",
    "dr-tests/2025-2026.jsonl",
];

pub fn snapshot() -> Result<Snapshot, InputError> {
    crate::model::load::parse_snapshot(SNAPSHOT, Path::new(SNAPSHOT_PATH))
}

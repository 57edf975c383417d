//! drready: could we recover from a disaster today, and can we prove it?
//!
//! The stages, each a function from one type to the next:
//! snapshot ([`model::snapshot::Snapshot`]) → [`evaluate`] (Cedar) → verdicts → [`decide`] (score,
//! gate, remediation plan) → reports ([`report`]) and bundles ([`evidence`]).

pub mod aws;
pub mod cli;
pub mod decide;
pub mod evaluate;
pub mod evidence;
pub mod model;
pub mod report;
pub mod sources;
pub mod util;

/// This build's version, as recorded in reports and snapshots.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

//! drready: could we recover from a disaster today, and can we prove it?
//!
//! The stages, each a function from one type to the next:
//! snapshot ([`snapshot::Snapshot`]) → [`evaluate`] (Cedar) → verdicts → [`score`] → reports
//! ([`report`]) and an exit code ([`gate`]).

pub mod cli;
pub mod collect;
pub mod config;
pub mod duration;
pub mod error;
pub mod evaluate;
pub mod evidence;
pub mod example;
pub mod files;
pub mod gate;
pub mod load;
pub mod plan;
pub mod remediate;
pub mod report;
pub mod rules;
pub mod score;
pub mod snapshot;
pub mod stack;
pub mod synth;
pub mod text;
pub mod upload;
pub mod waivers;

/// This build's version, as recorded in reports and snapshots.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

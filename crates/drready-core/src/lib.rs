//! drready's core: everything but AWS and the command line. The model, the offline sources, Cedar
//! evaluation, decisions (score, gate, remediation planning), renderers and evidence bundles. It
//! builds without the AWS SDK and without an async runtime; the layer rules are in the `drready`
//! crate's `src/lib.rs`.

pub mod decide;
pub mod evaluate;
pub mod evidence;
#[cfg(test)]
mod layers;
pub mod model;
pub mod report;
pub mod sources;
pub mod util;

/// This build's version, as recorded in reports and snapshots.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

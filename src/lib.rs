//! drready: could we recover from a disaster today, and can we prove it?
//!
//! The stages, each a function from one type to the next: collect (`aws`, `sources`) → snapshot
//! ([`model::snapshot::Snapshot`]) → [`evaluate`] (Cedar) → verdicts → [`decide`] (score, gate,
//! remediation plan) → [`report`] (renders) and [`evidence`] (bundles) → [`cli`] (prints, exits).
//!
//! # Layers
//!
//! Each layer is a folder: `cli` here; `aws` is the `drready-aws` crate (`crates/drready-aws`);
//! the others are folders of the `drready-core` crate (`crates/drready-core/src`), which builds
//! without the AWS SDK or an async runtime. A layer uses only the layers its row names. A test
//! (`crates/drready-core/src/layers.rs`) reads every `crate::`, `super::` and `drready_core::` path
//! in non-test code of the three crates, inline paths inside function bodies included, and fails on
//! any other; it reads this very table.
//!
//! | layer | holds | may use |
//! |---|---|---|
//! | `util` | leaf helpers: errors, durations, ARNs, bounded file reads, text escaping, big stacks | |
//! | `model` | the snapshot, its reader, the config, remediation plans as data, the DR rules both producers share | util |
//! | `sources` | offline inputs read into the model: DR documents, test history, Terraform plans, the example, synth | util, model |
//! | `aws` | everything that calls AWS: session, one collector per service, remediation apply, upload | util, model |
//! | `evaluate` | Cedar: the catalog, entities, verdicts, their explanations (the only place Cedar types appear) | util, model |
//! | `decide` | score, gate and waivers, remediation planning, the trend, the run's settings | util, model, evaluate |
//! | `report` | renderers: read no files, decide nothing | util, model, evaluate, decide |
//! | `evidence` | bundles: write, verify, read previous audits | util, model, evaluate, decide |
//! | `cli` | one file per subcommand; the only code that prints, builds a runtime or knows exit codes | util, model, sources, aws, evaluate, decide, report, evidence |
//!
//! Where a new thing goes: a new AWS service is a collector in `crates/drready-aws/src/` plus its
//! records in `model/snapshot.rs` (and its Terraform resources in `sources/plan/`, one file per
//! resource family); a new report format is a module in `report/` with one `render`; a new
//! subcommand is a file in `src/cli/`; a new control is a policy in `policies/` (documented in
//! `docs/controls.md`, generated from its annotations).

#[cfg(feature = "aws")]
pub use drready_aws as aws;
pub use drready_core::{decide, evaluate, evidence, model, report, sources, util, VERSION};

pub mod cli;

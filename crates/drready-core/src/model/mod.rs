//! The model: the snapshot (the one seam between collecting and judging), the configuration, and
//! the DR rules every producer of facts shares (live collectors and the Terraform reader alike).
//! No I/O but reading its own files, no Cedar, no AWS SDK.

pub mod config;
pub mod load;
pub mod plan;
pub mod platform;
pub mod remediation;
pub mod rules;
pub mod snapshot;

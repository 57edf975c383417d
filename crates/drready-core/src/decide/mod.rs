//! Decisions on verdicts: the score (`score`), the CI gate with its waivers and baseline (`gate`,
//! `waivers`), and the remediation plan (`remediation`). Pure data in, pure data out.

pub mod gate;
pub mod period;
pub mod remediation;
pub mod score;
pub mod settings;
pub mod trend;
pub mod waivers;

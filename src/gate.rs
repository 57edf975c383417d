//! The run's verdict as an exit code, decided once, here. Renderers never decide it.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success (or the gate passed) |
//! | 1 | a failing control at or above `--fail-on` |
//! | 2 | error: bad input or a tool failure |
//! | 3 | incomplete evidence under `--strict` (some verdict is no_evidence) |

use crate::evaluate::catalog::{Catalog, Severity};
use crate::evaluate::{Evaluation, Status};

pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;
pub const EXIT_INCOMPLETE: i32 = 3;

/// What the run should exit with. A failing finding outranks incomplete evidence.
pub fn exit_code(
    catalog: &Catalog,
    eval: &Evaluation,
    fail_on: Option<Severity>,
    strict: bool,
) -> i32 {
    if let Some(threshold) = fail_on {
        let failed = eval.statuses().any(|(c, _, s)| {
            s == Status::Fail && catalog.controls[c as usize].severity >= threshold
        });
        if failed {
            return EXIT_FINDINGS;
        }
    }
    if strict && eval.statuses().any(|(_, _, s)| s == Status::NoEvidence) {
        return EXIT_INCOMPLETE;
    }
    EXIT_OK
}

//! drready's exit codes, in one place (the README's table says the same).
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success (or the gate passed) |
//! | 1 | a failing control at or above `--fail-on`; a bundle that does not verify; a failed remediation step |
//! | 2 | error: bad input or a tool failure |
//! | 3 | incomplete evidence under `--strict` (some verdict is no_evidence) |

use crate::decide::gate::Decision;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok,
    Findings,
    Error,
    Incomplete,
}

impl Exit {
    pub const fn code(self) -> i32 {
        match self {
            Self::Ok => 0,
            Self::Findings => 1,
            Self::Error => 2,
            Self::Incomplete => 3,
        }
    }
}

impl From<Decision> for Exit {
    fn from(d: Decision) -> Self {
        match d {
            Decision::Pass => Self::Ok,
            Decision::Findings => Self::Findings,
            Decision::Incomplete => Self::Incomplete,
        }
    }
}

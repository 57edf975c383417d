//! Leaf helpers: errors, durations, bounded file reads, text escaping, the big stack Cedar needs.
//! They use nothing else of drready.

pub mod arn;
pub mod duration;
pub mod error;
pub mod files;
pub mod stack;
pub mod text;

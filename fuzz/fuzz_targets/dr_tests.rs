//! Fuzz DR test history files, as JSON and as JSON Lines: tests or a located error, never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = drready_core::sources::dr_tests::parse(&text, Path::new("history.json"));
    let _ = drready_core::sources::dr_tests::parse(&text, Path::new("history.jsonl"));
});

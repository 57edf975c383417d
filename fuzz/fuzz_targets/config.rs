//! Fuzz `drready.toml`: any text gives a config or a located error, never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = drready_core::model::config::Config::parse(&text, Path::new("drready.toml"));
});

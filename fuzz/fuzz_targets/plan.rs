//! Fuzz the Terraform plan reader: any bytes give a planned snapshot or an error, never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let config = drready_core::model::config::Config::default();
    let at = chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap_or_default();
    let _ = drready_core::sources::plan::read(text, Path::new("plan.json"), &config, at);
});

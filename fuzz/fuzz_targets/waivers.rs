//! Fuzz waivers (TOML) and baselines (JSON): parsed or a located error, never a panic.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use drready_core::evaluate::catalog::Catalog;
use libfuzzer_sys::fuzz_target;

fn catalog() -> &'static Catalog {
    static C: OnceLock<Catalog> = OnceLock::new();
    C.get_or_init(|| Catalog::load(None).expect("the built-in catalog"))
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = drready_core::decide::waivers::parse(&text, Path::new("waivers.toml"), catalog());
    let _ = serde_json::from_str::<drready_core::decide::waivers::Baseline>(&text);
});

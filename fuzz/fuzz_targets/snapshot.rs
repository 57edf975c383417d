//! Fuzz the snapshot reader and the evaluator: any bytes give a snapshot that is judged, or a
//! located error; never a panic, an overflow or a verdict that passes on an absent fact.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use drready_core::model::config::Config;
use drready_core::evaluate::catalog::Catalog;
use drready_core::evaluate::{evaluate_snapshot, Setup};
use libfuzzer_sys::fuzz_target;

fn catalog() -> &'static Catalog {
    static C: OnceLock<Catalog> = OnceLock::new();
    C.get_or_init(|| Catalog::load(None).expect("the built-in catalog"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(snapshot) = drready_core::model::load::parse_snapshot(text, Path::new("fuzz.json")) else { return };
    let config = Config::default();
    let setup = Setup { threads: 1, ..Setup::new(catalog(), &config) };
    if let Ok(eval) = evaluate_snapshot(snapshot, Path::new("fuzz.json"), &setup) {
        let _ = drready_core::decide::score::score(catalog(), &eval);
    }
});

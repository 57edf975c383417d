//! Fuzz a user policy file loaded beside the built-in schema: a catalog or a located error, never
//! a panic or a stack overflow.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;

const SCHEMA: &str = include_str!("../../policies/drready.cedarschema");

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let mut files = BTreeMap::new();
    files.insert("drready.cedarschema".to_string(), ("policies/drready.cedarschema".to_string(), SCHEMA.to_string()));
    files.insert("fuzz.cedar".to_string(), ("fuzz.cedar".to_string(), text));
    let _ = drready_core::evaluate::catalog::Catalog::from_named(files);
});

//! Helpers the integration tests share.

#![allow(
    dead_code,
    reason = "each test binary uses its own part of these helpers"
)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The binary, with colour off.
#[expect(
    clippy::expect_used,
    reason = "a test should fail loudly on the first surprise"
)]
pub fn drready() -> Command {
    let mut c = Command::cargo_bin("drready").expect("the drready binary");
    // Tests that want an evidence bundle ask for one, in a temporary folder.
    c.env("NO_COLOR", "1")
        .env("DRREADY_NO_EVIDENCE", "1")
        .env_remove("DRREADY_EVIDENCE_DIR");
    c
}

/// A file under `tests/fixtures`.
pub fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

//! Reading input files with a bound: every file drready reads whole (configs, plans, waivers,
//! previous reports, keys, templates) has a size limit, and only regular files are read, so that a
//! FIFO, a device (`/dev/zero`) or a huge file gives a clear error naming it, not a hang or an
//! exhausted machine. Errors name the file as the user gave it.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::util::error::InputError;

/// Configs, waivers, baselines, keys, templates, DR documents and test-history files: 16 MiB.
pub const MAX_SMALL_BYTES: u64 = 16 << 20;
/// Terraform plans (`terraform show -json`): 512 MiB, several times a 5,000-change plan.
pub const MAX_PLAN_BYTES: u64 = 512 << 20;
/// A previous JSON report for `--compare`: 2 GiB (a 100,000-resource report is about 190 MB).
pub const MAX_REPORT_BYTES: u64 = 2 << 30;

/// Read a regular file of at most `limit` bytes. A FIFO, a device or a folder is an error rather
/// than a read that blocks or never ends; so is a file over the limit.
pub fn read_bounded(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::other(
            "not a regular file (save it to a file first)",
        ));
    }
    if meta.len() > limit {
        return Err(std::io::Error::other(format!(
            "{} bytes is over the limit of {limit} bytes",
            meta.len()
        )));
    }
    let mut out = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut out)?;
    if out.len() as u64 > limit {
        return Err(std::io::Error::other(format!(
            "over the limit of {limit} bytes"
        )));
    }
    Ok(out)
}

/// A temporary folder removed when dropped, whichever way the work that used it ended.
pub struct TempDir(std::path::PathBuf);

impl TempDir {
    /// A new, empty folder under the system's temporary folder, named `prefix-PID-N`.
    pub fn new(prefix: &str) -> std::io::Result<Self> {
        for n in 0u32.. {
            let dir = std::env::temp_dir().join(format!("{prefix}-{}-{n}", std::process::id()));
            match std::fs::create_dir(&dir) {
                Ok(()) => return Ok(Self(dir)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::other("no free temporary folder name"))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Read a UTF-8 text file of at most `limit` bytes; errors name `path`.
pub fn read_text(path: &Path, limit: u64) -> Result<String, InputError> {
    let bytes = read_bounded(path, limit).map_err(|e| InputError::io(path, &e))?;
    String::from_utf8(bytes).map_err(|_| InputError::plain(path, "not valid UTF-8"))
}

/// Normalise a path lexically (`a/./b/../c` → `a/c`), without touching the disk.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]
mod tests {
    use super::*;

    #[test]
    fn devices_folders_and_large_files_are_errors() {
        let e = read_text(Path::new("/dev/zero"), 10)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("/dev/zero: cannot read: not a regular file"),
            "{e}"
        );
        let dir = tempfile::tempdir().unwrap();
        let e = read_text(dir.path(), 10).unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
        let big = dir.path().join("big.json");
        std::fs::write(&big, "x".repeat(11)).unwrap();
        let e = read_text(&big, 10).unwrap_err().to_string();
        assert!(e.contains("11 bytes is over the limit of 10 bytes"), "{e}");
        std::fs::write(&big, "ok").unwrap();
        assert_eq!(read_text(&big, 10).unwrap(), "ok");
    }
}

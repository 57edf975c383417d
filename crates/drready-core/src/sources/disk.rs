//! Where sources read files from: the real disk, or files embedded in the binary (the example).

use std::path::{Path, PathBuf};

/// Where collectors read files from: the disk, or files embedded in the binary (the example).
pub trait Files: Sync {
    /// The files under `path` (itself, when it is a file), sorted; `None` when it does not exist.
    fn list(&self, path: &Path) -> Option<Vec<PathBuf>>;
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>>;
    fn exists(&self, path: &Path) -> bool;
    /// The files matching a glob pattern, sorted.
    fn glob(&self, pattern: &str) -> Result<Vec<PathBuf>, String>;
}

/// The real file system.
pub struct Disk;

impl Files for Disk {
    fn list(&self, path: &Path) -> Option<Vec<PathBuf>> {
        let meta = std::fs::metadata(path).ok()?;
        if !meta.is_dir() {
            return Some(vec![path.to_path_buf()]);
        }
        // Each folder is walked once, by its canonical path, so a symlink loop ends.
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![path.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let Ok(canonical) = std::fs::canonicalize(&dir) else {
                continue;
            };
            if !seen.insert(canonical) {
                continue;
            }
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    // Regular or not: reading tells, so a FIFO becomes a gap, not a hang.
                    out.push(p);
                }
            }
        }
        out.sort();
        Some(out)
    }

    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        crate::util::files::read_bounded(path, crate::util::files::MAX_SMALL_BYTES)
    }

    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }

    fn glob(&self, pattern: &str) -> Result<Vec<PathBuf>, String> {
        let paths = glob::glob(pattern).map_err(|e| e.to_string())?;
        let mut out: Vec<PathBuf> = paths
            .filter_map(Result::ok)
            .filter(|p| !p.is_dir())
            .collect();
        out.sort();
        Ok(out)
    }
}

/// Files embedded in the binary, by path.
pub struct Embedded(pub &'static [(&'static str, &'static str)]);

impl Files for Embedded {
    fn list(&self, path: &Path) -> Option<Vec<PathBuf>> {
        let mut out: Vec<PathBuf> = self
            .0
            .iter()
            .map(|(p, _)| PathBuf::from(p))
            .filter(|p| p.starts_with(path))
            .collect();
        out.sort();
        (!out.is_empty()).then_some(out)
    }

    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        self.0
            .iter()
            .find(|(p, _)| Path::new(p) == path)
            .map(|(_, t)| t.as_bytes().to_vec())
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
    }

    fn exists(&self, path: &Path) -> bool {
        self.0.iter().any(|(p, _)| Path::new(p).starts_with(path))
    }

    fn glob(&self, pattern: &str) -> Result<Vec<PathBuf>, String> {
        let pattern = glob::Pattern::new(pattern).map_err(|e| e.to_string())?;
        let mut out: Vec<PathBuf> = self
            .0
            .iter()
            .map(|(p, _)| PathBuf::from(p))
            .filter(|p| pattern.matches_path(p))
            .collect();
        out.sort();
        Ok(out)
    }
}

//! Fuzz evidence archives: any bytes unpack into one bundle folder or give an error; never a
//! panic, a write outside the folder, or a link.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let archive = dir.path().join("bundle.tar.gz");
    if std::fs::write(&archive, data).is_err() {
        return;
    }
    let into = dir.path().join("out");
    let _ = std::fs::create_dir(&into);
    if let Ok(bundle) = drready_core::evidence::unpack(&archive, &into) {
        assert!(bundle.starts_with(&into));
    }
    // Nothing was written beside the folder it was given.
    for e in std::fs::read_dir(dir.path()).into_iter().flatten().flatten() {
        let n = e.file_name();
        assert!(n == "bundle.tar.gz" || n == "out", "{n:?}");
    }
});

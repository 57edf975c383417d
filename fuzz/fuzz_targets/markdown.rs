//! Fuzz the DR-document extractor: any bytes must give facts or gaps, never a panic, and every line
//! it reports must lie inside the document.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines = text.split('\n').count() as u32;
    let e = drready_core::sources::docs::extract("fuzz.md", &text, Path::new("docs"), &|p| p.as_os_str().len() % 2 == 0);
    let d = &e.document;
    for line in d.recovery_targets.iter().filter_map(|t| t.line)
        .chain(d.review_schedule.iter().filter_map(|r| r.line))
        .chain(d.links.iter().flatten().filter_map(|l| l.line))
        .chain(d.lines.values().copied())
        .chain(e.gaps.iter().filter_map(|g| g.line))
    {
        assert!(line >= 1 && line <= lines, "line {line} of {lines}");
    }
    let _ = drready_core::util::duration::parse_seconds(&text);
    let _ = drready_core::sources::docs::parse_date(&text);
    let _ = drready_core::sources::docs::frequency_days(&text);
    let _ = drready_core::sources::docs::repair_mojibake(&text);
    // The schedule expansion must not panic either.
    let _ = drready_core::model::rules::scheduled(std::slice::from_ref(d));
});

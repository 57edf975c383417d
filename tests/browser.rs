//! The example scorecard in a real browser: headless Chromium opens it, no console error may
//! appear, and the screenshot must not be blank. `.ci/run` installs Debian's `chromium`; without it
//! the test fails, unless `DRREADY_SKIP=chromium` asks to skip it (never under `CI=true`).

#![expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use common::drready;
use tempfile::TempDir;

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

/// Headless Chromium, sandboxed from the network and the user's profile (one under `dir`).
fn headless(browser: &str, dir: &std::path::Path) -> Command {
    let mut c = Command::new(browser);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", dir.join("profile").display()));
    c
}

#[test]
fn the_example_scorecard_renders_cleanly_in_headless_chromium() {
    let Some(browser) = chromium() else {
        common::skip_or_fail(
            "chromium",
            "no Chromium on this machine (`apt-get install chromium`)",
        );
        return;
    };
    let dir = TempDir::new().unwrap();
    let page = dir.path().join("scorecard.html");
    let html = drready()
        .args(["audit", "--example", "--format", "html"])
        .output()
        .unwrap()
        .stdout;
    std::fs::write(&page, html).unwrap();
    let shot = dir.path().join("shot.png");
    let out = headless(browser, dir.path())
        .args([
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=900,1400",
        ])
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    // Chromium logs page console messages as `CONSOLE(...)` and failed loads as `net::ERR_`.
    let console: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught") || l.contains("net::ERR_"))
        .collect();
    assert!(console.is_empty(), "console errors: {console:#?}");
    assert!(shot.exists(), "no screenshot: {log}");
    let decoder = png::Decoder::new(std::fs::File::open(&shot).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let pixels = &buf[..info.buffer_size()];
    let step = info.color_type.samples();
    let colors: BTreeSet<&[u8]> = pixels.chunks(step).step_by(7).collect();
    assert!(
        colors.len() > 50,
        "the screenshot looks blank: {} colours",
        colors.len()
    );
}

/// Pages of a PDF Chromium printed: its page tree's `/Count` (Chromium writes the page tree
/// uncompressed), checked against the number of page objects.
fn pdf_pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    let objects = text
        .match_indices("/Type /Page")
        .filter(|(i, _)| !text[i + 11..].starts_with('s'))
        .count();
    let count = text
        .split("/Count ")
        .nth(1)
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap();
    assert_eq!(
        count, objects,
        "the page tree and the page objects disagree"
    );
    count
}

/// The executive brief prints on exactly one A4 page, as it is (`--format html` of the example),
/// and with a `--compare` and the trend of three earlier audits on it.
#[test]
fn the_brief_prints_on_one_a4_page() {
    let Some(browser) = chromium() else {
        common::skip_or_fail(
            "chromium",
            "no Chromium on this machine (`apt-get install chromium`)",
        );
        return;
    };
    let dir = TempDir::new().unwrap();
    let evidence = dir.path().join("evidence");
    for _ in 0..3 {
        drready()
            .env_remove("DRREADY_NO_EVIDENCE")
            .args(["audit", "--example", "--evidence-dir"])
            .arg(&evidence)
            .assert()
            .code(0);
    }
    let earlier = std::fs::read_dir(evidence.join("123456789012"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let plain = drready()
        .args(["audit", "--example", "--format", "html"])
        .output()
        .unwrap()
        .stdout;
    let full = drready()
        .env_remove("DRREADY_NO_EVIDENCE")
        .args(["audit", "--example", "--format", "html", "--evidence-dir"])
        .arg(&evidence)
        .arg("--compare")
        .arg(&earlier)
        .output()
        .unwrap()
        .stdout;
    assert!(String::from_utf8_lossy(&full).contains("Overall score of each audit"));
    for (name, html) in [("plain", plain), ("trend", full)] {
        let page = dir.path().join(format!("{name}.html"));
        std::fs::write(&page, html).unwrap();
        let pdf = dir.path().join(format!("{name}.pdf"));
        let out = headless(browser, dir.path())
            .arg("--no-pdf-header-footer")
            .arg(format!("--print-to-pdf={}", pdf.display()))
            .arg(format!("file://{}", page.display()))
            .output()
            .unwrap();
        let bytes = std::fs::read(&pdf)
            .unwrap_or_else(|_| panic!("no PDF: {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(
            pdf_pages(&bytes),
            1,
            "{name}: the brief must print on one A4 page"
        );
        // A4 is 595 × 842 points.
        assert!(
            String::from_utf8_lossy(&bytes).contains("/MediaBox [0 0 594.95996 841.91998]")
                || String::from_utf8_lossy(&bytes).contains("/MediaBox [0 0 595"),
            "{name}: not A4"
        );
    }
}

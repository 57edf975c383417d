//! Benchmark: synthetic snapshots of 10k and 100k resources (override with `DRREADY_BENCH_SIZES`,
//! e.g. `DRREADY_BENCH_SIZES=1000000`) loaded, evaluated, scored and rendered, phase by phase.
//! Run with `cargo bench --bench audit`; peak memory is measured on the binary (see the README).

#![expect(
    clippy::expect_used,
    reason = "a benchmark should stop loudly on the first surprise"
)]

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use drready::decide::settings::Settings;
use drready::evaluate::catalog::Catalog;
use drready::evaluate::{evaluate_path, Setup};
use drready::model::config::Config;
use drready::report::{self, Format, Report};

fn main() {
    let sizes: Vec<usize> = std::env::var("DRREADY_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000]);
    let dir = std::env::temp_dir().join(format!("drready-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let catalog = Catalog::load(None).expect("catalog");
    let config = Config::default();
    for n in sizes {
        let path = dir.join(format!("synth-{n}.json"));
        let t = Instant::now();
        {
            let mut w = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
            drready::sources::synth::write(&mut w, n, 1).expect("write");
            w.flush().expect("flush");
        }
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        println!(
            "{n} resources: generated {:.1} MB in {:.2?}",
            size as f64 / 1e6,
            t.elapsed()
        );
        run(&path, n, &catalog, &config);
        let _ = std::fs::remove_file(&path);
    }
    gate(&dir, &catalog);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The gate on a synthetic plan of 5,000 resource changes (`DRREADY_BENCH_PLAN` to change it).
fn gate(dir: &Path, catalog: &Catalog) {
    let n: usize = std::env::var("DRREADY_BENCH_PLAN")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5_000);
    let path = dir.join("plan.json");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
        drready::sources::synth::write_plan(&mut w, n, 1).expect("write");
        w.flush().expect("flush");
    }
    let config = Config::default();
    let t = Instant::now();
    let text = std::fs::read_to_string(&path).expect("read");
    let as_of = chrono::Utc::now();
    let planned = drready::sources::plan::read(&text, &path, &config, as_of).expect("plan");
    let resources = planned.snapshot.resources.len();
    let setup = Setup {
        as_of: Some(as_of),
        plan: true,
        ..Setup::new(catalog, &config)
    };
    let eval =
        drready::evaluate::evaluate_snapshot(planned.snapshot, &path, &setup).expect("evaluate");
    let outcome = drready::decide::gate::judge_plan(
        catalog,
        &eval,
        &[],
        None,
        drready::evaluate::catalog::Severity::High,
    );
    let mut sink = std::io::sink();
    let empty = std::collections::BTreeMap::new();
    let lines = drready::sources::plan::address_lines(&text);
    let report = drready::report::gate::GateReport {
        catalog,
        outcome: &outcome,
        plan: "plan.json",
        plan_uri: "plan.json",
        lines: &lines,
        format_version: "1.2",
        terraform_version: "1.9.8",
        actions: &empty,
        unknown: "no_evidence",
        exit_code: drready::cli::Exit::from(outcome.decision).code(),
    };
    drready::report::gate::render(drready::report::gate::GateFormat::Sarif, &report, &mut sink)
        .expect("render");
    println!(
        "gate: {n} resource changes ({resources} judged resources, {} findings) read, judged and rendered as SARIF in {:.2?}",
        outcome.findings.len(),
        t.elapsed()
    );
}

fn run(path: &Path, n: usize, catalog: &Catalog, config: &Config) {
    let t = Instant::now();
    let mut count = 0usize;
    drready::model::load::read_header_before_resources(path).expect("header");
    drready::model::load::stream_resources(path, 512, &mut |b| {
        count += b.len();
        Ok(())
    })
    .expect("stream");
    let parse = t.elapsed();
    assert_eq!(count, n);

    let t = Instant::now();
    let setup = Setup::new(catalog, config);
    let eval = evaluate_path(path, &setup).unwrap_or_else(|e| panic!("evaluate: {e}"));
    let evaluate = t.elapsed();

    let t = Instant::now();
    let scorecard = drready::decide::score::score(catalog, &eval);
    let score = t.elapsed();

    let settings = Settings {
        config: None,
        policies: None,
        fail_on: None,
        strict: false,
        params: config.params.clone(),
        brief: config.brief.clone(),
    };
    let report = Report {
        catalog,
        eval: &eval,
        scorecard: &scorecard,
        settings: &settings,
        max_rows: 20,
        template: None,
        color: false,
        html_template: None,
        comparison: None,
        history: &[],
    };
    let mut times = Vec::new();
    for format in [Format::Table, Format::Markdown, Format::Json] {
        let t = Instant::now();
        let mut sink = std::io::sink();
        report::render(format, &report, &mut sink).expect("render");
        times.push((format, t.elapsed()));
    }
    println!(
        "  parse only {parse:.2?} · load+evaluate {evaluate:.2?} ({} verdicts, {:.1} µs/resource) · score {score:.2?} · render {}",
        eval.statuses().count(),
        evaluate.as_secs_f64() * 1e6 / n as f64,
        times.iter().map(|(f, t)| format!("{f:?} {t:.2?}")).collect::<Vec<_>>().join(", ")
    );
}

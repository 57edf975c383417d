//! The layer rules of `src/lib.rs`, enforced. Every `crate::` and `super::` path in non-test code
//! is read (in `use` lines and inline in function bodies alike) and its first module checked against
//! the table at the top of `src/lib.rs`, which is parsed here: the table is the rule.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test should fail loudly on the first surprise"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Layer → the layers it may use (itself always allowed).
type Rules = BTreeMap<String, BTreeSet<String>>;

/// The table of `src/lib.rs`: rows `//! | \`layer\` | holds | may use |`.
fn rules(lib: &str) -> Rules {
    let mut out = Rules::new();
    for line in lib.lines() {
        let Some(row) = line.strip_prefix("//! | `") else {
            continue;
        };
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let layer = cells[0].trim_end_matches('`').to_string();
        let uses = cells
            .get(2)
            .map(|c| {
                c.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        out.insert(layer, uses);
    }
    out
}

/// The text with comments, string and character literals blanked (newlines kept, so offsets still
/// give line numbers).
fn code_only(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = b.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut out[from..to] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            let end = src[i..].find('\n').map_or(b.len(), |n| i + n);
            blank(&mut out, i, end);
            i = end;
        } else if b[i..].starts_with(b"/*") {
            let end = src[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
            blank(&mut out, i, end);
            i = end;
        } else if b[i] == b'r'
            && (b.get(i + 1) == Some(&b'"') || b.get(i + 1) == Some(&b'#'))
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
        {
            // A raw string: r"..." or r#"..."#.
            let hashes = b[i + 1..].iter().take_while(|c| **c == b'#').count();
            if b.get(i + 1 + hashes) != Some(&b'"') {
                i += 1;
                continue;
            }
            let close = format!("\"{}", "#".repeat(hashes));
            let start = i + 2 + hashes;
            let end = src[start..]
                .find(&close)
                .map_or(b.len(), |n| start + n + close.len());
            blank(&mut out, i, end);
            i = end;
        } else if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            blank(&mut out, i, (j + 1).min(b.len()));
            i = j + 1;
        } else if b[i] == b'\'' {
            // A character literal ('x', '\n', '\u{..}'), not a lifetime.
            let end = if b.get(i + 1) == Some(&b'\\') {
                src[i + 2..].find('\'').map(|n| i + 2 + n + 1)
            } else {
                src[i + 1..]
                    .char_indices()
                    .nth(1)
                    .filter(|(_, c)| *c == '\'')
                    .map(|(n, _)| i + 1 + n + 1)
            };
            match end {
                Some(end) => {
                    blank(&mut out, i, end);
                    i = end;
                }
                None => i += 1,
            }
        } else {
            i += 1;
        }
    }
    String::from_utf8(out).expect("blanking keeps UTF-8 boundaries of ASCII delimiters")
}

/// Blank every item under `#[cfg(test)]`: test code may use anything.
fn without_tests(code: &str) -> String {
    let mut out = code.to_string();
    let mut from = 0;
    while let Some(n) = out[from..].find("#[cfg(test)]") {
        let start = from + n;
        let b = out.as_bytes();
        // The item ends at its first `;` outside braces, or at the brace closing its body.
        let mut depth = 0usize;
        let mut end = b.len();
        for (k, c) in b.iter().enumerate().skip(start) {
            match c {
                b'{' => depth += 1,
                b'}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = k + 1;
                        break;
                    }
                }
                b';' if depth == 0 => {
                    end = k + 1;
                    break;
                }
                _ => {}
            }
        }
        let blanked: String = out[start..end]
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .collect();
        out.replace_range(start..end, &blanked);
        from = end;
    }
    out
}

/// The names a path may start from: this crate, a parent module, or a crate of the workspace
/// (`drready_core::evaluate` is the `evaluate` layer wherever it is written).
const ROOTS: &[&str] = &["crate", "super", "drready_core", "drready_aws", "drready"];

/// Every path starting at one of `ROOTS` in `code`: (byte offset, the path's segments, with
/// `{a, b::c}` groups expanded to one path per branch).
fn paths(code: &str) -> Vec<(usize, Vec<String>)> {
    let b = code.as_bytes();
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let starts = ROOTS.iter().any(|r| b[i..].starts_with(r.as_bytes()))
            && (i == 0 || !(is_ident(b[i - 1]) || b[i - 1] == b':'));
        if !starts {
            i += 1;
            continue;
        }
        let mut found = Vec::new();
        let end = parse_path(code, i, Vec::new(), &mut found);
        for segs in found {
            if segs.len() > 1 {
                out.push((i, segs));
            }
        }
        i = end.max(i + 1);
    }
    out
}

/// Parse a path (with groups) from `at`; push each full path; return where parsing stopped.
fn parse_path(
    code: &str,
    mut at: usize,
    mut prefix: Vec<String>,
    found: &mut Vec<Vec<String>>,
) -> usize {
    let b = code.as_bytes();
    let skip_ws = |mut k: usize| {
        while k < b.len() && b[k].is_ascii_whitespace() {
            k += 1;
        }
        k
    };
    loop {
        at = skip_ws(at);
        if at < b.len() && b[at] == b'{' {
            // A group: one path per comma-separated branch.
            at += 1;
            loop {
                at = skip_ws(at);
                if at >= b.len() {
                    return at;
                }
                if b[at] == b'}' {
                    return at + 1;
                }
                if b[at] == b',' {
                    at += 1;
                    continue;
                }
                let before = at;
                at = parse_path(code, at, prefix.clone(), found);
                if at == before {
                    at += 1;
                }
            }
        }
        let start = at;
        while at < b.len() && (b[at].is_ascii_alphanumeric() || b[at] == b'_') {
            at += 1;
        }
        if at == start {
            if !prefix.is_empty() {
                found.push(prefix);
            }
            return at;
        }
        prefix.push(code[start..at].to_string());
        let next = skip_ws(at);
        if code[next..].starts_with("::") {
            at = next + 2;
        } else {
            found.push(prefix);
            return at;
        }
    }
}

/// The module path of a file under `src/` (`aws/backup.rs` → `[aws, backup]`).
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    parts
}

/// The layer rule breaches in one file (`rel`: its path under `src/`).
fn violations(rules: &Rules, rel: &Path, source: &str) -> Vec<String> {
    let module = module_of(rel);
    let Some(layer) = module.first() else {
        return Vec::new();
    };
    let Some(allowed) = rules.get(layer) else {
        return vec![format!(
            "{}: `{layer}` is not a layer of src/lib.rs",
            rel.display()
        )];
    };
    let code = without_tests(&code_only(source));
    let mut out = Vec::new();
    for (at, segs) in paths(&code) {
        // Resolve to a path from the crate root.
        let mut resolved: Vec<String> = match segs[0].as_str() {
            "super" => module.clone(),
            "drready_aws" => vec!["aws".to_string()],
            _ => Vec::new(),
        };
        let mut rest = segs.iter().peekable();
        if segs[0] != "super" {
            rest.next();
        }
        while rest.peek().is_some_and(|s| *s == "super") {
            rest.next();
            resolved.pop();
        }
        resolved.extend(rest.cloned());
        let Some(target) = resolved.first() else {
            continue;
        };
        if target == layer || !rules.contains_key(target) {
            // Its own layer, or an item of the crate root (`VERSION`).
            continue;
        }
        if !allowed.contains(target) {
            let line = code[..at].matches('\n').count() + 1;
            out.push(format!(
                "{}:{line}: `{}` ({layer} may not use {target})",
                rel.display(),
                segs.join("::")
            ));
        }
    }
    out
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The workspace's root folder.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn lib_rules() -> Rules {
    rules(&std::fs::read_to_string(workspace().join("src/lib.rs")).unwrap())
}

/// Every source file of the layers, with its path as if the workspace were one `src/` tree:
/// `drready-core`'s folders are layers, `drready-aws` is the `aws` layer (its `lib.rs` is
/// `aws/mod.rs`), and the `drready` crate holds `cli`. Crate roots (`lib.rs`, `main.rs`) and this
/// test sit above the layers.
fn layer_files() -> Vec<(PathBuf, PathBuf)> {
    let root = workspace();
    let mut out = Vec::new();
    for (dir, under) in [
        ("crates/drready-core/src", ""),
        ("crates/drready-aws/src", "aws"),
        ("src", ""),
    ] {
        let dir = root.join(dir);
        let mut files = Vec::new();
        sources(&dir, &mut files);
        for f in files {
            let rel = f.strip_prefix(&dir).unwrap().to_path_buf();
            let rel = match (under, rel.to_str()) {
                ("aws", Some("lib.rs")) => PathBuf::from("aws/mod.rs"),
                ("aws", _) => Path::new("aws").join(&rel),
                (_, _) if rel.components().count() == 1 => continue,
                _ => rel,
            };
            out.push((f, rel));
        }
    }
    out.sort();
    out
}

#[test]
fn every_file_keeps_to_its_layer() {
    let rules = lib_rules();
    assert!(
        rules.len() >= 9,
        "the table of src/lib.rs was not read: {rules:?}"
    );
    for (layer, uses) in &rules {
        for u in uses {
            assert!(
                rules.contains_key(u),
                "`{layer}` may use `{u}`, which is not a layer"
            );
        }
    }
    let mut breaches = Vec::new();
    let mut read = 0;
    for (f, rel) in layer_files() {
        read += 1;
        breaches.extend(violations(
            &rules,
            &rel,
            &std::fs::read_to_string(f).unwrap(),
        ));
    }
    assert!(read > 40, "only {read} files read");
    assert!(
        breaches.is_empty(),
        "layer rules broken:\n{}",
        breaches.join("\n")
    );
}

#[test]
fn no_cycle_between_layers() {
    // Each layer's uses must come earlier in the table: a cycle is then impossible.
    let src = std::fs::read_to_string(workspace().join("src/lib.rs")).unwrap();
    let order: Vec<String> = src
        .lines()
        .filter_map(|l| l.strip_prefix("//! | `"))
        .map(|r| r.split('`').next().unwrap().to_string())
        .collect();
    let rules = lib_rules();
    for (k, layer) in order.iter().enumerate() {
        for u in &rules[layer] {
            let pos = order.iter().position(|o| o == u).unwrap();
            assert!(
                pos < k,
                "`{layer}` uses `{u}`, which comes after it in the table"
            );
        }
    }
}

/// The back-references a reading of the code found once (before the layers): each must be caught,
/// in a `use` line, inline in a function body, through `super::` or in a group.
#[test]
fn each_known_back_reference_is_caught() {
    let rules = lib_rules();
    let cases: &[(&str, &str)] = &[
        (
            "model/config.rs",
            "fn f() { let a = crate::aws::session::arn_account(x); }",
        ),
        (
            "model/config.rs",
            "fn f() { crate::sources::disk::normalize(p) }",
        ),
        (
            "model/config.rs",
            "fn f() -> bool { crate::aws::s3::is_date_format(f) }",
        ),
        (
            "aws/backup.rs",
            "fn f() { crate::sources::plan::schedule_interval(x) }",
        ),
        (
            "aws/rds.rs",
            "const T: &str = crate::decide::remediation::RESTORE_TEST_TAG;",
        ),
        (
            "aws/session.rs",
            "use crate::evidence::upload::http_client;",
        ),
        (
            "evaluate/mod.rs",
            "fn f() { for d in &crate::sources::docs::scheduled(&h) {} }",
        ),
        (
            "evaluate/mod.rs",
            "const K: &str = crate::sources::plan::KNOWN_AFTER_APPLY;",
        ),
        (
            "decide/gate.rs",
            "fn f() { crate::report::reason_of(c, e, &v) }",
        ),
        (
            "evidence/mod.rs",
            "pub struct M { pub settings: crate::report::Settings }",
        ),
        (
            "report/compare.rs",
            "fn f() { let b = crate::evidence::unpack(p, t)?; }",
        ),
        (
            "decide/gate.rs",
            "use crate::{model::config::Config, report::{gate, json}};",
        ),
        ("decide/gate.rs", "fn f() { super::super::cli::run() }"),
        (
            "model/config.rs",
            "fn f() { drready_aws::session::arn_account(x) }",
        ),
        (
            "evaluate/mod.rs",
            "use drready_core::sources::docs::scheduled;",
        ),
        (
            "aws/rds.rs",
            "use drready_core::decide::remediation::RESTORE_TEST_TAG;",
        ),
        (
            "aws/s3.rs",
            "use crate::aws::session::Ctx;\nfn f() { crate :: sources :: docs :: x() }",
        ),
    ];
    for (file, source) in cases {
        let found = violations(&rules, Path::new(file), source);
        assert!(!found.is_empty(), "not caught in {file}: {source}");
    }
    // What is not a use: comments, strings, test modules, `pub(crate)`, its own layer, lower layers.
    let clean: &[(&str, &str)] = &[
        ("model/config.rs", "// crate::aws::session::arn_account\nfn f() {}"),
        ("model/config.rs", "/* crate::report */ const S: &str = \"crate::cli::run\";"),
        ("model/config.rs", "const R: &str = r#\"crate::aws\"#; const C: char = '\"'; fn f() { crate::util::files::x() }"),
        ("model/config.rs", "#[cfg(test)]\nmod tests { use crate::report::json; }"),
        ("model/config.rs", "pub(crate) fn f<'a>(x: &'a str) -> &'a str { x }"),
        ("aws/backup.rs", "use super::session::Ctx; use crate::model::rules::x; use crate::VERSION;"),
        ("cli/mod.rs", "use crate::{aws, evidence, report::{self, gate}};"),
    ];
    for (file, source) in clean {
        let found = violations(&rules, Path::new(file), source);
        assert!(found.is_empty(), "wrongly caught in {file}: {found:?}");
    }
}

/// What only some layers may do, by the text that does it (in non-test code).
const TRADES: &[(&str, &[&str], &str)] = &[
    (
        "cedar_policy",
        &["evaluate"],
        "Cedar types appear only in evaluate",
    ),
    (
        "aws_sdk_",
        &["aws", "cli"],
        "the AWS SDK is called only from aws",
    ),
    (
        "aws_config",
        &["aws"],
        "the AWS SDK is configured only in aws",
    ),
    (
        "aws_smithy",
        &["aws"],
        "the AWS SDK is called only from aws",
    ),
    ("tokio::runtime", &["cli"], "only the CLI builds a runtime"),
    ("indicatif", &["cli"], "only the CLI draws"),
    ("println!", &["cli"], "only the CLI prints"),
    ("eprintln!", &["cli"], "only the CLI prints"),
    ("print!", &["cli"], "only the CLI prints"),
    ("eprint!", &["cli"], "only the CLI prints"),
    (
        "std::process::exit",
        &["cli"],
        "only the CLI knows exit codes",
    ),
    (
        "std::fs",
        &["util", "model", "sources", "evaluate", "evidence", "cli"],
        "score, gate, remediation planning and the renderers touch no file",
    ),
];

/// Whether `text` stands in `code` as a token of its own: `print!` inside `eprintln!` does not count.
fn has_token(code: &str, text: &str) -> bool {
    code.match_indices(text).any(|(i, _)| {
        !code[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

#[test]
fn each_layer_keeps_to_its_trade() {
    let mut breaches = Vec::new();
    for (f, rel) in layer_files() {
        let Some(layer) = module_of(&rel).first().cloned() else {
            continue;
        };
        let code = without_tests(&code_only(&std::fs::read_to_string(f).unwrap()));
        for (text, allowed, why) in TRADES {
            if has_token(&code, text) && !allowed.contains(&layer.as_str()) {
                breaches.push(format!("{}: `{text}`: {why}", rel.display()));
            }
        }
    }
    assert!(breaches.is_empty(), "{}", breaches.join("\n"));
}

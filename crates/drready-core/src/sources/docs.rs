//! DR documents: Markdown read with pulldown-cmark into `Document` facts, each with its line.
//!
//! What is read, tolerant of wording, bold, links, emoji and emoji that were mis-encoded on the way
//! (UTF-8 read as Windows-1252, so that ✅ shows as `âœ…`):
//! - the title (first level-1 heading) and header facts written as `**Label:** value` lines:
//!   version, status, owner, last updated, next review, review frequency;
//! - recovery-target tables: a header naming RTO and RPO (and a component, system or service
//!   column, and a status column whose "Meeting target" is a claim);
//! - document-review schedule tables: document, review frequency, next review, owner;
//! - every local link, and whether its target exists.
//!
//! What cannot be read (an unparseable date or duration, an unreadable file) becomes a gap with the
//! file and line; extraction itself never fails.

use std::borrow::Cow;
use std::ops::Range;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::disk::Files;
use crate::model::snapshot::{Disruption, Document, Gap, Link, Provenance, ReviewRow, TargetRow};
use crate::util::duration;
use crate::util::files::normalize;

/// Undo UTF-8 that was decoded as Windows-1252 and encoded again (`âœ…` → `✅`). Text that is not
/// such mojibake comes back unchanged.
pub fn repair_mojibake(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    let mut bytes = Vec::with_capacity(text.len());
    for c in text.chars() {
        let b = match c as u32 {
            n @ 0..=0xFF => n as u8,
            _ => match c {
                '€' => 0x80,
                '‚' => 0x82,
                'ƒ' => 0x83,
                '„' => 0x84,
                '…' => 0x85,
                '†' => 0x86,
                '‡' => 0x87,
                'ˆ' => 0x88,
                '‰' => 0x89,
                'Š' => 0x8A,
                '‹' => 0x8B,
                'Œ' => 0x8C,
                'Ž' => 0x8E,
                '‘' => 0x91,
                '’' => 0x92,
                '“' => 0x93,
                '”' => 0x94,
                '•' => 0x95,
                '–' => 0x96,
                '—' => 0x97,
                '˜' => 0x98,
                '™' => 0x99,
                'š' => 0x9A,
                '›' => 0x9B,
                'œ' => 0x9C,
                'ž' => 0x9E,
                'Ÿ' => 0x9F,
                _ => return Cow::Borrowed(text),
            },
        };
        bytes.push(b);
    }
    match String::from_utf8(bytes) {
        Ok(s) if s != text => Cow::Owned(s),
        _ => Cow::Borrowed(text),
    }
}

/// Text for matching: mojibake repaired, emoji and markup dropped, spaces folded, trimmed.
pub fn clean(text: &str) -> String {
    let repaired = repair_mojibake(text);
    let mut out = String::with_capacity(repaired.len());
    for c in repaired.chars() {
        let keep =
            c.is_alphanumeric() || c.is_ascii_punctuation() || c == ' ' || c == '≤' || c == '≥';
        if keep && c != '*' && c != '`' {
            out.push(c);
        } else if c.is_whitespace() {
            out.push(' ');
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether a status cell claims the target is met.
pub fn claims_met(status: &str) -> bool {
    let s = repair_mojibake(status).to_lowercase();
    let negative = [
        "not meeting",
        "not met",
        "missed",
        "at risk",
        "failing",
        "behind",
        "❌",
        "⚠",
        "🔴",
        "🟡",
    ];
    if negative.iter().any(|n| s.contains(n)) {
        return false;
    }
    [
        "meeting target",
        "meets target",
        "target met",
        "met",
        "on target",
        "on track",
        "achieved",
        "✅",
        "✔",
        "🟢",
    ]
    .iter()
    .any(|p| s.contains(p))
}

/// A date as documents write it.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = clean(text);
    let t = t.trim_end_matches('.');
    for f in [
        "%Y-%m-%d",
        "%Y/%m/%d",
        "%d %B %Y",
        "%B %d, %Y",
        "%B %d %Y",
        "%b %d, %Y",
        "%b %d %Y",
        "%d %b %Y",
        "%d.%m.%Y",
    ] {
        if let Ok(d) = NaiveDate::parse_from_str(t, f) {
            return Some(d);
        }
    }
    None
}

/// A review frequency in days: `Quarterly` → 92. `None` for event-driven ones ("After each test").
pub fn frequency_days(text: &str) -> Option<u32> {
    let t = clean(text).to_lowercase();
    let words = [
        ("semi-annual", 183),
        ("semiannual", 183),
        ("bi-annual", 183),
        ("biannual", 183),
        ("half-year", 183),
        ("twice a year", 183),
        ("quarter", 92),
        ("month", 31),
        ("week", 7),
        ("daily", 1),
        ("annual", 366),
        ("yearly", 366),
        ("every year", 366),
    ];
    if let Some(rest) = t.strip_prefix("every ") {
        if let Some(secs) = duration::parse_seconds(rest) {
            return duration::check_seconds(secs)
                .ok()
                .and_then(|s| u32::try_from(s / 86_400).ok())
                .filter(|d| *d > 0);
        }
    }
    words.iter().find(|(w, _)| t.contains(w)).map(|(_, d)| *d)
}

/// What one document yields.
#[derive(Debug, Clone, Default)]
pub struct Extracted {
    pub document: Document,
    pub gaps: Vec<Gap>,
}

/// Byte offsets of line starts, for turning offsets into 1-based line numbers.
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Self {
        Self(
            std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect(),
        )
    }
    fn at(&self, offset: usize) -> u32 {
        (self.0.partition_point(|&s| s <= offset)).max(1) as u32
    }
}

#[derive(Default)]
struct Table {
    head: Vec<String>,
    rows: Vec<(u32, Vec<String>)>,
}

fn gap(
    path: &str,
    line: Option<u32>,
    resource: Option<String>,
    attributes: &[&str],
    message: String,
) -> Gap {
    Gap {
        source: "docs".into(),
        operation: "read".into(),
        resource,
        resource_type: Some("document".into()),
        attributes: attributes.iter().map(|a| (*a).to_string()).collect(),
        message,
        file: Some(path.to_string()),
        line,
        ..Gap::default()
    }
}

/// Read one document. `label` names it (its path as given); `dir` is where its relative links
/// point from; `exists` tells whether a link target exists.
pub fn extract(label: &str, text: &str, dir: &Path, exists: &dyn Fn(&Path) -> bool) -> Extracted {
    let lines = Lines::new(text);
    let mut doc = Document {
        path: label.to_string(),
        links: Some(Vec::new()),
        ..Document::default()
    };
    doc.provenance = Some(Provenance {
        source: label.to_string(),
        line: Some(1),
        at: None,
    });
    let mut gaps = Vec::new();

    let mut tables: Vec<Table> = Vec::new();
    let mut code: Vec<Range<usize>> = Vec::new();
    let mut title: Option<(u32, String)> = None;
    let mut in_h1 = false;
    let mut h1_text = String::new();
    let mut table: Option<Table> = None;
    let mut row: Option<(u32, Vec<String>)> = None;
    let mut cell: Option<String> = None;
    let mut in_head = false;

    for (event, range) in Parser::new_ext(text, Options::ENABLE_TABLES).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H1,
                ..
            }) if title.is_none() => {
                in_h1 = true;
                h1_text.clear();
            }
            Event::End(TagEnd::Heading(HeadingLevel::H1)) if in_h1 => {
                in_h1 = false;
                let t = clean(&h1_text);
                if !t.is_empty() {
                    title = Some((lines.at(range.start), t));
                }
            }
            Event::Start(Tag::CodeBlock(_)) => code.push(range.clone()),
            Event::Start(Tag::Table(_)) => table = Some(Table::default()),
            Event::End(TagEnd::Table) => tables.extend(table.take()),
            Event::Start(Tag::TableHead) => {
                in_head = true;
                row = Some((lines.at(range.start), Vec::new()));
            }
            Event::End(TagEnd::TableHead) => {
                in_head = false;
                if let (Some(t), Some((_, cells))) = (table.as_mut(), row.take()) {
                    t.head = cells;
                }
            }
            Event::Start(Tag::TableRow) => row = Some((lines.at(range.start), Vec::new())),
            Event::End(TagEnd::TableRow) => {
                if let (Some(t), Some(r)) = (table.as_mut(), row.take()) {
                    if !in_head {
                        t.rows.push(r);
                    }
                }
            }
            Event::Start(Tag::TableCell) => cell = Some(String::new()),
            Event::End(TagEnd::TableCell) => {
                if let (Some(r), Some(c)) = (row.as_mut(), cell.take()) {
                    r.1.push(c);
                }
            }
            // Inline HTML in a cell is kept as text: it is what the document says (and is escaped
            // wherever it is shown).
            Event::Text(t) | Event::Code(t) | Event::InlineHtml(t) => {
                if let Some(c) = cell.as_mut() {
                    c.push_str(&t);
                }
                if in_h1 {
                    h1_text.push_str(&t);
                }
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                if let Some(target) = local_target(&dest_url) {
                    let resolved = normalize(&dir.join(&target));
                    doc.links.get_or_insert_with(Vec::new).push(Link {
                        target: dest_url.to_string(),
                        exists: Some(exists(&resolved)),
                        line: Some(lines.at(range.start)),
                    });
                }
            }
            _ => {}
        }
    }
    if let Some((line, t)) = title {
        doc.title = Some(t);
        doc.lines.insert("title".into(), line);
    }

    header_facts(text, &lines, &code, &mut doc, &mut gaps, label);
    for t in &tables {
        read_table(t, &mut doc, &mut gaps, label, dir);
    }
    Extracted {
        document: doc,
        gaps,
    }
}

/// The path part of a link that points at a local file, or `None` (web links, anchors, mail).
fn local_target(url: &str) -> Option<String> {
    let url = url.trim();
    if url.is_empty()
        || url.starts_with('#')
        || url.contains("://")
        || url.starts_with("mailto:")
        || url.starts_with("tel:")
    {
        return None;
    }
    let path = url.split(['#', '?']).next().unwrap_or("");
    (!path.is_empty()).then(|| path.to_string())
}

const LABELS: &[(&str, &str)] = &[
    ("version", "version"),
    ("status", "status"),
    ("owner", "owner"),
    ("document owner", "owner"),
    ("last updated", "last_updated"),
    ("last reviewed", "last_updated"),
    ("last review", "last_updated"),
    ("updated", "last_updated"),
    ("next review", "next_review"),
    ("next review date", "next_review"),
    ("review date", "next_review"),
    ("review frequency", "review_frequency"),
    ("review cycle", "review_frequency"),
];

/// `**Label:** value` lines outside code blocks. The first occurrence of a fact wins.
fn header_facts(
    text: &str,
    lines: &Lines,
    code: &[Range<usize>],
    doc: &mut Document,
    gaps: &mut Vec<Gap>,
    label: &str,
) {
    for (i, raw) in text.split('\n').enumerate() {
        let start = lines.0.get(i).copied().unwrap_or(0);
        if code.iter().any(|r| r.contains(&start)) {
            continue;
        }
        let plain = raw.replace("**", "").replace("__", "");
        let plain = plain
            .trim_start_matches(|c: char| c == '-' || c == '*' || c == '>' || c.is_whitespace());
        let Some((key, value)) = plain.split_once(':') else {
            continue;
        };
        let key = clean(key).to_lowercase();
        let Some((_, fact)) = LABELS.iter().find(|(l, _)| *l == key) else {
            continue;
        };
        let value = clean(value);
        if value.is_empty() || doc.lines.contains_key(*fact) {
            continue;
        }
        let line = i as u32 + 1;
        match *fact {
            "version" => doc.version = Some(value),
            "status" => doc.status = Some(value),
            "owner" => doc.owner = Some(value),
            "last_updated" | "next_review" => match parse_date(&value) {
                Some(d) if *fact == "last_updated" => doc.last_updated = Some(d),
                Some(d) => doc.next_review = Some(d),
                None => {
                    gaps.push(gap(
                        label,
                        Some(line),
                        Some(label.to_string()),
                        &[fact, "review_due"],
                        format!("`{value}` is not a date"),
                    ));
                    continue;
                }
            },
            _ => match frequency_days(&value) {
                Some(d) => doc.review_frequency_days = Some(d),
                None => continue,
            },
        }
        doc.lines.insert((*fact).to_string(), line);
    }
}

fn column(head: &[String], names: &[&str]) -> Option<usize> {
    head.iter().position(|h| {
        let h = clean(h).to_lowercase();
        names.iter().any(|n| {
            h == *n
                || h.split(|c: char| !c.is_alphanumeric()).any(|w| w == *n)
                || (n.contains(' ') && h.contains(n))
        })
    })
}

fn read_table(t: &Table, doc: &mut Document, gaps: &mut Vec<Gap>, label: &str, dir: &Path) {
    let rto = column(&t.head, &["rto", "recovery time"]);
    let rpo = column(&t.head, &["rpo", "recovery point"]);
    if let (Some(rto), Some(rpo)) = (rto, rpo) {
        let name = column(
            &t.head,
            &[
                "component",
                "system",
                "service",
                "application",
                "workload",
                "tier",
                "name",
            ],
        )
        .or_else(|| (0..t.head.len()).find(|i| *i != rto && *i != rpo));
        let status = column(&t.head, &["status", "state", "current status", "meeting"]);
        for (line, cells) in &t.rows {
            let cell = |i: Option<usize>| {
                i.and_then(|i| cells.get(i))
                    .map(String::as_str)
                    .unwrap_or("")
            };
            let component = clean(cell(name));
            if component.is_empty() {
                continue;
            }
            let (base_name, disruption) = split_disruption(&component);
            let mut row = TargetRow {
                component: base_name,
                disruption,
                line: Some(*line),
                ..TargetRow::default()
            };
            for (idx, attr) in [(rto, "rto"), (rpo, "rpo")] {
                let text = clean(cell(Some(idx)));
                let parsed = duration::parse_seconds(&text)
                    .ok_or_else(|| "is not a duration".to_string())
                    .and_then(|s| duration::check_seconds(s).map_err(|e| format!("is a {e}")));
                match parsed {
                    Ok(s) if attr == "rto" => row.rto_seconds = Some(s),
                    Ok(s) => row.rpo_seconds = Some(s),
                    Err(why) => gaps.push(Gap {
                        resource_type: Some("component".into()),
                        ..gap(
                            label,
                            Some(*line),
                            Some(component.clone()),
                            &[attr],
                            format!("{} `{text}` of `{component}` {why}", attr.to_uppercase()),
                        )
                    }),
                }
            }
            let claim = clean(cell(status));
            if !claim.is_empty() {
                row.claims_met = claims_met(cell(status));
                row.claim = Some(claim);
            }
            doc.recovery_targets.push(row);
        }
        return;
    }
    let document = column(&t.head, &["document", "doc", "runbook", "file"]);
    let next = column(&t.head, &["next review", "next", "due", "review date"]);
    if let (Some(document), Some(next)) = (document, next) {
        let freq = column(
            &t.head,
            &["frequency", "review frequency", "cadence", "cycle"],
        );
        let owner = column(&t.head, &["owner", "responsible"]);
        for (line, cells) in &t.rows {
            let cell = |i: Option<usize>| {
                i.and_then(|i| cells.get(i))
                    .map(String::as_str)
                    .unwrap_or("")
            };
            let name = clean(cell(Some(document)));
            if name.is_empty() {
                continue;
            }
            let next_text = clean(cell(Some(next)));
            let next_review = parse_date(&next_text);
            if next_review.is_none() {
                // The gap concerns the scheduled document, named as `scheduled` resolves it.
                let resolved = normalize(&dir.join(&name)).display().to_string();
                gaps.push(gap(
                    label,
                    Some(*line),
                    Some(resolved),
                    &["next_review", "review_due"],
                    format!("next review `{next_text}` of `{name}` is not a date"),
                ));
            }
            let frequency = Some(clean(cell(freq))).filter(|f| !f.is_empty());
            doc.review_schedule.push(ReviewRow {
                document: name,
                frequency_days: frequency.as_deref().and_then(frequency_days),
                frequency,
                next_review,
                owner: Some(clean(cell(owner))).filter(|o| !o.is_empty()),
                line: Some(*line),
            });
        }
    }
}

/// Read every Markdown document under `paths` (files or folders). Unreadable files are gaps.
pub fn collect(paths: &[PathBuf], files: &dyn Files) -> (Vec<Document>, Vec<Gap>) {
    let mut docs = Vec::new();
    let mut gaps = Vec::new();
    for root in paths {
        let Some(found) = files.list(root) else {
            gaps.push(gap(
                &root.display().to_string(),
                None,
                Some(root.display().to_string()),
                &[],
                "no such file or folder".into(),
            ));
            continue;
        };
        let markdown: Vec<PathBuf> = found
            .into_iter()
            .filter(|path| {
                path.extension().is_some_and(|e| {
                    e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown")
                })
            })
            .collect();
        if markdown.is_empty() {
            gaps.push(gap(
                &root.display().to_string(),
                None,
                Some(root.display().to_string()),
                &[],
                "no Markdown document (`.md`, `.markdown`) found there".into(),
            ));
        }
        for path in markdown {
            let label = path.display().to_string();
            let bytes = match files.read(&path) {
                Ok(b) => b,
                Err(e) => {
                    gaps.push(gap(
                        &label,
                        None,
                        Some(label.clone()),
                        &[],
                        format!("cannot read: {e}"),
                    ));
                    continue;
                }
            };
            let text = match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(e) => {
                    gaps.push(gap(
                        &label,
                        None,
                        Some(label.clone()),
                        &[],
                        "not valid UTF-8; read with replacement characters".into(),
                    ));
                    String::from_utf8_lossy(e.as_bytes()).into_owned()
                }
            };
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let e = extract(&label, &text, &dir, &|p| files.exists(p));
            docs.push(e.document);
            gaps.extend(e.gaps);
        }
    }
    (docs, gaps)
}

/// A recovery-targets row that names a disruption in brackets ("PostgreSQL (Multi-AZ)") gives the
/// component's targets for that disruption: one component "PostgreSQL", not one per scenario.
/// Brackets that name no disruption stay part of the name.
pub fn split_disruption(name: &str) -> (String, Option<Disruption>) {
    let Some(open) = name.rfind('(') else {
        return (name.to_string(), None);
    };
    let Some(inner) = name[open + 1..].strip_suffix(')') else {
        return (name.to_string(), None);
    };
    let key: String = inner
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let d = match key.as_str() {
        "multiaz" | "az" | "zone" | "zonal" | "availabilityzone" | "highavailability" | "ha" => {
            Disruption::Az
        }
        "crossregion" | "region" | "regional" | "multiregion" | "dr" | "failover" => {
            Disruption::Region
        }
        "data" | "backup" | "backups" | "pitr" | "pointintime" | "pointintimerestore"
        | "restore" | "corruption" => Disruption::Data,
        _ => return (name.to_string(), None),
    };
    let base = name[..open].trim().to_string();
    if base.is_empty() {
        return (name.to_string(), None);
    }
    (base, Some(d))
}

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]
mod tests {
    use super::*;

    #[test]
    fn mojibake_is_repaired_and_clean_text_is_left_alone() {
        assert_eq!(repair_mojibake("âœ… Meeting target"), "✅ Meeting target");
        assert_eq!(repair_mojibake("ðŸ“‹ Overview"), "📋 Overview");
        assert_eq!(repair_mojibake("✅ fine"), "✅ fine");
        assert_eq!(repair_mojibake("café"), "café");
        assert_eq!(clean("**âœ… Meeting target**"), "Meeting target");
    }

    #[test]
    fn claims_and_frequencies() {
        assert!(claims_met("âœ… Meeting target"));
        assert!(claims_met("Met"));
        assert!(!claims_met("❌ Not meeting target"));
        assert!(!claims_met("Under review"));
        assert_eq!(frequency_days("Quarterly"), Some(92));
        assert_eq!(frequency_days("Semi-annually"), Some(183));
        assert_eq!(frequency_days("Monthly"), Some(31));
        assert_eq!(frequency_days("After each test"), None);
        assert_eq!(frequency_days("every 2 weeks"), Some(14));
    }

    #[test]
    fn tables_links_and_header_facts_with_lines() {
        let text = "# Runbook\n\n**Last Updated:** 2026-01-02\n**Next Review:** someday\n\n| System | RTO | RPO | Status |\n|---|---|---|---|\n| **DB** | < 4 hours | 15 min | ✅ Meeting target |\n| Cache | soon | 0 | at risk |\n\nSee [plan](./PLAN.md#top) and [web](https://example.com).\n\n```\n**Owner:** not-a-fact\n```\n";
        let e = extract("dr/RUNBOOK.md", text, Path::new("dr"), &|p| {
            p == Path::new("dr/PLAN.md")
        });
        let d = &e.document;
        assert_eq!(d.title.as_deref(), Some("Runbook"));
        assert_eq!(d.last_updated, NaiveDate::from_ymd_opt(2026, 1, 2));
        assert_eq!(d.lines["last_updated"], 3);
        assert_eq!(d.next_review, None);
        assert_eq!(d.owner, None, "code blocks are not read");
        assert_eq!(d.recovery_targets.len(), 2);
        let db = &d.recovery_targets[0];
        assert_eq!(
            (
                db.component.as_str(),
                db.rto_seconds,
                db.rpo_seconds,
                db.claims_met,
                db.line
            ),
            ("DB", Some(14_400), Some(900), true, Some(8))
        );
        assert!(!d.recovery_targets[1].claims_met);
        let links = d.links.as_ref().unwrap();
        assert_eq!(links.len(), 1);
        assert_eq!((links[0].exists, links[0].line), (Some(true), Some(11)));
        let lines: Vec<Option<u32>> = e.gaps.iter().map(|g| g.line).collect();
        assert_eq!(lines, [Some(4), Some(9)], "{:?}", e.gaps);
    }

    #[test]
    fn a_row_naming_a_disruption_is_a_target_of_its_component() {
        assert_eq!(
            split_disruption("PostgreSQL (Multi-AZ)"),
            ("PostgreSQL".into(), Some(Disruption::Az))
        );
        assert_eq!(
            split_disruption("PostgreSQL (Cross-Region)"),
            ("PostgreSQL".into(), Some(Disruption::Region))
        );
        assert_eq!(
            split_disruption("Orders (PITR)"),
            ("Orders".into(), Some(Disruption::Data))
        );
        assert_eq!(
            split_disruption("Search (beta)"),
            ("Search (beta)".into(), None)
        );
        assert_eq!(
            split_disruption("Elasticsearch"),
            ("Elasticsearch".into(), None)
        );
    }
}

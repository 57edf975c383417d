//! `drready init`: a first `drready.toml`, written from what the account has and what its DR
//! documents say, with every assumption said in a comment. Never overwrites a file.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::collect::live_options;
use super::live;
use super::*;
use crate::model::snapshot::{Resource, Snapshot};

#[derive(Debug, Args)]
pub struct InitArgs {
    /// DR documents (Markdown files or folders) to read recovery targets and regions from
    #[arg(long, value_name = "PATH")]
    pub docs: Vec<PathBuf>,
    /// Where to write the config; an existing file is never overwritten
    #[arg(long, value_name = "FILE", default_value = "drready.toml")]
    pub out: PathBuf,
    #[command(flatten)]
    pub live: LiveArgs,
    /// Send every AWS call to this endpoint (also AWS_ENDPOINT_URL), e.g. moto or LocalStack
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

/// Bucket names that suggest backups (globs); with the tag `drready:role=backup`, the rule init
/// discovers with. The config it writes names the buckets found, not these globs.
const BACKUP_NAMES: &[&str] = &[
    "*backup*",
    "*Backup*",
    "*bak*",
    "*dump*",
    "*snapshot*",
    "*archive*",
    "*-wal*",
];

/// Words that say which resources a component of the documents is: (word, resource types).
const KINDS: &[(&[&str], &[&str])] = &[
    (
        &[
            "postgres", "mysql", "mariadb", "aurora", "database", "rds", "sql",
        ],
        &["rds_instance", "rds_cluster"],
    ),
    (
        &["elasticsearch", "opensearch", "search"],
        &["opensearch_domain"],
    ),
    (
        &["kubernetes", "eks", "cluster", "application"],
        &["eks_cluster", "velero_schedule"],
    ),
    (
        &["dns", "route 53", "route53", "failover"],
        &["route53_failover"],
    ),
];

pub(super) fn init(args: InitArgs) -> Result<Exit, Error> {
    if args.out.exists() {
        return Err(Error::Other(format!(
            "`{}` exists; drready init does not overwrite it",
            args.out.display()
        )));
    }
    let base = args
        .out
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    // The documents: recovery targets, and the regions they name.
    let doc_paths: Vec<PathBuf> = args
        .docs
        .iter()
        .map(|p| crate::util::files::normalize(p))
        .collect();
    let (documents, doc_gaps) = crate::sources::docs::collect(&doc_paths, &Disk);
    if let Some(g) = doc_gaps.first() {
        return Err(Error::Other(format!(
            "reading the DR documents: {}",
            crate::evaluate::gap_cause(g)
        )));
    }
    let mut texts = String::new();
    for d in &documents {
        if let Ok(t) = std::fs::read_to_string(&d.path) {
            texts.push_str(&t);
            texts.push('\n');
        }
    }
    let (doc_primary, doc_dr) = regions_in(&texts);

    let mut regions: Vec<String> = args.live.regions.clone();
    let regions_from = if !regions.is_empty() {
        "--region"
    } else if let Some(r) = &doc_primary {
        regions.push(r.clone());
        "the DR documents"
    } else {
        "the SDK's default region"
    };
    let dr_region = args.live.dr_region.clone().or(doc_dr.clone());
    let dr_from = if args.live.dr_region.is_some() {
        "--dr-region"
    } else {
        "the DR documents"
    };

    let mut config = Config::default();
    config.scope.regions = regions.clone();
    config.scope.dr_region = dr_region.clone();
    config.s3.buckets = BACKUP_NAMES.iter().map(|s| s.to_string()).collect();
    config.s3.tags = [(
        crate::model::config::BACKUP_ROLE_TAG.0.to_string(),
        crate::model::config::BACKUP_ROLE_TAG.1.to_string(),
    )]
    .into();
    let options = live_options(&args.live, args.endpoint_url.clone());
    let (snapshot, folders) = live::discover(&config, &options)?;

    let text = write_config(&Init {
        snapshot: &snapshot,
        folders: &folders,
        documents: &documents,
        doc_paths: &doc_paths,
        base: &base,
        regions_from,
        dr_region: dr_region.as_deref(),
        dr_from,
        out: &args.out,
    });
    // What it writes must load as it is.
    Config::parse(&text, &args.out).map_err(|e| {
        Error::Other(format!(
            "the config drready init made does not load (a bug): {e}"
        ))
    })?;
    write_new(&args.out, text.as_bytes())?;
    let buckets = snapshot
        .resources
        .iter()
        .filter(|r| matches!(r, Resource::S3Bucket(_)))
        .count();
    eprintln!(
        "wrote {}: {} account(s), region(s) {}, {} backup bucket(s), {} component(s) from {} document(s); read the comments, then `drready audit --config {}`",
        args.out.display(),
        snapshot.scope.accounts.len(),
        snapshot.scope.regions.join(", "),
        buckets,
        doc_components(&documents).len(),
        documents.len(),
        args.out.display()
    );
    Ok(Exit::Ok)
}

/// The primary and DR regions a document names: on lines that say "primary" or "DR" (or
/// "secondary", "failover", "standby"), else the first and second regions named at all.
fn regions_in(text: &str) -> (Option<String>, Option<String>) {
    let mut primary = None;
    let mut dr = None;
    let mut all: Vec<String> = Vec::new();
    for line in text.lines() {
        let lower = line.to_ascii_lowercase();
        for r in region_codes(&lower) {
            if !all.contains(&r) {
                all.push(r.clone());
            }
            let says_dr = [
                "dr region",
                "disaster",
                "secondary",
                "failover",
                "standby",
                "dr:",
            ]
            .iter()
            .any(|w| lower.contains(w));
            if says_dr && dr.is_none() && primary.as_ref() != Some(&r) {
                dr = Some(r);
            } else if lower.contains("primary") && primary.is_none() && dr.as_ref() != Some(&r) {
                primary = Some(r);
            }
        }
    }
    let primary = primary.or_else(|| all.iter().find(|r| Some(*r) != dr.as_ref()).cloned());
    let dr = dr.or_else(|| all.iter().find(|r| Some(*r) != primary.as_ref()).cloned());
    (primary, dr)
}

/// AWS region codes in a line (`us-east-1`, `eu-central-2`, `ap-southeast-4`).
fn region_codes(line: &str) -> Vec<String> {
    const AREAS: &[&str] = &["us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx"];
    const WAYS: &[&str] = &[
        "northeast",
        "northwest",
        "southeast",
        "southwest",
        "north",
        "south",
        "east",
        "west",
        "central",
    ];
    let mut out = Vec::new();
    for word in line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
        let parts: Vec<&str> = word.split('-').collect();
        if let [area, way, n] = parts.as_slice() {
            if AREAS.contains(area)
                && WAYS.contains(way)
                && !n.is_empty()
                && n.len() <= 2
                && n.bytes().all(|b| b.is_ascii_digit())
            {
                out.push(word.to_string());
            }
        }
    }
    out
}

/// The components the documents' recovery targets name, in order.
fn doc_components(documents: &[crate::model::snapshot::Document]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for d in documents {
        for row in &d.recovery_targets {
            if !out.contains(&row.component) {
                out.push(row.component.clone());
            }
        }
    }
    out
}

struct Init<'a> {
    snapshot: &'a Snapshot,
    folders: &'a BTreeMap<String, Vec<live::Folder>>,
    documents: &'a [crate::model::snapshot::Document],
    doc_paths: &'a [PathBuf],
    base: &'a Path,
    regions_from: &'a str,
    dr_region: Option<&'a str>,
    dr_from: &'a str,
    out: &'a Path,
}

/// A TOML basic string (JSON's escapes are TOML's).
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn list(items: &[String]) -> String {
    format!(
        "[{}]",
        items.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ")
    )
}

fn write_config(i: &Init<'_>) -> String {
    let s = i.snapshot;
    let mut t = String::new();
    let _ = writeln!(
        t,
        "# drready.toml, written by `drready init` at {} from account(s) {}.\n# Every value below is what init found or assumed; each assumption says so. Check them,\n# then `drready audit --config {}`. Keys and defaults: the README, *Configuration*.\n",
        s.collected_at.format("%Y-%m-%dT%H:%M:%SZ"),
        s.scope.accounts.join(", "),
        i.out.display()
    );
    // Scope.
    let _ = writeln!(t, "[scope]");
    let _ = writeln!(
        t,
        "# Assumed: the regions from {}; the DR region from {}.",
        i.regions_from,
        if i.dr_region.is_some() {
            i.dr_from
        } else {
            "nowhere (none was given or named: cross-region controls need one)"
        }
    );
    let regions: Vec<String> = s
        .scope
        .regions
        .iter()
        .filter(|r| Some(r.as_str()) != i.dr_region)
        .cloned()
        .collect();
    let _ = writeln!(t, "regions = {}", list(&regions));
    match i.dr_region {
        Some(r) => {
            let _ = writeln!(t, "dr_region = {}", q(r));
        }
        None => {
            let _ = writeln!(t, "# dr_region = \"us-west-2\"");
        }
    }
    let _ = writeln!(t);

    // Documents.
    if !i.doc_paths.is_empty() {
        let _ = writeln!(
            t,
            "[docs]\n# The DR documents init read: {} recovery target row(s), {} document(s).",
            i.documents
                .iter()
                .map(|d| d.recovery_targets.len())
                .sum::<usize>(),
            i.documents.len()
        );
        let rel: Vec<String> = i.doc_paths.iter().map(|p| relative(p, i.base)).collect();
        let _ = writeln!(t, "paths = {}\n", list(&rel));
    }

    // Backup buckets and their prefixes.
    let mut buckets: Vec<(&str, &BTreeMap<String, String>)> = Vec::new();
    for r in &s.resources {
        if let Resource::S3Bucket(b) = r {
            buckets.push((
                b.name
                    .as_deref()
                    .unwrap_or(b.id.trim_start_matches("arn:aws:s3:::")),
                &b.tags,
            ));
        }
    }
    let _ = writeln!(
        t,
        "[s3]\n# Assumed: the backup buckets are those whose name suggests backups ({}) or\n# that carry the tag drready:role=backup: {} found. Remove any that holds no backups.",
        BACKUP_NAMES.join(", "),
        buckets.len()
    );
    let names: Vec<String> = buckets.iter().map(|(n, _)| n.to_string()).collect();
    let _ = writeln!(t, "buckets = {}", list(&names));
    if names.is_empty() {
        // No rule at all would mean the built-in one; an empty list that matches nothing is said.
        let _ = writeln!(
            t,
            "# No backup bucket was found: the built-in rule (a name containing \"backup\", or the tag\n# drready:role=backup) applies, and the audit says it matched nothing."
        );
    }
    let mut prefixes = String::new();
    for (name, tags) in &buckets {
        let Some(folders) = i.folders.get(*name) else {
            let _ = writeln!(prefixes, "# {}: its keys could not be listed", q(name));
            continue;
        };
        if let Some(tagged) = tags.get(crate::model::config::BACKUP_PREFIX_TAG) {
            let _ = writeln!(
                prefixes,
                "# {}: its tag drready:backup-prefix says {}",
                q(name),
                q(tagged)
            );
            continue;
        }
        match folders.first() {
            Some(f) if !f.prefix.is_empty() => {
                let others: Vec<&str> = folders[1..].iter().map(|f| f.prefix.as_str()).collect();
                let _ = writeln!(
                    prefixes,
                    "{} = {}   # assumed: the folder with the newest object ({}, {} key(s) read){}",
                    q(name),
                    q(&f.prefix),
                    f.newest.format("%Y-%m-%d %H:%M UTC"),
                    f.keys,
                    if others.is_empty() {
                        String::new()
                    } else {
                        format!("; also {}", others.join(", "))
                    }
                );
            }
            Some(_) => {
                let _ = writeln!(
                    prefixes,
                    "# {}: its newest objects are at the top level: no prefix",
                    q(name)
                );
            }
            None => {
                let _ = writeln!(prefixes, "# {}: empty, no prefix to find", q(name));
            }
        }
    }
    if !prefixes.is_empty() {
        let _ = writeln!(
            t,
            "\n[s3.prefixes]\n# Where each bucket's backups are written.\n{prefixes}"
        );
    } else {
        let _ = writeln!(t);
    }

    // Components from the documents, matched to resources by type where the name says which.
    let present: BTreeSet<&str> = s.resources.iter().map(|r| r.type_name()).collect();
    for name in doc_components(i.documents) {
        let lower = name.to_ascii_lowercase();
        let types: Vec<String> = KINDS
            .iter()
            .filter(|(words, _)| words.iter().any(|w| lower.contains(w)))
            .flat_map(|(_, types)| types.iter())
            .filter(|t| present.contains(**t))
            .map(|t| t.to_string())
            .collect();
        let _ = writeln!(
            t,
            "[[components]]\n# From the documents' recovery targets (its RTO and RPO come from there).\nname = {}",
            q(&name)
        );
        if types.is_empty() {
            let _ = writeln!(
                t,
                "# Assumed: no resource type of the account is named by \"{name}\"; match its resources\n# by tag, e.g.\n# [components.match]\n# tags = {{ app = \"{}\" }}\n",
                lower.replace('"', "")
            );
        } else {
            let _ = writeln!(
                t,
                "# Assumed from its name: the account's {} resources are this component's.\n[components.match]\ntypes = {}\n",
                types.join(" and "),
                list(&types)
            );
        }
    }

    // Search domains: their snapshots are read only for the domains named here.
    let domains: Vec<&str> = s
        .resources
        .iter()
        .filter_map(|r| match r {
            Resource::OpensearchDomain(d) => d.name.as_deref(),
            _ => None,
        })
        .collect();
    for d in domains {
        let _ = writeln!(
            t,
            "# The search domain {} was found; to judge its snapshots, name it (its endpoint must be\n# reachable from where drready runs):\n# [[opensearch]]\n# name = {}\n",
            q(d),
            q(d)
        );
    }
    t
}

/// A path relative to the config's folder where it is under it.
fn relative(p: &Path, base: &Path) -> String {
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (p_abs, base_abs) = (abs(p), abs(base));
    p_abs
        .strip_prefix(&base_abs)
        .map(|r| r.display().to_string())
        .unwrap_or_else(|_| p_abs.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_read_from_what_the_lines_say() {
        let text =
            "Primary region: us-east-1\nThe DR region is us-west-2 (standby).\nAlso eu-west-1.";
        assert_eq!(
            regions_in(text),
            (Some("us-east-1".into()), Some("us-west-2".into()))
        );
        assert_eq!(
            regions_in("we run in eu-central-1 and eu-west-1"),
            (Some("eu-central-1".into()), Some("eu-west-1".into()))
        );
        assert_eq!(regions_in("no region here, us-east-x"), (None, None));
    }
}

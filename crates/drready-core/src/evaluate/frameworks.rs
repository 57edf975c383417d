//! Compliance frameworks as data: one TOML file per framework, each requirement with its id, title
//! and the controls that evidence it, every mapping with a one-line reason.
//!
//! The built-in files (`frameworks/soc2.toml`, `iso27001.toml`, `gdpr.toml`) are embedded;
//! `--frameworks DIR` adds files, and a file with the same name as a built-in one replaces it. A
//! control's framework references are derived from the loaded files (`Catalog::attach`), never
//! written twice: a control of one's own may also declare `@<framework-id>("REQ ...")`, which adds
//! those mappings to the loaded framework (an unknown framework or requirement is an error).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::util::error::InputError;

/// The built-in framework files, in the order reports list them.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "soc2.toml",
        include_str!("../../../../frameworks/soc2.toml"),
    ),
    (
        "iso27001.toml",
        include_str!("../../../../frameworks/iso27001.toml"),
    ),
    (
        "gdpr.toml",
        include_str!("../../../../frameworks/gdpr.toml"),
    ),
];

/// Files by name: (where each came from, its text).
pub type NamedFiles = BTreeMap<String, (String, String)>;

/// The largest framework file read (1 MiB).
pub const MAX_FRAMEWORK_BYTES: u64 = 1 << 20;

/// One framework, as loaded.
#[derive(Debug, Clone, Serialize)]
pub struct Framework {
    /// Short id (`soc2`), also the annotation a control may use to map itself.
    pub id: String,
    /// The name reports show (`SOC 2`).
    pub title: String,
    /// The full name of the framework and the part of it covered.
    pub name: String,
    pub url: Option<String>,
    pub scope: Option<String>,
    pub requirements: Vec<Requirement>,
    /// The file it came from (`frameworks/soc2.toml` for built-in ones).
    pub source: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Requirement {
    pub id: String,
    pub title: String,
    /// The controls that evidence it, by id, each with the reason.
    pub controls: Vec<Mapping>,
    /// The line of the file it starts on.
    #[serde(skip)]
    pub line: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Mapping {
    pub control: String,
    pub why: String,
    #[serde(skip)]
    pub line: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFramework {
    id: String,
    title: String,
    name: String,
    url: Option<String>,
    scope: Option<String>,
    #[serde(default)]
    requirements: Vec<toml::Spanned<RawRequirement>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequirement {
    id: String,
    title: String,
    #[serde(default)]
    controls: BTreeMap<String, toml::Spanned<String>>,
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && s.starts_with(|c: char| c.is_ascii_lowercase())
}

/// Parse one framework file; `path` names it in messages.
pub fn parse(path: &Path, text: &str) -> Result<Framework, InputError> {
    let raw: RawFramework =
        toml::from_str(text).map_err(|e| crate::util::error::toml_error(path, text, &e))?;
    if !is_token(&raw.id) {
        return Err(InputError::plain(
            path,
            format!(
                "framework id `{}` must be lowercase letters, digits, `-` or `_`, starting with a letter",
                raw.id
            ),
        ));
    }
    if crate::evaluate::catalog::RESERVED_ANNOTATIONS.contains(&raw.id.as_str()) {
        return Err(InputError::plain(
            path,
            format!("framework id `{}` is a reserved policy annotation", raw.id),
        ));
    }
    let line_of = |offset: usize| crate::util::error::line_col(text, offset).0;
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut requirements = Vec::with_capacity(raw.requirements.len());
    for spanned in raw.requirements {
        let line = line_of(spanned.span().start);
        let r = spanned.into_inner();
        let id = r.id.trim().to_string();
        if id.is_empty() || id.chars().any(char::is_whitespace) {
            return Err(InputError::at(
                path,
                line,
                1,
                format!("requirement id `{}` is empty or has spaces", r.id),
            ));
        }
        if let Some(first) = seen.insert(id.clone(), line) {
            return Err(InputError::at(
                path,
                line,
                1,
                format!("requirement `{id}` is listed twice (first at line {first})"),
            ));
        }
        let mut controls = Vec::with_capacity(r.controls.len());
        for (control, why) in r.controls {
            let at = line_of(why.span().start);
            let why = why.into_inner();
            if why.trim().is_empty() {
                return Err(InputError::at(
                    path,
                    at,
                    1,
                    format!("the mapping of `{control}` to `{id}` has no reason"),
                ));
            }
            controls.push(Mapping {
                control,
                why: why.trim().to_string(),
                line: at,
            });
        }
        requirements.push(Requirement {
            id,
            title: r.title,
            controls,
            line,
        });
    }
    Ok(Framework {
        id: raw.id,
        title: raw.title,
        name: raw.name,
        url: raw.url,
        scope: raw.scope,
        requirements,
        source: path.display().to_string(),
    })
}

/// The framework files to load, by name: the built-in ones, with `dir`'s `.toml` files added or
/// replacing them by name. Each is (where it came from, text).
pub fn files(dir: Option<&Path>) -> Result<BTreeMap<String, (String, String)>, InputError> {
    let mut files: BTreeMap<String, (String, String)> = BUILTIN
        .iter()
        .map(|(name, text)| {
            (
                name.to_string(),
                (format!("frameworks/{name}"), text.to_string()),
            )
        })
        .collect();
    if let Some(dir) = dir {
        let entries = std::fs::read_dir(dir).map_err(|e| InputError::io(dir, &e))?;
        let mut found: Vec<PathBuf> = Vec::new();
        for entry in entries {
            let path = entry.map_err(|e| InputError::io(dir, &e))?.path();
            if path.extension().is_some_and(|e| e == "toml") {
                found.push(path);
            }
        }
        if found.is_empty() {
            return Err(InputError::plain(
                dir,
                "no framework file (`*.toml`) in the folder",
            ));
        }
        for path in found {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = crate::util::files::read_text(&path, MAX_FRAMEWORK_BYTES)?;
            files.insert(name, (path.display().to_string(), text));
        }
    }
    Ok(files)
}

/// Parse the files, in report order: built-in names first (in their order), then the rest by name.
/// Two files may not declare the same framework id.
pub fn parse_all(files: &BTreeMap<String, (String, String)>) -> Result<Vec<Framework>, InputError> {
    let mut names: Vec<&String> = files.keys().collect();
    let rank = |n: &str| {
        BUILTIN
            .iter()
            .position(|(b, _)| *b == n)
            .unwrap_or(usize::MAX)
    };
    names.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
    let mut out: Vec<Framework> = Vec::with_capacity(names.len());
    for name in names {
        let (origin, text) = &files[name];
        let fw = parse(Path::new(origin), text)?;
        if let Some(other) = out.iter().find(|f| f.id == fw.id) {
            return Err(InputError::plain(
                Path::new(origin),
                format!(
                    "framework id `{}` is also declared by {} (name the file `{}` to replace it)",
                    fw.id,
                    other.source,
                    Path::new(&other.source)
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                ),
            ));
        }
        out.push(fw);
    }
    Ok(out)
}

/// Check every mapping names a loaded control, then add the mappings controls declare by
/// annotation. `controls` is (id, declared `(framework, requirements, where)`).
pub fn check_and_merge(
    frameworks: &mut [Framework],
    control_ids: &BTreeSet<&str>,
    declared: &[(String, String, Vec<String>, String)],
) -> Result<(), InputError> {
    for fw in frameworks.iter() {
        for r in &fw.requirements {
            for m in &r.controls {
                if !control_ids.contains(m.control.as_str()) {
                    return Err(InputError::at(
                        Path::new(&fw.source),
                        m.line,
                        1,
                        format!(
                            "requirement `{}` maps control `{}`, which no loaded policy defines",
                            r.id, m.control
                        ),
                    ));
                }
            }
        }
    }
    for (control, fw_id, reqs, at) in declared {
        let Some(fw) = frameworks.iter_mut().find(|f| &f.id == fw_id) else {
            continue;
        };
        for req in reqs {
            let Some(r) = fw.requirements.iter_mut().find(|r| &r.id == req) else {
                return Err(InputError::plain(
                    Path::new(at),
                    format!(
                        "control `{control}`: `@{fw_id}(\"{req}\")` names no requirement of {} (see `drready frameworks`)",
                        fw.title
                    ),
                ));
            };
            if !r.controls.iter().any(|m| &m.control == control) {
                r.controls.push(Mapping {
                    control: control.clone(),
                    why: format!("declared by the control's `@{fw_id}` annotation ({at})"),
                    line: 0,
                });
            }
        }
    }
    Ok(())
}

/// A token form of a requirement id, for formats that need one (OSCAL `target-id`):
/// `soc2_a1.2`, `iso27001_a.8.13`, `gdpr_32.1.c`.
pub fn token(framework: &str, requirement: &str) -> String {
    let mut s = String::with_capacity(framework.len() + requirement.len() + 1);
    s.push_str(framework);
    s.push('_');
    let mut dot = false;
    for c in requirement.chars() {
        if c.is_ascii_alphanumeric() || c == '-' {
            s.push(c.to_ascii_lowercase());
            dot = false;
        } else if !dot && !s.ends_with('_') {
            s.push('.');
            dot = true;
        }
    }
    s.trim_end_matches('.').to_string()
}

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_files_parse() {
        let all = parse_all(&files(None).unwrap()).unwrap();
        let ids: Vec<&str> = all.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["soc2", "iso27001", "gdpr"]);
        for f in &all {
            assert!(f.requirements.iter().all(|r| r.line > 0));
        }
    }

    #[test]
    fn a_malformed_file_names_its_line() {
        let text = "id = \"x\"\ntitle = \"X\"\nname = \"X\"\n\n[[requirements]]\nid = \"R1\"\ntitel = \"typo\"\n";
        let e = parse(Path::new("x.toml"), text).unwrap_err();
        assert_eq!(e.line, 7, "{e}");
        let twice = "id = \"x\"\ntitle = \"X\"\nname = \"X\"\n[[requirements]]\nid = \"R\"\ntitle = \"a\"\n[[requirements]]\nid = \"R\"\ntitle = \"b\"\n";
        let e = parse(Path::new("x.toml"), twice).unwrap_err();
        assert_eq!(e.line, 7, "{e}");
        assert!(e.message.contains("twice"), "{e}");
    }

    #[test]
    fn tokens_are_ncnames() {
        assert_eq!(token("gdpr", "32(1)(c)"), "gdpr_32.1.c");
        assert_eq!(token("soc2", "A1.2"), "soc2_a1.2");
        assert_eq!(token("iso27001", "A.8.13"), "iso27001_a.8.13");
        assert_eq!(token("gdpr", "5(1)(f)"), "gdpr_5.1.f");
    }
}

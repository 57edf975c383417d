//! The control catalog: the Cedar schema and policies, checked and indexed.
//!
//! Built-in policies are embedded in the binary; `--policies DIR` adds files, and a file with the
//! same name as a built-in one replaces it. Every policy is validated against the schema in strict
//! mode when loaded; an invalid one is an error with its file, line and column, never skipped.
//!
//! Each control is one `forbid` carrying `@id`, `@title`, `@severity` and the framework annotations.
//! A policy with `@applies("control-id")` instead says which resources that control is meant for.
//! Policies are re-identified by their `@id` (Cedar numbers them `policy0…` per file) and split
//! by resource type, so each request sees only the controls that can apply to it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use cedar_policy::{Policy, PolicyId, PolicySet, Schema, ValidationMode, Validator};
use miette::Diagnostic;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::evaluate::frameworks::{self, Framework};
use crate::util::error::InputError;

/// The schema file name, built in and overridable.
pub const SCHEMA_FILE: &str = "drready.cedarschema";

/// The built-in policy files, embedded so the tool works from any folder.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        SCHEMA_FILE,
        include_str!("../../../../policies/drready.cedarschema"),
    ),
    ("rds.cedar", include_str!("../../../../policies/rds.cedar")),
    ("s3.cedar", include_str!("../../../../policies/s3.cedar")),
    (
        "backup.cedar",
        include_str!("../../../../policies/backup.cedar"),
    ),
    (
        "monitoring.cedar",
        include_str!("../../../../policies/monitoring.cedar"),
    ),
    (
        "process.cedar",
        include_str!("../../../../policies/process.cedar"),
    ),
    (
        "plan.cedar",
        include_str!("../../../../policies/plan.cedar"),
    ),
    (
        "opensearch.cedar",
        include_str!("../../../../policies/opensearch.cedar"),
    ),
    ("eks.cedar", include_str!("../../../../policies/eks.cedar")),
    (
        "route53.cedar",
        include_str!("../../../../policies/route53.cedar"),
    ),
];

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// The weight of a control of this severity in the score.
    pub fn weight(self) -> f64 {
        match self {
            Self::Critical => 10.0,
            Self::High => 5.0,
            Self::Medium => 3.0,
            Self::Low => 1.0,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
        }
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "critical" => Ok(Self::Critical),
            "high" => Ok(Self::High),
            "medium" => Ok(Self::Medium),
            "low" => Ok(Self::Low),
            other => Err(format!(
                "`{other}` is not a severity (critical, high, medium, low)"
            )),
        }
    }
}

/// A control: one forbid policy and what its annotations say.
#[derive(Debug, Clone, Serialize)]
pub struct Control {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// Framework references by framework id, e.g. soc2 → ["A1.2", "CC9.1"]: derived from the
    /// loaded framework files (`Catalog::attach`), never from the policy alone.
    pub frameworks: BTreeMap<String, Vec<String>>,
    pub remediation: Option<String>,
    /// The Cedar entity types the control can apply to.
    pub resource_types: Vec<String>,
    /// The facts the policy reads (`resource.x`, `resource.component.rpo`, `context.params.y`).
    pub facts: Vec<String>,
    /// Resource attributes whose absence is itself a finding (nothing exists), not missing evidence.
    pub absence_fails: Vec<String>,
    /// Resource attributes quoted in verdicts without deciding them (`@show`), at the end of `facts`.
    pub shown: Vec<String>,
    /// Whether an `@applies` policy narrows the resources the control is meant for.
    pub conditional: bool,
    /// The facts the `@applies` policy reads.
    pub applies_facts: Vec<String>,
    /// The file (and line) the policy came from.
    pub source: String,
    /// The failure in plain words (`@risk`), with `{name}`, `{component}`, `{PATH}` and
    /// `{age:PATH}` placeholders over the facts the policy reads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk: Option<String>,
    /// Other annotations, e.g. `aws_backup_audit`.
    pub annotations: BTreeMap<String, String>,
}

/// The attributes a schema declares: per entity type, and of the `Params` record. Facts a schema
/// does not declare are left out of its entities and context, so an older or a user's own schema
/// (an evidence bundle of schema version 1, a replaced `drready.cedarschema`) still loads the
/// entities of this build; its policies cannot read what it does not declare, so nothing passes
/// for it.
#[derive(Debug, Clone, Default)]
pub struct Declared {
    pub entities: HashMap<String, std::collections::HashSet<String>>,
    /// `None` when the schema has no `Params` record (every parameter is then kept).
    pub params: Option<std::collections::HashSet<String>>,
    /// The built-in schema declares every fact this build makes: nothing to look up.
    pub everything: bool,
}

impl Declared {
    fn of(text: &str) -> Declared {
        let json = cedar_policy::SchemaFragment::from_cedarschema_str(text)
            .ok()
            .and_then(|(fragment, _)| fragment.to_json_value().ok())
            .unwrap_or_default();
        let names = |shape: Option<&serde_json::Value>| {
            shape
                .and_then(|s| s.get("attributes"))
                .and_then(|a| a.as_object())
                .map(|a| {
                    a.keys()
                        .cloned()
                        .collect::<std::collections::HashSet<String>>()
                })
        };
        let mut d = Declared::default();
        for ns in json.as_object().into_iter().flat_map(|m| m.values()) {
            if let Some(types) = ns.get("entityTypes").and_then(|t| t.as_object()) {
                for (name, t) in types {
                    d.entities
                        .insert(name.clone(), names(t.get("shape")).unwrap_or_default());
                }
            }
            if let Some(p) = ns.pointer("/commonTypes/Params") {
                d.params = names(Some(p));
            }
        }
        d
    }

    /// Whether entities of `ty` may carry `attr` (a type the schema does not list keeps all).
    pub fn allows(&self, ty: &str, attr: &str) -> bool {
        self.everything || self.entities.get(ty).is_none_or(|a| a.contains(attr))
    }

    pub fn allows_param(&self, name: &str) -> bool {
        self.everything || self.params.as_ref().is_none_or(|p| p.contains(name))
    }
}

/// The loaded, validated catalog.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub schema: Schema,
    /// What the schema declares, to leave out facts it does not.
    pub declared: std::sync::Arc<Declared>,
    /// Controls in a stable order (by id).
    pub controls: Vec<Control>,
    /// Per Cedar entity type: the policy set holding its controls and their `@applies` policies.
    pub sets: HashMap<String, PolicySet>,
    /// SHA-256 over every file used, by name.
    pub hash: String,
    /// The files used, by name, with their text: what an evidence bundle keeps.
    pub files: BTreeMap<String, String>,
    /// Where each file came from (`policies/rds.cedar` for built-in ones), as controls cite it.
    pub origins: BTreeMap<String, String>,
    /// The compliance frameworks, in report order, with the mappings controls declare merged in.
    pub frameworks: Vec<Framework>,
    /// The framework files used, by name: (where it came from, text).
    pub framework_files: BTreeMap<String, (String, String)>,
    /// SHA-256 over the framework files, by name.
    pub frameworks_hash: String,
    /// Mappings of built-in framework files to controls no loaded policy defines (a policy file
    /// replaced by one of fewer controls): said in every report's not-assessed list.
    pub unloaded: Vec<String>,
}

/// Id of the `@applies` policy of a control.
pub fn applies_id(control: &str) -> String {
    format!("{control}#applies")
}

const KNOWN_ANNOTATIONS: &[&str] = &[
    "id",
    "title",
    "severity",
    "remediation",
    "absence_fails",
    "applies",
    "risk",
];

/// Annotations with a meaning of their own: no framework may take one as its id.
pub const RESERVED_ANNOTATIONS: &[&str] = &[
    "id",
    "title",
    "severity",
    "remediation",
    "absence_fails",
    "applies",
    "show",
    "risk",
];

impl Catalog {
    /// The built-in catalog, with the files of `dir` added or replacing built-ins by name, and the
    /// built-in frameworks.
    pub fn load(dir: Option<&Path>) -> Result<Catalog, InputError> {
        Self::load_with(dir, None)
    }

    /// The built-in catalog and frameworks, with the files of `policies` and `frameworks` added or
    /// replacing built-ins by name.
    pub fn load_with(
        policies: Option<&Path>,
        frameworks: Option<&Path>,
    ) -> Result<Catalog, InputError> {
        let mut files: BTreeMap<String, (PathBuf, String)> = BUILTIN
            .iter()
            .map(|(name, text)| {
                (
                    name.to_string(),
                    (PathBuf::from("policies").join(name), text.to_string()),
                )
            })
            .collect();
        if let Some(dir) = policies {
            for (name, path, text) in read_dir(dir)? {
                files.insert(name, (path, text));
            }
        }
        Self::from_files(files)?.attach(frameworks::files(frameworks)?, true)
    }

    /// Only the files of `dir` (its own schema, or the built-in one when it has none).
    pub fn load_dir_only(dir: &Path) -> Result<Catalog, InputError> {
        let mut files = BTreeMap::new();
        let (name, text) = BUILTIN[0];
        files.insert(
            name.to_string(),
            (PathBuf::from("policies").join(name), text.to_string()),
        );
        for (name, path, text) in read_dir(dir)? {
            files.insert(name, (path, text));
        }
        Self::from_files(files)?.attach(frameworks::files(None)?, true)
    }

    /// Exactly these files (an evidence bundle's): name → (where it came from, text). A bundle
    /// written before frameworks were files holds none: the built-in ones serve, and the framework
    /// annotations of its policies are left as they were (their verdicts do not depend on them).
    pub fn from_named(
        files: BTreeMap<String, (String, String)>,
        framework_files: Option<BTreeMap<String, (String, String)>>,
    ) -> Result<Catalog, InputError> {
        let catalog = Self::from_files(
            files
                .into_iter()
                .map(|(n, (origin, t))| (n, (PathBuf::from(origin), t)))
                .collect(),
        )?;
        match framework_files {
            Some(f) => catalog.attach(f, true),
            None => catalog.attach(frameworks::files(None)?, false),
        }
    }

    /// Load the frameworks and derive each control's references from them. With `declared`, a
    /// control's `@<framework-id>("REQ ...")` annotations add mappings to that framework.
    fn attach(
        mut self,
        files: BTreeMap<String, (String, String)>,
        declared: bool,
    ) -> Result<Catalog, InputError> {
        let mut loaded = frameworks::parse_all(&files)?;
        let ids: BTreeSet<&str> = self.controls.iter().map(|c| c.id.as_str()).collect();
        // Built-in files may name controls a replaced policy file no longer defines: those
        // mappings are dropped (the requirement is then judged by fewer controls, or not assessed).
        for fw in &mut loaded {
            let builtin = frameworks::BUILTIN.iter().any(|(n, t)| {
                fw.source == format!("frameworks/{n}") && files.get(*n).is_some_and(|(_, x)| x == t)
            });
            if builtin {
                for r in &mut fw.requirements {
                    for m in r
                        .controls
                        .iter()
                        .filter(|m| !ids.contains(m.control.as_str()))
                    {
                        self.unloaded.push(format!(
                            "{} {} ({}): control `{}` is mapped to it, but no loaded policy defines it",
                            fw.title, r.id, r.title, m.control
                        ));
                    }
                    r.controls.retain(|m| ids.contains(m.control.as_str()));
                }
            }
        }
        let mut annotated = Vec::new();
        if declared {
            for c in &self.controls {
                for (k, v) in &c.annotations {
                    if loaded.iter().any(|f| &f.id == k) {
                        annotated.push((
                            c.id.clone(),
                            k.clone(),
                            v.split_whitespace().map(str::to_string).collect(),
                            c.source.clone(),
                        ));
                    }
                }
            }
        }
        frameworks::check_and_merge(&mut loaded, &ids, &annotated)?;
        if declared {
            let fw_ids: BTreeSet<String> = loaded.iter().map(|f| f.id.clone()).collect();
            for c in &mut self.controls {
                c.annotations.retain(|k, _| !fw_ids.contains(k));
            }
        }
        let index: HashMap<String, usize> = self
            .controls
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.clone(), i))
            .collect();
        for c in &mut self.controls {
            c.frameworks.clear();
        }
        for fw in &loaded {
            for r in &fw.requirements {
                for m in &r.controls {
                    if let Some(&i) = index.get(&m.control) {
                        self.controls[i]
                            .frameworks
                            .entry(fw.id.clone())
                            .or_default()
                            .push(r.id.clone());
                    }
                }
            }
        }
        self.frameworks_hash = files_hash(files.iter().map(|(n, (_, t))| (n, t)));
        self.frameworks = loaded;
        self.framework_files = files;
        Ok(self)
    }

    /// A framework by id.
    pub fn framework(&self, id: &str) -> Option<&Framework> {
        self.frameworks.iter().find(|f| f.id == id)
    }

    fn from_files(files: BTreeMap<String, (PathBuf, String)>) -> Result<Catalog, InputError> {
        crate::util::stack::with_big_stack(|| Self::from_files_here(files)).unwrap_or_else(|| {
            Err(InputError::plain(
                Path::new("policies"),
                "loading the policies failed (the loader stopped unexpectedly)",
            ))
        })
    }

    fn from_files_here(files: BTreeMap<String, (PathBuf, String)>) -> Result<Catalog, InputError> {
        let (schema_path, schema_text) = files
            .get(SCHEMA_FILE)
            .ok_or_else(|| InputError::plain(Path::new(SCHEMA_FILE), "no schema"))?;
        let schema = match Schema::from_cedarschema_str(schema_text) {
            Ok((schema, _warnings)) => schema,
            Err(e) => return Err(diagnostic_error(schema_path, schema_text, &e)),
        };
        let validator = Validator::new(schema.clone());
        let builtin = BUILTIN
            .iter()
            .any(|(n, t)| *n == SCHEMA_FILE && *t == schema_text);
        let declared = std::sync::Arc::new(Declared {
            everything: builtin,
            ..Declared::of(schema_text)
        });

        let mut controls: BTreeMap<String, (Control, Policy)> = BTreeMap::new();
        let mut scopes: BTreeMap<String, (Policy, String)> = BTreeMap::new();
        for (name, (path, text)) in &files {
            if !name.ends_with(".cedar") {
                continue;
            }
            check_nesting(path, text)?;
            let set = PolicySet::from_str(text).map_err(|e| diagnostic_error(path, text, &e))?;
            let result = validator.validate(&set, ValidationMode::Strict);
            if let Some(e) = result.validation_errors().next() {
                return Err(diagnostic_error(path, text, e));
            }
            if set.templates().next().is_some() {
                return Err(InputError::plain(
                    path,
                    "templates are not supported; write static policies",
                ));
            }
            let mut policies: Vec<&Policy> = set.policies().collect();
            // Cedar numbers policies in file order: keep that order for messages.
            policies.sort_by_key(|p| {
                p.id()
                    .to_string()
                    .trim_start_matches("policy")
                    .parse::<usize>()
                    .unwrap_or(0)
            });
            for policy in policies {
                let line = policy_line(text, policy);
                let here = || format!("{}:{line}", path.display());
                if let Some(target) = policy.annotation("applies") {
                    check_forbid(policy, path, text, line)?;
                    if let Some((_, first)) = scopes.get(target) {
                        return Err(InputError::at(path, line, 1, format!(
                            "control `{target}` has a second `@applies` policy (the first is at {first})"
                        )));
                    }
                    let id = PolicyId::new(applies_id(target));
                    scopes.insert(target.to_string(), (policy.new_id(id), here()));
                    continue;
                }
                let control = control_of(policy, path, text, line, &schema)?;
                if let Some((other, _)) = controls.get(&control.id) {
                    return Err(InputError::at(
                        path,
                        line,
                        1,
                        format!(
                            "duplicate control id `{}` (also at {})",
                            control.id, other.source
                        ),
                    ));
                }
                let renamed = policy.new_id(PolicyId::new(control.id.clone()));
                controls.insert(control.id.clone(), (control, renamed));
            }
        }

        let mut sets: HashMap<String, PolicySet> = HashMap::new();
        let mut out = Vec::with_capacity(controls.len());
        for (id, (mut control, policy)) in controls {
            let scope = scopes.remove(&id);
            control.conditional = scope.is_some();
            if let Some((scope, _)) = &scope {
                let est = scope
                    .to_json()
                    .map_err(|e| InputError::plain(Path::new(&control.source), e.to_string()))?;
                control.applies_facts = facts_read(&est);
            }
            for ty in &control.resource_types {
                let set = sets.entry(ty.clone()).or_default();
                add(set, &policy)?;
                if let Some((scope, _)) = &scope {
                    add(set, scope)?;
                }
            }
            out.push(control);
        }
        if let Some((target, (_, at))) = scopes.into_iter().next() {
            return Err(InputError::plain(
                Path::new(&at),
                format!("`@applies(\"{target}\")` names no control"),
            ));
        }

        let hash = files_hash(files.iter().map(|(n, (_, t))| (n, t)));
        Ok(Catalog {
            schema,
            declared,
            controls: out,
            sets,
            hash,
            origins: files
                .iter()
                .map(|(n, (p, _))| (n.clone(), p.display().to_string()))
                .collect(),
            files: files.into_iter().map(|(n, (_, t))| (n, t)).collect(),
            frameworks: Vec::new(),
            framework_files: BTreeMap::new(),
            frameworks_hash: String::new(),
            unloaded: Vec::new(),
        })
    }

    pub fn control(&self, id: &str) -> Option<&Control> {
        self.controls.iter().find(|c| c.id == id)
    }
}

/// SHA-256 over files by name: each name and text, NUL-terminated, in name order.
fn files_hash<'a>(files: impl Iterator<Item = (&'a String, &'a String)>) -> String {
    let mut hasher = Sha256::new();
    for (name, text) in files {
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update(text.as_bytes());
        hasher.update([0]);
    }
    hex(&hasher.finalize())
}

fn add(set: &mut PolicySet, policy: &Policy) -> Result<(), InputError> {
    set.add(policy.clone())
        .map_err(|e| InputError::plain(Path::new("policies"), e.to_string()))
}

/// `.cedar` and `.cedarschema` files of a folder, by name.
/// How deeply a policy may nest brackets, unary operators or `if` expressions. Cedar's parser,
/// validator and evaluator recurse on nesting; a few hundred levels overflow the stack, which
/// aborts the process instead of reporting the file.
pub const MAX_NESTING: usize = 64;

/// The largest policy or schema file read (1 MiB).
pub const MAX_POLICY_BYTES: u64 = 1 << 20;

/// Reject nesting deeper than [`MAX_NESTING`], with the line and column where it goes too deep.
fn check_nesting(path: &Path, text: &str) -> Result<(), InputError> {
    let (mut depth, mut unary, mut line, mut col) = (0usize, 0usize, 1usize, 0usize);
    let mut chars = text.chars().peekable();
    let mut word = String::new();
    let too_deep = |line: usize, col: usize| {
        InputError::at(
            path,
            line,
            col,
            format!("expressions nest more than {MAX_NESTING} levels deep"),
        )
    };
    while let Some(c) = chars.next() {
        col += 1;
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        if word == "if" {
            unary += 1;
            if unary > MAX_NESTING {
                return Err(too_deep(line, col));
            }
        }
        word.clear();
        match c {
            '\n' => {
                line += 1;
                col = 0;
            }
            '/' if chars.peek() == Some(&'/') => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        line += 1;
                        col = 0;
                        break;
                    }
                }
            }
            '"' => {
                let mut escaped = false;
                for n in chars.by_ref() {
                    col += 1;
                    if n == '\n' {
                        line += 1;
                        col = 0;
                    }
                    if escaped {
                        escaped = false;
                    } else if n == '\\' {
                        escaped = true;
                    } else if n == '"' {
                        break;
                    }
                }
            }
            '(' | '[' | '{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(too_deep(line, col));
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            '!' | '-' => {
                unary += 1;
                if unary > MAX_NESTING {
                    return Err(too_deep(line, col));
                }
            }
            ';' => unary = 0,
            _ => {}
        }
    }
    Ok(())
}

fn read_dir(dir: &Path) -> Result<Vec<(String, PathBuf, String)>, InputError> {
    let entries = std::fs::read_dir(dir).map_err(|e| InputError::io(dir, &e))?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| InputError::io(dir, &e))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if !(name.ends_with(".cedar") || name.ends_with(".cedarschema")) {
            continue;
        }
        if name.ends_with(".cedarschema") && name != SCHEMA_FILE {
            return Err(InputError::plain(
                &path,
                format!("a schema must be named `{SCHEMA_FILE}` to replace the built-in one"),
            ));
        }
        let text = crate::util::files::read_text(&path, MAX_POLICY_BYTES)?;
        out.push((name, path, text));
    }
    out.sort();
    Ok(out)
}

fn check_forbid(policy: &Policy, path: &Path, _text: &str, line: usize) -> Result<(), InputError> {
    if policy.effect() != cedar_policy::Effect::Forbid {
        return Err(InputError::at(
            path,
            line,
            1,
            "controls are `forbid` policies (the forbid's condition is the failure)",
        ));
    }
    Ok(())
}

fn control_of(
    policy: &Policy,
    path: &Path,
    text: &str,
    line: usize,
    schema: &Schema,
) -> Result<Control, InputError> {
    let err = |m: String| InputError::at(path, line, 1, m);
    let id = policy
        .annotation("id")
        .ok_or_else(|| {
            err("policy has no `@id` (every control needs `@id`, `@title` and `@severity`)".into())
        })?
        .to_string();
    let valid_id = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.starts_with('-');
    if !valid_id {
        return Err(err(format!("control id `{id}` is not kebab-case")));
    }
    check_forbid(policy, path, text, line)?;
    let title = policy
        .annotation("title")
        .ok_or_else(|| err(format!("control `{id}` has no `@title`")))?
        .to_string();
    let severity = policy
        .annotation("severity")
        .ok_or_else(|| err(format!("control `{id}` has no `@severity`")))?
        .parse::<Severity>()
        .map_err(|e| err(format!("control `{id}`: {e}")))?;
    let remediation = policy.annotation("remediation").map(str::to_string);
    let absence_fails = policy
        .annotation("absence_fails")
        .map(|v| v.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    let mut resource_types: Vec<String> = policy
        .get_valid_request_envs(schema)
        .map(|env| env.resource().to_string())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    resource_types.dedup();
    if resource_types.is_empty() {
        return Err(err(format!(
            "control `{id}` can apply to no entity type of the schema"
        )));
    }
    let est = policy
        .to_json()
        .map_err(|e| err(format!("control `{id}`: {e}")))?;
    let mut facts = facts_read(&est);
    let shown: Vec<String> = policy
        .annotation("show")
        .map(|v| {
            v.split_whitespace()
                .map(|a| format!("resource.{a}"))
                .filter(|p| !facts.contains(p))
                .collect()
        })
        .unwrap_or_default();
    facts.extend(shown.iter().cloned());
    // `@risk` may name only what the reports can fill in: the resource, its component, and the
    // facts this policy reads.
    if let Some(risk) = policy.annotation("risk") {
        let mut rest = risk;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}').map(|c| c + open) else {
                return Err(err(format!(
                    "control `{id}`: `@risk` has a `{{` without `}}`"
                )));
            };
            let key = &rest[open + 1..close];
            let path = key.strip_prefix("age:").unwrap_or(key);
            if !matches!(key, "name" | "component") && !facts.iter().any(|f| f == path) {
                return Err(err(format!(
                    "control `{id}`: `@risk` names `{{{key}}}`, which is not `{{name}}`, `{{component}}` or a fact the policy reads ({})",
                    facts.join(", ")
                )));
            }
            rest = &rest[close + 1..];
        }
    }
    let annotations = policy
        .annotations()
        .filter(|(k, _)| !KNOWN_ANNOTATIONS.contains(k))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Ok(Control {
        id,
        title,
        severity,
        frameworks: BTreeMap::new(),
        remediation,
        resource_types,
        facts,
        absence_fails,
        shown,
        conditional: false,
        applies_facts: Vec::new(),
        source: format!("{}:{line}", path.display()),
        risk: policy.annotation("risk").map(str::to_string),
        annotations,
    })
}

/// The attribute paths a policy reads, from its JSON form: `resource.x`, `resource.component.rpo`,
/// `context.now`, `context.params.y`. Only the longest paths are kept.
pub fn facts_read(est: &serde_json::Value) -> Vec<String> {
    fn path_of(v: &serde_json::Value) -> Option<Vec<String>> {
        let obj = v.as_object()?;
        if let Some(var) = obj.get("Var").and_then(|v| v.as_str()) {
            return Some(vec![var.to_string()]);
        }
        for key in [".", "has"] {
            if let Some(inner) = obj.get(key) {
                let mut path = path_of(inner.get("left")?)?;
                path.push(inner.get("attr")?.as_str()?.to_string());
                return Some(path);
            }
        }
        None
    }
    fn walk(v: &serde_json::Value, out: &mut BTreeSet<String>) {
        match v {
            serde_json::Value::Object(map) => {
                if map.contains_key(".") || map.contains_key("has") {
                    if let Some(path) = path_of(v) {
                        if path.len() > 1 && (path[0] == "resource" || path[0] == "context") {
                            out.insert(path.join("."));
                        }
                    }
                }
                for (k, child) in map {
                    if k != "annotations" {
                        walk(child, out);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut all = BTreeSet::new();
    if let Some(conditions) = est.get("conditions") {
        walk(conditions, &mut all);
    }
    all.iter()
        .filter(|p| {
            !all.iter().any(|q| {
                q.len() > p.len() && q.starts_with(p.as_str()) && q.as_bytes()[p.len()] == b'.'
            })
        })
        .cloned()
        .collect()
}

/// The line a policy starts on: the first annotation or the `forbid` keyword.
fn policy_line(text: &str, policy: &Policy) -> usize {
    // Cedar keeps the policy's source span; its labels are not public, so find the text itself.
    let src = policy.to_string();
    let head: String = src.lines().next().unwrap_or("").trim().to_string();
    match text.find(&head) {
        Some(off) if !head.is_empty() => crate::util::error::line_col(text, off).0,
        _ => 0,
    }
}

/// A Cedar diagnostic as a one-line error located in its file.
fn diagnostic_error(path: &Path, text: &str, d: &(dyn Diagnostic + 'static)) -> InputError {
    let offset = first_offset(d);
    let mut message = d.to_string();
    if let Some(help) = d.help() {
        let _ = write!(message, " (help: {help})");
    }
    match offset {
        Some(off) => InputError::at_offset(path, text, off, message),
        None => InputError::plain(path, message),
    }
}

fn first_offset(d: &dyn Diagnostic) -> Option<usize> {
    if let Some(mut labels) = d.labels() {
        if let Some(l) = labels.next() {
            return Some(l.offset());
        }
    }
    if let Some(related) = d.related() {
        for r in related {
            if let Some(off) = first_offset(r) {
                return Some(off);
            }
        }
    }
    None
}

pub fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_catalog_loads() {
        let c = Catalog::load(None).unwrap();
        assert!(c.controls.len() >= 40, "{}", c.controls.len());
        let pitr = c.control("rds-pitr-within-rpo").unwrap();
        assert_eq!(pitr.resource_types, ["RdsDatabase"]);
        assert_eq!(pitr.severity, Severity::Critical);
        assert!(
            pitr.facts
                .contains(&"resource.component.data_rpo".to_string()),
            "{:?}",
            pitr.facts
        );
        assert!(pitr.facts.contains(&"context.now".to_string()));
        assert!(!pitr.facts.contains(&"resource.component".to_string()));
        assert!(c.control("rds-multi-az").unwrap().conditional);
    }
}

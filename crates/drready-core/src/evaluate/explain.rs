//! A verdict explained in one line for people: its cause, or the facts it was judged on. Shared by
//! the reports, the gate's findings and the remediation plan.

use super::catalog::Catalog;
use super::entities::Value;
use super::{Evaluation, Verdict};
use crate::util::duration;

/// The facts of a verdict as one line (or its cause, when it has one).
pub fn reason_of(catalog: &Catalog, eval: &Evaluation, v: &Verdict) -> String {
    if let Some(cause) = &v.cause {
        return cause.to_string();
    }
    let now = eval.as_of.timestamp();
    let mut facts: Vec<(&str, Option<&Value>)> = eval
        .facts(catalog, v)
        .filter(|(path, _)| *path != "context.now")
        .collect();
    // The resource's own facts first, then the component's targets, then parameters.
    facts.sort_by_key(|(path, _)| {
        (
            path.starts_with("context."),
            path.starts_with("resource.component."),
        )
    });
    let parts: Vec<String> = facts
        .into_iter()
        .map(|(path, value)| {
            let name = match path.strip_prefix("context.params.") {
                Some(p) => format!("{p} (param)"),
                None => path.strip_prefix("resource.").unwrap_or(path).to_string(),
            };
            match value {
                Some(v) => format!("{name} = {}", show_value(v, now)),
                None => format!("{name} absent"),
            }
        })
        .collect();
    parts.join("; ")
}

/// A fact value for people; datetimes with their age at `now`.
pub fn show_value(v: &Value, now: i64) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        Value::Long(n) => n.to_string(),
        Value::Str(s) => format!("\"{s}\""),
        Value::Datetime(t) => {
            let when = super::entities::cedar_datetime(*t);
            let age = now - t;
            if age >= 0 {
                format!("{when} ({} ago)", duration::human(age))
            } else {
                format!("{when} (in {})", duration::human(-age))
            }
        }
        Value::Duration(s) => duration::human(*s),
        Value::Set(items) => format!("[{}]", items.join(", ")),
        Value::Component(i) => format!("component #{i}"),
    }
}

/// A failing verdict in plain words, from its control's `@risk` template: `{name}` (the
/// resource), `{component}`, `{PATH}` (a fact the policy reads, e.g. `resource.component.data_rpo`)
/// and `{age:PATH}` (how long before the evaluation time a datetime fact lies). `None` when the
/// control has no template or a fact it names is absent.
pub fn plain_words(catalog: &Catalog, eval: &Evaluation, v: &Verdict) -> Option<String> {
    let control = &catalog.controls[v.control as usize];
    let template = control.risk.as_deref()?;
    let resource = &eval.resources[v.resource as usize];
    let facts: Vec<(&str, Option<&Value>)> = eval.facts(catalog, v).collect();
    let fact = |path: &str| facts.iter().find(|(p, _)| *p == path).and_then(|(_, v)| *v);
    let now = eval.as_of.timestamp();
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}')? + open;
        let key = &rest[open + 1..close];
        let text = match key {
            "name" => resource.name().to_string(),
            "component" => eval.components[resource.component as usize]
                .spec
                .name
                .clone(),
            _ => match key.strip_prefix("age:") {
                Some(path) => match fact(path)? {
                    Value::Datetime(t) => crate::util::duration::human(now - t),
                    _ => return None,
                },
                None => words(fact(key)?),
            },
        };
        out.push_str(&text);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// A fact value in words: durations as `3 h 12 min`, datetimes as dates, sets as lists.
fn words(v: &Value) -> String {
    match v {
        Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        Value::Long(n) => n.to_string(),
        Value::Str(s) => s.to_string(),
        Value::Datetime(t) => chrono::DateTime::from_timestamp(*t, 0)
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        Value::Duration(s) => crate::util::duration::human(*s),
        Value::Set(items) => items.join(", "),
        Value::Component(_) => String::new(),
    }
}

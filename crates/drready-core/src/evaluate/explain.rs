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

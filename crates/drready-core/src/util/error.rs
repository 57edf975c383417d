//! Errors that end a run with exit code 2: bad input (named by file, line and column) and tool
//! failures. Findings are never errors: they are verdicts.

use std::fmt;
use std::path::{Path, PathBuf};

/// Input that could not be used: a snapshot, policy, schema, config or other file given by the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub path: PathBuf,
    /// 1-based line and column; 0 when the error has no position.
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl InputError {
    pub fn at(path: &Path, line: usize, column: usize, message: impl Into<String>) -> Self {
        Self {
            path: path.to_path_buf(),
            line,
            column,
            message: one_line(&message.into()),
        }
    }

    pub fn plain(path: &Path, message: impl Into<String>) -> Self {
        Self::at(path, 0, 0, message)
    }

    pub fn io(path: &Path, err: &std::io::Error) -> Self {
        Self::plain(path, format!("cannot read: {err}"))
    }

    /// An error at a byte offset of `text`.
    pub fn at_offset(path: &Path, text: &str, offset: usize, message: impl Into<String>) -> Self {
        let (line, column) = line_col(text, offset);
        Self::at(path, line, column, message)
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for InputError {}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Fold a multi-line message into one line.
pub fn one_line(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for part in message.split('\n').map(str::trim).filter(|p| !p.is_empty()) {
        if !out.is_empty() {
            out.push_str("; ");
        }
        out.push_str(part);
    }
    out
}

/// Everything that can end a run early.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Input(#[from] InputError),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Other(String),
}

impl Error {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}

/// A serde_json error as an input error at its line and column.
/// A TOML error located in its file (line and column of its span).
pub fn toml_error(path: &Path, text: &str, e: &toml::de::Error) -> InputError {
    let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((0, 0));
    InputError::at(path, line, column, e.message().to_string())
}

pub fn json_error(path: &Path, e: &serde_json::Error) -> InputError {
    let text = e.to_string();
    let message = match text.rfind(" at line ") {
        Some(i) if e.line() > 0 => text[..i].to_string(),
        _ => text,
    };
    InputError::at(path, e.line(), e.column(), message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("ab", 99), (1, 3));
    }

    #[test]
    fn messages_stay_on_one_line() {
        let e = InputError::at(Path::new("p.cedar"), 3, 7, "unexpected token\n  here\n");
        assert_eq!(e.to_string(), "p.cedar:3:7: unexpected token; here");
    }
}

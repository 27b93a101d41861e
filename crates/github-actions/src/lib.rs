//! Speaking to GitHub Actions from a step: workflow commands (`::error`, `::group::`),
//! the step summary and step outputs; and text from outside (GitHub's answers) printed
//! so that the runner never runs it as a command ([`escape_text`], [`inert`]).
//!
//! Nothing here is GitHub-specific at run time beyond files and stdout: a task builds an
//! [`Actions`] from the environment ([`Actions::from_env`]) and only writes through it
//! when the step runs inside GitHub Actions.

#![warn(missing_docs)]

mod inert;

pub use inert::{escape_text, inert, reads_as_command};

use std::fmt;
use std::io::Write;

use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

/// The GitHub Actions context of the current step.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actions {
    /// `$GITHUB_STEP_SUMMARY`: Markdown appended here shows on the run's page.
    step_summary: Option<Utf8PathBuf>,
    /// `$GITHUB_OUTPUT`: `name=value` lines appended here become step outputs.
    output: Option<Utf8PathBuf>,
    /// `$GITHUB_WORKSPACE`: annotation paths are made relative to it.
    workspace: Option<Utf8PathBuf>,
}

impl Actions {
    /// The context when `GITHUB_ACTIONS=true`, else `None`.
    pub fn from_env() -> Option<Self> {
        if std::env::var("GITHUB_ACTIONS").as_deref() != Ok("true") {
            return None;
        }
        let path = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|value| !value.is_empty())
                .map(Utf8PathBuf::from)
        };
        Some(Self {
            step_summary: path("GITHUB_STEP_SUMMARY"),
            output: path("GITHUB_OUTPUT"),
            workspace: path("GITHUB_WORKSPACE"),
        })
    }

    /// Appends Markdown to the step summary, when the step has one.
    pub fn append_summary(&self, markdown: &str) -> Result<()> {
        let Some(path) = &self.step_summary else {
            return Ok(());
        };
        append(path, markdown)
    }

    /// Sets a step output, when the step has an output file. Values may span lines.
    pub fn set_output(&self, name: &str, value: &str) -> Result<()> {
        let Some(path) = &self.output else {
            return Ok(());
        };
        append(path, &output_entry(name, value))
    }

    /// `path` as the annotation wants it: relative to the workspace when inside it.
    pub fn annotation_path<'a>(&self, path: &'a Utf8Path) -> &'a Utf8Path {
        self.workspace
            .as_deref()
            .and_then(|workspace| path.strip_prefix(workspace).ok())
            .unwrap_or(path)
    }
}

fn append(path: &Utf8Path, text: &str) -> Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {path} to append"))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write to {path}"))
}

/// One `$GITHUB_OUTPUT` entry; multi-line values use the heredoc form with a delimiter
/// that does not occur in the value.
fn output_entry(name: &str, value: &str) -> String {
    if !value.contains('\n') && !value.contains('\r') {
        return format!("{name}={value}\n");
    }
    let mut delimiter = String::from("ghadelimiter");
    while value.contains(&delimiter) {
        delimiter.push('_');
    }
    format!("{name}<<{delimiter}\n{value}\n{delimiter}\n")
}

/// Severity of an annotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `::error`.
    Error,
    /// `::warning`.
    Warning,
    /// `::notice`.
    Notice,
}

/// A workflow command that annotates a file position on the run and the pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    /// Severity.
    pub level: Level,
    /// The file, relative to the repository root.
    pub file: Option<Utf8PathBuf>,
    /// 1-based line.
    pub line: Option<u32>,
    /// Last line of a range.
    pub end_line: Option<u32>,
    /// 1-based column.
    pub column: Option<u32>,
    /// Short title.
    pub title: Option<String>,
    /// The message.
    pub message: String,
}

impl fmt::Display for Annotation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let command = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Notice => "notice",
        };
        let mut properties = Vec::new();
        if let Some(file) = &self.file {
            properties.push(format!("file={}", escape_property(file.as_str())));
        }
        for (name, value) in [
            ("line", self.line),
            ("endLine", self.end_line),
            ("col", self.column),
        ] {
            if let Some(value) = value {
                properties.push(format!("{name}={value}"));
            }
        }
        if let Some(title) = &self.title {
            properties.push(format!("title={}", escape_property(title)));
        }
        write!(f, "::{command}")?;
        if !properties.is_empty() {
            write!(f, " {}", properties.join(","))?;
        }
        write!(f, "::{}", escape_data(&self.message))
    }
}

/// `::group::title`: folds the lines up to [`END_GROUP`] in the log.
pub fn group(title: &str) -> String {
    format!("::group::{}", escape_data(title))
}

/// Ends a [`group`].
pub const END_GROUP: &str = "::endgroup::";

fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotation_escapes_properties_and_data() {
        let annotation = Annotation {
            level: Level::Error,
            file: Some("src/a,b:c.ts".into()),
            line: Some(3),
            end_line: None,
            column: Some(9),
            title: Some("deno lint".into()),
            message: "100% wrong\nsecond line".into(),
        };
        assert_eq!(
            annotation.to_string(),
            "::error file=src/a%2Cb%3Ac.ts,line=3,col=9,title=deno lint::100%25 wrong%0Asecond line"
        );
    }

    #[test]
    fn annotation_without_position() {
        let annotation = Annotation {
            level: Level::Warning,
            file: None,
            line: None,
            end_line: None,
            column: None,
            title: None,
            message: "plain".into(),
        };
        assert_eq!(annotation.to_string(), "::warning::plain");
    }

    #[test]
    fn outputs_single_and_multi_line() {
        assert_eq!(output_entry("patch", "91.5"), "patch=91.5\n");
        assert_eq!(
            output_entry("paths", "a\nghadelimiter"),
            "paths<<ghadelimiter_\na\nghadelimiter\nghadelimiter_\n"
        );
    }

    #[test]
    fn writes_append_to_files() {
        let dir = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(dir.path()).unwrap();
        let actions = Actions {
            step_summary: Some(dir.join("summary.md")),
            output: Some(dir.join("output")),
            workspace: Some("/w".into()),
        };
        actions.append_summary("# one\n").unwrap();
        actions.append_summary("two\n").unwrap();
        actions.set_output("result", "ok").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("summary.md")).unwrap(),
            "# one\ntwo\n"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("output")).unwrap(),
            "result=ok\n"
        );
        assert_eq!(
            actions.annotation_path(Utf8Path::new("/w/src/a.ts")),
            "src/a.ts"
        );
        assert_eq!(actions.annotation_path(Utf8Path::new("/x/a.ts")), "/x/a.ts");
    }

    #[test]
    fn group_markers() {
        assert_eq!(group("deno lint"), "::group::deno lint");
        assert_eq!(END_GROUP, "::endgroup::");
    }
}

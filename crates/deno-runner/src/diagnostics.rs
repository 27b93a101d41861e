//! Locations read back from deno's plain-text output (`NO_COLOR=1`), so that a failure
//! can be shown where it is (for example as a GitHub annotation).

use camino::{Utf8Path, Utf8PathBuf};

use crate::invocation::Subcommand;

/// A problem deno reported at a place in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file, absolute.
    pub file: Utf8PathBuf,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, when deno gave one.
    pub column: Option<u32>,
    /// One line saying what is wrong.
    pub message: String,
}

/// The diagnostics in the output of `subcommand` run in `cwd`.
pub fn parse_diagnostics(subcommand: Subcommand, output: &str, cwd: &Utf8Path) -> Vec<Diagnostic> {
    let lines: Vec<&str> = output.lines().collect();
    match subcommand {
        Subcommand::Fmt => fmt_diagnostics(&lines, cwd),
        Subcommand::Lint => lint_diagnostics(&lines, cwd),
        Subcommand::Check => check_diagnostics(&lines, cwd),
        Subcommand::Test => {
            let mut found = check_diagnostics(&lines, cwd);
            found.extend(test_diagnostics(&lines, cwd));
            found
        }
        _ => Vec::new(),
    }
}

/// Whether deno refused to run because the lockfile does not match the dependencies
/// (`--frozen`).
pub fn lockfile_out_of_date(output: &str) -> bool {
    output.contains("The lockfile is out of date")
}

/// `from /p/a.ts:` followed by diff lines ` 1 | -old`: the first changed line.
fn fmt_diagnostics(lines: &[&str], cwd: &Utf8Path) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let Some(path) = line.strip_prefix("from ").and_then(|l| l.strip_suffix(':')) else {
            continue;
        };
        let first_changed = lines[index + 1..]
            .iter()
            .find_map(|l| l.split_once(" | ").and_then(|(n, _)| n.trim().parse().ok()))
            .unwrap_or(1);
        found.push(Diagnostic {
            file: resolve(path, cwd),
            line: first_changed,
            column: None,
            message: "not formatted: run `deno fmt`".into(),
        });
    }
    found
}

/// `error[rule]: message` followed by ` --> /p/a.ts:3:9`.
fn lint_diagnostics(lines: &[&str], cwd: &Utf8Path) -> Vec<Diagnostic> {
    headed_diagnostics(lines, cwd, "--> ", |line| {
        let (rule, message) = line.strip_prefix("error[")?.split_once("]: ")?;
        Some(format!("{message} ({rule})"))
    })
}

/// `TS2322 [ERROR]: message` followed, a few lines on, by `    at file:///p/a.ts:6:7`.
fn check_diagnostics(lines: &[&str], cwd: &Utf8Path) -> Vec<Diagnostic> {
    headed_diagnostics(lines, cwd, "at ", |line| {
        let line = line.strip_prefix("error: ").unwrap_or(line);
        let (code, message) = line.split_once(" [ERROR]: ")?;
        code.starts_with("TS").then(|| format!("{code}: {message}"))
    })
}

/// Problems whose first line `header` recognises (returning the message) and whose
/// location is on a later line starting with `marker`, before the next such first line.
fn headed_diagnostics(
    lines: &[&str],
    cwd: &Utf8Path,
    marker: &str,
    header: impl Fn(&str) -> Option<String>,
) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let Some(message) = header(line) else {
            continue;
        };
        let location = lines[index + 1..]
            .iter()
            .take_while(|l| header(l).is_none())
            .find_map(|l| l.trim_start().strip_prefix(marker))
            .and_then(|l| parse_location(l, cwd));
        if let Some((file, line, column)) = location {
            found.push(Diagnostic {
                file,
                line,
                column,
                message,
            });
        }
    }
    found
}

/// In the ` ERRORS ` section: `name => ./a_test.ts:2:6` followed by `error: message`.
fn test_diagnostics(lines: &[&str], cwd: &Utf8Path) -> Vec<Diagnostic> {
    let Some(start) = lines.iter().position(|l| l.trim() == "ERRORS") else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (index, line) in lines.iter().enumerate().skip(start + 1) {
        if line.trim() == "FAILURES" {
            break;
        }
        let Some((name, location)) = line.rsplit_once(" => ") else {
            continue;
        };
        let Some((file, line, column)) = parse_location(location, cwd) else {
            continue;
        };
        let error = lines
            .get(index + 1)
            .and_then(|l| l.strip_prefix("error: "))
            .unwrap_or("failed");
        found.push(Diagnostic {
            file,
            line,
            column,
            message: format!("test {name:?} failed: {error}"),
        });
    }
    found
}

/// `path:line:col` or `path:line`, where path may be a `file://` URL or relative to `cwd`.
fn parse_location(text: &str, cwd: &Utf8Path) -> Option<(Utf8PathBuf, u32, Option<u32>)> {
    let text = text.trim();
    let mut parts = text.rsplitn(3, ':');
    let last: u32 = parts.next()?.parse().ok()?;
    let middle = parts.next()?;
    match (middle.parse::<u32>(), parts.next()) {
        (Ok(line), Some(path)) => Some((resolve(path, cwd), line, Some(last))),
        _ => {
            let path = text.rsplit_once(':')?.0;
            Some((resolve(path, cwd), last, None))
        }
    }
}

fn resolve(path: &str, cwd: &Utf8Path) -> Utf8PathBuf {
    let path = match path.strip_prefix("file://") {
        Some(url_path) => percent_decode(url_path),
        None => path.to_owned(),
    };
    let path = Utf8PathBuf::from(path);
    if path.is_absolute() {
        path
    } else {
        let relative = path.strip_prefix("./").unwrap_or(&path);
        cwd.join(relative)
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = bytes
            .get(index + 1..index + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[index], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                index += 3;
            }
            (byte, _) => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CWD: &str = "/p";

    fn parse(subcommand: Subcommand, output: &str) -> Vec<Diagnostic> {
        parse_diagnostics(subcommand, output, Utf8Path::new(CWD))
    }

    #[test]
    fn fmt_points_at_first_changed_line() {
        let output = "from /p/src/a.ts:\n12 | -export const a   = 1;\n12 | +export const a = 1;\n\nfrom /p/b c.ts:\n 3 | -x\n\nerror: Found 2 not formatted files in 3 files\n";
        let found = parse(Subcommand::Fmt, output);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].file, "/p/src/a.ts");
        assert_eq!(found[0].line, 12);
        assert_eq!(found[1].file, "/p/b c.ts");
        assert_eq!(found[1].line, 3);
    }

    #[test]
    fn lint_rule_and_location() {
        let output = "error[no-unused-vars]: `unused` is never used\n --> /p/a.ts:3:9\n  | \n3 |   const unused = 2;\n\nFound 1 problem\n";
        assert_eq!(
            parse(Subcommand::Lint, output),
            [Diagnostic {
                file: "/p/a.ts".into(),
                line: 3,
                column: Some(9),
                message: "`unused` is never used (no-unused-vars)".into(),
            }]
        );
    }

    #[test]
    fn type_errors_with_file_urls() {
        let output = "Check a.ts\nTS2322 [ERROR]: Type 'string' is not assignable to type 'number'.\nconst n: number = \"s\";\n      ^\n    at file:///p/my%20dir/a.ts:6:7\n\nerror: TS2304 [ERROR]: Cannot find name 'x'.\n    at file:///p/b.ts:1:1\n\nerror: Type checking failed.\n";
        let found = parse(Subcommand::Check, output);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].file, "/p/my dir/a.ts");
        assert_eq!((found[0].line, found[0].column), (6, Some(7)));
        assert_eq!(
            found[0].message,
            "TS2322: Type 'string' is not assignable to type 'number'."
        );
        assert_eq!(found[1].file, "/p/b.ts");
    }

    #[test]
    fn failing_tests_in_errors_section_only() {
        let output = "running 2 tests from ./a_test.ts\nf works ... FAILED (812µs)\n\n ERRORS \n\nf works => ./a_test.ts:2:6\nerror: Error: expected 2\n    at file:///p/a_test.ts:3:25\n\n FAILURES \n\nf works => ./a_test.ts:2:6\n\nFAILED | 1 passed | 1 failed (7ms)\n";
        assert_eq!(
            parse(Subcommand::Test, output),
            [Diagnostic {
                file: "/p/a_test.ts".into(),
                line: 2,
                column: Some(6),
                message: "test \"f works\" failed: Error: expected 2".into(),
            }]
        );
    }

    #[test]
    fn passing_output_has_none() {
        let output =
            "running 1 test from ./a_test.ts\nok ... ok (1ms)\n\nok | 1 passed | 0 failed (3ms)\n";
        assert!(parse(Subcommand::Test, output).is_empty());
        assert!(parse(Subcommand::Lint, "Checked 2 files\n").is_empty());
    }

    #[test]
    fn lockfile_drift_is_recognised() {
        assert!(lockfile_out_of_date(
            "error: The lockfile is out of date. Run `deno install --frozen=false`"
        ));
        assert!(!lockfile_out_of_date("error: Type checking failed."));
    }

    #[test]
    fn locations_without_column() {
        assert_eq!(
            parse_location("./x.ts:4", Utf8Path::new(CWD)),
            Some(("/p/x.ts".into(), 4, None))
        );
        assert_eq!(parse_location("nowhere", Utf8Path::new(CWD)), None);
    }
}

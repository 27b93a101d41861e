//! Cobertura XML, the coverage format most CI services and IDEs read.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

use camino::Utf8Path;

use crate::coverage::FileCoverage;
use crate::patch::RepoCoverage;
use crate::text::{push, push_decimal};

use super::split_path;

/// Writes `coverage` as Cobertura XML: a package per directory, a class per file, its
/// functions as methods, its lines with branch conditions. `root` is the `<source>`
/// that the repository-relative `filename`s are relative to; `timestamp` is in
/// milliseconds since the Unix epoch.
pub fn write_cobertura(
    out: &mut impl Write,
    coverage: &RepoCoverage,
    root: &Utf8Path,
    timestamp: u128,
) -> io::Result<()> {
    let mut packages: BTreeMap<&str, Vec<(&str, &FileCoverage)>> = BTreeMap::new();
    for (path, file) in &coverage.files {
        let dir = split_path(path).0;
        packages.entry(dir).or_default().push((path, file));
    }
    let all = Rates::of(coverage.files.values());
    writeln!(out, r#"<?xml version="1.0" ?>"#)?;
    writeln!(
        out,
        r#"<!DOCTYPE coverage SYSTEM "http://cobertura.sourceforge.net/xml/coverage-04.dtd">"#
    )?;
    writeln!(
        out,
        r#"<coverage line-rate="{}" branch-rate="{}" lines-covered="{}" lines-valid="{}" branches-covered="{}" branches-valid="{}" complexity="0" version="0" timestamp="{timestamp}">"#,
        all.line_rate(),
        all.branch_rate(),
        all.lines_hit,
        all.lines,
        all.branches_hit,
        all.branches
    )?;
    writeln!(
        out,
        "  <sources>\n    <source>{}</source>\n  </sources>",
        escape(root.as_str())
    )?;
    writeln!(out, "  <packages>")?;
    for (dir, files) in &packages {
        let rates = Rates::of(files.iter().map(|(_, f)| *f));
        let name = if dir.is_empty() {
            ".".to_owned()
        } else {
            dir.replace('/', ".")
        };
        writeln!(
            out,
            r#"    <package name="{}" line-rate="{}" branch-rate="{}" complexity="0">"#,
            escape(&name),
            rates.line_rate(),
            rates.branch_rate()
        )?;
        writeln!(out, "      <classes>")?;
        for (path, file) in files {
            write_class(out, path, file)?;
        }
        writeln!(out, "      </classes>\n    </package>")?;
    }
    writeln!(out, "  </packages>\n</coverage>")
}

fn write_class(out: &mut impl Write, path: &str, file: &FileCoverage) -> io::Result<()> {
    let rates = Rates::of([file]);
    let name = split_path(path).1;
    writeln!(
        out,
        r#"        <class name="{}" filename="{}" line-rate="{}" branch-rate="{}" complexity="0">"#,
        escape(name),
        escape(path),
        rates.line_rate(),
        rates.branch_rate()
    )?;
    writeln!(out, "          <methods>")?;
    for f in &file.functions {
        let Some(line) = f.line else { continue };
        let rate = if f.hits > 0 { 1 } else { 0 };
        writeln!(
            out,
            r#"            <method name="{}" signature="" line-rate="{rate}" branch-rate="{rate}" complexity="0"><lines><line number="{line}" hits="{}"/></lines></method>"#,
            escape(&f.name),
            f.hits
        )?;
    }
    writeln!(out, "          </methods>\n          <lines>")?;
    let mut conditions: HashMap<u32, (usize, usize)> = HashMap::new();
    for b in &file.branches {
        let entry = conditions.entry(b.line).or_default();
        entry.1 += 1;
        if b.taken.is_some_and(|t| t > 0) {
            entry.0 += 1;
        }
    }
    // The <line> elements, most of the file, formatted into one buffer and written at
    // once. `branch` defaults to false; lines are unindented: a large report holds
    // millions of these and each byte saved is megabytes.
    let mut elements = Vec::with_capacity(file.lines.len() * 32);
    for (line, hits) in file.lines.iter() {
        // Most files have no branch entries; their lines need no lookup.
        let branch = if conditions.is_empty() {
            None
        } else {
            conditions.get(&line)
        };
        push(&mut elements, b"<line number=\"");
        push_decimal(&mut elements, line.into());
        push(&mut elements, b"\" hits=\"");
        push_decimal(&mut elements, hits);
        match branch {
            Some(&(taken, total)) => {
                push(&mut elements, b"\" branch=\"true\" condition-coverage=\"");
                push_decimal(&mut elements, (taken * 100 / total) as u64);
                push(&mut elements, b"% (");
                push_decimal(&mut elements, taken as u64);
                push(&mut elements, b"/");
                push_decimal(&mut elements, total as u64);
                push(&mut elements, b")\"/>\n");
            }
            None => push(&mut elements, b"\"/>\n"),
        }
    }
    out.write_all(&elements)?;
    writeln!(out, "          </lines>\n        </class>")
}

#[derive(Default)]
struct Rates {
    lines: usize,
    lines_hit: usize,
    branches: usize,
    branches_hit: usize,
}

impl Rates {
    fn of<'a>(files: impl IntoIterator<Item = &'a FileCoverage>) -> Self {
        files.into_iter().fold(Rates::default(), |r, f| Rates {
            lines: r.lines + f.lines.len(),
            lines_hit: r.lines_hit + f.lines.hit(),
            branches: r.branches + f.branches.len(),
            branches_hit: r.branches_hit + f.branches_hit(),
        })
    }

    fn line_rate(&self) -> String {
        rate(self.lines_hit, self.lines)
    }

    fn branch_rate(&self) -> String {
        rate(self.branches_hit, self.branches)
    }
}

fn rate(part: usize, whole: usize) -> String {
    if whole == 0 {
        return "1".to_owned();
    }
    let text = format!("{:.4}", part as f64 / whole as f64);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lcov::parse_lcov;
    use crate::paths::PathMap;

    #[test]
    fn packages_classes_lines_and_conditions() {
        let report = parse_lcov(
            "SF:/r/src/a&b.ts\nFN:1,f\nFNDA:2,f\nBRDA:2,0,0,1\nBRDA:2,0,1,0\nDA:1,2\nDA:2,1\nDA:3,0\nend_of_record\n\
             SF:/r/main.ts\nDA:1,1\nend_of_record\n"
                .as_bytes(),
            Utf8Path::new("t.lcov"),
        )
        .unwrap();
        let coverage = RepoCoverage::new(report, &PathMap::new(Utf8Path::new("/r"), vec![]));
        let mut out = Vec::new();
        write_cobertura(&mut out, &coverage, Utf8Path::new("/r"), 7).unwrap();
        let xml = String::from_utf8(out).unwrap();
        assert!(xml.contains(r#"<coverage line-rate="0.75" branch-rate="0.5" lines-covered="3" lines-valid="4" branches-covered="1" branches-valid="2" complexity="0" version="0" timestamp="7">"#), "{xml}");
        assert!(xml.contains(r#"<package name="." line-rate="1" branch-rate="1" complexity="0">"#));
        assert!(xml.contains(r#"<class name="a&amp;b.ts" filename="src/a&amp;b.ts" line-rate="0.6667" branch-rate="0.5" complexity="0">"#));
        assert!(xml.contains(
            r#"<line number="2" hits="1" branch="true" condition-coverage="50% (1/2)"/>"#
        ));
        assert!(xml.contains("\n<line number=\"3\" hits=\"0\"/>\n"));
        assert!(xml.contains(r#"<method name="f" signature="" line-rate="1" branch-rate="1" complexity="0"><lines><line number="1" hits="2"/></lines></method>"#));
    }
}

//! The HTML report: an index of the changed files and of every file of the report, and a
//! page per file with its source, each line's hits and the changed lines marked.
//!
//! It is made from the merged report, so it shows the figures the gate decided on (after
//! `--path-prefix`, merging and `--include` / `--exclude`), works for `--lcov` runs, and
//! marks the changed lines, which `deno coverage --html` cannot know. Pages are written
//! for at most [`MAX_PAGES`] files, the changed ones first: a report of 20,000 files
//! would otherwise repeat its whole source tree as HTML.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::iter::Peekable;

use camino::Utf8Path;

use super::{Report, filter_text, headline, ranges_text, show_percent, split_path};
use crate::coverage::FileCoverage;
use crate::diff::ChangedLines;
use crate::patch::{RepoCoverage, percent};
use crate::text::{push, push_decimal};

/// Files with a page of their own, at most.
pub const MAX_PAGES: usize = 500;

/// What the pages show beside the report's figures.
#[derive(Debug, Clone, Copy)]
pub struct Sources<'a> {
    /// Each file's line, branch and function records.
    pub coverage: &'a RepoCoverage,
    /// The changed lines, marked on the pages.
    pub changed: &'a ChangedLines,
    /// The repository root, where the sources are read.
    pub root: &'a Utf8Path,
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1f2328}\
h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.5em}\
table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #d8dee4;text-align:left}\
td.n,th.n{text-align:right}a{color:#0969da}code{font:13px ui-monospace,monospace}\
table.src td{border:0;padding:0 8px;font:13px/1.45 ui-monospace,monospace;white-space:pre;vertical-align:top}\
table.src td:nth-child(-n+2){color:#57606a;text-align:right}\
table.src td:first-child{user-select:none;border-left:4px solid transparent}\
table.src tr.chg td:first-child{border-left-color:#0969da}\
tr.hit td:last-child{background:#dafbe1}tr.miss td:last-child{background:#ffebe9}\
tr.part td:last-child{background:#fff8c5}.note{color:#57606a}";

/// Writes `index.html` and the pages (`files/<path>.html`) into `dir`, which exists. The
/// pages are written on as many threads as there are cores (at most four): they are most
/// of the HTML report's time, and independent of each other. Each thread takes a whole
/// directory of pages at a time, so that no two create files in one directory at once
/// (they would wait on each other's hold of it).
///
/// `previous` is the report this one replaces, if any: a page that comes out the same as
/// its page there is linked to it instead of written again (see [`reuse`]), so that a
/// rerun neither creates nor frees a file for an unchanged page, and the page keeps its
/// time.
pub fn write_html(
    dir: &Utf8Path,
    report: &Report,
    sources: &Sources,
    previous: Option<&Utf8Path>,
) -> io::Result<()> {
    let pages = paged_files(report, sources.coverage);
    let mut by_dir = pages.clone();
    by_dir.sort_unstable_by_key(|path| (split_path(path).0, *path));
    let groups: Vec<&[&str]> = by_dir
        .chunk_by(|a, b| split_path(a).0 == split_path(b).0)
        .collect();
    crate::on_threads(&groups, crate::workers(), |group| -> io::Result<()> {
        let subdir = Utf8Path::new("files").join(split_path(group[0]).0);
        let pages_dir = dir.join(&subdir);
        fs::create_dir_all(&pages_dir)?;
        let previous_dir = previous.map(|previous| previous.join(&subdir));
        for path in *group {
            write_page_file(&pages_dir, previous_dir.as_deref(), path, sources)?;
        }
        Ok(())
    })
    .into_iter()
    .collect::<io::Result<()>>()?;
    let index = index(report, sources.coverage, &pages);
    fs::write(dir.join("index.html"), index)
}

/// Writes the page of `path` into `pages_dir`, its directory's place under `files/`, or
/// links the same page of `previous_dir` there.
fn write_page_file(
    pages_dir: &Utf8Path,
    previous_dir: Option<&Utf8Path>,
    path: &str,
    sources: &Sources,
) -> io::Result<()> {
    let file = &sources.coverage.files[path];
    let name = split_path(path).1;
    let changed = sources
        .changed
        .files
        .get(path)
        .map_or(&[][..], Vec::as_slice);
    let source = fs::read(sources.root.join(path)).ok();
    let start = page_start(path, file, changed, source.as_deref());
    let page = format!("{name}.html");
    let target = pages_dir.join(&page);
    if let Some(previous) = previous_dir
        && reuse(&previous.join(&page), start.as_bytes(), &target)
    {
        return Ok(());
    }
    let source = source.map(|bytes| {
        String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    });
    fs::write(
        target,
        render_page(&start, path, file, changed, source.as_deref()),
    )
}

/// Pages come out differently from the same inputs when this changes: part of every
/// page's digest, so that a rerun by a newer xtask writes its pages anew.
const PAGE_FORMAT: u32 = 1;

/// A page's first line, then the digest of what it is made from: [`PAGE_FORMAT`], the
/// path, the file's coverage, its changed lines and its source (SHA-256, which a page's
/// inputs cannot be made to share with another's).
fn page_start(path: &str, file: &FileCoverage, changed: &[u32], source: Option<&[u8]>) -> String {
    use sha2::{Digest, Sha256};

    // Lengths before lists and strings, so that no two inputs make the same bytes.
    let mut inputs = Vec::with_capacity(64 + path.len() + 12 * file.lines.len());
    let list = |inputs: &mut Vec<u8>, len: usize| inputs.extend((len as u64).to_le_bytes());
    inputs.extend(PAGE_FORMAT.to_le_bytes());
    list(&mut inputs, path.len());
    inputs.extend(path.as_bytes());
    list(&mut inputs, file.lines.len());
    for (line, hits) in file.lines.iter() {
        inputs.extend(line.to_le_bytes());
        inputs.extend(hits.to_le_bytes());
    }
    let optional = |inputs: &mut Vec<u8>, n: Option<u64>| {
        inputs.push(u8::from(n.is_some()));
        inputs.extend(n.unwrap_or(0).to_le_bytes());
    };
    list(&mut inputs, file.branches.len());
    for branch in &file.branches {
        inputs.extend(branch.line.to_le_bytes());
        list(&mut inputs, branch.id.len());
        inputs.extend(branch.id.as_bytes());
        optional(&mut inputs, branch.taken);
    }
    list(&mut inputs, file.functions.len());
    for function in &file.functions {
        list(&mut inputs, function.name.len());
        inputs.extend(function.name.as_bytes());
        optional(&mut inputs, function.line.map(u64::from));
        optional(&mut inputs, function.end_line.map(u64::from));
        inputs.extend(function.hits.to_le_bytes());
    }
    list(&mut inputs, changed.len());
    for line in changed {
        inputs.extend(line.to_le_bytes());
    }
    optional(&mut inputs, source.map(|source| source.len() as u64));
    let mut digest = Sha256::new();
    digest.update(&inputs);
    digest.update(source.unwrap_or_default());
    let mut start = String::with_capacity(PAGE_START.len() + 64 + 5);
    start.push_str(PAGE_START);
    for byte in digest.finalize() {
        let _ = write!(start, "{byte:02x}");
    }
    start.push_str(" -->\n");
    start
}

/// How every page begins, before its digest.
const PAGE_START: &str = "<!DOCTYPE html>\n<!-- made from sha256:";

/// Links `old` at `target` (a new name) when `old` starts with `start`, the doctype and
/// digest of the page to write (see [`page_start`]): a regular file of this user's,
/// opened without following a link, with no other name; the new name is checked to be
/// that file. False, with nothing left at `target`, in every other case, for the caller
/// to write the page.
#[cfg(unix)]
fn reuse(old: &Utf8Path, start: &[u8], target: &Utf8Path) -> bool {
    use std::io::Read;
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};

    let Ok(mut file) = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(old)
    else {
        return false;
    };
    let Ok(meta) = file.metadata() else {
        return false;
    };
    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    if !meta.is_file() || meta.nlink() != 1 || meta.uid() != uid {
        return false;
    }
    let mut bytes = vec![0; start.len()];
    if file.read_exact(&mut bytes).is_err() || bytes != start {
        return false;
    }
    if fs::hard_link(old, target).is_err() {
        return false;
    }
    // The name linked is the file compared only if nothing replaced it in between.
    match fs::symlink_metadata(target) {
        Ok(linked) if linked.dev() == meta.dev() && linked.ino() == meta.ino() => true,
        _ => {
            let _ = fs::remove_file(target);
            false
        }
    }
}

#[cfg(not(unix))]
fn reuse(_old: &Utf8Path, _start: &[u8], _target: &Utf8Path) -> bool {
    false
}

/// The files that get a page: the changed ones measured, then the rest, in path order,
/// up to [`MAX_PAGES`].
fn paged_files<'a>(report: &'a Report, coverage: &'a RepoCoverage) -> Vec<&'a str> {
    let changed: Vec<&str> = report.patch.files.iter().map(|f| f.path.as_str()).collect();
    let rest = coverage.files.keys().map(String::as_str).filter(|path| {
        report
            .patch
            .files
            .binary_search_by(|f| f.path.as_str().cmp(path))
            .is_err()
    });
    let mut pages: Vec<&str> = changed.into_iter().chain(rest).take(MAX_PAGES).collect();
    pages.sort_unstable();
    pages
}

fn index(report: &Report, coverage: &RepoCoverage, pages: &[&str]) -> String {
    let patch = report.patch;
    let overall = report.overall;
    let mut html = format!("{DOCTYPE}{}", head(&headline(report)));
    let _ = writeln!(html, "<h1>{}</h1>", escape(&headline(report)));
    let _ = writeln!(
        html,
        "<p>Changes: <code>{}</code>. Overall (a trend, not a gate): lines {} ({}/{}), \
         branches {}, functions {}, in {} files.</p>",
        escape(&report.diff_name),
        show_percent(overall.line_percent()),
        overall.lines_hit,
        overall.lines,
        show_percent(overall.branch_percent()),
        show_percent(overall.function_percent()),
        overall.files
    );
    if !report.filter.is_empty() {
        let _ = writeln!(
            html,
            "<p>Files counted: <code>{}</code>; files of the report left out by it: {}.</p>",
            escape(&filter_text(report.filter)),
            report.filtered_out.len()
        );
    }
    if !report.outside.is_empty() {
        let _ = writeln!(
            html,
            "<p>Files of the report outside the repository, left out: {}.</p>",
            report.outside.len()
        );
    }
    let link = |path: &str| {
        if pages.binary_search(&path).is_ok() {
            format!(
                "<a href=\"files/{}.html\">{}</a>",
                escape(&href(path)),
                escape(path)
            )
        } else {
            escape(path)
        }
    };
    html.push_str("<h2>Changed files</h2>\n");
    if patch.files.is_empty() {
        html.push_str("<p class=\"note\">No changed line is measured by the report.</p>\n");
    } else {
        html.push_str(
            "<table><tr><th>File</th><th class=\"n\">Patch</th><th class=\"n\">Covered</th><th>Lines not run</th></tr>\n",
        );
        for file in &patch.files {
            let _ = writeln!(
                html,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}/{}</td><td>{}</td></tr>",
                link(&file.path),
                show_percent(file.percent()),
                file.covered_lines.len(),
                file.measured(),
                escape(&ranges_text(&file.violation_lines, 20))
            );
        }
        html.push_str("</table>\n");
    }
    if !patch.files_not_in_report.is_empty() {
        let _ = writeln!(
            html,
            "<p class=\"note\">{} changed files are not in the coverage report.</p>",
            patch.files_not_in_report.len()
        );
    }
    html.push_str("<h2>All files</h2>\n");
    if coverage.files.len() > pages.len() {
        let _ = writeln!(
            html,
            "<p class=\"note\">{} of {} files have a page: the changed ones first, then the \
             others in path order, up to {MAX_PAGES}.</p>",
            pages.len(),
            coverage.files.len()
        );
    }
    html.push_str(
        "<table><tr><th>File</th><th class=\"n\">Lines</th><th class=\"n\">Branches</th><th class=\"n\">Functions</th></tr>\n",
    );
    for (path, file) in &coverage.files {
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td class=\"n\">{} ({}/{})</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            link(path),
            show_percent(percent(file.lines.hit(), file.lines.len())),
            file.lines.hit(),
            file.lines.len(),
            show_percent(percent(file.branches_hit(), file.branches.len())),
            show_percent(percent(file.functions_hit(), file.functions.len())),
        );
    }
    html.push_str("</table>\n</body>\n</html>\n");
    html
}

/// The page of `path`, beginning with `start` (see [`page_start`]).
fn render_page(
    start: &str,
    path: &str,
    file: &FileCoverage,
    changed: &[u32],
    source: Option<&str>,
) -> Vec<u8> {
    let up = "../".repeat(path.matches('/').count() + 1);
    let mut out = start.to_owned();
    out.push_str(&head(path));
    let _ = writeln!(
        out,
        "<p><a href=\"{up}index.html\">All files</a></p>\n<h1>{}</h1>",
        escape(path)
    );
    let rules = file.line_rules();
    let (mut measured, mut run) = (0, 0);
    for &line in changed {
        if let Some(covered) = rules.covered(line) {
            measured += 1;
            run += usize::from(covered);
        }
    }
    let _ = writeln!(
        out,
        "<p>Lines {} ({}/{}), branches {}, functions {}. Changed lines measured: {measured}, \
         run: {run}{}. Marked at the left: changed lines.</p>",
        show_percent(percent(file.lines.hit(), file.lines.len())),
        file.lines.hit(),
        file.lines.len(),
        show_percent(percent(file.branches_hit(), file.branches.len())),
        show_percent(percent(file.functions_hit(), file.functions.len())),
        if measured > 0 {
            format!(" ({})", show_percent(percent(run, measured)))
        } else {
            String::new()
        }
    );
    let Some(source) = source else {
        out.push_str(
            "<p class=\"note\">The source is not in the working tree (deleted or moved since \
             the report was made).</p>\n</body>\n</html>\n",
        );
        return out.into_bytes();
    };
    let mut partial: Vec<u32> = file
        .branches
        .iter()
        .filter(|b| b.taken.is_none_or(|t| t == 0))
        .map(|b| b.line)
        .collect();
    partial.sort_unstable();
    let line_count = memchr::memchr_iter(b'\n', source.as_bytes()).count() + 1;
    let mut out = out.into_bytes();
    out.reserve(source.len() + source.len() / 2 + 48 * line_count);
    push(&mut out, b"<table class=\"src\">\n");
    // The source's lines in order, each list walked once beside them (all are sorted).
    let mut entries = file.lines.iter().peekable();
    let mut changed = changed.iter().peekable();
    let mut partial = partial.iter().peekable();
    // Where the next character to escape is (a bracket or ampersand, and a quote): most
    // lines have none, and are copied whole.
    let bytes = source.as_bytes();
    let mut markup = memchr::memchr3(b'&', b'<', b'>', bytes);
    let mut quote = memchr::memchr2(b'"', b'\'', bytes);
    for (i, text) in source_lines(source).enumerate() {
        let line = i as u32 + 1;
        while entries.next_if(|&(l, _)| l < line).is_some() {}
        let hits = entries.next_if(|&(l, _)| l == line).map(|(_, hits)| hits);
        let is_partial = advance_to(&mut partial, line);
        let is_changed = advance_to(&mut changed, line);
        // Attribute quotes and end tags only where HTML needs them: the rows are most of
        // the report's bytes. The styles find the cells by position.
        let class: &[u8] = match (rules.covered_with(line, hits), is_changed) {
            (None, false) => b"",
            (None, true) => b" class=chg",
            (Some(true), false) if is_partial => b" class=part",
            (Some(true), true) if is_partial => b" class=\"part chg\"",
            (Some(true), false) => b" class=hit",
            (Some(true), true) => b" class=\"hit chg\"",
            (Some(false), false) => b" class=miss",
            (Some(false), true) => b" class=\"miss chg\"",
        };
        push(&mut out, b"<tr id=L");
        push_decimal(&mut out, line.into());
        push(&mut out, class);
        push(&mut out, b"><td>");
        push_decimal(&mut out, line.into());
        push(&mut out, b"<td>");
        if let Some(hits) = hits {
            push_decimal(&mut out, hits);
        }
        push(&mut out, b"<td>");
        // The line's end in `source`, to tell whether the next character to escape is in it.
        let end = text.as_ptr() as usize - source.as_ptr() as usize + text.len();
        let in_line = |at: Option<usize>| at.is_some_and(|at| at < end);
        if in_line(markup) || in_line(quote) {
            escape_into(&mut out, text.as_bytes());
            markup = memchr::memchr3(b'&', b'<', b'>', &bytes[end..]).map(|at| at + end);
            quote = memchr::memchr2(b'"', b'\'', &bytes[end..]).map(|at| at + end);
        } else {
            push(&mut out, text.as_bytes());
        }
        push(&mut out, b"</td>\n");
    }
    push(&mut out, b"</table>\n</body>\n</html>\n");
    out
}

/// Moves `list` (sorted) past the numbers below `line`; whether `line` is next, taken.
fn advance_to(list: &mut Peekable<std::slice::Iter<u32>>, line: u32) -> bool {
    while list.next_if(|&&l| l < line).is_some() {}
    list.next_if(|&&l| l == line).is_some()
}

/// The lines of `source` as [`str::lines`] gives them (split at `\n`, a `\r` before it
/// dropped, no empty last line), found with memchr: a page walks every byte of its source.
fn source_lines(source: &str) -> impl Iterator<Item = &str> {
    let mut rest = source;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let line = match memchr::memchr(b'\n', rest.as_bytes()) {
            Some(end) => {
                let line = &rest[..end];
                rest = &rest[end + 1..];
                line.strip_suffix('\r').unwrap_or(line)
            }
            None => std::mem::take(&mut rest),
        };
        Some(line)
    })
}

/// Appends `text` to `out`, safe inside HTML text and attribute values; runs without a
/// special character are copied whole.
fn escape_into(out: &mut Vec<u8>, text: &[u8]) {
    let mut rest = text;
    while let Some(at) = rest
        .iter()
        .position(|b| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\''))
    {
        push(out, &rest[..at]);
        push(out, escaped(rest[at]).as_bytes());
        rest = &rest[at + 1..];
    }
    push(out, rest);
}

/// The first line of every page.
const DOCTYPE: &str = "<!DOCTYPE html>\n";

/// What follows the doctype (and a page's digest).
fn head(title: &str) -> String {
    format!(
        "<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(title)
    )
}

/// `text` safe inside HTML text and attribute values.
fn escape(text: &str) -> String {
    let mut escaped = Vec::with_capacity(text.len());
    escape_into(&mut escaped, text.as_bytes());
    String::from_utf8(escaped).expect("escaping keeps UTF-8 whole: only ASCII is replaced")
}

/// The entity for one of the five characters HTML escapes.
fn escaped(byte: u8) -> &'static str {
    match byte {
        b'&' => "&amp;",
        b'<' => "&lt;",
        b'>' => "&gt;",
        b'"' => "&quot;",
        _ => "&#39;",
    }
}

/// A repository path as a relative URL: each component percent-encoded, `/` kept.
fn href(path: &str) -> String {
    let mut encoded = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            encoded.push(byte as char);
        } else {
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::FileFilter;
    use crate::patch::{FilePatch, Overall, PatchCoverage};

    #[test]
    fn pages_for_the_changed_files_first_then_the_others_up_to_the_limit() {
        let mut coverage = RepoCoverage::default();
        for i in 0..MAX_PAGES + 100 {
            coverage
                .files
                .insert(format!("src/f{i:04}.ts"), FileCoverage::default());
        }
        let changed = |path: &str| FilePatch {
            path: path.into(),
            changed_lines: 1,
            covered_lines: vec![1],
            violation_lines: vec![],
            branches: 0,
            branches_covered: 0,
            partial_branch_lines: vec![],
        };
        let patch = PatchCoverage {
            files: vec![changed("src/f0550.ts"), changed("src/f0599.ts")],
            ..PatchCoverage::default()
        };
        let report = Report {
            lcov: "x.lcov",
            diff_name: "main...HEAD".into(),
            threshold: 85.0,
            patch: &patch,
            overall: Overall::default(),
            outside: &[],
            filter: &FileFilter::default(),
            filtered_out: &[],
        };
        let pages = paged_files(&report, &coverage);
        assert_eq!(pages.len(), MAX_PAGES);
        assert!(pages.contains(&"src/f0550.ts") && pages.contains(&"src/f0599.ts"));
        assert!(pages.contains(&"src/f0000.ts") && !pages.contains(&"src/f0498.ts"));
        let index = index(&report, &coverage, &pages);
        assert!(index.contains("500 of 600 files have a page"), "{index}");
        assert!(
            index.contains("<td>src/f0498.ts</td>"),
            "no link without a page"
        );
        assert!(index.contains("<a href=\"files/src/f0599.ts.html\">src/f0599.ts</a>"));
    }

    /// Each source line gets its own entry's hits and state, whatever the report holds
    /// around it: a line 0, entries past the end of the source, two untaken branches on
    /// one line, a line measured only by its branches.
    #[test]
    fn a_page_marks_each_line_by_its_own_entries() {
        let branch = |line, taken| crate::coverage::Branch {
            line,
            id: "0,0".into(),
            taken,
        };
        let file = FileCoverage {
            lines: crate::coverage::Lines::from_sorted([(0, 9), (2, 3), (3, 0), (4, 1), (9, 5)]),
            branches: vec![branch(2, Some(0)), branch(2, None), branch(5, Some(1))],
            functions: vec![],
        };
        let source = "a\nb\nc\nd<\ne\nf";
        let page = render_page("", "src/x.ts", &file, &[2, 4, 6, 7], Some(source));
        let page = String::from_utf8(page).unwrap();
        let rows: Vec<&str> = page.lines().filter(|l| l.starts_with("<tr id=")).collect();
        let row = |line: u32, class: &str, hits: &str, text: &str| {
            format!("<tr id=L{line}{class}><td>{line}<td>{hits}<td>{text}</td>")
        };
        assert_eq!(
            rows,
            [
                row(1, "", "", "a"),
                row(2, " class=\"part chg\"", "3", "b"),
                row(3, " class=miss", "0", "c"),
                row(4, " class=\"hit chg\"", "1", "d&lt;"),
                row(5, " class=hit", "", "e"),
                row(6, " class=chg", "", "f"),
            ]
        );
        assert!(
            page.contains("Changed lines measured: 2, run: 2 (100.0%)"),
            "{page}"
        );
    }

    /// The rows split the source as `str::lines` does.
    #[test]
    fn source_lines_are_those_of_str_lines() {
        for source in [
            "",
            "\n",
            "a",
            "a\n",
            "a\nb",
            "a\r\nb\r\n",
            "a\r",
            "\r\n\r\n",
            "a\n\nb\n\r",
            "x\ry\n",
        ] {
            assert_eq!(
                source_lines(source).collect::<Vec<_>>(),
                source.lines().collect::<Vec<_>>(),
                "{source:?}"
            );
        }
        let mut out = Vec::new();
        escape_into(&mut out, b"if (a < b && c > \"d\") 'e'");
        assert_eq!(
            out,
            b"if (a &lt; b &amp;&amp; c &gt; &quot;d&quot;) &#39;e&#39;"
        );
    }

    /// The lines holding a character to escape are escaped, wherever they are.
    #[test]
    fn rows_escape_the_lines_that_need_it() {
        let source = "a\r\nb < c\nd\ne && f > g\r\nh\n'i'\nj\n<";
        let page = String::from_utf8(render_page(
            "",
            "x.ts",
            &FileCoverage::default(),
            &[],
            Some(source),
        ))
        .unwrap();
        let texts: Vec<&str> = page
            .lines()
            .filter_map(|l| l.strip_prefix("<tr id=L"))
            .map(|l| l.rsplit("<td>").next().unwrap().trim_end_matches("</td>"))
            .collect();
        assert_eq!(
            texts,
            [
                "a",
                "b &lt; c",
                "d",
                "e &amp;&amp; f &gt; g",
                "h",
                "&#39;i&#39;",
                "j",
                "&lt;"
            ]
        );
    }

    /// A page is linked to the previous report's only where that is a regular file of its
    /// own that starts the same (its digest); never through a link, never to a file with
    /// other names.
    #[cfg(unix)]
    #[test]
    fn an_unchanged_page_is_linked_to_the_previous_one() {
        use std::os::unix::fs::MetadataExt;

        let temp = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(temp.path()).unwrap();
        let start = b"<!DOCTYPE html>\n<!-- made from sha256:aa -->\n";
        let page = [&start[..], b"<p>page</p>\n"].concat();
        let (old, target) = (dir.join("old.html"), dir.join("new.html"));
        fs::write(&old, &page).unwrap();
        assert!(reuse(&old, start, &target));
        let ino = |path: &Utf8Path| fs::symlink_metadata(path).unwrap().ino();
        assert_eq!(ino(&target), ino(&old));
        fs::remove_file(&target).unwrap();

        // Another digest, or a page shorter than the start: written anew.
        assert!(!reuse(
            &old,
            b"<!DOCTYPE html>\n<!-- made from sha256:ab -->\n",
            &target
        ));
        fs::write(&old, &start[..20]).unwrap();
        assert!(!reuse(&old, start, &target));
        assert!(!target.exists());
        fs::write(&old, &page).unwrap();
        // A file with a second name elsewhere is somebody's: not linked.
        fs::hard_link(&old, dir.join("elsewhere")).unwrap();
        assert!(!reuse(&old, start, &target));
        assert!(!target.exists());
        // A link at the old page's name is not followed.
        let (real, link) = (dir.join("real.html"), dir.join("link.html"));
        fs::write(&real, &page).unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert!(!reuse(&link, start, &target));
        assert!(!target.exists());
        // No previous page.
        assert!(!reuse(&dir.join("none.html"), start, &target));
    }

    fn digest_fixture() -> FileCoverage {
        FileCoverage {
            lines: crate::coverage::Lines::from_sorted([(1, 2), (2, 0), (3, 70_000)]),
            branches: vec![crate::coverage::Branch {
                line: 2,
                id: "0,1".into(),
                taken: Some(0),
            }],
            functions: vec![crate::coverage::Function {
                name: "main".into(),
                line: Some(1),
                end_line: Some(3),
                hits: 2,
            }],
        }
    }

    /// Every input of a page changes its digest.
    #[test]
    fn a_page_s_digest_changes_with_each_of_its_inputs() {
        let file = digest_fixture();
        let source: &[u8] = b"a\nb\nc\n";
        let start = page_start("src/a.ts", &file, &[2], Some(source));
        assert!(start.starts_with(PAGE_START) && start.ends_with(" -->\n"));
        assert!(PAGE_START.starts_with(DOCTYPE));
        assert_eq!(start.len(), PAGE_START.len() + 64 + 5);
        assert_eq!(start, page_start("src/a.ts", &file, &[2], Some(source)));
        let mut others = vec![
            page_start("src/b.ts", &file, &[2], Some(source)),
            page_start("src/a.ts", &file, &[2, 3], Some(source)),
            page_start("src/a.ts", &file, &[], Some(source)),
            page_start("src/a.ts", &file, &[2], Some(b"a\nb\nd\n")),
            page_start("src/a.ts", &file, &[2], None),
            page_start("src/a.ts", &file, &[2], Some(b"")),
        ];
        let mut changed = |edit: &dyn Fn(&mut FileCoverage)| {
            let mut file = digest_fixture();
            edit(&mut file);
            others.push(page_start("src/a.ts", &file, &[2], Some(source)));
        };
        changed(&|f| f.lines = crate::coverage::Lines::from_sorted([(1, 2), (2, 1), (3, 70_000)]));
        changed(&|f| f.lines = crate::coverage::Lines::from_sorted([(1, 2), (2, 0)]));
        changed(&|f| f.branches[0].taken = None);
        changed(&|f| f.branches[0].id = "0,2".into());
        changed(&|f| f.branches.clear());
        changed(&|f| f.functions[0].hits = 3);
        changed(&|f| f.functions[0].end_line = None);
        changed(&|f| f.functions[0].name = "mains".into());
        let distinct: std::collections::HashSet<&String> = others.iter().collect();
        assert_eq!(distinct.len(), others.len());
        assert!(!distinct.contains(&start));
    }

    /// The bytes of a page, for a fixed input: when this fails, pages come out differently
    /// from the same inputs, so a rerun must not keep the previous ones. Change
    /// `PAGE_FORMAT`, then the digest below.
    #[test]
    fn pages_come_out_as_their_format_says() {
        use sha2::{Digest, Sha256};

        let file = digest_fixture();
        let source = "export function main() {\n  return a < b && c > \"d\";\n}\n";
        let start = page_start("src/a b.ts", &file, &[2], Some(source.as_bytes()));
        let page = render_page(&start, "src/a b.ts", &file, &[2], Some(source));
        let digest: String = Sha256::digest(&page)
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        assert_eq!(
            (PAGE_FORMAT, digest.as_str()),
            (
                1,
                "40ce3535aed02bcd62626510115c6251a195e7b86af87f5c13882a4a13775ca9"
            ),
            "pages changed: change PAGE_FORMAT, then this test's digest"
        );
    }

    #[test]
    fn text_and_links_are_escaped() {
        assert_eq!(
            escape("a<b> & \"c\" 'd'"),
            "a&lt;b&gt; &amp; &quot;c&quot; &#39;d&#39;"
        );
        assert_eq!(
            href("src/with space/été.ts"),
            "src/with%20space/%C3%A9t%C3%A9.ts"
        );
        assert_eq!(href("a/b\"c#d?.ts"), "a/b%22c%23d%3F.ts");
    }
}

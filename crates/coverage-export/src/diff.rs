//! Changed lines, read from `git diff -U0` output.
//!
//! The semantics are diff-cover's, the reference for patch coverage: a stage (the
//! committed range, then the staged changes, then the unstaged ones) first drops the
//! lines it deletes from what the stages before it changed, then adds the lines it adds.
//! Like diff-cover, a stage's deleted lines are numbered from its hunk's new-side start,
//! and earlier stages' line numbers are not shifted by later edits.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, BufRead};

use crate::lines::for_each_line;

/// What one file's section of a diff adds and deletes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileChange {
    /// New-side line numbers of added (or modified) lines.
    pub added: Vec<u32>,
    /// Deleted lines, numbered as diff-cover numbers them (from the hunk's new-side start).
    pub deleted: Vec<u32>,
}

/// One `git diff`: the changes per file, keyed by the file's new path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiffStage {
    /// Changes per path, relative to the repository root.
    pub files: HashMap<String, FileChange>,
}

/// Output of `git diff` that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// Reading the output failed.
    #[error("cannot read the output of git diff: {0}")]
    Io(#[from] io::Error),
    /// A line that does not fit the unified diff format.
    #[error("line {line} of the git diff output: {message}")]
    Syntax {
        /// The 1-based line of the diff output.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A file with unresolved merge conflicts.
    #[error(
        "{0} has unresolved merge conflicts: resolve them (or commit) before measuring coverage"
    )]
    Unmerged(String),
}

/// The changed lines of each file: the result of all stages of a range.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangedLines {
    /// Sorted, distinct line numbers per path. Paths whose change carries no lines
    /// (deleted, binary, mode-only, submodule) are present with no lines.
    pub files: BTreeMap<String, Vec<u32>>,
}

impl ChangedLines {
    /// Combines the stages in order, as diff-cover does.
    pub fn combine(stages: impl IntoIterator<Item = DiffStage>) -> Self {
        let mut files: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for stage in stages {
            for (path, change) in stage.files {
                let lines = files.entry(path).or_default();
                if !change.deleted.is_empty() {
                    let mut deleted = change.deleted;
                    deleted.sort_unstable();
                    lines.retain(|line| deleted.binary_search(line).is_err());
                }
                lines.extend(change.added);
            }
        }
        for lines in files.values_mut() {
            lines.sort_unstable();
            lines.dedup();
        }
        ChangedLines { files }
    }

    /// How many changed lines there are in all files.
    pub fn line_count(&self) -> usize {
        self.files.values().map(Vec::len).sum()
    }
}

/// Parses the output of `git diff --no-color --no-ext-diff -U0` as it streams.
pub fn parse_diff(reader: impl BufRead) -> Result<DiffStage, DiffError> {
    let mut parser = DiffParser::default();
    for_each_line(reader, DiffError::Io, |line| {
        parser.line_number += 1;
        parser.line(line).map_err(|message| match message {
            LineError::Syntax(message) => DiffError::Syntax {
                line: parser.line_number,
                message,
            },
            LineError::Unmerged(path) => DiffError::Unmerged(path),
        })
    })?;
    parser.finish_section();
    Ok(parser.stage)
}

enum LineError {
    Syntax(String),
    Unmerged(String),
}

impl From<String> for LineError {
    fn from(message: String) -> Self {
        LineError::Syntax(message)
    }
}

#[derive(Default)]
struct DiffParser {
    stage: DiffStage,
    section: Option<Section>,
    hunk: Hunk,
    line_number: usize,
}

#[derive(Default)]
struct Section {
    header_path: Option<String>,
    renamed_to: Option<String>,
    new_path: Option<String>,
    old_path: Option<String>,
    submodule: bool,
    change: FileChange,
}

#[derive(Default)]
struct Hunk {
    old_left: u32,
    new_left: u32,
    new_line: u32,
    deleted_line: u32,
}

impl DiffParser {
    fn line(&mut self, line: &[u8]) -> Result<(), LineError> {
        if self.hunk.old_left > 0 || self.hunk.new_left > 0 {
            return self.hunk_line(line).map_err(LineError::Syntax);
        }
        if line.starts_with(b"\\") {
            return Ok(()); // "\ No newline at end of file"
        }
        if let Some(rest) = line.strip_prefix(b"diff --git ") {
            self.finish_section();
            self.section = Some(Section {
                header_path: header_new_path(&text(rest)),
                ..Section::default()
            });
            return Ok(());
        }
        if let Some(rest) = line
            .strip_prefix(b"diff --cc ")
            .or_else(|| line.strip_prefix(b"diff --combined "))
            .or_else(|| line.strip_prefix(b"* Unmerged path "))
        {
            return Err(LineError::Unmerged(text(rest)));
        }
        let Some(section) = self.section.as_mut() else {
            if line.starts_with(b"@@") {
                return Err(format!("a hunk before any file header: {}", text(line)).into());
            }
            return Ok(());
        };
        if line.starts_with(b"@@") {
            self.hunk = parse_hunk_header(line)?;
            return Ok(());
        }
        let line = text(line);
        if let Some(path) = line
            .strip_prefix("rename to ")
            .or(line.strip_prefix("copy to "))
        {
            section.renamed_to = Some(unquote(path));
        } else if let Some(path) = line.strip_prefix("+++ ") {
            section.new_path = side_path(path, "b/");
        } else if let Some(path) = line.strip_prefix("--- ") {
            section.old_path = side_path(path, "a/");
        } else if line.starts_with("index ") && line.ends_with(" 160000")
            || line.ends_with("file mode 160000")
            || line.ends_with("new mode 160000")
        {
            section.submodule = true;
        }
        Ok(())
    }

    fn hunk_line(&mut self, line: &[u8]) -> Result<(), String> {
        let hunk = &mut self.hunk;
        let change = &mut self
            .section
            .as_mut()
            .expect("a hunk belongs to a section")
            .change;
        match line.first() {
            Some(b'+') if hunk.new_left > 0 => {
                change.added.push(hunk.new_line);
                hunk.new_line += 1;
                hunk.new_left -= 1;
            }
            Some(b'-') if hunk.old_left > 0 => {
                change.deleted.push(hunk.deleted_line);
                hunk.deleted_line += 1;
                hunk.old_left -= 1;
            }
            Some(b' ') if hunk.old_left > 0 && hunk.new_left > 0 => {
                hunk.new_line += 1;
                hunk.deleted_line += 1;
                hunk.old_left -= 1;
                hunk.new_left -= 1;
            }
            Some(b'\\') => {}
            _ => {
                return Err(format!(
                    "the hunk expects {} more old and {} more new lines, found {}",
                    hunk.old_left,
                    hunk.new_left,
                    text(line)
                ));
            }
        }
        Ok(())
    }

    fn finish_section(&mut self) {
        let Some(section) = self.section.take() else {
            return;
        };
        let Some(path) = section
            .renamed_to
            .or(section.new_path)
            .or(section.header_path)
            .or(section.old_path)
        else {
            return;
        };
        let change = if section.submodule {
            FileChange::default()
        } else {
            section.change
        };
        let entry = self.stage.files.entry(path).or_default();
        entry.added.extend(change.added);
        entry.deleted.extend(change.deleted);
    }
}

/// `@@ -<start>[,<count>] +<start>[,<count>] @@...`, read where it lies: a diff of a large
/// range has a hunk header for every few lines.
fn parse_hunk_header(line: &[u8]) -> Result<Hunk, String> {
    let bad = || format!("not a hunk header: {}", text(line));
    let rest = line.strip_prefix(b"@@ -").ok_or_else(bad)?;
    let (_, old_count, rest) = hunk_range(rest).ok_or_else(bad)?;
    let rest = rest.strip_prefix(b" +").ok_or_else(bad)?;
    let (new_start, new_count, rest) = hunk_range(rest).ok_or_else(bad)?;
    if !rest.starts_with(b" @@") {
        return Err(bad());
    }
    Ok(Hunk {
        old_left: old_count,
        new_left: new_count,
        new_line: new_start,
        deleted_line: new_start,
    })
}

/// `<start>[,<count>]` at the start of `text` (a count of 1 when there is none), and the
/// rest of `text`.
fn hunk_range(text: &[u8]) -> Option<(u32, u32, &[u8])> {
    let (start, rest) = decimal(text)?;
    match rest.strip_prefix(b",") {
        Some(rest) => {
            let (count, rest) = decimal(rest)?;
            Some((start, count, rest))
        }
        None => Some((start, 1, rest)),
    }
}

/// The decimal number at the start of `text` (one digit at least, within u32), and the
/// rest.
fn decimal(text: &[u8]) -> Option<(u32, &[u8])> {
    let digits = text.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let mut n: u32 = 0;
    for &digit in &text[..digits] {
        n = n.checked_mul(10)?.checked_add(u32::from(digit - b'0'))?;
    }
    Some((n, &text[digits..]))
}

/// The path of a `--- a/...` / `+++ b/...` line; `None` for `/dev/null`.
fn side_path(path: &str, prefix: &str) -> Option<String> {
    // git ends the line with a tab when the name holds a space.
    let path = path.strip_suffix('\t').unwrap_or(path);
    if path == "/dev/null" {
        return None;
    }
    let path = unquote(path);
    Some(path.strip_prefix(prefix).map(str::to_owned).unwrap_or(path))
}

/// The b-side path of a `diff --git a/X b/Y` header, when it can be told apart.
fn header_new_path(rest: &str) -> Option<String> {
    if rest.ends_with('"') {
        // "a/..." "b/..." or a/... "b/...": the b side is the last quoted string.
        let start = find_last_quoted(rest)?;
        return unquote(&rest[start..])
            .strip_prefix("b/")
            .map(str::to_owned);
    }
    // Unquoted and without a rename both sides are the same path: "a/P b/P".
    let length = rest.len().checked_sub(5)? / 2;
    let (a, b) = (rest.get(2..2 + length)?, rest.get(length + 5..)?);
    (rest.starts_with("a/") && rest.get(length + 2..length + 5) == Some(" b/") && a == b)
        .then(|| b.to_owned())
}

fn find_last_quoted(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = bytes.len().checked_sub(2)?;
    loop {
        if bytes[i] == b'"' {
            let backslashes = bytes[..i].iter().rev().take_while(|&&b| b == b'\\').count();
            if backslashes % 2 == 0 {
                return Some(i);
            }
        }
        i = i.checked_sub(1)?;
    }
}

/// Undoes git's C-style quoting of a path (`"d\303\251j\303\240 vu.ts"`).
pub fn unquote(path: &str) -> String {
    let Some(inner) = path
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    else {
        return path.to_owned();
    };
    let bytes = inner.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' || i + 1 == bytes.len() {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let escaped = bytes[i + 1];
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|digits| digits[0] <= b'3' && digits.iter().all(|d| (b'0'..=b'7').contains(d)));
        if let Some(digits) = octal {
            out.push(digits.iter().fold(0u8, |n, d| n * 8 + (d - b'0')));
            i += 4;
            continue;
        }
        out.push(match escaped {
            b'a' => 0x07,
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'v' => 0x0b,
            other => other,
        });
        i += 2;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(diff: &str) -> DiffStage {
        parse_diff(diff.as_bytes()).unwrap()
    }

    fn added(stage: &DiffStage, path: &str) -> Vec<u32> {
        stage.files[path].added.clone()
    }

    #[test]
    fn added_and_modified_lines_count_deleted_do_not() {
        let s = stage(
            "diff --git a/src/a.ts b/src/a.ts\nindex 1..2 100644\n--- a/src/a.ts\n+++ b/src/a.ts\n\
             @@ -2 +2 @@ x\n-old\n+new\n@@ -10,2 +9,0 @@\n-gone\n-gone\n@@ -20,0 +19,3 @@\n+a\n+b\n+c\n",
        );
        assert_eq!(added(&s, "src/a.ts"), [2, 19, 20, 21]);
        assert_eq!(s.files["src/a.ts"].deleted, [2, 9, 10]);
    }

    #[test]
    fn content_that_looks_like_headers_stays_content() {
        let s = stage(
            "diff --git a/a.ts b/a.ts\n--- a/a.ts\n+++ b/a.ts\n@@ -1,2 +1,2 @@\n--- a/x\n-diff --git a/y b/y\n+++ b/z\n+@@ -1 +1 @@\n",
        );
        assert_eq!(s.files.len(), 1);
        assert_eq!(added(&s, "a.ts"), [1, 2]);
    }

    #[test]
    fn renames_new_files_and_deletions() {
        let s = stage(
            "diff --git a/old name.ts b/new name.ts\nsimilarity index 90%\nrename from old name.ts\nrename to new name.ts\n\
             index 1..2 100644\n--- a/old name.ts\t\n+++ b/new name.ts\t\n@@ -1 +1 @@\n-x\n+y\n\
             diff --git a/n.ts b/n.ts\nnew file mode 100644\nindex 0..1\n--- /dev/null\n+++ b/n.ts\n@@ -0,0 +1,2 @@\n+a\n+b\n\
             diff --git a/d.ts b/d.ts\ndeleted file mode 100644\nindex 1..0\n--- a/d.ts\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\n-b\n\
             diff --git a/moved.ts b/elsewhere/moved.ts\nsimilarity index 100%\nrename from moved.ts\nrename to elsewhere/moved.ts\n",
        );
        assert_eq!(added(&s, "new name.ts"), [1]);
        assert_eq!(added(&s, "n.ts"), [1, 2]);
        assert_eq!(added(&s, "d.ts"), Vec::<u32>::new());
        assert_eq!(added(&s, "elsewhere/moved.ts"), Vec::<u32>::new());
    }

    #[test]
    fn binary_mode_only_and_submodule_changes_carry_no_lines() {
        let s = stage(
            "diff --git a/img.png b/img.png\nindex 1..2 100644\nBinary files a/img.png and b/img.png differ\n\
             diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n\
             diff --git a/vendor/lib b/vendor/lib\nindex abc..def 160000\n--- a/vendor/lib\n+++ b/vendor/lib\n\
             @@ -1 +1 @@\n-Subproject commit abc\n+Subproject commit def\n",
        );
        for path in ["img.png", "run.sh", "vendor/lib"] {
            assert_eq!(added(&s, path), Vec::<u32>::new(), "{path}");
        }
    }

    #[test]
    fn quoted_paths_are_unquoted() {
        let s = stage(
            "diff --git \"a/d\\303\\251j\\303\\240 \\\"vu\\\".ts\" \"b/d\\303\\251j\\303\\240 \\\"vu\\\".ts\"\n\
             --- \"a/d\\303\\251j\\303\\240 \\\"vu\\\".ts\"\n+++ \"b/d\\303\\251j\\303\\240 \\\"vu\\\".ts\"\n@@ -1 +1 @@\n-a\n+b\n\
             diff --git a/\u{e9}t\u{e9}.ts b/\u{e9}t\u{e9}.ts\nold mode 100644\nnew mode 100755\n",
        );
        assert_eq!(added(&s, "d\u{e9}j\u{e0} \"vu\".ts"), [1]);
        assert!(s.files.contains_key("\u{e9}t\u{e9}.ts"));
    }

    #[test]
    fn no_newline_markers_do_not_shift_lines() {
        let s = stage(
            "diff --git a/a.ts b/a.ts\n--- a/a.ts\n+++ b/a.ts\n@@ -5 +5 @@\n-old\n\\ No newline at end of file\n+new\n\\ No newline at end of file\n",
        );
        assert_eq!(added(&s, "a.ts"), [5]);
    }

    #[test]
    fn hunk_headers_are_read_with_or_without_counts() {
        let hunk = parse_hunk_header(b"@@ -12,3 +14 @@ function main() {").unwrap();
        assert_eq!((hunk.old_left, hunk.new_left, hunk.new_line), (3, 1, 14));
        let hunk = parse_hunk_header(b"@@ -0,0 +1,4294967295 @@").unwrap();
        assert_eq!(
            (hunk.old_left, hunk.new_left, hunk.new_line),
            (0, u32::MAX, 1)
        );
        for bad in [
            &b"@@ -1 +1"[..],
            b"@@ -1 +1 @",
            b"@@ -1, +1 @@",
            b"@@ -a +1 @@",
            b"@@ -1 -1 @@",
            b"@@ 1 +1 @@",
            b"@@ -1 +4294967296 @@",
            b"@@@ -1 -1 +1 @@@",
        ] {
            let error = parse_hunk_header(bad).err();
            assert_eq!(
                error,
                Some(format!("not a hunk header: {}", text(bad))),
                "{}",
                text(bad)
            );
        }
    }

    #[test]
    fn conflicts_and_broken_hunks_are_errors() {
        let conflict = parse_diff("diff --cc src/a.ts\nindex 1,2..3\n".as_bytes()).unwrap_err();
        assert_eq!(
            conflict.to_string(),
            "src/a.ts has unresolved merge conflicts: resolve them (or commit) before measuring coverage"
        );
        let short = parse_diff(
            "diff --git a/a.ts b/a.ts\n@@ -1,2 +1,2 @@\n-x\n+y\ndiff --git a/b.ts b/b.ts\n"
                .as_bytes(),
        )
        .unwrap_err();
        assert_eq!(
            short.to_string(),
            "line 5 of the git diff output: the hunk expects 1 more old and 1 more new lines, found diff --git a/b.ts b/b.ts"
        );
    }

    #[test]
    fn stages_combine_as_diff_cover_combines_them() {
        let committed =
            stage("diff --git a/a.ts b/a.ts\n@@ -1,0 +1,3 @@\n+a\n+b\n+c\n@@ -9 +12 @@\n-x\n+y\n");
        // The staged edit rewrites line 2 and deletes line 12.
        let staged = stage("diff --git a/a.ts b/a.ts\n@@ -2 +2 @@\n-b\n+B\n@@ -12 +11,0 @@\n-y\n");
        let unstaged = stage("diff --git a/b.ts b/b.ts\n@@ -3,0 +4 @@\n+z\n");
        let changed = ChangedLines::combine([committed, staged, unstaged]);
        assert_eq!(changed.files["a.ts"], [1, 2, 3, 12]);
        assert_eq!(changed.files["b.ts"], [4]);
        assert_eq!(changed.line_count(), 5);
    }
}

//! The committed range's `git diff`, planned as parts that run side by side.
//!
//! One `git diff` of a large range keeps a single core busy for most of a coverage run.
//! Its files split two ways:
//!
//! - The added, deleted and renamed ones ([`renamed_part`]): rename detection pairs
//!   only added with deleted files (`--find-renames`, no copies, no rewrites), comparing
//!   their contents with each other, so they make one part, the costliest per file. It
//!   needs no list of paths: `--diff-filter=ADR` keeps them, and it starts before the
//!   range's files are listed.
//! - The others, modified or changed in type ([`modified_parts`]): rename detection
//!   never pairs them, so they are diffed without it (`--no-renames --diff-filter=ad`),
//!   in parts of about the same number of files, one per core. Each
//!   part is named by as few pathspecs as cover its files and no other part's: a
//!   directory where every modified file under it is in the part (git matches every
//!   index or tree entry against every pathspec, so a part named file by file costs git
//!   more than its diff of small files).
//!
//! Each part's output is exactly the whole diff's for its files. A part none of whose
//! paths is staged is diffed against the index (`--cached`), which then holds HEAD's
//! blobs for it: git reads the new side of each file unchanged in the working tree from
//! there instead of inflating its blob, and falls back to the blob for the others.

use std::collections::HashSet;

/// Fewer modified files than this are diffed faster than a second git starts.
const MIN_FILES: usize = 256;

/// Command lines stay well below Linux's 2 MiB for arguments and environment.
const MAX_PATHSPEC_BYTES: usize = 1 << 20;

/// The staged paths (`git diff --cached --raw`), or `None` when they could not be listed.
pub(crate) type Staged<'a> = Option<HashSet<&'a str>>;

/// Whether nothing is staged, as far as is known: the index then holds HEAD's blobs.
pub(crate) fn nothing_staged(staged: &Staged) -> bool {
    staged.as_ref().is_some_and(HashSet::is_empty)
}

/// The `git diff` arguments of the whole committed range in one part, for one core.
pub(crate) fn whole_range(merge_base: &str) -> Vec<String> {
    strings(&[
        "--find-renames",
        "--irreversible-delete",
        merge_base,
        "HEAD",
    ])
}

/// The `git diff` arguments of the range's added, deleted and renamed files. A deleted
/// file's old lines are left out of the output (`--irreversible-delete`): the first
/// stage's deleted lines remove nothing (see `ChangedLines::combine`), and a deleted
/// file's path is in its `diff --git` line. Renames are found before this applies.
pub(crate) fn renamed_part(merge_base: &str, staged: &Staged) -> Vec<String> {
    let mut args = strings(&[
        "--find-renames",
        "--diff-filter=ADR",
        "--irreversible-delete",
    ]);
    // Without pathspecs the part reads the whole index, so nothing may be staged.
    args.extend(sides(merge_base, nothing_staged(staged)));
    args
}

/// The `git diff` arguments of the range's other files, `modified` (as listed by `git
/// diff --raw --no-renames`; `None` when they could not be listed), in as many parts as
/// `cores`, which share the cores with the renamed part; one part, named by no path, for
/// few files or when the paths would not fit on a command line.
pub(crate) fn modified_parts(
    merge_base: &str,
    staged: &Staged,
    modified: Option<Vec<&str>>,
    cores: usize,
) -> Vec<Vec<String>> {
    let part = |cached: bool, pathspecs: &[&str]| {
        let mut args = strings(&["--no-renames", "--diff-filter=ad"]);
        args.extend(sides(merge_base, cached));
        if !pathspecs.is_empty() {
            args.push("--".to_owned());
            args.extend(pathspecs.iter().map(|&spec| spec.to_owned()));
        }
        args
    };
    let whole = || vec![part(nothing_staged(staged), &[])];
    let Some(mut modified) = modified.filter(|files| files.len() >= MIN_FILES && cores > 1) else {
        return whole();
    };
    modified.sort_unstable();
    let size = modified.len().div_ceil(cores);
    let parts: Vec<Vec<&str>> = (0..modified.len())
        .step_by(size)
        .map(|start| covering_pathspecs(&modified, start..(start + size).min(modified.len())))
        .collect();
    let bytes: usize = parts.iter().flatten().map(|spec| spec.len() + 1).sum();
    if bytes > MAX_PATHSPEC_BYTES {
        return whole();
    }
    parts
        .iter()
        .map(|pathspecs| {
            let cached = staged.as_ref().is_some_and(|staged| {
                !staged
                    .iter()
                    .any(|path| pathspecs.iter().any(|spec| covers(spec, path)))
            });
            part(cached, pathspecs)
        })
        .collect()
}

/// The two sides of the committed range: the merge-base and HEAD, or the index where it
/// holds HEAD's blobs for the part's paths.
fn sides(merge_base: &str, cached: bool) -> Vec<String> {
    if cached {
        strings(&["--cached", merge_base])
    } else {
        strings(&[merge_base, "HEAD"])
    }
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|&arg| arg.to_owned()).collect()
}

/// The fewest pathspecs that name `sorted[part]` and no other path of `sorted` (distinct
/// paths in byte order): for each path, its outermost directory whose paths in `sorted`
/// all lie in `part`, else the path itself.
fn covering_pathspecs<'a>(sorted: &[&'a str], part: std::ops::Range<usize>) -> Vec<&'a str> {
    let mut pathspecs = Vec::new();
    let mut index = part.start;
    while index < part.end {
        let path = sorted[index];
        // In byte order the paths under `dir/` are consecutive.
        let (spec, next) = path
            .match_indices('/')
            .map(|(at, _)| {
                let under = &path[..=at];
                let first = sorted.partition_point(|p| *p < under);
                let end = first + sorted[first..].partition_point(|p| p.starts_with(under));
                (&path[..at], first, end)
            })
            .find(|&(_, first, end)| first >= part.start && end <= part.end)
            .map_or((path, index + 1), |(dir, _, end)| (dir, end));
        pathspecs.push(spec);
        index = next;
    }
    pathspecs
}

/// Whether the literal pathspec `spec` names `path`: the path itself or a directory
/// holding it.
pub(crate) fn covers(spec: &str, path: &str) -> bool {
    path.strip_prefix(spec)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The staged paths, from `git diff --cached --raw -z --no-renames` (`None` when git
/// failed).
pub(crate) fn staged_paths(raw: Option<&[u8]>) -> Staged<'_> {
    let files = raw_paths(raw?)?;
    Some(files.into_iter().map(|(_, path)| path).collect())
}

/// The paths of the range that are neither added nor deleted, from `git diff --raw -z
/// --no-renames` of the range (`None` when git failed).
pub(crate) fn modified_paths(raw: Option<&[u8]>) -> Option<Vec<&str>> {
    let files = raw_paths(raw?)?;
    let modified = files
        .into_iter()
        .filter(|(status, _)| !matches!(status, b'A' | b'D'));
    Some(modified.map(|(_, path)| path).collect())
}

/// The status letter and path of each record of `git diff --raw -z --no-renames`;
/// `None` when a path is not UTF-8 or the output is not in that form.
fn raw_paths(raw: &[u8]) -> Option<Vec<(u8, &str)>> {
    let mut fields = raw.split(|&b| b == 0);
    let mut files = Vec::new();
    while let Some(meta) = fields.next() {
        if meta.is_empty() {
            break;
        }
        // `:100644 100644 <old> <new> M`
        let status = *meta.split(|&b| b == b' ').nth(4)?.first()?;
        let path = std::str::from_utf8(fields.next()?).ok()?;
        files.push((status, path));
    }
    Some(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_records_give_status_and_path() {
        let raw = b":100644 100644 aaa bbb M\0src/a b.ts\0:000000 100644 000 ccc A\0new.ts\0";
        assert_eq!(
            raw_paths(raw).unwrap(),
            [(b'M', "src/a b.ts"), (b'A', "new.ts")]
        );
        assert_eq!(raw_paths(b":100644 100644 aaa bbb M\0\xff\0"), None);
        assert_eq!(raw_paths(b""), Some(vec![]));
        assert_eq!(modified_paths(Some(raw)).unwrap(), ["src/a b.ts"]);
        assert_eq!(modified_paths(None), None);
        let staged = staged_paths(Some(raw)).unwrap();
        assert!(staged.len() == 2 && staged.contains("new.ts"));
    }

    /// Each part is named by directories where all their paths are in it, by paths
    /// elsewhere; every path is named by exactly one part.
    #[test]
    fn pathspecs_name_a_part_and_nothing_of_another() {
        let mut sorted = vec![
            "a.ts",
            "lib/x.ts",
            "lib/y.ts",
            "src/a/1.ts",
            "src/a/2.ts",
            "src/a/3.ts",
            "src/a0.ts",
            "src/b/1.ts",
            "src/b/2.ts",
            "src/b/c/1.ts",
            "src/b.ts",
            "z/1.ts",
        ];
        sorted.sort_unstable();
        let covering = |range| covering_pathspecs(&sorted, range);
        assert_eq!(covering(0..sorted.len()), ["a.ts", "lib", "src", "z"]);
        assert_eq!(covering(0..4), ["a.ts", "lib", "src/a/1.ts"]);
        assert_eq!(covering(4..7), ["src/a/2.ts", "src/a/3.ts", "src/a0.ts"]);
        // `src/b.ts` sorts between `src/a0.ts` and `src/b/...`, and is not under `src/b`.
        assert_eq!(covering(7..12), ["src/b.ts", "src/b", "z"]);
        for size in 1..=sorted.len() {
            let specs: Vec<Vec<&str>> = (0..sorted.len())
                .step_by(size)
                .map(|start| covering(start..(start + size).min(sorted.len())))
                .collect();
            for path in &sorted {
                let naming = specs
                    .iter()
                    .filter(|part| part.iter().any(|spec| covers(spec, path)))
                    .count();
                assert_eq!(naming, 1, "{path} with parts of {size}: {specs:?}");
            }
        }
    }

    #[test]
    fn a_pathspec_covers_itself_and_what_is_under_it() {
        assert!(covers("src", "src"));
        assert!(covers("src", "src/a.ts"));
        assert!(!covers("src", "src0/a.ts"));
        assert!(!covers("src", "sr"));
        assert!(!covers("src/a.ts", "src"));
    }

    /// The parts' sides: the index only where no staged path is under the part's
    /// pathspecs, the two commits where that is unknown; small ranges in one part.
    #[test]
    fn parts_compare_with_the_index_only_where_nothing_of_theirs_is_staged() {
        let paths: Vec<String> = (0..400)
            .map(|n| format!("src/m{}/f{n:03}.ts", n / 100))
            .collect();
        let modified = || Some(paths.iter().map(String::as_str).collect::<Vec<_>>());
        let staged: Staged = Some(["src/m3/new.ts"].into_iter().collect());
        let parts = modified_parts("mb", &staged, modified(), 4);
        assert_eq!(parts.len(), 4);
        for (part, dir) in parts.iter().zip(["src/m0", "src/m1", "src/m2", "src/m3"]) {
            let cached = dir != "src/m3";
            let expected = [
                &["--no-renames", "--diff-filter=ad"][..],
                if cached {
                    &["--cached", "mb"]
                } else {
                    &["mb", "HEAD"]
                },
                &["--", dir],
            ]
            .concat();
            assert_eq!(part, &expected);
        }
        let unknown = modified_parts("mb", &None, modified(), 2);
        assert!(unknown.iter().all(|part| part[2..4] == ["mb", "HEAD"]));
        assert_eq!(
            modified_parts("mb", &Some(HashSet::new()), modified(), 1),
            [["--no-renames", "--diff-filter=ad", "--cached", "mb"]]
        );
        let few = Some(paths[..MIN_FILES - 1].iter().map(String::as_str).collect());
        assert_eq!(
            modified_parts("mb", &staged, few, 2),
            [["--no-renames", "--diff-filter=ad", "mb", "HEAD"]]
        );
        assert_eq!(
            renamed_part("mb", &Some(HashSet::new())),
            [
                "--find-renames",
                "--diff-filter=ADR",
                "--irreversible-delete",
                "--cached",
                "mb"
            ]
        );
        assert_eq!(renamed_part("mb", &staged)[3..], ["mb", "HEAD"]);
    }
}

//! Patch coverage agrees with diff-cover, the reference implementation, on the same lcov
//! and the same range: totals, and per file the lines in violation and the lines covered;
//! also with the same `--include` / `--exclude` patterns.

mod support;

use camino::Utf8Path;
use coverage_export::FileFilter;
use support::{Repo, assert_agree, ours, ours_filtered, reference, reference_with};

/// An lcov record per file, like deno's: absolute `SF:` paths, a `DA` entry for every
/// non-blank line, every third line not run.
fn lcov_for(repo: &Repo, files: &[&str]) -> String {
    files
        .iter()
        .map(|file| lcov_record(&repo.path.join(file), &repo.path.join(file)))
        .collect()
}

fn lcov_record(read_from: &Utf8Path, write_as: &Utf8Path) -> String {
    let text = std::fs::read_to_string(read_from).unwrap();
    let mut record = format!("SF:{write_as}\n");
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        if !line.trim().is_empty() {
            record.push_str(&format!(
                "DA:{number},{}\n",
                if number % 3 == 0 { 0 } else { 2 }
            ));
        }
    }
    record + "end_of_record\n"
}

fn lines(n: usize, tag: &str) -> String {
    (1..=n)
        .map(|i| format!("export const {tag}{i} = {i};\n"))
        .collect()
}

fn edit(text: &str, edits: &[usize]) -> String {
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            if edits.contains(&(i + 1)) {
                format!("{line} // edited\n")
            } else {
                format!("{line}\n")
            }
        })
        .collect()
}

/// Commits `base`, then makes the change on branch `head` with `change`.
fn scenario(base: impl FnOnce(&Repo), change: impl FnOnce(&Repo)) -> Repo {
    let repo = Repo::new();
    base(&repo);
    repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "head"]);
    change(&repo);
    repo
}

fn check(repo: &Repo, lcov: &str) {
    let lcov = repo.lcov(lcov);
    let ours = ours(&repo.path, &lcov, "base", &[]);
    let reference = reference(&repo.path, &lcov, "base");
    assert_agree(&ours, &reference);
    assert!(
        ours["total_num_lines"].as_u64().unwrap() > 0,
        "the case measures something"
    );
}

#[test]
fn a_rename_with_edits() {
    let text = lines(30, "a");
    let repo = scenario(
        |r| r.write("src/a.ts", &text),
        |r| {
            r.git(&["mv", "src/a.ts", "src/renamed.ts"]);
            r.write("src/renamed.ts", edit(&text, &[3, 10, 11]));
            r.commit("rename");
        },
    );
    check(&repo, &lcov_for(&repo, &["src/renamed.ts"]));
    let ours = ours(
        &repo.path,
        &repo.outside().join("coverage.lcov"),
        "base",
        &[],
    );
    assert_eq!(
        ours["src_stats"]["src/renamed.ts"]["covered_lines"],
        serde_json::json!([10, 11])
    );
}

#[test]
fn a_deleted_file_and_its_stale_record() {
    let repo = scenario(
        |r| {
            r.write("gone.ts", lines(10, "g"));
            r.write("kept.ts", lines(10, "k"));
        },
        |r| {
            std::fs::remove_file(r.path.join("gone.ts")).unwrap();
            r.write("kept.ts", edit(&lines(10, "k"), &[2, 3, 4]));
            r.commit("delete");
        },
    );
    let mut lcov = lcov_for(&repo, &["kept.ts"]);
    lcov.push_str(&format!(
        "SF:{}\nDA:1,0\nDA:2,0\nend_of_record\n",
        repo.path.join("gone.ts")
    ));
    check(&repo, &lcov);
}

#[test]
fn a_new_file_and_a_changed_file_not_in_the_report() {
    let repo = scenario(
        |r| {
            r.write("old.ts", lines(8, "o"));
            r.write("untested.ts", lines(8, "u"));
        },
        |r| {
            r.write("src/new.ts", lines(12, "n"));
            r.write("untested.ts", edit(&lines(8, "u"), &[1, 8]));
            r.commit("add");
        },
    );
    check(&repo, &lcov_for(&repo, &["old.ts", "src/new.ts"]));
}

#[test]
fn crlf_line_endings() {
    let crlf = |text: String| text.replace('\n', "\r\n");
    let repo = scenario(
        |r| r.write("win.ts", crlf(lines(12, "w"))),
        |r| {
            r.write("win.ts", crlf(edit(&lines(12, "w"), &[1, 6, 12])));
            r.commit("crlf");
        },
    );
    check(&repo, &lcov_for(&repo, &["win.ts"]));
}

#[test]
fn a_binary_file_carries_no_lines() {
    let repo = scenario(
        |r| {
            r.write("logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\x01");
            r.write("a.ts", lines(9, "a"));
        },
        |r| {
            r.write("logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\x02\0\xff");
            r.write("icon.bin", b"\0\x01\x02\x03");
            r.write("a.ts", edit(&lines(9, "a"), &[4, 5, 6]));
            r.commit("binary");
        },
    );
    check(&repo, &lcov_for(&repo, &["a.ts"]));
}

#[test]
fn non_ascii_quoted_and_spaced_paths() {
    let names = [
        "src/données/été.ts",
        "src/with space/odd name.ts",
        "src/q\"uote.ts",
    ];
    let repo = scenario(
        |r| {
            for name in names {
                r.write(name, lines(10, "p"));
            }
        },
        |r| {
            for name in names {
                r.write(name, edit(&lines(10, "p"), &[2, 3, 9]));
            }
            r.write("src/nouveau é.ts", lines(5, "n"));
            r.commit("paths");
        },
    );
    let mut files = names.to_vec();
    files.push("src/nouveau é.ts");
    check(&repo, &lcov_for(&repo, &files));
    let ours = ours(
        &repo.path,
        &repo.outside().join("coverage.lcov"),
        "base",
        &[],
    );
    assert_eq!(ours["src_stats"].as_object().unwrap().len(), 4);
}

#[test]
fn staged_and_unstaged_edits_count_as_diff_cover_counts_them() {
    let repo = scenario(
        |r| {
            for name in ["a.ts", "b.ts", "c.ts"] {
                r.write(name, lines(20, "x"));
            }
        },
        |r| {
            r.write("a.ts", edit(&lines(20, "x"), &[5, 6]));
            r.commit("committed");
            // Staged: b.ts edited, a.ts edited again (a line removed above committed edits).
            r.write("b.ts", edit(&lines(20, "x"), &[1, 2]));
            let mut a: Vec<String> = edit(&lines(20, "x"), &[5, 6, 15])
                .lines()
                .map(str::to_owned)
                .collect();
            a.remove(1);
            r.write("a.ts", a.join("\n") + "\n");
            r.git(&["add", "a.ts", "b.ts"]);
            // Unstaged: c.ts edited, b.ts edited again.
            r.write("c.ts", edit(&lines(20, "x"), &[20]));
            r.write("b.ts", edit(&lines(20, "x"), &[1, 2, 17]));
        },
    );
    check(&repo, &lcov_for(&repo, &["a.ts", "b.ts", "c.ts"]));
}

#[test]
fn report_files_outside_the_repository_are_left_out() {
    let repo = scenario(
        |r| r.write("a.ts", lines(10, "a")),
        |r| {
            r.write("a.ts", edit(&lines(10, "a"), &[1, 2, 3]));
            r.commit("edit");
        },
    );
    let elsewhere = repo.outside().join("elsewhere.ts");
    std::fs::write(&elsewhere, lines(10, "e")).unwrap();
    let mut lcov = lcov_for(&repo, &["a.ts"]);
    lcov.push_str(&lcov_record(&elsewhere, &elsewhere));
    lcov.push_str("SF:/usr/lib/node_modules/zod/index.ts\nDA:1,0\nend_of_record\n");
    check(&repo, &lcov);
    let ours = ours(
        &repo.path,
        &repo.outside().join("coverage.lcov"),
        "base",
        &[],
    );
    assert_eq!(ours["files_outside_repository"], 2);
}

#[test]
fn a_report_made_under_another_absolute_prefix() {
    let repo = scenario(
        |r| r.write("src/a.ts", lines(12, "a")),
        |r| {
            r.write("src/a.ts", edit(&lines(12, "a"), &[1, 2, 3, 4, 5, 6]));
            r.commit("edit");
        },
    );
    let runner = Utf8Path::new("/home/runner/work/kato/kato/src/a.ts");
    let foreign = repo.lcov_named(
        "runner.lcov",
        &lcov_record(&repo.path.join("src/a.ts"), runner),
    );
    let remapped = ours(
        &repo.path,
        &foreign,
        "base",
        &["/home/runner/work/kato/kato=."],
    );
    // diff-cover has no remap: it gets the report with this machine's paths.
    let local = repo.lcov(&lcov_for(&repo, &["src/a.ts"]));
    assert_agree(&remapped, &reference(&repo.path, &local, "base"));
    assert_eq!(remapped["total_num_lines"], 6);
    // Without the remap, nothing of the report is in the repository.
    let unmapped = ours(&repo.path, &foreign, "base", &[]);
    assert_eq!(unmapped["total_num_lines"], 0);
    assert_eq!(unmapped["files_outside_repository"], 1);
}

#[test]
fn the_benchmark_generator_with_200_files() {
    let dir = tempfile::tempdir().unwrap();
    let dir = Utf8Path::from_path(dir.path()).unwrap();
    // The in-repository copy of ../shared/bench/make_patch_repo.py (see tests/data/README.md).
    let script = Utf8Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/make_patch_repo.py");
    assert!(script.is_file(), "{script} is missing");
    let status = std::process::Command::new("python3")
        .arg(script.as_str())
        .arg(dir.join("p").as_str())
        .args(["--files", "200"])
        .status()
        .expect("python3 is needed to generate the benchmark repository");
    assert!(status.success());
    let (repo, lcov) = (dir.join("p/repo"), dir.join("p/coverage.lcov"));
    let ours = ours(&repo, &lcov, "base", &[]);
    assert_agree(&ours, &reference(&repo, &lcov, "base"));
    assert!(ours["total_num_lines"].as_u64().unwrap() > 5000);
}

/// The filter of `--include` and `--exclude` patterns, and diff-cover's arguments for it.
fn filter(include: &[&str], exclude: &[&str]) -> (FileFilter, Vec<String>) {
    let filter = FileFilter {
        include: include.iter().map(|p| p.parse().unwrap()).collect(),
        exclude: exclude.iter().map(|p| p.parse().unwrap()).collect(),
    };
    let mut args = Vec::new();
    // diff-cover's options take several values each (nargs="+"): one flag, then them all.
    for (flag, patterns) in [("--include", include), ("--exclude", exclude)] {
        if !patterns.is_empty() {
            args.push(flag.to_owned());
            args.extend(patterns.iter().map(|p| (*p).to_owned()));
        }
    }
    (filter, args)
}

/// Ours and diff-cover's agree with the patterns, and the patterns leave something out.
fn check_filtered(repo: &Utf8Path, lcov: &Utf8Path, include: &[&str], exclude: &[&str]) {
    let (filter, args) = filter(include, exclude);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let ours = ours_filtered(repo, lcov, "base", &[], &filter);
    assert_agree(&ours, &reference_with(repo, lcov, "base", &args));
    let everything = ours_filtered(repo, lcov, "base", &[], &FileFilter::default());
    assert!(
        ours["src_stats"].as_object().unwrap().len()
            < everything["src_stats"].as_object().unwrap().len(),
        "{args:?} leaves a changed file out"
    );
    assert!(
        ours["total_num_lines"].as_u64().unwrap() > 0,
        "{args:?} keeps a measured line"
    );
}

#[test]
fn include_and_exclude_patterns_as_diff_cover_reads_them() {
    let names = [
        "main.ts",
        "src/a.ts",
        "src/b.ts",
        "src/a_test.ts",
        "src/gen/x.ts",
        "src/gen/deep/y.ts",
        "src/.hidden/h.ts",
        "lib/c.ts",
        "lib/c_test.ts",
    ];
    let repo = scenario(
        |r| {
            for name in names {
                r.write(name, lines(12, "x"));
            }
        },
        |r| {
            for name in names {
                r.write(name, edit(&lines(12, "x"), &[1, 2, 3, 4, 5, 6]));
            }
            r.commit("every file");
        },
    );
    let lcov = repo.lcov(&lcov_for(&repo, &names));
    let absolute_lib = format!("{}/lib/*", repo.path);
    let cases: [(&[&str], &[&str]); 10] = [
        (&["src/*.ts"], &[]),
        (&["src/**"], &[]),
        (&["**/*.ts"], &[]),
        (&["src/**/*.ts", "lib/*.ts"], &["*_test.ts"]),
        (&[], &["*_test.ts"]),
        (&[], &["src/gen/*"]),
        (&[], &["src/*", "main.ts"]),
        (&[], &[absolute_lib.as_str()]),
        (&["src/[ab].ts", "?ain.ts"], &[]),
        (&["**"], &["src/[!a]*.ts"]),
    ];
    for (include, exclude) in cases {
        check_filtered(&repo.path, &lcov, include, exclude);
    }
}

#[test]
fn the_benchmark_generator_with_200_files_and_patterns() {
    let dir = tempfile::tempdir().unwrap();
    let dir = Utf8Path::from_path(dir.path()).unwrap();
    let script = Utf8Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/make_patch_repo.py");
    let status = std::process::Command::new("python3")
        .arg(script.as_str())
        .arg(dir.join("p").as_str())
        .args(["--files", "200"])
        .status()
        .expect("python3 is needed to generate the benchmark repository");
    assert!(status.success());
    let (repo, lcov) = (dir.join("p/repo"), dir.join("p/coverage.lcov"));
    check_filtered(&repo, &lcov, &["src/mod001/**"], &[]);
    check_filtered(&repo, &lcov, &[], &["*_renamed.ts", "src/new/*"]);
}

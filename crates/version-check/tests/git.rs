//! The preflight facts read from real git repositories.

use camino::{Utf8Path, Utf8PathBuf};
use version_check::{PreflightProblem, ReleaseFacts, Repository};

struct Repo {
    _dir: tempfile::TempDir,
    path: Utf8PathBuf,
}

fn git(dir: &Utf8Path, args: &[&str]) -> String {
    let output = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// A repository on `main` with two commits, and a branch `feature` one commit ahead.
fn repo() -> Repo {
    let dir = tempfile::tempdir().unwrap();
    let path = Utf8Path::from_path(dir.path()).unwrap().join("repo");
    std::fs::create_dir(&path).unwrap();
    git(&path, &["init", "--quiet", "--initial-branch=main"]);
    for n in 1..=2 {
        std::fs::write(path.join("file"), format!("{n}\n")).unwrap();
        git(&path, &["add", "file"]);
        git(&path, &["commit", "--quiet", "-m", &format!("commit {n}")]);
    }
    git(&path, &["checkout", "--quiet", "-b", "feature"]);
    std::fs::write(path.join("file"), "feature\n").unwrap();
    git(&path, &["commit", "--quiet", "-am", "feature"]);
    git(&path, &["checkout", "--quiet", "main"]);
    Repo { _dir: dir, path }
}

fn facts(repo: &Utf8Path, reference: &str, tag: &str) -> ReleaseFacts {
    let repository = Repository::open(repo).unwrap();
    ReleaseFacts::gather(&repository, reference, "main", Some(tag)).unwrap()
}

#[test]
fn main_of_a_clean_checkout_is_releasable() {
    let repo = repo();
    let facts = facts(&repo.path, "main", "v0.1.0");
    assert_eq!(facts.problems(), []);
    assert_eq!(facts.main.as_ref().unwrap().name, "main");
    assert_eq!(facts.ref_commit, facts.head_commit);
    // An older commit of main is on main too, once checked out.
    git(&repo.path, &["checkout", "--quiet", "main~1"]);
    assert_eq!(problem_messages(&repo.path, "main~1"), Vec::<String>::new());
}

fn problem_messages(repo: &Utf8Path, reference: &str) -> Vec<String> {
    facts(repo, reference, "v0.1.0")
        .problems()
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn a_branch_not_merged_into_main_is_refused() {
    let repo = repo();
    git(&repo.path, &["checkout", "--quiet", "feature"]);
    let problems = facts(&repo.path, "feature", "v0.1.0").problems();
    assert!(
        matches!(&problems[..], [PreflightProblem::RefNotOnMain { main, .. }] if main.name == "main"),
        "{problems:?}"
    );
}

#[test]
fn origin_main_is_the_main_branch_where_it_exists() {
    let upstream = repo();
    let dir = tempfile::tempdir().unwrap();
    let clone = Utf8Path::from_path(dir.path()).unwrap().join("clone");
    git(
        dir.path().try_into().unwrap(),
        &["clone", "--quiet", upstream.path.as_str(), clone.as_str()],
    );
    // A local main ahead of origin/main is not the main branch yet.
    std::fs::write(clone.join("file"), "local\n").unwrap();
    git(&clone, &["commit", "--quiet", "-am", "local"]);
    let facts = facts(&clone, "main", "v0.1.0");
    assert_eq!(facts.main.as_ref().unwrap().name, "origin/main");
    assert!(matches!(
        &facts.problems()[..],
        [PreflightProblem::RefNotOnMain { .. }]
    ));
}

#[test]
fn dirty_tree_checkout_elsewhere_and_moved_tag_are_refused() {
    let repo = repo();
    git(&repo.path, &["tag", "v0.1.0", "main~1"]);
    std::fs::write(repo.path.join("untracked"), "").unwrap();
    let problems = problem_messages(&repo.path, "main");
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains("(?? untracked)"), "{problems:?}");
    assert!(
        problems[1].starts_with("the tag v0.1.0 already exists at"),
        "{problems:?}"
    );

    std::fs::remove_file(repo.path.join("untracked")).unwrap();
    git(&repo.path, &["checkout", "--quiet", "feature"]);
    let problems = problem_messages(&repo.path, "main");
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].starts_with("the checkout is at"),
        "{problems:?}"
    );
}

#[test]
fn annotated_tag_at_the_ref_is_fine_and_unknown_refs_are_named() {
    let repo = repo();
    git(&repo.path, &["tag", "-a", "-m", "release", "v0.1.0"]);
    let facts_here = facts(&repo.path, "main", "v0.1.0");
    assert_eq!(
        facts_here.tag.as_ref().unwrap().commit,
        facts_here.ref_commit
    );
    assert_eq!(facts_here.problems(), []);
    assert_eq!(
        problem_messages(&repo.path, "no-such-branch"),
        [
            "\"no-such-branch\" names no commit in this repository: give --ref a branch, tag or \
          commit that exists here"
        ]
    );
}

#[test]
fn a_directory_outside_git_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let dir = Utf8Path::from_path(dir.path()).unwrap();
    let error = Repository::open(dir).unwrap_err().to_string();
    assert!(
        error.starts_with(&format!("{dir} is not in a git work tree")),
        "{error}"
    );
}

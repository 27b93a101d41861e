//! The two binaries of xtask: `xtask`, the default build, without the GitHub tasks, which
//! it hands to `xtask-github` (feature `github`), the binary the other tests run.

mod support;

use std::process::Command;

use support::repo_root;

/// Without feature github the other tests fail, each saying so; this one says it once.
#[test]
fn the_tests_run_the_build_with_the_github_tasks() {
    let exe = support::xtask_exe();
    assert!(std::path::Path::new(exe).is_file(), "{exe} is missing");
}

/// `cargo xtask verify-tag` as a user runs it, in the default build: the tag is refused by
/// the build with the GitHub tasks, with its exit status.
#[test]
fn the_default_build_hands_a_github_task_to_the_github_build() {
    let output = Command::new(env!("CARGO"))
        .current_dir(repo_root())
        .args(["run", "--quiet", "--package", "xtask", "--"])
        .args(["verify-tag", "v9.9.9", "--project", "examples/kato"])
        .env_remove("GITHUB_ACTIONS")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "this task talks to GitHub: it runs in the build of xtask with the GitHub client (xtask-github)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("v9.9.9") && stderr.contains("examples/kato/deno.json"),
        "the tag is checked by xtask-github: {stderr}"
    );
    assert_eq!(output.status.code(), Some(1), "{stderr}");
}

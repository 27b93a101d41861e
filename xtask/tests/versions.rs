//! `cargo xtask bump` and `cargo xtask verify-tag` on temporary projects.

mod support;

use support::{Project, xtask};

#[track_caller]
fn assert_contains(haystack: &str, needle: &str) {
    assert!(haystack.contains(needle), "{needle:?} not in:\n{haystack}");
}

const JSONC: &str = "// kato\n{\n\t\"name\": \"@kato/kato\", // the package\n\t\"version\": \"0.1.0\",\n\t\"exports\": \"./main.ts\",\n\t/* no lockfile */ \"lock\": false,\n}\n";

#[test]
fn bump_edits_deno_jsonc_in_place() {
    let project = Project::empty();
    project.write("deno.jsonc", JSONC);
    let output = project.path().join("github-output");
    let run = xtask(&["bump", "patch"])
        .project(&project)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_OUTPUT", output.as_str())
        .run();
    assert_eq!(run.code, 0, "{}", run.all());
    assert_contains(&run.stdout, "deno.jsonc: version 0.1.0 -> 0.1.1");
    assert_eq!(
        project.read("deno.jsonc"),
        JSONC.replace("\"0.1.0\"", "\"0.1.1\"")
    );
    assert_eq!(std::fs::read_to_string(output).unwrap(), "version=0.1.1\n");

    let run = xtask(&["bump", "1.0.0-rc.1"]).project(&project).run();
    assert_eq!(run.code, 0, "{}", run.all());
    let run = xtask(&["bump", "major"]).project(&project).run();
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        project.read("deno.jsonc"),
        JSONC.replace("\"0.1.0\"", "\"1.0.0\"")
    );
}

#[test]
fn bump_refuses_bad_versions_and_changes_nothing() {
    let project = Project::empty();
    project.write("deno.jsonc", JSONC);
    for (args, message) in [
        (["bump", "v0.2.0"], "\"v0.2.0\" is not a release version"),
        (["bump", "0.2"], "\"0.2\" is not a release version"),
        (
            ["bump", "0.0.9"],
            "0.0.9 is lower than the current version 0.1.0",
        ),
    ] {
        let run = xtask(&args).project(&project).run();
        assert_eq!(run.code, 2, "{}", run.all());
        assert_contains(&run.stderr, message);
        assert_eq!(project.read("deno.jsonc"), JSONC);
    }
}

#[test]
fn verify_tag_accepts_the_tag_of_the_declared_version_on_main() {
    let project = Project::copy_example();
    project.init_git();
    project.git(&["tag", "-a", "-m", "0.1.0", "v0.1.0"]);
    let run = xtask(&["verify-tag", "v0.1.0"]).project(&project).run();
    assert_eq!(run.code, 0, "{}", run.all());
    assert_contains(&run.stdout, "v0.1.0 matches version 0.1.0 in ");
    assert_contains(&run.stdout, " on main");
    assert_contains(
        &run.stderr,
        "no GITHUB_TOKEN: GitHub was not asked whether v0.1.0 is published",
    );
}

#[test]
fn verify_tag_asks_github_whether_the_tag_is_published() {
    use fake_github::{Access, FakeGitHub, State};
    let project = Project::copy_example();
    project.init_git();
    project.git(&["tag", "-a", "-m", "0.1.0", "v0.1.0"]);
    let commit = project.git(&["rev-parse", "HEAD"]);
    let mut state = State::new();
    state.add_token("ghs_verifytag", Access::ContentsWrite);
    state.add_repo("acme", "kato").add_commit(&commit);
    let server = FakeGitHub::start(state);
    let verify = || {
        xtask(&["verify-tag", "v0.1.0", "--repo", "acme/kato"])
            .project(&project)
            .env("GITHUB_API_URL", server.url())
            .env("GITHUB_TOKEN", "ghs_verifytag")
            .run()
    };
    let run = verify();
    assert_eq!(run.code, 0, "{}", run.all());
    assert_contains(&run.stderr, "GitHub (acme/kato): v0.1.0 is not published");

    server
        .state()
        .repo_mut("acme", "kato")
        .unwrap()
        .releases
        .push(fake_github::Release {
            id: 1,
            tag_name: "v0.1.0".into(),
            target_commitish: commit.clone(),
            name: None,
            body: None,
            draft: false,
            prerelease: false,
            assets: Vec::new(),
        });
    let run = verify();
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains(&run.stderr, "v0.1.0 is published already");
    assert!(server.writes().is_empty());

    // Inside GitHub Actions the question must be asked: no token is an error.
    let run = xtask(&["verify-tag", "v0.1.0", "--repo", "acme/kato"])
        .project(&project)
        .env("GITHUB_ACTIONS", "true")
        .run();
    assert_eq!(run.code, 2, "{}", run.all());
    assert_contains(&run.stderr, "no GitHub token");
}

#[test]
fn verify_tag_names_each_mismatch() {
    let project = Project::copy_example();
    project.init_git();
    let run = xtask(&["verify-tag", "v0.2.0"]).project(&project).run();
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains(
        &run.stderr,
        &format!(
            "the tag v0.2.0 does not match the version 0.1.0 in {}",
            project.path().join("deno.json")
        ),
    );

    let run = xtask(&["verify-tag", "0.1.0"]).project(&project).run();
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains(&run.stderr, "the tag \"0.1.0\" is not a release tag");

    let run = xtask(&["verify-tag", "v0.1.0"]).project(&project).run();
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains(&run.stderr, "the tag v0.1.0 does not exist in");

    // Tagged on a branch that is not merged into main.
    project.git(&["checkout", "--quiet", "-b", "feature"]);
    project.write("notes.md", "unreleased\n");
    project.commit_all("feature work");
    project.git(&["tag", "v0.1.0"]);
    let run = xtask(&["verify-tag", "v0.1.0"]).project(&project).run();
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains(&run.stderr, "the tag v0.1.0 cannot be released:");
    assert_contains(&run.stderr, "is not on main (");
}

/// The example reads its version from deno.json, as a real project does: a bump leaves
/// its own tests passing.
#[test]
fn bump_on_the_example_keeps_its_gate_green() {
    let project = Project::copy_example();
    let run = xtask(&["bump", "minor"]).project(&project).run();
    assert_eq!(run.code, 0, "{}", run.all());
    assert_contains(&project.read("deno.json"), r#""version": "0.2.0""#);
    let ci = xtask(&["ci"]).project(&project).run();
    assert_eq!(ci.code, 0, "{}", ci.all());
}

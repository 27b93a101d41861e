//! `cargo xtask release` on temporary git repositories holding examples/kato, with the
//! real deno compiling real artifacts (npm deno builds standing in for denort).

mod support;

use camino::{Utf8Path, Utf8PathBuf};
use serde_json::Value;
use support::{Project, Run, denort_dir, xtask};

#[track_caller]
fn assert_contains(haystack: &str, needle: &str) {
    assert!(haystack.contains(needle), "{needle:?} not in:\n{haystack}");
}

/// examples/kato as the only content of a git repository on main.
fn repository() -> Project {
    let project = Project::copy_example();
    project.init_git();
    project
}

fn out_dir(project: &Project) -> Utf8PathBuf {
    project.path().parent().unwrap().join("dist")
}

fn dry_run(project: &Project, extra: &[&str]) -> Run {
    dry_run_with(project, &denort_dir(), extra)
}

/// A dry run that must be refused before compiling needs no base runtimes: if it got as
/// far as compiling, the missing directory would fail it.
fn refused_dry_run(project: &Project, extra: &[&str]) -> Run {
    dry_run_with(project, Utf8Path::new("/no/base/runtimes"), extra)
}

fn dry_run_with(project: &Project, denort: &Utf8Path, extra: &[&str]) -> Run {
    let out = out_dir(project);
    let mut args = vec![
        "release",
        "0.1.0",
        "--dry-run",
        "--out-dir",
        out.as_str(),
        "--denort-dir",
        denort.as_str(),
    ];
    args.extend(extra);
    xtask(&args).project(project).run()
}

/// The format in the file's headers, read here independently of the audit.
fn format(path: &Utf8Path) -> &'static str {
    let bytes = std::fs::read(path).unwrap();
    let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    if bytes.starts_with(b"\x7fELF") && bytes[4] == 2 {
        match u16_at(18) {
            0x3e => "ELF x86-64",
            0xb7 => "ELF AArch64",
            _ => "ELF other",
        }
    } else if bytes.starts_with(&[0xcf, 0xfa, 0xed, 0xfe]) {
        match u32_at(4) {
            0x0100_0007 => "Mach-O x86-64",
            0x0100_000c => "Mach-O arm64",
            _ => "Mach-O other",
        }
    } else if bytes.starts_with(b"MZ") {
        let pe = u32_at(0x3c) as usize;
        assert_eq!(&bytes[pe..pe + 4], b"PE\0\0");
        match u16_at(pe + 4) {
            0x8664 => "PE x86-64",
            _ => "PE other",
        }
    } else {
        "unknown"
    }
}

#[test]
fn dry_run_builds_checksums_and_audits_every_target() {
    let project = repository();
    let run = dry_run(&project, &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    let out = out_dir(&project);
    for (name, expected) in [
        ("kato-linux-x86_64", "ELF x86-64"),
        ("kato-linux-aarch64", "ELF AArch64"),
        ("kato-darwin-x86_64", "Mach-O x86-64"),
        ("kato-darwin-arm64", "Mach-O arm64"),
        ("kato-windows-x86_64.exe", "PE x86-64"),
    ] {
        assert_eq!(format(&out.join(name)), expected, "{name}");
        // The policy of examples/kato is embedded as it is declared.
        let text = String::from_utf8_lossy(&std::fs::read(out.join(name)).unwrap()).into_owned();
        assert_contains(&text, r#""allow_write":["/var/lib/kato"]"#);
        assert_contains(&text, r#""allow_read":["/etc/kato","/var/lib/kato"]"#);
        assert_contains(&text, r#""prompt":false"#);
    }
    let mut files: Vec<String> = out
        .read_dir_utf8()
        .unwrap()
        .map(|e| e.unwrap().file_name().to_owned())
        .collect();
    files.sort();
    // The five artifacts, install.sh, install.ps1 and SHA256SUMS.
    assert_eq!(files.len(), 8, "{files:?}");
    let check = std::process::Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(&out)
        .output()
        .expect("sha256sum runs");
    let listing = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{listing}");
    assert_eq!(listing.matches(": OK").count(), 7, "{listing}");

    assert_contains(&run.stdout, "ci passed: 4 gates");
    assert_contains(&run.stdout, "5 artifacts passed the audit");
    assert_contains(
        &run.stdout,
        "dry run: nothing is changed. Publishing v0.1.0 to OWNER/NAME reads first:",
    );
    assert_contains(&run.stderr, "preflight: main is ");
    assert_contains(
        &run.stderr,
        "with --no-prompt --allow-read=/etc/kato,/var/lib/kato --allow-write=/var/lib/kato",
    );
    // The tree is still clean: a second dry run passes its preflight.
    assert_eq!(project.git(&["status", "--porcelain"]), "");
}

/// Runs a dry run expected to be refused before compiling: `code`, `message`, and no
/// output directory.
#[track_caller]
fn assert_refused(project: &Project, extra: &[&str], code: i32, message: &str) {
    let run = refused_dry_run(project, extra);
    assert_eq!(run.code, code, "{}", run.all());
    assert_contains(&run.stderr, message);
    assert!(
        !run.stdout.contains("── fmt"),
        "the ci gate ran:\n{}",
        run.all()
    );
    assert!(!out_dir(project).exists(), "something was compiled");
}

#[test]
fn versions_that_do_not_match_or_parse_are_refused() {
    let project = repository();
    let out = out_dir(&project);
    let run = xtask(&["release", "0.2.0", "--dry-run", "--out-dir", out.as_str()])
        .project(&project)
        .run();
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains(
        &run.stderr,
        &format!(
            "the requested version 0.2.0 differs from the version 0.1.0 in {}",
            project.path().join("deno.json")
        ),
    );
    let run = xtask(&["release", "v0.1.0", "--dry-run"])
        .project(&project)
        .run();
    assert_eq!(run.code, 2, "{}", run.all());
    assert_contains(
        &run.stderr,
        "\"v0.1.0\" is not a release version: drop the leading \"v\"",
    );
    assert_contains(&run.stderr, "such as 0.1.0");
    assert!(!out.exists());

    // A build takes deno.json's version: one that is not a release version is named
    // with why.
    let config = project.read("deno.json").replace("\"0.1.0\"", "\"v0.1.0\"");
    project.write("deno.json", &config);
    let run = xtask(&["release", "build", "--out-dir", out.as_str()])
        .project(&project)
        .run();
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains(
        &run.stderr,
        &format!(
            "the version \"v0.1.0\" in {} is not a release version: drop the leading \"v\"",
            project.path().join("deno.json")
        ),
    );
    assert!(!out.exists());
}

#[test]
fn a_dirty_tree_is_refused() {
    let project = repository();
    project.write("src/wip.ts", "export const wip = 1;\n");
    assert_refused(
        &project,
        &[],
        1,
        "the working tree has uncommitted changes (?? src/wip.ts)",
    );
}

#[test]
fn a_ref_not_on_main_is_refused() {
    let project = repository();
    project.git(&["checkout", "--quiet", "-b", "feature"]);
    project.write("src/feature.ts", "export const feature = 1;\n");
    project.commit_all("unmerged work");
    assert_refused(&project, &["--ref", "feature"], 1, "feature (");
    assert_refused(&project, &["--ref", "feature"], 1, ") is not on main (");
    // The default ref, main, is not what is checked out.
    assert_refused(
        &project,
        &[],
        1,
        "check out main so that what is built is what is released",
    );
}

#[test]
fn a_tag_at_another_commit_is_refused() {
    let project = repository();
    project.git(&["tag", "v0.1.0"]);
    project.write("CHANGELOG.md", "later\n");
    project.commit_all("after the tag");
    assert_refused(&project, &[], 1, "the tag v0.1.0 already exists at ");
}

/// The example's deno.json with its `permissions.default` replaced by `set`.
fn with_policy(project: &Project, set: Value) {
    let mut config: Value = serde_json::from_str(&project.read("deno.json")).unwrap();
    config["permissions"]["default"] = set;
    project.write(
        "deno.json",
        &(serde_json::to_string_pretty(&config).unwrap() + "\n"),
    );
    project.commit_all("policy");
}

#[test]
fn policies_that_would_grant_what_was_not_declared_are_refused() {
    for (set, message) in [
        (
            serde_json::json!({ "read": ["/etc/kato"], "write": ["./data"] }),
            "permissions.default.write \"./data\": a relative path is resolved against the build \
             machine's directory",
        ),
        (
            serde_json::json!({ "all": true }),
            "permissions.default.all: grants every permission, as -A does",
        ),
        (
            // deno would embed three hosts for it: the binary would not be what was declared.
            serde_json::json!({ "read": ["/etc/kato"], "net": [":7777"] }),
            "permissions.default.net \":7777\": a bare port is embedded by deno as 0.0.0.0:7777, \
             127.0.0.1:7777 and localhost:7777",
        ),
    ] {
        let project = repository();
        with_policy(&project, set);
        assert_refused(&project, &[], 1, message);
    }
}

#[test]
fn a_policy_under_the_workspace_or_home_is_refused() {
    let project = repository();
    let home = std::env::var("HOME").unwrap();
    with_policy(
        &project,
        serde_json::json!({
            "read": [project.path().join("fixtures").as_str()],
            "write": [format!("{home}/.local/share/kato")],
        }),
    );
    let run = refused_dry_run(&project, &[]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains(&run.stderr, "it is in the build workspace");
    assert_contains(&run.stderr, "it is in the build user's home");
}

#[test]
fn release_without_a_token_is_refused_before_compiling() {
    let project = repository();
    let run = xtask(&["release", "0.1.0", "--repo", "acme/kato"])
        .project(&project)
        .run();
    assert_eq!(run.code, 2, "{}", run.all());
    assert_contains(
        &run.stderr,
        "no GitHub token: set GITHUB_TOKEN (or GH_TOKEN)",
    );
    assert!(!out_dir(&project).exists(), "{}", run.all());
    let help = xtask(&["release", "--help"]).run();
    assert_eq!(help.code, 0, "{}", help.all());
    assert_contains(&help.stdout, "publish");
}

#[test]
fn plan_prints_the_matrix_for_github_actions() {
    let project = Project::copy_example();
    let outputs = project.path().join("github-output");
    let run = xtask(&["release", "plan", "--json", "--bin", "katod"])
        .project(&project)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_OUTPUT", outputs.as_str())
        .run();
    assert_eq!(run.code, 0, "{}", run.all());
    let plan: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(plan["project"], project.path().as_str());
    let matrix = &plan["matrix"];
    let include = matrix["include"].as_array().unwrap();
    let artifacts: Vec<&str> = include
        .iter()
        .map(|e| e["artifact"].as_str().unwrap())
        .collect();
    assert_eq!(
        artifacts,
        [
            "katod-linux-x86_64",
            "katod-linux-aarch64",
            "katod-darwin-x86_64",
            "katod-darwin-arm64",
            "katod-windows-x86_64.exe"
        ]
    );
    assert_eq!(include[1]["target"], "aarch64-unknown-linux-gnu");
    assert_eq!(include[1]["runner"], "ubuntu-24.04-arm");
    let written = std::fs::read_to_string(outputs).unwrap();
    let line = written.strip_prefix("matrix=").unwrap().trim_end();
    assert_eq!(&serde_json::from_str::<Value>(line).unwrap(), matrix);

    let run = xtask(&["release", "plan", "--target", "x86_64-unknown-freebsd"]).run();
    assert_eq!(run.code, 2, "{}", run.all());
    assert_contains(&run.stderr, "[possible values: x86_64-unknown-linux-gnu,");
}

#[test]
fn build_makes_one_targets_artifact_for_a_matrix_job() {
    let project = Project::copy_example();
    let out = project.path().parent().unwrap().join("job");
    let outputs = project.path().join("github-output");
    let summary = project.path().join("step-summary.md");
    let denort = denort_dir();
    let run = xtask(&[
        "release",
        "build",
        "--target",
        "x86_64-pc-windows-msvc",
        "--out-dir",
        out.as_str(),
        "--denort-dir",
        denort.as_str(),
    ])
    .project(&project)
    .env("GITHUB_ACTIONS", "true")
    .env("GITHUB_OUTPUT", outputs.as_str())
    .env("GITHUB_STEP_SUMMARY", summary.as_str())
    .run();
    assert_eq!(run.code, 0, "{}", run.all());
    let artifact = out.join("kato-windows-x86_64.exe");
    assert_eq!(format(&artifact), "PE x86-64");
    let written = std::fs::read_to_string(&outputs).unwrap();
    assert_contains(&written, &format!("artifact={artifact}\n"));
    assert_contains(&written, &format!("dir={out}\n"));
    let sums = std::fs::read_to_string(out.join("SHA256SUMS")).unwrap();
    assert_eq!(sums.lines().count(), 1, "{sums}");
    assert!(sums.ends_with("  kato-windows-x86_64.exe\n"), "{sums}");
    assert_contains(
        &std::fs::read_to_string(summary).unwrap(),
        "| kato-windows-x86_64.exe | x86_64-pc-windows-msvc |",
    );
}

#[test]
fn a_base_runtime_directory_without_the_target_is_named() {
    let project = Project::copy_example();
    let empty = tempfile::tempdir().unwrap();
    let empty = Utf8Path::from_path(empty.path()).unwrap();
    let run = xtask(&[
        "release",
        "build",
        "--target",
        "aarch64-apple-darwin",
        "--denort-dir",
        empty.as_str(),
    ])
    .project(&project)
    .run();
    assert_eq!(run.code, 2, "{}", run.all());
    assert_contains(
        &run.stderr,
        &format!(
            "cannot read {empty}/aarch64-apple-darwin: --denort-dir must hold a directory per target triple"
        ),
    );
}

#[test]
fn a_type_error_fails_the_build_and_leaves_no_artifact() {
    let project = Project::copy_example();
    project.write("src/typo.ts", "export const port: number = \"7777\";\n");
    let out = project.path().parent().unwrap().join("job");
    let denort = denort_dir();
    let run = xtask(&[
        "release",
        "build",
        "--target",
        "x86_64-unknown-linux-gnu",
        "--target",
        "aarch64-apple-darwin",
        "--out-dir",
        out.as_str(),
        "--denort-dir",
        denort.as_str(),
    ])
    .project(&project)
    .run();
    assert_eq!(run.code, 1, "a failed check exits with 1\n{}", run.all());
    assert_contains(&run.stderr, "`deno check --frozen` failed in");
    assert_contains(&run.stderr, "so nothing was built");
    assert_contains(&run.stderr, "TS2322");
    let left: Vec<_> = out
        .read_dir_utf8()
        .map(|entries| entries.map(|e| e.unwrap().file_name().to_owned()).collect())
        .unwrap_or_default();
    assert!(
        left.is_empty(),
        "compiles beside the failed check are removed: {left:?}"
    );
}

/// `release build` of `targets` into a fresh directory next to the project.
fn build_targets(project: &Project, denort: &Utf8Path, targets: &[&str]) -> (Run, Utf8PathBuf) {
    let out = project.path().parent().unwrap().join("job");
    let mut args = vec![
        "release",
        "build",
        "--out-dir",
        out.as_str(),
        "--denort-dir",
        denort.as_str(),
    ];
    for target in targets {
        args.extend(["--target", target]);
    }
    (xtask(&args).project(project).run(), out)
}

fn files_in(dir: &Utf8Path) -> Vec<String> {
    let mut files: Vec<String> = dir
        .read_dir_utf8()
        .unwrap()
        .map(|e| e.unwrap().file_name().to_owned())
        .collect();
    files.sort();
    files
}

#[test]
fn an_artifact_refused_by_the_audit_is_removed_and_the_others_stay() {
    // The arm64 macOS target is given the x86-64 macOS base runtime: deno compiles it
    // without complaint into a binary that would not start on the machines it is for.
    let project = Project::copy_example();
    let denort = denort_dir();
    let mixed = tempfile::tempdir().unwrap();
    let mixed = Utf8Path::from_path(mixed.path()).unwrap();
    for (triple, base) in [
        ("x86_64-unknown-linux-gnu", "x86_64-unknown-linux-gnu"),
        ("aarch64-apple-darwin", "x86_64-apple-darwin"),
        ("x86_64-pc-windows-msvc", "x86_64-pc-windows-msvc"),
    ] {
        std::fs::create_dir(mixed.join(triple)).unwrap();
        let base_dir = denort.join(base);
        let file = files_in(&base_dir).pop().unwrap();
        std::os::unix::fs::symlink(base_dir.join(&file), mixed.join(triple).join(&file)).unwrap();
    }
    let (run, out) = build_targets(
        &project,
        mixed,
        &[
            "x86_64-unknown-linux-gnu",
            "aarch64-apple-darwin",
            "x86_64-pc-windows-msvc",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains(
        &run.stderr,
        &format!(
            "the audit refused the artifacts below, removed them so that they cannot be \
             published, and left the others in {out}:\n  - kato-darwin-arm64: it is a \
             Mach-O x86-64 file, not the Mach-O arm64 a aarch64-apple-darwin binary is"
        ),
    );
    assert_eq!(run.stderr.matches("\n  - ").count(), 1, "{}", run.all());
    assert_eq!(
        files_in(&out),
        ["kato-linux-x86_64", "kato-windows-x86_64.exe"],
        "{}",
        run.all()
    );
}

#[test]
fn plan_with_a_version_runs_the_preflight_first() {
    let project = repository();
    let run = xtask(&[
        "release",
        "plan",
        "--json",
        "--version",
        "0.1.0",
        "--ref",
        "main",
    ])
    .project(&project)
    .run();
    assert_eq!(run.code, 0, "{}", run.all());
    assert_contains(&run.stderr, "preflight: main is ");
    assert_contains(
        &run.stderr,
        "no GITHUB_TOKEN: GitHub was not asked whether v0.1.0 is published",
    );
    let plan: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(plan["matrix"]["include"].as_array().unwrap().len(), 5);

    let run = xtask(&["release", "plan", "--json", "--version", "0.2.0"])
        .project(&project)
        .run();
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stdout.is_empty(), "no matrix: {}", run.all());
    assert_contains(&run.stderr, "0.2.0");

    project.write("dirty.txt", "x");
    let run = xtask(&["release", "plan", "--version", "0.1.0"])
        .project(&project)
        .run();
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains(&run.stderr, "the preflight of v0.1.0 failed");
}

/// The whole release, compiled artifacts and all, published to the local GitHub.
#[test]
fn release_publishes_the_compiled_artifacts_to_github() {
    use fake_github::{Access, AssetState, FakeGitHub, State};
    const TOKEN: &str = "ghs_CANARYrelease0123456789CANARY";
    let project = repository();
    let commit = project.git(&["rev-parse", "HEAD"]);
    let mut state = State::new();
    state.add_token(TOKEN, Access::ContentsWrite);
    state.add_repo("acme", "kato").add_commit(&commit);
    let server = FakeGitHub::start(state);
    let out = out_dir(&project);
    let denort = denort_dir();
    let run = xtask(&[
        "release",
        "0.1.0",
        "--repo",
        "acme/kato",
        "--out-dir",
        out.as_str(),
        "--denort-dir",
        denort.as_str(),
    ])
    .project(&project)
    .env("GITHUB_API_URL", server.url())
    .env("GITHUB_TOKEN", TOKEN)
    .run();
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(!run.all().contains("CANARY"), "{}", run.all());
    assert_contains(
        &run.stdout,
        "published v0.1.0 with 8 assets (8 uploaded, 0 there already)",
    );
    let state = server.state();
    let repo = state.repo("acme", "kato").unwrap();
    let [release] = repo.releases.as_slice() else {
        panic!("{:#?}", repo.releases);
    };
    assert!(!release.draft);
    assert_eq!(repo.ref_commit("tags/v0.1.0"), Some(commit.as_str()));
    let sums = std::fs::read_to_string(out.join("SHA256SUMS")).unwrap();
    for asset in &release.assets {
        assert_eq!(asset.state, AssetState::Uploaded);
        if asset.name != "SHA256SUMS" {
            let digest = asset
                .digest
                .as_deref()
                .unwrap()
                .trim_start_matches("sha256:");
            assert_contains(&sums, &format!("{digest}  {}\n", asset.name));
        }
    }
    assert_eq!(release.assets.len(), 8);
}

#[test]
fn a_misspelled_step_is_suggested_not_read_as_a_version() {
    for (typed, step) in [("plann", "plan"), ("biuld", "build"), ("pubish", "publish")] {
        let run = xtask(&["release", typed]).run();
        assert_eq!(run.code, 2, "{}", run.all());
        assert_contains(
            &run.stderr,
            &format!("did you mean `cargo xtask release {step}`?"),
        );
        assert!(
            !run.stderr.contains("not a release version"),
            "{}",
            run.all()
        );
    }
    let run = xtask(&["release", "v0.1.0", "--dry-run"]).run();
    assert_contains(&run.stderr, "is not a release version");
}

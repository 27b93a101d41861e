//! `cargo xtask release publish` against the local GitHub: the happy path, every fault
//! GitHub can answer with, a process killed mid-upload, refusals, bad input, and the
//! token kept out of every line printed. Each test ends by checking what the server
//! holds.

mod support;

use std::time::{Duration, Instant};

use camino::Utf8PathBuf;
use fake_github::{Access, AssetState, FakeGitHub, Fault, Release, State, UploadHost};
use sha2::{Digest, Sha256};
use support::{Project, Run, xtask};

const CANARY: &str = "ghs_CANARYpublish0123456789abcdefCANARY";
const ARTIFACTS: [&str; 5] = [
    "kato-linux-x86_64",
    "kato-linux-aarch64",
    "kato-darwin-x86_64",
    "kato-darwin-arm64",
    "kato-windows-x86_64.exe",
];

/// A project at version 0.1.0 in a git repository, real artifacts compiled with its
/// release policy in `dist/` (they pass the audit publishing makes first), and the local
/// GitHub holding its commit.
struct Fixture {
    project: Project,
    server: FakeGitHub,
    commit: String,
}

fn fixture_with(access: Access) -> Fixture {
    fixture_on(access, UploadHost::Separate)
}

fn fixture_on(access: Access, uploads: UploadHost) -> Fixture {
    let project = Project::empty();
    project.write("deno.json", support::AUDITED_CONFIG);
    project.write(
        "CHANGELOG.md",
        "# Changelog\n\n## [0.1.0] - 2026-11-24\n\n- The first release.\n\n## [0.0.1]\n\n- older\n",
    );
    project.init_git();
    let built = support::audited_artifacts();
    let dist = project.path().join("../dist");
    std::fs::create_dir_all(&dist).unwrap();
    for name in ARTIFACTS {
        // Linked, not copied: five artifacts are 400 MB. A test that changes one
        // replaces the link (`rebuild`).
        std::fs::hard_link(built.join(name), dist.join(name)).unwrap();
    }
    let commit = project.git(&["rev-parse", "HEAD"]);
    let mut state = State::new();
    state.add_token(CANARY, access);
    state.add_repo("acme", "kato").add_commit(&commit);
    Fixture {
        project,
        server: FakeGitHub::start_with(state, uploads),
        commit,
    }
}

fn fixture() -> Fixture {
    fixture_with(Access::ContentsWrite)
}

/// The artifact `name` rebuilt with other bytes: a byte appended, which changes its
/// digest and nothing the audit reads.
fn rebuild(fixture: &Fixture, name: &str) {
    let path = fixture.dist().join(name);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.push(0);
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, bytes).unwrap();
}

impl Fixture {
    fn dist(&self) -> Utf8PathBuf {
        self.project.path().join("../dist")
    }

    fn command(&self, extra: &[&str]) -> support::Xtask {
        let dist = self.dist();
        let mut args = vec!["release", "publish", dist.as_str(), "--repo", "acme/kato"];
        args.extend_from_slice(extra);
        xtask(&args)
            .project(&self.project)
            .env("GITHUB_API_URL", self.server.url())
            .env("GITHUB_TOKEN", CANARY)
            .env("XTASK_GITHUB_RETRY_BASE_MS", "1")
    }

    /// Runs `release publish`; no line it prints may hold the token.
    fn publish(&self, extra: &[&str]) -> Run {
        checked(self.command(extra).run())
    }

    /// The release of v0.1.0, the only one.
    fn release(&self) -> Release {
        let state = self.server.state();
        let releases = &state.repo("acme", "kato").unwrap().releases;
        assert_eq!(releases.len(), 1, "{releases:#?}");
        releases[0].clone()
    }

    /// One published release of v0.1.0 at the commit: eight assets (the five
    /// artifacts, install.sh, install.ps1 and SHA256SUMS), each uploaded once,
    /// GitHub's digest equal to the file's; the annotated tag at the commit.
    fn assert_published(&self) {
        let release = self.release();
        assert!(!release.draft, "{release:#?}");
        assert_eq!(release.tag_name, "v0.1.0");
        let mut names: Vec<&str> = release.assets.iter().map(|a| a.name.as_str()).collect();
        names.sort_unstable();
        let mut expected: Vec<&str> = ARTIFACTS
            .iter()
            .copied()
            .chain(["install.sh", "install.ps1", "SHA256SUMS"])
            .collect();
        expected.sort_unstable();
        assert_eq!(names, expected, "{release:#?}");
        for asset in &release.assets {
            assert_eq!(asset.state, AssetState::Uploaded, "{asset:?}");
            let bytes = std::fs::read(self.dist().join(&asset.name)).unwrap();
            assert_eq!(asset.size, bytes.len() as u64);
            assert_eq!(
                asset.digest.as_deref(),
                Some(format!("sha256:{}", hex(&Sha256::digest(&bytes))).as_str()),
                "{}",
                asset.name
            );
        }
        let state = self.server.state();
        let repo = state.repo("acme", "kato").unwrap();
        assert_eq!(repo.ref_commit("tags/v0.1.0"), Some(self.commit.as_str()));
        let tag = &repo.refs["refs/tags/v0.1.0"];
        assert!(repo.tag_objects.contains_key(tag), "an annotated tag");
    }

    fn writes(&self) -> usize {
        self.server.writes().len()
    }

    /// Runs the command that the failed `run` printed to resume, as it is.
    fn resume(&self, run: &Run) -> Run {
        let resume = run
            .stderr
            .lines()
            .skip_while(|line| !line.ends_with("To resume, run:"))
            .nth(1)
            .unwrap_or_else(|| panic!("no command to resume in:\n{}", run.all()))
            .trim()
            .to_owned();
        let args: Vec<&str> = resume.split(' ').skip(2).collect();
        checked(
            xtask(&args)
                .env("GITHUB_API_URL", self.server.url())
                .env("GITHUB_TOKEN", CANARY)
                .env("XTASK_GITHUB_RETRY_BASE_MS", "1")
                .run(),
        )
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[track_caller]
fn checked(run: Run) -> Run {
    assert!(
        !run.all().contains(CANARY),
        "the token was printed:\n{}",
        run.all()
    );
    assert!(
        !run.all().contains("CANARY"),
        "part of the token was printed:\n{}",
        run.all()
    );
    run
}

#[track_caller]
fn assert_contains(haystack: &str, needle: &str) {
    assert!(haystack.contains(needle), "{needle:?} not in:\n{haystack}");
}

#[test]
fn publishes_a_release_with_eight_assets_then_refuses_to_touch_it() {
    let fixture = fixture();
    let outputs = fixture.project.path().join("../github-output");
    let run = checked(
        fixture
            .command(&[])
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_OUTPUT", outputs.as_str())
            .env(
                "GITHUB_STEP_SUMMARY",
                fixture.project.path().join("../summary").as_str(),
            )
            .run(),
    );
    assert_eq!(run.code, 0, "{}", run.all());
    fixture.assert_published();
    // Not a terminal: a plain line per upload, no progress bar.
    let size = std::fs::metadata(fixture.dist().join("kato-linux-x86_64"))
        .unwrap()
        .len() as f64
        / 1e6;
    assert_contains(
        &run.stderr,
        &format!("uploading kato-linux-x86_64 ({size:.1} MB)\n"),
    );
    assert_contains(
        &run.stderr,
        &format!("uploaded kato-linux-x86_64 ({size:.1} MB in "),
    );
    assert!(!run.stderr.contains('\r'), "{}", run.stderr);
    let release = fixture.release();
    // The changelog's section, then what the binaries may do.
    assert_eq!(
        release.body.as_deref(),
        Some(
            "- The first release.\n\n### Permissions\n\nThe binaries are compiled with \
             `--no-prompt --allow-env=HOME`.\n"
        )
    );
    assert_eq!(release.name.as_deref(), Some("kato v0.1.0"));
    assert_contains(
        &run.stdout,
        "published v0.1.0 with 8 assets (8 uploaded, 0 there already): https://github.com/acme/kato/releases/tag/v0.1.0",
    );
    let outputs = std::fs::read_to_string(outputs).unwrap();
    let summary = std::fs::read_to_string(fixture.project.path().join("../summary")).unwrap();
    assert_contains(&summary, "Published [v0.1.0]");
    for written in [&outputs, &summary] {
        assert!(!written.contains("CANARY"), "{written}");
    }
    assert_contains(
        &outputs,
        "url=https://github.com/acme/kato/releases/tag/v0.1.0\n",
    );
    for name in ARTIFACTS {
        assert_contains(&outputs, fixture.dist().join(name).as_str());
    }
    // SHA256SUMS beside the artifacts, checked by sha256sum.
    let check = std::process::Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(fixture.dist())
        .output()
        .unwrap();
    assert!(check.status.success(), "{check:?}");

    fixture.server.clear_requests();
    let again = fixture.publish(&[]);
    assert_eq!(again.code, 2, "{}", again.all());
    assert_contains(&again.stderr, "v0.1.0 is published already");
    assert_contains(&again.stderr, "Nothing was changed on GitHub.");
    assert_eq!(fixture.writes(), 0);
    fixture.assert_published();
}

#[test]
fn a_token_that_github_echoes_in_its_answers_is_written_nowhere() {
    let fixture = fixture();
    fixture.server.state().echo_authorization = true;
    let outputs = fixture.project.path().join("../github-output");
    let summary = fixture.project.path().join("../summary");
    let run = checked(
        fixture
            .command(&[])
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_OUTPUT", outputs.as_str())
            .env("GITHUB_STEP_SUMMARY", summary.as_str())
            .run(),
    );
    assert_eq!(run.code, 0, "{}", run.all());
    fixture.assert_published();
    assert_contains(
        &run.stderr,
        "created the draft https://github.com/acme/kato/releases/tag/untagged-",
    );
    assert_contains(&run.stderr, "#Bearer ***");
    assert_contains(
        &run.stdout,
        "https://github.com/acme/kato/releases/tag/v0.1.0#Bearer ***",
    );
    for path in [&outputs, &summary] {
        let written = std::fs::read_to_string(path).unwrap();
        assert!(!written.contains("CANARY"), "{path}: {written}");
        assert_contains(&written, "v0.1.0#Bearer");
    }

    // A refusal quotes the published release's page: redacted too.
    let again = fixture.publish(&[]);
    assert_eq!(again.code, 2, "{}", again.all());
    assert_contains(
        &again.stderr,
        "v0.1.0 is published already (https://github.com/acme/kato/releases/tag/v0.1.0#Bearer ***)",
    );
}

#[test]
fn notes_come_from_the_commits_when_the_changelog_has_no_section() {
    let fixture = fixture();
    fixture.project.write("CHANGELOG.md", "# Changelog\n");
    fixture.project.commit_all("Drop the old changelog");
    fixture.project.git(&["tag", "v0.0.9", "HEAD"]);
    fixture.project.write("src.ts", "export const x = 1;\n");
    fixture.project.commit_all("Add the control socket");
    let commit = fixture.project.git(&["rev-parse", "HEAD"]);
    fixture
        .server
        .state()
        .repo_mut("acme", "kato")
        .unwrap()
        .add_commit(&commit);
    let run = fixture.publish(&[]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        fixture.release().body.as_deref(),
        Some(
            "Changes since v0.0.9:\n\n- Add the control socket\n\n### Permissions\n\nThe \
             binaries are compiled with `--no-prompt --allow-env=HOME`.\n"
        )
    );
}

/// Publishes with `fault` queued; returns the run.
fn publish_through(fault: Fault) -> (Fixture, Run) {
    let fixture = fixture();
    fixture.server.state().add_fault(fault);
    let run = fixture.publish(&[]);
    (fixture, run)
}

#[test]
fn every_fault_once_is_retried_and_the_release_converges() {
    let faults = [
        (
            "a 500 on a read",
            Fault::on("GET", "/repos/acme/kato/releases/tags/v0.1.0").body("{authorization}"),
        ),
        (
            "a 502 on an upload, leaving a starter asset",
            Fault::on_upload("kato-linux-aarch64").status(502),
        ),
        (
            "a 503 on creating the draft",
            Fault::on("POST", "/repos/acme/kato/releases").status(503),
        ),
        (
            "a secondary rate limit (403, retry-after)",
            Fault::on("POST", "/repos/acme/kato/git/tags").secondary_rate_limit(403, 1),
        ),
        (
            "a 429 with retry-after on an upload",
            Fault::on_upload("SHA256SUMS").secondary_rate_limit(429, 0),
        ),
        (
            "a primary rate limit (x-ratelimit-reset)",
            Fault::on("GET", "/repos/acme/kato/git/ref/tags/v0.1.0").primary_rate_limit(1),
        ),
        (
            "a connection reset mid-upload",
            Fault::on_upload("kato-darwin-arm64").drop_after(20_000),
        ),
        (
            "a slow answer",
            Fault::on("GET", "/repos/acme/kato/releases").slow(Duration::from_millis(300)),
        ),
    ];
    for (what, fault) in faults {
        let started = Instant::now();
        let (fixture, run) = publish_through(fault);
        assert_eq!(run.code, 0, "{what}: {}", run.all());
        fixture.assert_published();
        assert!(
            fixture.server.state().faults.is_empty(),
            "{what}: the fault was not served"
        );
        eprintln!("{what}: {:.2} s", started.elapsed().as_secs_f64());
    }
}

#[test]
fn a_spent_retry_budget_leaves_a_draft_and_the_command_that_resumes_it() {
    let fixture = fixture();
    fixture.server.state().add_fault(
        Fault::on_upload("kato-darwin-x86_64")
            .status(502)
            .times(3)
            .body("upstream saw {authorization}"),
    );
    let run = checked(
        fixture
            .command(&[])
            .env("XTASK_GITHUB_RETRY_ATTEMPTS", "3")
            .run(),
    );
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains(&run.stderr, "gave up after 3 attempts");
    assert_contains(&run.stderr, "upstream saw Bearer ***");
    assert_contains(
        &run.stderr,
        "The release is still a draft (https://github.com/acme/kato/releases/tag/untagged-",
    );
    let release = fixture.release();
    assert!(release.draft);
    assert!(
        release
            .assets
            .iter()
            .any(|a| a.name == "kato-darwin-x86_64" && a.state == AssetState::Starter),
        "{release:#?}"
    );
    // The command it printed resumes: the starter is deleted, the rest uploaded.
    let resume = run
        .stderr
        .lines()
        .skip_while(|line| !line.ends_with("To resume, run:"))
        .nth(1)
        .unwrap()
        .trim()
        .to_owned();
    let expected = format!(
        "cargo xtask release publish {} --repo acme/kato --ref {} --project {}",
        fixture.dist(),
        fixture.commit,
        fixture.project.path()
    );
    assert_eq!(resume, expected);
    let rerun = fixture.resume(&run);
    assert_eq!(rerun.code, 0, "{}", rerun.all());
    assert_contains(&rerun.stderr, "resuming the draft");
    assert_contains(
        &rerun.stderr,
        "deleting the asset kato-darwin-x86_64: it left in state starter",
    );
    fixture.assert_published();
}

#[test]
fn every_fault_until_the_budget_runs_out_leaves_a_draft_that_a_rerun_publishes() {
    // Each kind, on a call made once the draft exists, as often as the three attempts.
    let assets = "/repos/acme/kato/releases/*/assets";
    let upload = "kato-darwin-x86_64";
    let faults = [
        ("a 500 on a read", Fault::on("GET", assets)),
        ("a 502 on an upload", Fault::on_upload(upload).status(502)),
        (
            "a secondary rate limit (403, retry-after)",
            Fault::on_upload(upload).secondary_rate_limit(403, 0),
        ),
        (
            "a 429 with retry-after",
            Fault::on_upload(upload).secondary_rate_limit(429, 0),
        ),
        (
            "a primary rate limit (x-ratelimit-reset)",
            Fault::on("GET", assets).primary_rate_limit(0),
        ),
        (
            "a connection reset mid-upload",
            Fault::on_upload(upload).drop_after(20_000),
        ),
        (
            "an answer slower than the timeout",
            Fault::on("GET", assets).slow(Duration::from_secs(2)),
        ),
    ];
    for (what, fault) in faults {
        let fixture = fixture();
        fixture.server.state().add_fault(fault.times(3));
        let run = checked(
            fixture
                .command(&[])
                .env("XTASK_GITHUB_RETRY_ATTEMPTS", "3")
                .env("XTASK_GITHUB_TIMEOUT_MS", "400")
                .run(),
        );
        assert_eq!(run.code, 1, "{what}: {}", run.all());
        assert_contains(&run.stderr, "The release is still a draft");
        assert!(fixture.release().draft, "{what}");
        assert!(
            fixture.server.state().faults.is_empty(),
            "{what}: not every attempt met the fault"
        );
        let rerun = fixture.resume(&run);
        assert_eq!(rerun.code, 0, "{what}: {}", rerun.all());
        assert_contains(&rerun.stderr, "resuming the draft");
        fixture.assert_published();
    }
}

#[test]
fn an_asset_whose_digest_is_not_the_files_stops_publication() {
    let fixture = fixture();
    fixture
        .server
        .state()
        .add_fault(Fault::on_upload("kato-linux-aarch64").corrupt());
    let run = fixture.publish(&[]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains(&run.stderr, "the draft's assets are not the files released");
    assert_contains(&run.stderr, "kato-linux-aarch64");
    assert_contains(&run.stderr, "The release is still a draft");
    assert!(fixture.release().draft);
    // The rerun replaces the asset that holds other bytes, then publishes.
    let rerun = fixture.resume(&run);
    assert_eq!(rerun.code, 0, "{}", rerun.all());
    assert_contains(
        &rerun.stderr,
        "deleting the asset kato-linux-aarch64: it holds other bytes",
    );
    fixture.assert_published();
}

#[test]
fn uploads_on_the_api_host_as_on_github_enterprise() {
    let fixture = fixture_on(Access::ContentsWrite, UploadHost::SameAsApi);
    let run = fixture.publish(&[]);
    assert_eq!(run.code, 0, "{}", run.all());
    fixture.assert_published();
    let uploads = fixture
        .server
        .requests()
        .into_iter()
        .filter(|request| request.path.ends_with("/assets") && request.method == "POST")
        .count();
    assert_eq!(uploads, 8);
}

#[test]
fn the_token_goes_over_tls_only_and_to_the_api_or_its_upload_host() {
    let fixture = fixture();
    let run = checked(
        fixture
            .command(&[])
            .env("GITHUB_API_URL", "http://ghe.example/api/v3")
            .run(),
    );
    assert_eq!(run.code, 2, "{}", run.all());
    assert_contains(
        &run.stderr,
        "GITHUB_API_URL is \"http://ghe.example/api/v3\", which is not an API base (http:// \
         would send the token in cleartext",
    );
    assert!(fixture.server.requests().is_empty());

    // The draft names the upload listener under another host name.
    let elsewhere = fixture
        .server
        .upload_url()
        .replace("127.0.0.1", "localhost");
    fixture.server.state().upload_url_base = Some(elsewhere);
    let run = fixture.publish(&[]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains(
        &run.stderr,
        "was not sent: the release's upload_url names the host localhost, which is not the \
         API's host (127.0.0.1): the token is not sent there",
    );
    assert_contains(&run.stderr, "The release is still a draft");
    let uploads = |fixture: &Fixture| {
        fixture
            .server
            .requests()
            .iter()
            .filter(|request| request.method == "POST" && request.path.ends_with("/assets"))
            .count()
    };
    assert_eq!(uploads(&fixture), 0, "an upload was sent");

    // Once the draft names GitHub's upload host again, the rerun publishes.
    fixture.server.state().upload_url_base = None;
    let rerun = fixture.resume(&run);
    assert_eq!(rerun.code, 0, "{}", rerun.all());
    fixture.assert_published();
    assert_eq!(uploads(&fixture), 8);
}

#[test]
fn a_draft_holding_other_bytes_or_other_files_is_put_right() {
    let fixture = fixture();
    // A first run stops after two uploads, leaving a draft.
    fixture
        .server
        .state()
        .add_fault(Fault::on_upload("kato-darwin-x86_64").status(500).times(5));
    let first = fixture
        .command(&[])
        .env("XTASK_GITHUB_RETRY_ATTEMPTS", "2")
        .run();
    assert_eq!(checked(first).code, 1);
    let draft_id = fixture.release().id;
    // The artifacts are rebuilt with other bytes, and a stray file sits on the draft.
    rebuild(&fixture, "kato-linux-x86_64");
    {
        let mut state = fixture.server.state();
        state.faults.clear();
        let release = state
            .repo_mut("acme", "kato")
            .unwrap()
            .releases
            .iter_mut()
            .find(|release| release.id == draft_id)
            .unwrap();
        let mut extra = release.assets[0].clone();
        extra.id += 1000;
        extra.name = "kato-freebsd-x86_64".into();
        release.assets.push(extra);
    }
    let run = fixture.publish(&[]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_contains(
        &run.stderr,
        "deleting the asset kato-linux-x86_64: it holds other bytes",
    );
    assert_contains(
        &run.stderr,
        "deleting the asset kato-freebsd-x86_64: it is not one of the files released",
    );
    fixture.assert_published();
}

#[test]
fn killed_in_the_middle_of_the_third_upload_a_rerun_converges() {
    let fixture = fixture();
    fixture.server.state().upload_throttle = Some(64 << 20);
    let mut child = fixture.command(&[]).spawn();
    let third = ARTIFACTS[2];
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let open = fixture
            .server
            .state()
            .repo("acme", "kato")
            .unwrap()
            .releases
            .iter()
            .any(|release| {
                release.assets.iter().any(|asset| {
                    asset.name == third && asset.state == AssetState::Open && asset.size == 0
                })
            });
        if open {
            break;
        }
        assert!(Instant::now() < deadline, "the third upload never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
    child.kill().unwrap(); // SIGKILL
    let output = child.wait_with_output().unwrap();
    for printed in [&output.stdout, &output.stderr] {
        assert!(!String::from_utf8_lossy(printed).contains("CANARY"));
    }
    // The server sees the body end early: the asset holds its name, as on GitHub.
    let deadline = Instant::now() + Duration::from_secs(10);
    while fixture
        .release()
        .assets
        .iter()
        .any(|a| a.state == AssetState::Open)
    {
        assert!(
            Instant::now() < deadline,
            "the upload never ended: {:#?}",
            fixture.release()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let release = fixture.release();
    assert!(release.draft);
    assert_eq!(release.assets.len(), 3, "{release:#?}");
    assert_eq!(release.assets[2].state, AssetState::Starter);

    fixture.server.state().upload_throttle = None;
    let rerun = fixture.publish(&[]);
    assert_eq!(rerun.code, 0, "{}", rerun.all());
    assert_contains(
        &rerun.stderr,
        "kato-linux-x86_64 is uploaded already, same digest: skipped",
    );
    assert_contains(&rerun.stdout, "(6 uploaded, 2 there already)");
    fixture.assert_published();
}

#[test]
fn a_redirect_is_an_error_naming_it_and_is_not_followed() {
    let fixture = fixture();
    fixture.server.state().add_fault(
        Fault::on("GET", "/repos/acme/kato/releases/tags/v0.1.0")
            .status(302)
            .header("location", "https://elsewhere.example/releases/v0.1.0")
            .body(""),
    );
    let run = fixture.publish(&[]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert_contains(
        &run.stderr,
        "GET /repos/acme/kato/releases/tags/v0.1.0 answered 302, a redirect to \
         https://elsewhere.example/releases/v0.1.0, which is not followed",
    );
    assert!(!run.stderr.contains("published already"), "{}", run.all());
    assert_contains(&run.stderr, "Nothing was changed on GitHub.");
    assert_eq!(fixture.server.requests().len(), 1);
}

#[test]
fn a_listing_without_end_stops_after_a_thousand_releases() {
    let fixture = fixture();
    fixture.server.state().endless_pages = true;
    let started = Instant::now();
    let run = fixture.publish(&[]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert_contains(
        &run.stderr,
        "GET /repos/acme/kato/releases?per_page=100&page=11 answered 200, which cannot be \
         used: the listing goes on past 1000 items (10 pages of 100): reading stops there",
    );
    assert_contains(&run.stderr, "Nothing was changed on GitHub.");
    let pages = fixture
        .server
        .requests()
        .iter()
        .filter(|request| request.path == "/repos/acme/kato/releases")
        .count();
    assert_eq!(pages, 11);
    assert_eq!(fixture.writes(), 0);
    eprintln!("{pages} pages in {:.2} s", started.elapsed().as_secs_f64());
}

/// The lines of `log` that the Actions runner would run as workflow commands: outside
/// `::stop-commands::` fences, each line that reads as one.
fn commands_run(log: &str) -> Vec<String> {
    let mut run = Vec::new();
    let mut fence: Option<String> = None;
    for line in log.split(['\n', '\r']) {
        match &fence {
            Some(end) if line.trim() == end => fence = None,
            Some(_) => {}
            None => {
                if let Some(token) = line.trim().strip_prefix("::stop-commands::") {
                    fence = Some(format!("::{token}::"));
                } else if github_actions::reads_as_command(line) {
                    run.push(line.to_owned());
                }
            }
        }
    }
    run
}

#[test]
fn asset_names_from_github_cannot_run_workflow_commands() {
    let fixture = fixture();
    // A first run leaves a draft.
    fixture
        .server
        .state()
        .add_fault(Fault::on_upload("kato-darwin-x86_64").status(500).times(2));
    let first = fixture
        .command(&[])
        .env("XTASK_GITHUB_RETRY_ATTEMPTS", "2")
        .run();
    assert_eq!(checked(first).code, 1);
    let hostile = [
        "evil\n::error title=pwned::owned",
        "::add-mask::x",
        "see ##[error]owned",
        "tty\u{1b}]0;title\u{7}",
    ];
    {
        let mut state = fixture.server.state();
        let release = &mut state.repo_mut("acme", "kato").unwrap().releases[0];
        for (n, name) in hostile.iter().enumerate() {
            let mut stray = release.assets[0].clone();
            stray.id += 1000 + n as u64;
            stray.name = (*name).to_owned();
            release.assets.push(stray);
        }
    }
    let run = checked(fixture.command(&[]).env("GITHUB_ACTIONS", "true").run());
    assert_eq!(run.code, 0, "{}", run.all());
    fixture.assert_published();
    for stream in [&run.stdout, &run.stderr] {
        assert_eq!(commands_run(stream), Vec::<String>::new(), "{}", run.all());
        assert!(
            !stream.contains('\u{1b}') && !stream.contains('\u{7}'),
            "{stream:?}"
        );
    }
    assert_contains(
        &run.stderr,
        "deleting the asset evil\\n::error title=pwned::owned: it is not one of the files released\n",
    );
    assert_contains(
        &run.stderr,
        "deleting the asset tty\\u{1b}]0;title\\u{7}: it is",
    );
    assert_contains(&run.stderr, "::stop-commands::");

    // Outside GitHub Actions the lines are escaped, and not fenced.
    let fixture = fixture_with(Access::ContentsWrite);
    fixture
        .server
        .state()
        .add_fault(Fault::on_upload("kato-darwin-x86_64").status(500).times(2));
    let first = fixture
        .command(&[])
        .env("XTASK_GITHUB_RETRY_ATTEMPTS", "2")
        .run();
    assert_eq!(checked(first).code, 1);
    {
        let mut state = fixture.server.state();
        let release = &mut state.repo_mut("acme", "kato").unwrap().releases[0];
        let mut stray = release.assets[0].clone();
        stray.id += 1000;
        stray.name = hostile[0].to_owned();
        release.assets.push(stray);
    }
    let run = fixture.publish(&[]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(!run.stderr.contains("::stop-commands::"), "{}", run.all());
    assert!(!run.stderr.contains("\n::error"), "{}", run.all());
}

#[test]
fn an_answer_of_the_wrong_type_is_an_error_and_a_rerun_makes_no_second_draft() {
    let fixture = fixture();
    // The tag is there already: the draft is the run's first change.
    let tag_sha = "a".repeat(40);
    {
        let mut state = fixture.server.state();
        let repo = state.repo_mut("acme", "kato").unwrap();
        repo.tag_objects.insert(
            tag_sha.clone(),
            fake_github::TagObject {
                sha: tag_sha.clone(),
                tag: "v0.1.0".into(),
                message: "kato v0.1.0".into(),
                object_sha: fixture.commit.clone(),
                object_type: "commit".into(),
            },
        );
        repo.refs.insert("refs/tags/v0.1.0".into(), tag_sha);
    }
    fixture.server.state().ids_as_strings = true;
    let run = fixture.publish(&[]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains(
        &run.stderr,
        "POST /repos/acme/kato/releases answered 201, which cannot be used: the release has \
         `id` \"",
    );
    assert_contains(&run.stderr, "\" (a string), not a number");
    assert!(!run.stderr.contains("Nothing was changed"), "{}", run.all());
    assert!(
        !run.stderr.contains("No release was created"),
        "{}",
        run.all()
    );
    assert_contains(&run.stderr, "To resume, run:");

    // The rerun cannot read the listing either: an error, and no second draft.
    fixture.server.clear_requests();
    let rerun = fixture.publish(&[]);
    assert_eq!(rerun.code, 2, "{}", rerun.all());
    assert_contains(
        &rerun.stderr,
        "GET /repos/acme/kato/releases answered 200, which cannot be used: release 1 of the \
         listing has `id` \"",
    );
    assert_contains(&rerun.stderr, "Nothing was changed on GitHub.");
    assert_eq!(fixture.writes(), 0);
    assert_eq!(fixture.release().tag_name, "v0.1.0");

    // Once GitHub answers as it should, the draft is resumed and published.
    fixture.server.state().ids_as_strings = false;
    let last = fixture.publish(&[]);
    assert_eq!(last.code, 0, "{}", last.all());
    assert_contains(&last.stderr, "resuming the draft");
    fixture.assert_published();
}

#[test]
fn a_tag_at_another_commit_is_refused_and_nothing_changes() {
    let fixture = fixture();
    let other = "0123456789abcdef0123456789abcdef01234567";
    {
        let mut state = fixture.server.state();
        let repo = state.repo_mut("acme", "kato").unwrap();
        repo.commits.insert(other.to_owned());
        repo.refs.insert("refs/tags/v0.1.0".into(), other.into());
    }
    let run = fixture.publish(&[]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert_contains(
        &run.stderr,
        "the tag v0.1.0 on GitHub points at 0123456789ab, not at",
    );
    assert_eq!(fixture.writes(), 0);
}

#[test]
fn a_read_only_token_is_told_the_permission_it_needs() {
    let fixture = fixture_with(Access::ReadOnlyIntegration);
    let run = fixture.publish(&[]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert_contains(&run.stderr, "the token may not write releases of acme/kato");
    assert_contains(&run.stderr, "Resource not accessible by integration");
    assert_contains(&run.stderr, "`permissions: contents: write`");
    assert_contains(&run.stderr, "Nothing was changed on GitHub.");
    let state = fixture.server.state();
    let repo = state.repo("acme", "kato").unwrap();
    assert!(repo.releases.is_empty() && repo.tag_objects.is_empty());
}

#[test]
fn a_dry_run_reads_and_changes_nothing() {
    let fixture = fixture();
    let run = fixture.publish(&["--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_contains(&run.stdout, "dry run: nothing is changed.");
    assert_contains(
        &run.stdout,
        "GitHub has no tag and no draft; so publishing would call:",
    );
    assert_contains(&run.stdout, "POST /repos/acme/kato/git/tags");
    assert_contains(
        &run.stdout,
        "POST <upload_url>?name=kato-windows-x86_64.exe",
    );
    assert_contains(
        &run.stdout,
        r#"PATCH /repos/acme/kato/releases/<id>  {"draft":false,"make_latest":"true","prerelease":false}"#,
    );
    assert_contains(
        &run.stdout,
        r#""draft":true,"name":"kato v0.1.0","prerelease":false"#,
    );
    assert_contains(&run.stdout, "POST <upload_url>?name=install.sh");
    // The notes, whole.
    assert_contains(
        &run.stdout,
        "the release, titled \"kato v0.1.0\", would say:\n  | - The first release.\n  |\n  | \
         ### Permissions\n",
    );
    assert_eq!(fixture.writes(), 0);
}

/// The calls of a dry run, as (method, path), `<id>` and `<upload_url>` put in by what
/// the real run made.
fn planned(dry: &Run) -> Vec<(String, String)> {
    dry.stdout
        .lines()
        .skip_while(|line| !line.ends_with("publishing would call:"))
        .skip(1)
        .take_while(|line| line.starts_with("  ") && !line.starts_with("  ("))
        .map(|line| {
            let mut words = line.split_whitespace();
            let method = words.next().unwrap().to_owned();
            (method, words.next().unwrap().to_owned())
        })
        .collect()
}

/// The requests a run made that its dry run plans, as (method, path): every write, and
/// the listing that verifies the assets (the one after the last upload).
fn made(requests: &[fake_github::Recorded]) -> Vec<(String, String)> {
    let reads_first = requests
        .iter()
        .position(|request| request.is_write())
        .unwrap_or(requests.len());
    requests[reads_first..]
        .iter()
        .filter(|request| request.is_write() || request.path.ends_with("/assets"))
        .map(|request| {
            let path = match &request.query {
                Some(query) if request.method == "POST" && request.path.ends_with("/assets") => {
                    format!("{}?{query}", request.path)
                }
                _ => request.path.clone(),
            };
            (request.method.clone(), path)
        })
        .collect()
}

/// What a real publication calls is the list its dry run printed: for a fresh release,
/// and for a draft to resume that holds a stray file and one of the files already.
#[test]
fn a_publication_makes_the_calls_its_dry_run_printed() {
    let fixture = fixture();
    let dry = fixture.publish(&["--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.all());
    fixture.server.clear_requests();
    let run = fixture.publish(&[]);
    assert_eq!(run.code, 0, "{}", run.all());
    let id = fixture.release().id;
    let expected: Vec<(String, String)> = planned(&dry)
        .into_iter()
        .map(|(method, path)| {
            let path = path.replace("<id>", &id.to_string()).replace(
                "<upload_url>",
                &format!("/repos/acme/kato/releases/{id}/assets"),
            );
            (method, path)
        })
        .collect();
    assert_eq!(expected.len(), 13, "{}", dry.stdout);
    assert_eq!(made(&fixture.server.requests()), expected);

    // A draft left by a run that stopped after two uploads, and a stray file on it.
    let fixture = fixture_of_a_draft();
    let dry = fixture.publish(&["--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.all());
    assert_contains(&dry.stdout, "and the draft ");
    assert_contains(
        &dry.stdout,
        "(kato-linux-x86_64 is uploaded already, same digest: kept)",
    );
    assert_contains(
        &dry.stdout,
        "kato-freebsd-x86_64 is not one of the files released)",
    );
    fixture.server.clear_requests();
    let run = fixture.publish(&[]);
    assert_eq!(run.code, 0, "{}", run.all());
    let expected: Vec<(String, String)> = planned(&dry)
        .into_iter()
        .map(|(method, path)| {
            (
                method,
                path.replace("http://127.0.0.1", "")
                    .split_once("/repos")
                    .map(|(_, rest)| format!("/repos{rest}"))
                    .unwrap_or(path),
            )
        })
        .collect();
    assert_eq!(made(&fixture.server.requests()), expected);
    fixture.assert_published();
}

/// A fixture whose draft holds two of the files and a stray one: a run stopped by a
/// spent retry budget on the third upload.
fn fixture_of_a_draft() -> Fixture {
    let fixture = fixture();
    fixture
        .server
        .state()
        .add_fault(Fault::on_upload("kato-darwin-x86_64").status(500).times(5));
    let first = fixture
        .command(&[])
        .env("XTASK_GITHUB_RETRY_ATTEMPTS", "2")
        .run();
    assert_eq!(checked(first).code, 1);
    let mut state = fixture.server.state();
    state.faults.clear();
    let release = &mut state.repo_mut("acme", "kato").unwrap().releases[0];
    let mut stray = release.assets[0].clone();
    stray.id += 1000;
    stray.name = "kato-freebsd-x86_64".into();
    release.assets.push(stray);
    drop(state);
    fixture
}

/// A release candidate is published as a pre-release and never made Latest; the release
/// after it is.
#[test]
fn a_pre_release_is_marked_so_and_not_made_latest() {
    let fixture = fixture();
    let config = support::AUDITED_CONFIG.replace("\"0.1.0\"", "\"1.2.0-rc.1\"");
    fixture.project.write("deno.json", &config);
    fixture.project.write(
        "CHANGELOG.md",
        "# Changelog\n\n## [1.2.0-rc.1]\n\n- A candidate.\n",
    );
    fixture.project.commit_all("1.2.0-rc.1");
    let commit = fixture.project.git(&["rev-parse", "HEAD"]);
    fixture
        .server
        .state()
        .repo_mut("acme", "kato")
        .unwrap()
        .add_commit(&commit);
    let dry = fixture.publish(&["--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.all());
    assert_contains(
        &dry.stdout,
        r#"{"draft":false,"make_latest":"false","prerelease":true}"#,
    );
    assert_contains(&dry.stdout, r#""prerelease":true"#);

    let run = fixture.publish(&[]);
    assert_eq!(run.code, 0, "{}", run.all());
    let state = fixture.server.state();
    let repo = state.repo("acme", "kato").unwrap();
    let release = &repo.releases[0];
    assert_eq!(release.tag_name, "v1.2.0-rc.1");
    assert!(release.prerelease && !release.draft, "{release:#?}");
    assert_eq!(release.name.as_deref(), Some("kato v1.2.0-rc.1"));
    assert_eq!(repo.latest, None, "a pre-release is never Latest");
    drop(state);

    fixture.project.write(
        "deno.json",
        support::AUDITED_CONFIG
            .replace("\"0.1.0\"", "\"1.2.0\"")
            .as_str(),
    );
    fixture
        .project
        .write("CHANGELOG.md", "# Changelog\n\n## [1.2.0]\n\n- Out.\n");
    fixture.project.commit_all("1.2.0");
    let commit = fixture.project.git(&["rev-parse", "HEAD"]);
    fixture
        .server
        .state()
        .repo_mut("acme", "kato")
        .unwrap()
        .add_commit(&commit);
    let run = fixture.publish(&[]);
    assert_eq!(run.code, 0, "{}", run.all());
    let state = fixture.server.state();
    let repo = state.repo("acme", "kato").unwrap();
    let release = repo
        .releases
        .iter()
        .find(|r| r.tag_name == "v1.2.0")
        .unwrap();
    assert!(!release.prerelease);
    assert_eq!(repo.latest, Some(release.id));
}

#[test]
fn bad_input_is_named_and_changes_nothing() {
    let fixture = fixture();
    let dist = fixture.dist();

    let missing = fixture.project.path().join("../nowhere");
    let run = checked(
        xtask(&[
            "release",
            "publish",
            missing.as_str(),
            "--repo",
            "acme/kato",
        ])
        .project(&fixture.project)
        .env("GITHUB_API_URL", fixture.server.url())
        .env("GITHUB_TOKEN", CANARY)
        .run(),
    );
    assert_eq!(run.code, 2, "{}", run.all());
    assert_contains(&run.stderr, "is not a directory");

    let run = checked(
        xtask(&["release", "publish", dist.as_str(), "--repo", "not a repo"])
            .project(&fixture.project)
            .env("GITHUB_API_URL", fixture.server.url())
            .env("GITHUB_TOKEN", CANARY)
            .run(),
    );
    assert_eq!(run.code, 2, "{}", run.all());
    assert_contains(&run.stderr, "not a repo");

    let run = checked(fixture.command(&[]).env_remove("GITHUB_TOKEN").run());
    assert_eq!(run.code, 2, "{}", run.all());
    assert_contains(
        &run.stderr,
        "no GitHub token: set GITHUB_TOKEN (or GH_TOKEN)",
    );

    let run = fixture.publish(&["--ref", "no-such-branch"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert_contains(
        &run.stderr,
        "no-such-branch is not a commit of the git repository",
    );

    std::fs::create_dir_all(dist.join("kato-darwin-arm64-dir")).unwrap();
    std::fs::copy(
        dist.join("kato-darwin-arm64"),
        dist.join("kato-darwin-arm64-dir/kato-darwin-arm64"),
    )
    .unwrap();
    std::fs::remove_file(dist.join("kato-linux-x86_64")).unwrap();
    let run = fixture.publish(&[]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert_contains(
        &run.stderr,
        &format!("{dist} does not hold the artifacts to publish (nothing was published):"),
    );
    assert_contains(&run.stderr, "- kato-linux-x86_64 is missing");
    assert_contains(&run.stderr, "- kato-darwin-arm64 is there 2 times");

    assert!(fixture.server.requests().is_empty());
}

/// Publishing audits every artifact before it asks GitHub anything, as `release build`
/// does: a shell script under an artifact's name and a binary compiled with -A are
/// refused, each named, and the server sees no request.
#[test]
fn artifacts_that_fail_the_audit_are_refused_before_github_is_asked() {
    let fixture = fixture();
    let dist = fixture.dist();
    std::fs::remove_file(dist.join("kato-linux-x86_64")).unwrap();
    std::fs::write(dist.join("kato-linux-x86_64"), "#!/bin/sh\necho kato\n").unwrap();
    std::fs::remove_file(dist.join("kato-darwin-arm64")).unwrap();
    fixture.project.write("main.ts", "console.log(\"kato\");\n");
    let denort = support::denort_dir().join("aarch64-apple-darwin/deno");
    let output = dist.join("kato-darwin-arm64");
    let compiled = std::process::Command::new(support::deno())
        .args([
            "compile",
            "--no-check",
            "-A",
            "--target",
            "aarch64-apple-darwin",
        ])
        .arg(format!("--output={output}"))
        .arg("main.ts")
        .current_dir(fixture.project.path())
        .env("DENORT_BIN", denort.as_str())
        .output()
        .unwrap();
    assert!(compiled.status.success(), "{compiled:?}");

    for extra in [&[][..], &["--dry-run"][..]] {
        let run = fixture.publish(extra);
        assert_eq!(run.code, 2, "{}", run.all());
        assert_contains(
            &run.stderr,
            &format!(
                "the audit refused the artifacts below against permissions.default of {} \
                 (nothing was published):",
                fixture.project.path().join("deno.json")
            ),
        );
        assert_contains(
            &run.stderr,
            "\n  - kato-linux-x86_64: it is not an ELF, Mach-O or PE file, not the ELF x86-64 a \
             x86_64-unknown-linux-gnu binary is",
        );
        assert_contains(
            &run.stderr,
            "\n  - kato-darwin-arm64: it grants everything: ",
        );
        assert!(!run.stdout.contains("dry run"), "{}", run.all());
    }
    assert!(fixture.server.requests().is_empty());
}

/// The artifacts' directory as actions/download-artifact lays it out, one directory per
/// artifact, is read as well.
#[test]
fn artifacts_in_directories_of_their_own() {
    let fixture = fixture();
    let dist = fixture.dist();
    for name in ARTIFACTS {
        let dir: Utf8PathBuf = dist.join(format!("{name}-artifact"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::rename(dist.join(name), dir.join(name)).unwrap();
    }
    let run = fixture.publish(&[]);
    assert_eq!(run.code, 0, "{}", run.all());
    let release = fixture.release();
    assert_eq!(release.assets.len(), 8);
}

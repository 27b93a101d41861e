//! `cargo xtask github setup` against the fake GitHub: what it leaves behind, the requests
//! it makes, and what it says. No run may print a token.

mod support;

use std::collections::BTreeMap;

use camino::Utf8Path;
use fake_github::{
    Access, BranchPolicy, DeploymentBranchPolicy, Environment, FakeGitHub, Fault, Protection,
    PullRequestReviews, Reviewer, State, StatusChecks,
};
use serde_json::json;
use support::{Run, xtask};

/// An admin's token; every run's output is searched for it and the others.
const CANARY: &str = "ghp_CANARYsetupAdmin0123456789abcdefCANARY";
const READ_ONLY: &str = "ghs_CANARYreadOnly0123456789abcdefCANARY";
const COLLABORATOR: &str = "ghp_CANARYcollaborator0123456789CANARY";
const ADMINISTRATION_READ: &str = "github_pat_CANARYadministrationRead0123CANARY";
const TOKENS: [&str; 4] = [CANARY, READ_ONLY, COLLABORATOR, ADMINISTRATION_READ];

const CHECKS: [&str; 3] = ["Rust checks", "Quality gate", "Coverage"];

struct Fixture {
    server: FakeGitHub,
    alice: u64,
    team: u64,
    /// A directory outside any git repository, to run in.
    dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let mut state = State::new();
    state.add_token(CANARY, Access::Admin);
    state.add_token(READ_ONLY, Access::ReadOnlyIntegration);
    state.add_token(COLLABORATOR, Access::Collaborator);
    state.add_token(ADMINISTRATION_READ, Access::AdministrationRead);
    state.add_org("acme");
    state.add_repo("acme", "kato");
    let alice = state.add_user("alice");
    let team = state.add_team("acme", "release-managers", "Release managers");
    Fixture {
        server: FakeGitHub::start(state),
        alice,
        team,
        dir: tempfile::tempdir().unwrap(),
    }
}

impl Fixture {
    fn dir(&self) -> &Utf8Path {
        Utf8Path::from_path(self.dir.path()).unwrap()
    }

    /// `cargo xtask github setup <args>` with `token` as GITHUB_TOKEN.
    fn setup(&self, token: &str, args: &[&str]) -> Run {
        self.setup_with(args, &[("GITHUB_TOKEN", token)], self.dir())
    }

    fn setup_with(&self, args: &[&str], env: &[(&str, &str)], dir: &Utf8Path) -> Run {
        let mut all = vec!["github", "setup"];
        all.extend(args);
        let mut command = xtask(&all)
            .env("GITHUB_API_URL", self.server.url())
            .current_dir(dir);
        for (name, value) in env {
            command = command.env(name, value);
        }
        checked(command.run())
    }

    fn protection(&self) -> Option<Protection> {
        let state = self.server.state();
        state
            .repo("acme", "kato")
            .unwrap()
            .protections
            .get("main")
            .cloned()
    }

    fn environments(&self) -> BTreeMap<String, Environment> {
        let state = self.server.state();
        state.repo("acme", "kato").unwrap().environments.clone()
    }

    fn writes(&self) -> Vec<String> {
        self.server
            .writes()
            .iter()
            .map(|request| format!("{} {} {}", request.method, request.path, request.status))
            .collect()
    }
}

/// The run, after checking that no token shows in what it printed.
fn checked(run: Run) -> Run {
    for token in TOKENS {
        assert!(
            !run.stdout.contains(token) && !run.stderr.contains(token),
            "a token was printed:\n{}",
            run.all().replace(token, "<TOKEN>")
        );
    }
    run
}

const REVIEWERS: [&str; 4] = ["--reviewer", "alice", "--reviewer", "acme/release-managers"];

fn with_reviewers<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["--repo", "acme/kato"];
    all.extend(REVIEWERS);
    all.extend(args);
    all
}

#[test]
fn first_run_sets_up_everything_and_a_second_changes_nothing() {
    let fixture = fixture();
    let run = fixture.setup(CANARY, &with_reviewers(&[]));
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        fixture.writes(),
        [
            "PUT /repos/acme/kato/branches/main/protection 200",
            "PUT /repos/acme/kato/environments/release 200",
            "POST /repos/acme/kato/environments/release/deployment-branch-policies 200",
            "POST /repos/acme/kato/environments/release/deployment-branch-policies 200",
        ]
    );
    assert!(
        run.stdout
            .contains("acme/kato (from --repo) through http://127.0.0.1:")
    );
    assert!(
        run.stdout.contains(
            "protect main: require the checks Rust checks, Quality gate, Coverage with the \
             branch up to date; pull requests with 1 approving review; administrators \
             included; no force pushes; no deletion\n"
        ),
        "{}",
        run.all()
    );
    assert!(
        run.stdout.ends_with("4 changes made to acme/kato\n"),
        "{}",
        run.all()
    );

    let protection = fixture.protection().expect("main is protected");
    assert_eq!(
        protection,
        Protection {
            required_status_checks: Some(StatusChecks {
                strict: true,
                checks: CHECKS
                    .iter()
                    .map(|check| (check.to_string(), None))
                    .collect(),
            }),
            enforce_admins: true,
            required_pull_request_reviews: Some(PullRequestReviews {
                required_approving_review_count: 1,
                ..PullRequestReviews::default()
            }),
            restrictions: None,
            allow_force_pushes: false,
            allow_deletions: false,
            ..Protection::default()
        }
    );
    let environments = fixture.environments();
    let release = &environments["release"];
    assert_eq!(
        release.reviewers,
        [Reviewer::User(fixture.alice), Reviewer::Team(fixture.team)]
    );
    assert_eq!(
        release.deployment_branch_policy,
        Some(DeploymentBranchPolicy {
            protected_branches: false,
            custom_branch_policies: true
        })
    );
    let policies: Vec<(&str, &str)> = release
        .branch_policies
        .iter()
        .map(|policy| (policy.name.as_str(), policy.kind.as_str()))
        .collect();
    assert_eq!(policies, [("main", "branch"), ("v*", "tag")]);

    fixture.server.clear_requests();
    let again = fixture.setup(CANARY, &with_reviewers(&[]));
    assert_eq!(again.code, 0, "{}", again.all());
    assert_eq!(fixture.writes(), Vec::<String>::new());
    assert!(
        again.stdout.contains(
            "nothing to change: the protection of main and the environment release are as \
             required"
        ),
        "{}",
        again.all()
    );
    // Without --reviewer the environment keeps the reviewers it has.
    let kept = fixture.setup(CANARY, &["--repo", "acme/kato"]);
    assert_eq!(kept.code, 0, "{}", kept.all());
    assert!(kept.stdout.contains("nothing to change"), "{}", kept.all());
    assert_eq!(fixture.writes(), Vec::<String>::new());
}

#[test]
fn dry_run_prints_the_calls_and_makes_none() {
    let fixture = fixture();
    let run = fixture.setup(CANARY, &with_reviewers(&["--dry-run"]));
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(fixture.writes(), Vec::<String>::new());
    assert!(fixture.protection().is_none());
    assert!(fixture.environments().is_empty());
    let out = &run.stdout;
    assert!(
        out.contains("dry run, nothing is changed: these 4 calls would be made\n"),
        "{out}"
    );
    for line in [
        "PUT /repos/acme/kato/branches/main/protection\n{\n",
        "PUT /repos/acme/kato/environments/release\n{\n",
        "POST /repos/acme/kato/environments/release/deployment-branch-policies\n{\n",
        "\"strict\": true",
        "\"context\": \"Quality gate\"",
        "\"enforce_admins\": true",
        "\"required_approving_review_count\": 1",
        "\"allow_force_pushes\": false",
        &format!("\"id\": {}", fixture.alice),
        &format!("\"id\": {}", fixture.team),
        "\"custom_branch_policies\": true",
        "\"name\": \"v*\"",
        "\"type\": \"tag\"",
    ] {
        assert!(out.contains(line), "{line:?} missing from\n{out}");
    }
    // The reads were made: that is how the plan knows what differs.
    let reads: Vec<String> = fixture
        .server
        .requests()
        .iter()
        .map(|request| format!("{} {}", request.method, request.path))
        .collect();
    assert_eq!(
        reads,
        [
            "GET /repos/acme/kato",
            "GET /repos/acme/kato/branches/main/protection",
            "GET /repos/acme/kato/environments/release",
            "GET /users/alice",
            "GET /orgs/acme/teams/release-managers",
        ]
    );
}

#[test]
fn only_what_differs_is_changed_and_other_settings_stay() {
    let fixture = fixture();
    {
        let mut state = fixture.server.state();
        let (alice, policy_id) = (fixture.alice, 1);
        let repo = state.repo_mut("acme", "kato").unwrap();
        repo.protections.insert(
            "main".into(),
            Protection {
                required_status_checks: Some(StatusChecks {
                    strict: true,
                    checks: vec![
                        ("Rust checks".into(), Some(15368)),
                        ("Quality gate".into(), None),
                        ("legacy".into(), None),
                    ],
                }),
                enforce_admins: true,
                required_pull_request_reviews: Some(PullRequestReviews {
                    required_approving_review_count: 2,
                    dismiss_stale_reviews: true,
                    ..PullRequestReviews::default()
                }),
                required_linear_history: true,
                allow_force_pushes: true,
                ..Protection::default()
            },
        );
        repo.environments.insert(
            "release".into(),
            Environment {
                id: 1,
                name: "release".into(),
                wait_timer: 10,
                prevent_self_review: true,
                reviewers: vec![Reviewer::User(alice)],
                deployment_branch_policy: Some(DeploymentBranchPolicy {
                    protected_branches: false,
                    custom_branch_policies: true,
                }),
                branch_policies: vec![
                    BranchPolicy {
                        id: policy_id,
                        name: "release/*".into(),
                        kind: "branch".into(),
                    },
                    BranchPolicy {
                        id: 2,
                        name: "main".into(),
                        kind: "branch".into(),
                    },
                ],
            },
        );
    }
    let run = fixture.setup(
        CANARY,
        &[
            "--repo",
            "acme/kato",
            "--reviewer",
            "alice",
            "--required-approvals",
            "2",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        fixture.writes(),
        [
            "PUT /repos/acme/kato/branches/main/protection 200",
            "DELETE /repos/acme/kato/environments/release/deployment-branch-policies/1 204",
            "POST /repos/acme/kato/environments/release/deployment-branch-policies 200",
        ]
    );
    assert!(
        run.stdout.contains(
            "update the protection of main: require Coverage; stop requiring legacy; forbid \
             force pushes\n"
        ),
        "{}",
        run.all()
    );
    let protection = fixture.protection().unwrap();
    let checks = protection.required_status_checks.unwrap().checks;
    assert_eq!(
        checks,
        [
            ("Rust checks".to_owned(), Some(15368)),
            ("Quality gate".to_owned(), None),
            ("Coverage".to_owned(), None),
        ]
    );
    assert!(!protection.allow_force_pushes);
    assert!(protection.required_linear_history, "kept");
    let reviews = protection.required_pull_request_reviews.unwrap();
    assert_eq!(reviews.required_approving_review_count, 2);
    assert!(reviews.dismiss_stale_reviews, "kept");
    let environments = fixture.environments();
    let release = &environments["release"];
    assert_eq!(
        (release.wait_timer, release.prevent_self_review),
        (10, true)
    );
    let names: Vec<&str> = release
        .branch_policies
        .iter()
        .map(|policy| policy.name.as_str())
        .collect();
    assert_eq!(names, ["main", "v*"]);
}

#[test]
fn unknown_reviewers_are_refused_and_nothing_is_changed() {
    let fixture = fixture();
    let run = fixture.setup(
        CANARY,
        &[
            "--repo",
            "acme/kato",
            "--reviewer",
            "nobody",
            "--reviewer",
            "acme/ghosts",
            "--reviewer",
            "acme",
            "--reviewer",
            "alice",
        ],
    );
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains(
            "error: unknown reviewers; nothing was changed:\n  - no GitHub user is named \
             nobody\n  - no team ghosts in the organization acme"
        ),
        "{}",
        run.all()
    );
    assert!(
        run.stderr
            .contains("acme is an organization, not a user: name one of its teams as acme/TEAM"),
        "{}",
        run.all()
    );
    assert_eq!(fixture.writes(), Vec::<String>::new());
    assert!(fixture.protection().is_none());

    let malformed = fixture.setup(CANARY, &["--repo", "acme/kato", "--reviewer", "a/b/c"]);
    assert_eq!(malformed.code, 2, "{}", malformed.all());
    assert!(
        malformed
            .stderr
            .contains("expected a user's LOGIN or a team's ORG/TEAM")
    );

    let seven: Vec<String> = (1..=7).map(|n| format!("--reviewer=user{n}")).collect();
    let mut args = vec!["--repo", "acme/kato"];
    args.extend(seven.iter().map(String::as_str));
    let too_many = fixture.setup(CANARY, &args);
    assert_eq!(too_many.code, 2, "{}", too_many.all());
    assert!(too_many.stderr.contains("at most 6"), "{}", too_many.all());

    let none = fixture.setup(CANARY, &["--repo", "acme/kato"]);
    assert_eq!(none.code, 2, "{}", none.all());
    assert!(
        none.stderr.contains(
            "the environment release has no required reviewers: name them with --reviewer"
        ),
        "{}",
        none.all()
    );
    assert_eq!(fixture.writes(), Vec::<String>::new());
}

#[test]
fn a_token_without_admin_rights_is_told_what_it_needs() {
    let fixture = fixture();
    for (token, answer) in [
        (
            READ_ONLY,
            "GET /repos/acme/kato/branches/main/protection answered 403: Resource not \
             accessible by integration. GitHub reports that the token's user is not an admin \
             of acme/kato.",
        ),
        (
            COLLABORATOR,
            "GET /repos/acme/kato/branches/main/protection answered 404: Not Found. GitHub \
             reports that the token's user is not an admin of acme/kato.",
        ),
        (
            ADMINISTRATION_READ,
            "PUT /repos/acme/kato/branches/main/protection answered 403: Resource not \
             accessible by personal access token.",
        ),
    ] {
        let run = fixture.setup(token, &with_reviewers(&[]));
        assert_eq!(run.code, 2, "{}", run.all());
        let stderr = &run.stderr;
        assert!(
            stderr.starts_with(&format!(
                "error: the token may not administer acme/kato: {answer}"
            )),
            "{stderr}"
        );
        assert!(
            stderr.contains(
                "a fine-grained token needs the repository permission \"Administration: Read \
                 and write\"; a classic token needs the repo scope and a user who is an admin \
                 of acme/kato."
            ),
            "{stderr}"
        );
        assert!(fixture.protection().is_none());
        assert!(fixture.environments().is_empty());
    }
    // The read-only tokens made no write; the one that may read settings tried the first
    // and was refused.
    assert_eq!(
        fixture.writes(),
        ["PUT /repos/acme/kato/branches/main/protection 403"]
    );
    let run = fixture.setup(ADMINISTRATION_READ, &with_reviewers(&[]));
    assert!(
        run.stderr.ends_with("\nnothing was changed\n"),
        "{}",
        run.all()
    );
}

#[test]
fn no_token_names_both_variables() {
    let fixture = fixture();
    let run = fixture.setup_with(&["--repo", "acme/kato", "--dry-run"], &[], fixture.dir());
    assert_eq!(run.code, 2, "{}", run.all());
    assert_eq!(
        run.stderr,
        "error: no GitHub token: set GITHUB_TOKEN (or GH_TOKEN) to a token that may \
         administer the repository\n"
    );
    assert!(fixture.server.requests().is_empty());

    let gh_token = fixture.setup_with(
        &["--repo", "acme/kato", "--dry-run", "--reviewer", "alice"],
        &[("GH_TOKEN", CANARY)],
        fixture.dir(),
    );
    assert_eq!(gh_token.code, 0, "{}", gh_token.all());
}

#[test]
fn the_repository_comes_from_the_flag_the_environment_or_origin() {
    let fixture = fixture();
    let dry = |args: &[&str], env: &[(&str, &str)], dir: &Utf8Path| {
        let mut all = vec!["--dry-run", "--reviewer", "alice"];
        all.extend(args);
        let mut env = env.to_vec();
        env.push(("GITHUB_TOKEN", CANARY));
        fixture.setup_with(&all, &env, dir)
    };
    let flag = dry(
        &["--repo", "acme/kato"],
        &[("GITHUB_REPOSITORY", "x/y")],
        fixture.dir(),
    );
    assert!(
        flag.stdout.starts_with("acme/kato (from --repo)"),
        "{}",
        flag.all()
    );
    let env = dry(&[], &[("GITHUB_REPOSITORY", "acme/kato")], fixture.dir());
    assert!(
        env.stdout.starts_with("acme/kato (from GITHUB_REPOSITORY)"),
        "{}",
        env.all()
    );

    let clone = tempfile::tempdir().unwrap();
    let clone_dir = Utf8Path::from_path(clone.path()).unwrap();
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git")
            .args(args)
            .current_dir(clone_dir)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "--quiet"]);
    git(&["remote", "add", "origin", "git@github.com:acme/kato.git"]);
    let remote = dry(&[], &[], clone_dir);
    assert_eq!(remote.code, 0, "{}", remote.all());
    assert!(
        remote
            .stdout
            .starts_with("acme/kato (from the origin remote)"),
        "{}",
        remote.all()
    );
    assert!(fixture.server.writes().is_empty());

    // Bad values are named with the form expected; GitHub is not called.
    fixture.server.clear_requests();
    let bad_flag = dry(&["--repo", "kato"], &[], fixture.dir());
    assert_eq!(bad_flag.code, 2);
    assert!(
        bad_flag.stderr.contains(
            "--repo is \"kato\", which is not a repository: expected OWNER/NAME, such as \
             octo-org/kato"
        ),
        "{}",
        bad_flag.all()
    );
    let bad_env = dry(&[], &[("GITHUB_REPOSITORY", "a/b/c")], fixture.dir());
    assert_eq!(bad_env.code, 2);
    assert!(bad_env.stderr.contains("GITHUB_REPOSITORY is \"a/b/c\""));
    git(&[
        "remote",
        "set-url",
        "origin",
        "https://x-access-token:ghs_CANARYinRemote@example.com/kato",
    ]);
    let bad_remote = dry(&[], &[], clone_dir);
    assert_eq!(bad_remote.code, 2);
    assert!(
        bad_remote.stderr.contains(
            "the origin remote is https://***@example.com/kato, which does not name a GitHub \
             repository: expected https://HOST/OWNER/NAME"
        ),
        "{}",
        bad_remote.all()
    );
    assert!(!bad_remote.stderr.contains("ghs_CANARYinRemote"));
    let nothing = dry(&[], &[], fixture.dir());
    assert_eq!(nothing.code, 2);
    assert!(
        nothing
            .stderr
            .contains("no repository: pass --repo OWNER/NAME")
    );
    assert!(fixture.server.requests().is_empty());

    let unknown = dry(&["--repo", "acme/other"], &[], fixture.dir());
    assert_eq!(unknown.code, 2);
    assert!(
        unknown
            .stderr
            .contains("acme/other does not exist, or the token may not see it"),
        "{}",
        unknown.all()
    );
}

#[test]
fn a_token_echoed_by_github_is_not_shown() {
    let fixture = fixture();
    fixture.server.state().add_fault(Fault {
        method: Some("GET".into()),
        path: "/repos/acme/kato".into(),
        status: 401,
        headers: Vec::new(),
        body: json!({ "message": "Bad credentials: {authorization}" }).to_string(),
        times: 1,
        ..Fault::default()
    });
    let run = fixture.setup(CANARY, &with_reviewers(&[]));
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains(
            "GitHub refused the token (GET /repos/acme/kato answered 401: Bad credentials: \
             Bearer ***)"
        ),
        "{}",
        run.all()
    );
    // Inside GitHub Actions the error is an annotation on stdout too: redacted as well.
    fixture.server.state().add_fault(Fault {
        method: Some("PUT".into()),
        path: "/repos/acme/kato/branches/main/protection".into(),
        status: 422,
        headers: Vec::new(),
        body: json!({ "message": "Validation Failed for {authorization}" }).to_string(),
        times: 1,
        ..Fault::default()
    });
    let annotated = fixture.setup_with(
        &with_reviewers(&[]),
        &[("GITHUB_TOKEN", CANARY), ("GITHUB_ACTIONS", "true")],
        fixture.dir(),
    );
    assert_eq!(annotated.code, 2, "{}", annotated.all());
    assert!(
        annotated
            .stdout
            .contains("::error title=cargo xtask::PUT /repos/acme/kato/branches/main/protection answered 422: Validation Failed for Bearer ***"),
        "{}",
        annotated.all()
    );
}

#[test]
fn a_listing_without_end_stops_after_a_thousand_policies() {
    let fixture = fixture();
    let first = fixture.setup(CANARY, &with_reviewers(&[]));
    assert_eq!(first.code, 0, "{}", first.all());
    fixture.server.state().endless_pages = true;
    fixture.server.clear_requests();
    let run = fixture.setup(CANARY, &with_reviewers(&[]));
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains(
            "GET /repos/acme/kato/environments/release/deployment-branch-policies?per_page=100\
             &page=11 answered 200, which cannot be used: the listing goes on past 1000 items \
             (10 pages of 100): reading stops there"
        ),
        "{}",
        run.all()
    );
    assert_eq!(fixture.writes(), Vec::<String>::new());
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
fn names_from_github_cannot_run_workflow_commands() {
    let fixture = fixture();
    {
        let mut state = fixture.server.state();
        let repo = state.repo_mut("acme", "kato").unwrap();
        repo.protections.insert(
            "main".into(),
            Protection {
                required_status_checks: Some(StatusChecks {
                    strict: true,
                    checks: vec![
                        ("Rust checks".into(), None),
                        ("see ##[error]pwned".into(), None),
                        ("x\n::add-mask::y\u{1b}[2J".into(), None),
                    ],
                }),
                ..Protection::default()
            },
        );
    }
    for actions in [true, false] {
        let mut env = vec![("GITHUB_TOKEN", CANARY)];
        if actions {
            env.push(("GITHUB_ACTIONS", "true"));
        }
        let run = fixture.setup_with(&with_reviewers(&["--dry-run"]), &env, fixture.dir());
        assert_eq!(run.code, 0, "{}", run.all());
        assert!(
            run.stdout
                .contains("stop requiring see ##[error]pwned, x\\n::add-mask::y\\u{1b}[2J"),
            "{}",
            run.all()
        );
        assert!(!run.stdout.contains('\u{1b}'), "{}", run.all());
        assert_eq!(
            run.stdout.contains("::stop-commands::"),
            actions,
            "{}",
            run.all()
        );
        if actions {
            assert_eq!(
                commands_run(&run.stdout),
                Vec::<String>::new(),
                "{}",
                run.all()
            );
        }
    }
}

#[test]
fn answers_of_the_wrong_type_are_errors_and_nothing_is_changed() {
    let fixture = fixture();
    let first = fixture.setup(CANARY, &with_reviewers(&[]));
    assert_eq!(first.code, 0, "{}", first.all());
    let policies = "/repos/acme/kato/environments/release/deployment-branch-policies";
    for (path, body, why) in [
        (
            policies,
            r#"{"total_count":1,"branch_policies":[{"id":"7","name":"main","type":"branch"}]}"#,
            "GET /repos/acme/kato/environments/release/deployment-branch-policies answered \
             200, which cannot be used: policy 1 of the listing has `id` \"7\" (a string), not \
             a number",
        ),
        (
            "/repos/acme/kato/environments/release",
            r#"{"name":"release","protection_rules":[{"type":"required_reviewers","reviewers":[{"type":"User","reviewer":{"id":"11","login":"alice"}}]}],"deployment_branch_policy":{"protected_branches":false,"custom_branch_policies":true}}"#,
            "GET /repos/acme/kato/environments/release answered 200, which cannot be used: \
             `reviewer` of reviewer 1 of the environment has `id` \"11\" (a string), not a \
             number",
        ),
    ] {
        fixture
            .server
            .state()
            .add_fault(Fault::on("GET", path).status(200).body(body));
        fixture.server.clear_requests();
        // Without --reviewer: the environment's reviewers are the ones kept.
        let run = fixture.setup(CANARY, &["--repo", "acme/kato"]);
        assert_eq!(run.code, 2, "{}", run.all());
        assert!(run.stderr.contains(why), "{}", run.all());
        assert_eq!(fixture.writes(), Vec::<String>::new());
    }
    fixture.server.state().add_fault(
        Fault::on("GET", "/users/alice")
            .status(200)
            .body(r#"{"login":"alice","id":"11","type":"User"}"#),
    );
    let run = fixture.setup(CANARY, &with_reviewers(&[]));
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains(
            "GET /users/alice answered 200, which cannot be used: the user has `id` \"11\" (a \
             string), not a number"
        ),
        "{}",
        run.all()
    );
}

#[test]
fn a_change_without_an_answer_is_not_said_to_have_changed_nothing() {
    let fixture = fixture();
    fixture.server.state().add_fault(
        Fault::on("PUT", "/repos/acme/kato/branches/main/protection")
            .status(502)
            .times(5),
    );
    let run = fixture.setup_with(
        &with_reviewers(&[]),
        &[
            ("GITHUB_TOKEN", CANARY),
            ("XTASK_GITHUB_RETRY_BASE_MS", "1"),
        ],
        fixture.dir(),
    );
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(!run.stderr.contains("nothing was changed"), "{}", run.all());
    assert!(
        run.stderr.ends_with(
            "\n0 of 4 changes were made, and perhaps the one that failed; run again to make \
             the rest\n"
        ),
        "{}",
        run.all()
    );
}

#[test]
fn workflows_whose_checks_cannot_be_required_are_refused() {
    let fixture = fixture();
    let workflow = fixture.dir().join("matrix.yml");
    std::fs::write(
        &workflow,
        "on: pull_request\njobs:\n  test:\n    strategy:\n      matrix:\n        os: [a, b]\n",
    )
    .unwrap();
    let run = fixture.setup(CANARY, &with_reviewers(&["--workflow", workflow.as_str()]));
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains(&format!(
            "error: {workflow}: cannot require its checks: job `test` runs a matrix"
        )),
        "{}",
        run.all()
    );
    assert!(fixture.server.requests().is_empty());
}

#[test]
fn help_says_a_dry_run_still_reads() {
    let run = checked(xtask(&["github", "setup", "--help"]).run());
    assert_eq!(run.code, 0);
    let help = run.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        help.contains("With --dry-run the reads are still made (GET) to know what differs"),
        "{help}"
    );
    assert!(
        help.contains("the token is GITHUB_TOKEN, else GH_TOKEN"),
        "{help}"
    );
}

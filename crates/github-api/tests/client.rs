//! The client against the fake GitHub: answers, errors, and the token kept out of both.

use std::time::Duration;

use std::sync::Arc;

use camino::Utf8PathBuf;
use fake_github::{Access, FakeGitHub, Fault, State, UploadHost};
use github_api::{ApiError, Config, GitHub, Method, RetryPolicy, Token, upload_target};
use serde_json::json;

const TOKEN: &str = "ghp_CANARYc1ient0123456789abcdefCANARY";

fn server() -> FakeGitHub {
    let mut state = State::new();
    state.add_token(TOKEN, Access::Admin);
    state.add_repo("acme", "kato");
    FakeGitHub::start(state)
}

/// Four attempts, a millisecond apart at first.
fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        attempts: 4,
        base: Duration::from_millis(1),
        max_wait: Duration::from_secs(60),
    }
}

fn client(server: &FakeGitHub, token: &str) -> GitHub {
    client_with_timeout(server, token, Duration::from_secs(10))
}

fn client_with_timeout(server: &FakeGitHub, token: &str, timeout: Duration) -> GitHub {
    GitHub::new(Config {
        token: Token::new(token, "GITHUB_TOKEN").unwrap(),
        api_url: server.url().to_owned(),
        timeout,
        retry: quick_retries(),
    })
    .unwrap()
}

/// A draft release's `upload_url`, and a file of `size` bytes to upload to it.
fn draft_and_file(github: &GitHub, size: usize) -> (String, tempfile::TempDir, Utf8PathBuf) {
    let draft = github
        .request(
            Method::Post,
            "/repos/acme/kato/releases",
            Some(&json!({ "tag_name": "v0.1.0", "draft": true })),
        )
        .unwrap()
        .body;
    let dir = tempfile::tempdir().unwrap();
    let path = Utf8PathBuf::from_path_buf(dir.path().join("kato-linux-x86_64")).unwrap();
    std::fs::write(&path, vec![7u8; size]).unwrap();
    let url = upload_target(
        draft["upload_url"].as_str().unwrap(),
        "kato-linux-x86_64",
        None,
    );
    (url, dir, path)
}

fn upload(github: &GitHub, url: &str, path: &Utf8PathBuf) -> Result<serde_json::Value, ApiError> {
    github.upload(url, path, "application/octet-stream", Arc::new(|_| {}))
}

#[test]
fn uploads_carry_the_token_once_on_either_host() {
    for host in [UploadHost::Separate, UploadHost::SameAsApi] {
        let mut state = State::new();
        state.add_token(TOKEN, Access::ContentsWrite);
        state.add_repo("acme", "kato");
        let server = FakeGitHub::start_with(state, host);
        let github = client(&server, TOKEN);
        let (url, _dir, path) = draft_and_file(&github, 300 * 1024);
        assert_eq!(
            url.starts_with(server.url()),
            host == UploadHost::SameAsApi,
            "{url}"
        );
        let asset =
            upload(&github, &url, &path).unwrap_or_else(|error| panic!("{host:?}: {error}"));
        assert_eq!(asset["state"], "uploaded", "{host:?}");
        assert_eq!(asset["size"], 300 * 1024, "{host:?}");
    }
}

#[test]
fn uploads_to_another_host_or_in_cleartext_are_refused_unsent() {
    let server = server();
    let github = client(&server, TOKEN);
    let listener = server.upload_url().to_owned();
    for (base, why) in [
        // The upload listener under another name: a host the API did not name.
        (
            listener.replace("127.0.0.1", "localhost"),
            "the release's upload_url names the host localhost, which is not the API's host \
             (127.0.0.1): the token is not sent there",
        ),
        (
            "http://uploads.example.com".to_owned(),
            "the release's upload_url names http://uploads.example.com/repos/acme/kato/\
             releases/",
        ),
        (
            "ftp://127.0.0.1".to_owned(),
            "the release's upload_url names ftp://127.0.0.1/",
        ),
    ] {
        server.state().upload_url_base = Some(base.clone());
        let (url, _dir, path) = draft_and_file(&github, 1024);
        let error = upload(&github, &url, &path).unwrap_err();
        assert!(
            matches!(error, ApiError::Refused { .. }),
            "{base}: {error:?}"
        );
        assert!(
            error
                .to_string()
                .starts_with(&format!("POST {url} was not sent: {why}")),
            "{base}: {error}"
        );
        let uploads = server
            .requests()
            .into_iter()
            .filter(|request| request.path.ends_with("/assets"))
            .count();
        assert_eq!(uploads, 0, "{base}: an upload was sent");
    }

    // An https API whose release names an http upload host: refused before connecting.
    let github = GitHub::new(Config {
        token: Token::new(TOKEN, "GITHUB_TOKEN").unwrap(),
        api_url: "https://api.github.com".to_owned(),
        timeout: Duration::from_secs(1),
        retry: quick_retries(),
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = Utf8PathBuf::from_path_buf(dir.path().join("a")).unwrap();
    std::fs::write(&path, b"bytes").unwrap();
    let url = "http://uploads.github.com/repos/acme/kato/releases/7/assets?name=a";
    let error = upload(&github, url, &path).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "POST {url} was not sent: the release's upload_url names {url}: the token is sent \
             over https only (http:// to loopback addresses alone, for local stand-ins)"
        )
    );
}

#[test]
fn an_api_base_in_cleartext_to_another_host_is_refused() {
    let error = Config::from_lookup(|name| match name {
        "GITHUB_TOKEN" => Some(TOKEN.to_owned()),
        "GITHUB_API_URL" => Some("http://ghe.example/api/v3".to_owned()),
        _ => None,
    })
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("http:// would send the token in cleartext"),
        "{error}"
    );
}

#[test]
fn a_slow_upload_that_moves_outlasts_the_timeout_and_a_stalled_one_fails() {
    let server = server();
    // 40 MB at 16 MB/s: about 2.5 s, against a timeout of 1 s. (The socket buffers take
    // the first 4 MB at once, and the last ones drain after the last chunk is handed
    // over: well within the timeout at this rate.)
    server.state().upload_throttle = Some(16 * 1024 * 1024);
    let github = client_with_timeout(&server, TOKEN, Duration::from_secs(1));
    let (url, _dir, path) = draft_and_file(&github, 40 * 1024 * 1024);
    let started = std::time::Instant::now();
    let asset = github
        .upload(
            &url,
            &path,
            "application/octet-stream",
            Arc::new(move |sent| eprintln!("{:?} {sent}", started.elapsed())),
        )
        .unwrap();
    assert_eq!(asset["state"], "uploaded");
    assert!(
        started.elapsed() > Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    // The whole body sent, then no answer for longer than the timeout.
    server.state().upload_throttle = None;
    server
        .state()
        .add_fault(Fault::on_upload("*").slow(Duration::from_secs(3)));
    let url = url.replace("kato-linux-x86_64", "SHA256SUMS");
    let error = upload(&github, &url, &path).unwrap_err();
    assert!(
        error.to_string().contains("stalled: nothing moved for 1 s"),
        "{error}"
    );
}

#[test]
fn an_api_call_without_an_answer_times_out() {
    let server = server();
    server.state().add_fault(
        Fault::on("GET", "/repos/acme/kato")
            .slow(Duration::from_secs(3))
            .times(4),
    );
    let github = client_with_timeout(&server, TOKEN, Duration::from_millis(500));
    let error = github.get("/repos/acme/kato").unwrap_err();
    assert!(
        error.to_string().contains("no answer within 0.5 s"),
        "{error}"
    );
}

#[test]
fn reads_and_writes_json() {
    let server = server();
    let github = client(&server, TOKEN);
    let repo = github.get("/repos/acme/kato").unwrap();
    assert_eq!(repo["full_name"], "acme/kato");
    assert_eq!(repo["permissions"]["admin"], true);

    let body = json!({ "deployment_branch_policy": { "protected_branches": false, "custom_branch_policies": true } });
    let put = github
        .request(
            Method::Put,
            "/repos/acme/kato/environments/release",
            Some(&body),
        )
        .unwrap();
    assert_eq!(put.status, 200);
    assert_eq!(put.body["name"], "release");

    let policy = json!({ "name": "v*", "type": "tag" });
    let path = "/repos/acme/kato/environments/release/deployment-branch-policies";
    let created = github.request(Method::Post, path, Some(&policy)).unwrap();
    assert_eq!(created.status, 200);
    // The same pattern again: GitHub answers 303 to the existing policy, a redirect that
    // the caller may take for "there already".
    let again = github
        .request(Method::Post, path, Some(&policy))
        .unwrap_err();
    assert_eq!(again.status(), Some(303));
    let id = created.body["id"].as_u64().unwrap();
    let ApiError::Redirect { location, .. } = &again else {
        panic!("{again:?}");
    };
    assert!(location.as_deref().unwrap().ends_with(&format!("/{id}")));

    let deleted = github
        .request(Method::Delete, &format!("{path}/{id}"), None)
        .unwrap();
    assert_eq!(deleted.status, 204);

    // The PUT, the POST and the DELETE; the 303 may have done something too, for all
    // the client knows.
    assert_eq!(github.writes_made(), 4);
    let recorded = server.requests();
    assert_eq!(recorded.len(), 5);
    assert_eq!(recorded[1].method, "PUT");
    assert_eq!(recorded[1].body.as_ref(), Some(&body));
}

#[test]
fn a_redirect_is_an_error_naming_its_location_and_is_never_followed() {
    let server = server();
    let elsewhere = format!("{}/repos/acme/renamed", server.url());
    server.state().add_fault(
        Fault::on("GET", "/repos/acme/kato")
            .status(301)
            .header("location", &format!("{elsewhere}?via={{authorization}}"))
            .body(""),
    );
    let github = client(&server, TOKEN);
    let error = github.get("/repos/acme/kato").unwrap_err();
    assert_eq!(error.status(), Some(301));
    assert!(matches!(error, ApiError::Redirect { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!(
            "GET /repos/acme/kato answered 301, a redirect to {elsewhere}?via=Bearer ***, \
             which is not followed: the token goes to the API's host only (if the repository \
             was renamed or moved, name it as it is now)"
        )
    );
    // Neither followed nor retried.
    assert_eq!(server.requests().len(), 1);

    // An upload answered with a redirect is not followed either.
    server.state().add_fault(
        Fault::on_upload("*")
            .status(307)
            .header("location", "https://elsewhere.example/upload"),
    );
    let (url, _dir, path) = draft_and_file(&github, 1024);
    let error = upload(&github, &url, &path).unwrap_err();
    assert_eq!(error.status(), Some(307));
    assert!(
        error
            .to_string()
            .contains("a redirect to https://elsewhere.example/upload, which is not followed"),
        "{error}"
    );
}

#[test]
fn an_answer_larger_than_the_cap_is_an_error_and_is_not_retried() {
    let server = server();
    let github = client(&server, TOKEN);
    let too_large = "GET /repos/acme/kato answered 200, which cannot be used: it is larger than \
                     32 MB, more than any answer of GitHub's REST API";
    // Streamed without a Content-Length, and with one that says so before the body.
    server.state().add_fault(
        Fault::on("GET", "/repos/acme/kato")
            .status(200)
            .padded(40 << 20),
    );
    server.state().add_fault(
        Fault::on("GET", "/repos/acme/kato")
            .status(200)
            .body(&" ".repeat((32 << 20) + 1)),
    );
    for _ in 0..2 {
        server.clear_requests();
        let error = github.get("/repos/acme/kato").unwrap_err();
        assert!(matches!(error, ApiError::Unreadable { .. }), "{error:?}");
        assert_eq!(error.to_string(), too_large);
        assert_eq!(server.requests().len(), 1, "retried");
    }
    // An error body is held to the same cap.
    server.state().add_fault(
        Fault::on("GET", "/repos/acme/kato")
            .status(404)
            .padded(33 << 20),
    );
    let error = github.get("/repos/acme/kato").unwrap_err();
    assert!(error.to_string().contains("larger than 32 MB"), "{error}");
    // Just under the cap is read.
    server.state().add_fault(
        Fault::on("GET", "/repos/acme/kato")
            .status(200)
            .padded(32 << 20),
    );
    assert_eq!(github.get("/repos/acme/kato").unwrap(), json!([]));
}

#[test]
fn a_listing_that_never_ends_stops_after_a_thousand_items() {
    let server = server();
    let github = client(&server, TOKEN);
    for n in 0..3 {
        github
            .request(
                Method::Post,
                "/repos/acme/kato/releases",
                Some(&json!({ "tag_name": format!("v0.1.{n}"), "draft": true })),
            )
            .unwrap();
    }
    server.clear_requests();
    let releases = github.list("/repos/acme/kato/releases", None).unwrap();
    assert_eq!(releases.len(), 3);
    assert_eq!(
        server.requests()[0].query.as_deref(),
        Some("per_page=100&page=1")
    );

    server.state().endless_pages = true;
    server.clear_requests();
    let error = github.list("/repos/acme/kato/releases", None).unwrap_err();
    assert!(matches!(error, ApiError::Unreadable { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "GET /repos/acme/kato/releases?per_page=100&page=11 answered 200, which cannot be \
         used: the listing goes on past 1000 items (10 pages of 100): reading stops there"
    );
    assert_eq!(server.requests().len(), 11);

    // A page that is not a list is an error that says what came instead.
    server.state().endless_pages = false;
    server.state().add_fault(
        Fault::on("GET", "/repos/acme/kato/releases")
            .status(200)
            .body(r#"{"releases":[]}"#),
    );
    let error = github.list("/repos/acme/kato/releases", None).unwrap_err();
    assert_eq!(
        error.to_string(),
        "GET /repos/acme/kato/releases?per_page=100&page=1 answered 200, which cannot be \
         used: a page of the listing is an object, not an array"
    );
}

#[test]
fn errors_carry_status_and_message() {
    let server = server();
    let github = client(&server, TOKEN);
    let error = github
        .get("/repos/acme/kato/branches/main/protection")
        .unwrap_err();
    assert_eq!(error.status(), Some(404));
    assert_eq!(error.message(), "Branch not protected");
    assert_eq!(
        error.to_string(),
        "GET /repos/acme/kato/branches/main/protection answered 404: Branch not protected"
    );

    let unknown = client(&server, "ghp_unknown");
    let error = unknown.get("/repos/acme/kato").unwrap_err();
    assert_eq!(error.status(), Some(401));
    assert_eq!(error.message(), "Bad credentials");

    // A write GitHub refused changed nothing; one without an answer may have.
    let error = unknown
        .request(Method::Post, "/repos/acme/kato/releases", Some(&json!({})))
        .unwrap_err();
    assert_eq!(error.status(), Some(401));
    assert_eq!(unknown.writes_made(), 0);
    server.state().add_fault(
        Fault::on("DELETE", "/repos/acme/kato/releases/1")
            .status(502)
            .times(4),
    );
    assert!(
        github
            .request(Method::Delete, "/repos/acme/kato/releases/1", None)
            .is_err()
    );
    assert_eq!(github.writes_made(), 4);
}

#[test]
fn an_echoed_token_is_redacted() {
    let server = server();
    server.state().add_fault(Fault {
        method: Some("GET".into()),
        path: "/repos/acme/kato".into(),
        status: 401,
        headers: Vec::new(),
        body: r#"{"message":"Bad credentials: {authorization}","documentation_url":"https://docs.example/{authorization}"}"#.into(),
        times: 1,
        ..Fault::default()
    });
    let github = client(&server, TOKEN);
    let error = github.get("/repos/acme/kato").unwrap_err();
    assert_eq!(error.message(), "Bad credentials: Bearer ***");
    for shown in [
        error.to_string(),
        format!("{error:?}"),
        format!("{github:?}"),
    ] {
        assert!(!shown.contains(TOKEN), "{shown}");
    }

    // A body that is not GitHub's JSON is shown shortened, and redacted too.
    server.state().add_fault(Fault {
        method: None,
        path: "/repos/acme/kato".into(),
        status: 502,
        headers: Vec::new(),
        body: "<html>proxy saw {authorization}</html>".into(),
        times: 4, // every attempt of the four
        ..Fault::default()
    });
    let error = github.get("/repos/acme/kato").unwrap_err();
    assert_eq!(error.status(), Some(502));
    assert_eq!(
        error.message(),
        "<html>proxy saw Bearer ***</html> (gave up after 4 attempts)"
    );

    // A long body is shortened after the token is taken out: no part of it survives the
    // cut, wherever the token falls.
    for pad in [270, 285, 295] {
        server.state().add_fault(Fault {
            method: None,
            path: "/repos/acme/kato".into(),
            status: 502,
            body: format!("{}{{authorization}}{}", "x".repeat(pad), "y".repeat(400)),
            times: 4,
            ..Fault::default()
        });
        let error = github.get("/repos/acme/kato").unwrap_err();
        let shown = error.to_string();
        assert!(shown.contains("..."), "{shown}");
        assert!(!shown.contains(&TOKEN[..12]), "{shown}");
    }
}

#[test]
fn a_token_echoed_in_an_answer_is_redacted_from_its_values() {
    let server = server();
    let github = client(&server, TOKEN);
    server.state().echo_authorization = true;
    let (url, _dir, path) = draft_and_file(&github, 1024);
    let draft = &github.list("/repos/acme/kato/releases", None).unwrap()[0];
    assert!(
        draft["html_url"].as_str().unwrap().ends_with("#Bearer ***"),
        "{draft}"
    );
    assert!(!draft.to_string().contains(TOKEN), "{draft}");
    // Wherever it is: in a nested value, a key, an upload's answer.
    server.state().add_fault(
        Fault::on("GET", "/repos/acme/kato")
            .status(200)
            .body(r#"{"a":[{"b":"x {authorization} y"}],"{authorization}":1}"#),
    );
    let answer = github.get("/repos/acme/kato").unwrap();
    assert_eq!(
        answer,
        json!({ "a": [{ "b": "x Bearer *** y" }], "Bearer ***": 1 })
    );
    server.state().add_fault(
        Fault::on_upload("*")
            .status(201)
            .body(r#"{"id":1,"name":"{authorization}"}"#),
    );
    let asset = upload(&github, &url, &path).unwrap();
    assert_eq!(asset["name"], "Bearer ***");
}

#[test]
fn text_of_github_in_errors_has_its_control_characters_escaped() {
    let server = server();
    let github = client(&server, TOKEN);
    server.state().add_fault(
        Fault::on("GET", "/repos/acme/kato")
            .status(422)
            .body(
                r#"{"message":"bad\n::error title=pwned::x\u001b[2J","documentation_url":"https://d\r\n::warning::y"}"#,
            ),
    );
    let error = github.get("/repos/acme/kato").unwrap_err();
    assert_eq!(error.message(), "bad\\n::error title=pwned::x\\u{1b}[2J");
    let ApiError::Status {
        documentation_url, ..
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(
        documentation_url.as_deref(),
        Some("https://d\\r\\n::warning::y")
    );
    assert_eq!(error.to_string().lines().count(), 1, "{error}");
    server.state().add_fault(
        Fault::on("GET", "/repos/acme/kato")
            .status(301)
            .header("location", "https://x/\u{85}::error::y"),
    );
    let error = github.get("/repos/acme/kato").unwrap_err();
    assert!(!error.to_string().contains('\u{85}'), "{error:?}");
    assert!(
        error.to_string().contains(r"https://x/\u{85}::error::y"),
        "{error}"
    );
}

#[test]
fn five_hundreds_are_retried() {
    let server = server();
    server.state().add_fault(Fault {
        method: Some("GET".into()),
        path: "/repos/acme/kato".into(),
        status: 503,
        headers: Vec::new(),
        body: r#"{"message":"Service unavailable"}"#.into(),
        times: 2,
        ..Fault::default()
    });
    let github = client(&server, TOKEN);
    assert_eq!(github.get("/repos/acme/kato").unwrap()["name"], "kato");
    let statuses: Vec<u16> = server.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [503, 503, 200]);
}

#[test]
fn a_server_that_is_gone_is_a_transport_error() {
    let server = server();
    let url = server.url().to_owned();
    drop(server);
    let github = GitHub::new(Config {
        token: Token::new(TOKEN, "GITHUB_TOKEN").unwrap(),
        api_url: url.clone(),
        timeout: Duration::from_secs(5),
        retry: quick_retries(),
    })
    .unwrap();
    let error = github.get("/repos/acme/kato").unwrap_err();
    assert!(matches!(error, ApiError::Transport { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .starts_with("GET /repos/acme/kato failed: "),
        "{error}"
    );
    assert!(!error.to_string().contains(TOKEN));
}

#[test]
fn octocrab_errors_are_described_without_the_token() {
    let server = server();
    server.state().add_fault(Fault {
        method: Some("GET".into()),
        path: "/repos/acme/kato".into(),
        status: 403,
        headers: Vec::new(),
        body: r#"{"message":"token {authorization} may not","documentation_url":"https://docs.github.com/rest"}"#.into(),
        times: 1,
        ..Fault::default()
    });
    let github = client(&server, TOKEN);
    let result: Result<serde_json::Value, _> =
        github.block_on(github.octocrab().get("/repos/acme/kato", None::<&()>));
    let error = github.describe_error(Method::Get, "/repos/acme/kato", &result.unwrap_err());
    assert_eq!(error.status(), Some(403));
    assert_eq!(error.message(), "token Bearer *** may not");
}

//! The client: octocrab on a runtime of its own, with blocking calls whose errors never
//! carry the token.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use github_actions::escape_text;
use octocrab::Octocrab;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use crate::SetupError;
use crate::retry::{Decision, RetryPolicy, rate_limit_wait};
use crate::token::Token;

/// The API base when `GITHUB_API_URL` is not set.
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// How long connecting, an API call's answer, or an upload without progress may take,
/// unless `XTASK_GITHUB_TIMEOUT_MS` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The REST API version every request asks for.
pub const API_VERSION: &str = "2022-11-28";

/// The largest answer read, in bytes (32 MiB): far more than any answer of GitHub's REST
/// API, and a bound on the memory a hostile or broken server can make the client use.
pub const MAX_ANSWER_BYTES: usize = 32 << 20;

/// The most items a paged listing is read to ([`GitHub::list`]); one that goes on is an
/// error, not an endless walk.
pub const MAX_LISTED: usize = 1000;

/// The items asked for per page of a listing: GitHub's largest page.
pub const PER_PAGE: usize = 100;

/// How to reach GitHub.
#[derive(Debug, Clone)]
pub struct Config {
    /// The token every request carries.
    pub token: Token,
    /// The API base, without a trailing slash: `https://api.github.com`, or
    /// `https://HOST/api/v3` for GitHub Enterprise Server.
    pub api_url: String,
    /// The longest wait to connect; for an API call's whole answer; and during an upload,
    /// for the next byte to move (an upload may take as long as it needs while it moves).
    pub timeout: Duration,
    /// How failed reads and updates are repeated.
    pub retry: RetryPolicy,
}

impl Config {
    /// The token from `GITHUB_TOKEN` or `GH_TOKEN`, the API base from `GITHUB_API_URL`
    /// (as GitHub Actions sets it; GitHub Enterprise has its own), else
    /// [`DEFAULT_API_URL`]; the timeout from `XTASK_GITHUB_TIMEOUT_MS`, else 30 seconds;
    /// the retry budget as [`RetryPolicy::from_lookup`] reads it.
    pub fn from_env() -> Result<Self, SetupError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// As [`Config::from_env`], reading variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SetupError> {
        let api_url = match lookup("GITHUB_API_URL").filter(|url| !url.trim().is_empty()) {
            Some(url) => api_url(&url)?,
            None => DEFAULT_API_URL.to_owned(),
        };
        let timeout = lookup("XTASK_GITHUB_TIMEOUT_MS")
            .and_then(|value| value.trim().parse::<u64>().ok())
            .filter(|ms| *ms > 0)
            .map_or(DEFAULT_TIMEOUT, Duration::from_millis);
        Ok(Self {
            token: Token::from_lookup(&lookup)?,
            api_url,
            timeout,
            retry: RetryPolicy::from_lookup(&lookup),
        })
    }
}

/// The web address of the GitHub an API base belongs to, where release files are
/// downloaded from: `https://github.com` for [`DEFAULT_API_URL`], `https://HOST` for
/// GitHub Enterprise Server's `https://HOST/api/v3`, the base itself otherwise (a local
/// server of the tests).
pub fn web_url(api_url: &str) -> String {
    let api_url = api_url.trim_end_matches('/');
    if api_url == DEFAULT_API_URL {
        return "https://github.com".to_owned();
    }
    api_url
        .strip_suffix("/api/v3")
        .unwrap_or(api_url)
        .to_owned()
}

/// `url` checked as an API base: an absolute http(s) URL, returned without a trailing
/// slash.
pub fn api_url(url: &str) -> Result<String, SetupError> {
    let trimmed = url.trim().trim_end_matches('/');
    let bad = |reason: &str| SetupError::BadApiUrl {
        value: url.to_owned(),
        reason: reason.to_owned(),
    };
    let Some((scheme, rest)) = trimmed.split_once("://") else {
        return Err(bad("it is not an absolute URL"));
    };
    if !matches!(scheme, "https" | "http") {
        return Err(bad("only https:// and http:// are understood"));
    }
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || host.contains('@') {
        return Err(bad("it names no host, or holds credentials"));
    }
    let Some(uri) = trimmed
        .parse::<http::Uri>()
        .ok()
        .filter(|_| !rest.contains(['?', '#']))
    else {
        return Err(bad("it is not a plain URL"));
    };
    if scheme == "http" && !uri.host().is_some_and(is_loopback) {
        return Err(bad(
            "http:// would send the token in cleartext: use https://, or http:// to a \
             loopback address such as 127.0.0.1 for a local stand-in",
        ));
    }
    Ok(trimmed.to_owned())
}

/// Whether `host` (as a URI names it: `[::1]` in brackets) is this machine's loopback:
/// `localhost`, 127.0.0.0/8 or ::1. Only there may the token travel without TLS.
pub(crate) fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// An HTTP method of the REST API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// `GET`: reads.
    Get,
    /// `POST`: creates.
    Post,
    /// `PUT`: creates or replaces.
    Put,
    /// `PATCH`: updates.
    Patch,
    /// `DELETE`: removes.
    Delete,
}

impl Method {
    /// Whether the call changes anything.
    pub(crate) fn is_write(self) -> bool {
        self != Method::Get
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        })
    }
}

/// A successful (2xx) answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The JSON body; `Null` when there was none.
    pub body: Value,
}

/// A call that failed. Every message has the token replaced by `***`, and text of
/// GitHub's in it escaped ([`escape_text`]): one line, whatever GitHub sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// GitHub answered with a 4xx or 5xx status.
    #[error("{method} {path} answered {status}: {message}")]
    Status {
        /// The method of the call.
        method: Method,
        /// The API path of the call.
        path: String,
        /// The status code.
        status: u16,
        /// GitHub's `message`, with its `errors` when it gave any.
        message: String,
        /// GitHub's `documentation_url`, when it gave one.
        documentation_url: Option<String>,
        /// For a rate limit, the wait GitHub asked for (`retry-after`, or until
        /// `x-ratelimit-reset`); `None` for any other answer.
        rate_limit: Option<Duration>,
    },
    /// No answer: the connection failed, timed out, or the body could not be read.
    #[error("{method} {path} failed: {message}")]
    Transport {
        /// The method of the call.
        method: Method,
        /// The API path of the call.
        path: String,
        /// What went wrong, with its causes.
        message: String,
    },
    /// GitHub answered with a redirect (3xx), which is never followed: the token would go
    /// with it. Never retried. A caller that knows what a redirect means for its call
    /// (GitHub's 303 to a policy that exists) branches on the status.
    #[error("{method} {path} answered {status}, {message}")]
    Redirect {
        /// The method of the call.
        method: Method,
        /// The API path of the call.
        path: String,
        /// The status code.
        status: u16,
        /// The `Location` header, redacted, when the answer had one.
        location: Option<String>,
        /// Where it pointed, and that it was not followed.
        message: String,
    },
    /// GitHub answered, but the answer cannot be used: larger than 32 MiB, not JSON, not
    /// of the shape the call returns, or a listing longer than 1,000 items. Never retried: the same call gets the same answer.
    #[error("{method} {path} answered {status}, which cannot be used: {message}")]
    Unreadable {
        /// The method of the call.
        method: Method,
        /// The API path of the call.
        path: String,
        /// The status code.
        status: u16,
        /// What is wrong with it, quoting what came.
        message: String,
    },
    /// The call was not sent: its URL is not one the token may go to. Never retried.
    #[error("{method} {path} was not sent: {message}")]
    Refused {
        /// The method of the call.
        method: Method,
        /// The URL or API path of the call.
        path: String,
        /// Why the token may not go there.
        message: String,
    },
}

impl ApiError {
    /// The status code GitHub answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. }
            | ApiError::Redirect { status, .. }
            | ApiError::Unreadable { status, .. } => Some(*status),
            ApiError::Transport { .. } | ApiError::Refused { .. } => None,
        }
    }

    /// The same error with `why` added to its message.
    pub(crate) fn explained(self, why: &str) -> Self {
        match self {
            ApiError::Status {
                method,
                path,
                status,
                message,
                documentation_url,
                rate_limit,
            } => ApiError::Status {
                method,
                path,
                status,
                message: format!("{message} ({why})"),
                documentation_url,
                rate_limit,
            },
            ApiError::Transport {
                method,
                path,
                message,
            } => ApiError::Transport {
                method,
                path,
                message: format!("{message} ({why})"),
            },
            ApiError::Refused {
                method,
                path,
                message,
            } => ApiError::Refused {
                method,
                path,
                message: format!("{message} ({why})"),
            },
            ApiError::Redirect {
                method,
                path,
                status,
                location,
                message,
            } => ApiError::Redirect {
                method,
                path,
                status,
                location,
                message: format!("{message} ({why})"),
            },
            ApiError::Unreadable {
                method,
                path,
                status,
                message,
            } => ApiError::Unreadable {
                method,
                path,
                status,
                message: format!("{message} ({why})"),
            },
        }
    }

    /// Whether GitHub refused the call for want of a permission: a 403 that is not a
    /// rate limit.
    pub fn is_forbidden(&self) -> bool {
        matches!(
            self,
            ApiError::Status {
                status: 403,
                rate_limit: None,
                ..
            }
        )
    }

    /// GitHub's message (or the transport failure, the refusal, the redirect).
    pub fn message(&self) -> &str {
        match self {
            ApiError::Status { message, .. }
            | ApiError::Transport { message, .. }
            | ApiError::Refused { message, .. }
            | ApiError::Redirect { message, .. }
            | ApiError::Unreadable { message, .. } => message,
        }
    }
}

/// Where the client says that it retries.
type Notice = Box<dyn Fn(&str) + Send + Sync>;

/// A GitHub REST client. Calls block the calling thread; the client's runtime drives
/// octocrab underneath. `Debug` shows the API base, never the token.
pub struct GitHub {
    pub(crate) octocrab: Octocrab,
    pub(crate) runtime: tokio::runtime::Runtime,
    pub(crate) token: Token,
    api_url: String,
    pub(crate) timeout: Duration,
    retry: RetryPolicy,
    notice: Option<Notice>,
    writes: AtomicU64,
}

impl fmt::Debug for GitHub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitHub")
            .field("api_url", &self.api_url)
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

impl GitHub {
    /// A client for `config`: reads and updates that fail with a transport error, a 5xx
    /// or a rate limit are repeated as `config.retry` says (creating calls, `POST`, are
    /// not: their caller knows whether the first one took effect); connecting, an API
    /// call's answer and a stalled upload give up after `config.timeout`.
    pub fn new(config: Config) -> Result<Self, SetupError> {
        // Held to the rules of GITHUB_API_URL however it was made: no token in cleartext.
        api_url(&config.api_url)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| SetupError::Client(error.to_string()))?;
        let octocrab = {
            let _entered = runtime.enter();
            Octocrab::builder()
                .base_uri(config.api_url.as_str())
                .and_then(|builder| {
                    builder
                        .personal_token(config.token.expose().to_owned())
                        .add_header(
                            http::HeaderName::from_static("x-github-api-version"),
                            API_VERSION.to_owned(),
                        )
                        // Only API calls: octocrab's own upload host is the API's too, so
                        // the token goes to another host (uploads.github.com) only when
                        // `upload` adds it, and never twice.
                        .upload_uri(config.api_url.as_str())?
                        // No read timeout: it would run out during a long upload, which
                        // reads nothing until its answer. `request_once` bounds an API
                        // call's answer, `upload` the time without progress.
                        .set_connect_timeout(Some(config.timeout))
                        .build()
                })
                .map_err(|error| SetupError::Client(flatten(&error, &config.token)))?
        };
        Ok(Self {
            octocrab,
            runtime,
            token: config.token,
            api_url: config.api_url,
            timeout: config.timeout,
            retry: config.retry,
            notice: None,
            writes: AtomicU64::new(0),
        })
    }

    /// A client for [`Config::from_env`].
    pub fn from_env() -> Result<Self, SetupError> {
        Self::new(Config::from_env()?)
    }

    /// The API base the client calls.
    pub fn api_url(&self) -> &str {
        &self.api_url
    }

    /// The host (and port) of the API base.
    pub(crate) fn api_authority(&self) -> Option<http::uri::Authority> {
        self.api_url
            .parse::<http::Uri>()
            .ok()
            .and_then(|uri| uri.authority().cloned())
    }

    /// Says each retry through `notice` (a line such as `GET /x answered 502: ...;
    /// retrying in 2.0 s, attempt 2 of 5`), for a task to show.
    pub fn with_retry_notice(mut self, notice: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.notice = Some(Box::new(notice));
        self
    }

    /// How many calls that may have changed something this client has made: every call
    /// but `GET` that was sent, whatever became of it, except those GitHub refused with
    /// a 4xx answer (a refused call changes nothing). A task says that nothing was
    /// changed only while this stays where it was.
    pub fn writes_made(&self) -> u64 {
        self.writes.load(Ordering::SeqCst)
    }

    /// Counts a call of `method` sent, ended with `result`, towards
    /// [`GitHub::writes_made`].
    pub(crate) fn count_write<T>(&self, method: Method, result: &Result<T, ApiError>) {
        let refused = matches!(
            result,
            Err(ApiError::Status {
                status: 400..=499,
                ..
            }) | Err(ApiError::Refused { .. })
        );
        if method.is_write() && !refused {
            self.writes.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Waits before attempt `attempt + 1` when the policy repeats `error`, saying so;
    /// otherwise returns the error to give up with (its message extended with why, when
    /// the budget ran out or a rate limit is too far away).
    pub fn wait_to_retry(&self, attempt: u32, error: ApiError) -> Result<(), ApiError> {
        match self.retry.decide(attempt, &error) {
            Decision::Retry(wait) => {
                if let Some(notice) = &self.notice {
                    notice(&format!(
                        "{error}; retrying in {:.1} s, attempt {} of {}",
                        wait.as_secs_f64(),
                        attempt + 1,
                        self.retry.attempts
                    ));
                }
                std::thread::sleep(wait);
                Ok(())
            }
            Decision::Stop(None) => Err(error),
            Decision::Stop(Some(why)) => Err(error.explained(&why)),
        }
    }

    /// Calls `method path` (a path such as `/repos/o/r`, query allowed) with a JSON
    /// body. 2xx and 3xx answers are `Ok`; 4xx and 5xx are [`ApiError::Status`]. All
    /// but `POST` are repeated as the retry policy says.
    pub fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Response, ApiError> {
        let mut attempt = 1;
        loop {
            match self.request_once(method, path, body) {
                Err(error) if method != Method::Post => {
                    self.wait_to_retry(attempt, error)?;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    /// One attempt of [`GitHub::request`].
    pub fn request_once(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Response, ApiError> {
        let transport = |error: octocrab::Error| ApiError::Transport {
            method,
            path: path.to_owned(),
            message: flatten(&error, &self.token),
        };
        let call = async {
            let octocrab = &self.octocrab;
            let response = match method {
                Method::Get => octocrab._get(path).await,
                Method::Post => octocrab._post(path, body).await,
                Method::Put => octocrab._put(path, body).await,
                Method::Patch => octocrab._patch(path, body).await,
                Method::Delete => octocrab._delete(path, body).await,
            }
            .map_err(transport)?;
            let status = response.status().as_u16();
            if (300..400).contains(&status) {
                return Err(self.redirect(method, path, status, response.headers()));
            }
            let rate_limit = rate_limit_of(response.headers());
            let text = self.read_answer(method, path, response).await?;
            if status >= 400 {
                return Err(self.status_error(method, path, status, &text, rate_limit));
            }
            let body = self.parse_answer(method, path, status, &text)?;
            Ok(Response { status, body })
        };
        let result = self.runtime.block_on(async {
            tokio::time::timeout(self.timeout, call)
                .await
                .unwrap_or_else(|_| {
                    Err(ApiError::Transport {
                        method,
                        path: path.to_owned(),
                        message: format!("no answer within {} s", self.timeout.as_secs_f64()),
                    })
                })
        });
        self.count_write(method, &result);
        result
    }

    /// `GET path`: the JSON body.
    pub fn get(&self, path: &str) -> Result<Value, ApiError> {
        Ok(self.request(Method::Get, path, None)?.body)
    }

    /// Every item of the paged listing at `path` (which may hold a query; `per_page` and
    /// `page` are added): 100 at a time until a page holds fewer. Each page is an array,
    /// or, with `field`, an object holding the array there (such as `branch_policies`). A
    /// page of another shape, or a listing that goes on past 1,000 items, is
    /// [`ApiError::Unreadable`].
    pub fn list(&self, path: &str, field: Option<&str>) -> Result<Vec<Value>, ApiError> {
        let separator = if path.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        for page in 1.. {
            let paged = format!("{path}{separator}per_page={PER_PAGE}&page={page}");
            let unreadable = |message: String| ApiError::Unreadable {
                method: Method::Get,
                path: paged.clone(),
                status: 200,
                message,
            };
            let mut answer = self.get(&paged)?;
            let listed = match field {
                Some(field) => answer.get_mut(field).map(Value::take),
                None => Some(answer),
            };
            let listed = match listed {
                Some(Value::Array(listed)) => listed,
                Some(other) => {
                    return Err(unreadable(format!(
                        "a page of the listing is {}, not an array",
                        json_kind(&other)
                    )));
                }
                None => {
                    return Err(unreadable(format!(
                        "a page of the listing has no {}",
                        field.unwrap_or_default()
                    )));
                }
            };
            let full = listed.len() >= PER_PAGE;
            items.extend(listed);
            if items.len() > MAX_LISTED {
                return Err(unreadable(format!(
                    "the listing goes on past {MAX_LISTED} items ({} pages of {PER_PAGE}): \
                     reading stops there",
                    MAX_LISTED / PER_PAGE
                )));
            }
            if !full {
                break;
            }
        }
        Ok(items)
    }

    /// The body of `response`, up to [`MAX_ANSWER_BYTES`]: a larger one is refused from
    /// its `Content-Length`, or as soon as it grows past the cap, and never held whole.
    pub(crate) async fn read_answer<B>(
        &self,
        method: Method,
        path: &str,
        response: http::Response<B>,
    ) -> Result<String, ApiError>
    where
        B: http_body::Body<Data = bytes::Bytes>,
        B::Error: std::error::Error,
    {
        use http_body_util::BodyExt;

        let status = response.status().as_u16();
        let unreadable = |message: &str| ApiError::Unreadable {
            method,
            path: self.token.redact(path),
            status,
            message: message.to_owned(),
        };
        let too_large = || {
            unreadable(&format!(
                "it is larger than {} MB, more than any answer of GitHub's REST API",
                MAX_ANSWER_BYTES >> 20
            ))
        };
        let declared = response
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
        if declared.is_some_and(|length| length > MAX_ANSWER_BYTES as u64) {
            return Err(too_large());
        }
        let mut body = std::pin::pin!(response.into_body());
        let mut bytes = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|error| ApiError::Transport {
                method,
                path: self.token.redact(path),
                message: flatten(&error, &self.token),
            })?;
            if let Ok(data) = frame.into_data() {
                if bytes.len() + data.len() > MAX_ANSWER_BYTES {
                    return Err(too_large());
                }
                bytes.extend_from_slice(&data);
            }
        }
        String::from_utf8(bytes).map_err(|_| unreadable("it is not UTF-8 text"))
    }

    /// A 2xx answer's JSON, with the token redacted from every string in it; `Null` for
    /// an empty body.
    pub(crate) fn parse_answer(
        &self,
        method: Method,
        path: &str,
        status: u16,
        text: &str,
    ) -> Result<Value, ApiError> {
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        let value = serde_json::from_str(text).map_err(|error| ApiError::Unreadable {
            method,
            path: self.token.redact(path),
            status,
            message: format!("it is not JSON ({error})"),
        })?;
        // Whatever a caller prints or writes of it, the token is not there.
        Ok(self.token.redact_value(value))
    }

    /// The octocrab client underneath, for typed APIs this crate does not wrap. Run its
    /// futures with [`GitHub::block_on`] and turn its errors into messages with
    /// [`GitHub::describe_error`]. Its calls have the connect timeout only: bound the
    /// wait for an answer with `tokio::time::timeout`.
    pub fn octocrab(&self) -> &Octocrab {
        &self.octocrab
    }

    /// Runs a future of the [`GitHub::octocrab`] client to completion.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// An octocrab error as [`ApiError`]: its message and causes, redacted.
    pub fn describe_error(&self, method: Method, path: &str, error: &octocrab::Error) -> ApiError {
        match error {
            octocrab::Error::GitHub { source, .. } => {
                let mut message = source.message.clone();
                if let Some(errors) = source.errors.as_ref().filter(|errors| !errors.is_empty()) {
                    message.push_str(&format!(" {}", Value::from(errors.clone())));
                }
                ApiError::Status {
                    method,
                    path: path.to_owned(),
                    status: source.status_code.as_u16(),
                    message: self.shown(&message),
                    documentation_url: source
                        .documentation_url
                        .as_deref()
                        .map(|url| self.shown(url)),
                    rate_limit: None,
                }
            }
            other => ApiError::Transport {
                method,
                path: path.to_owned(),
                message: flatten(other, &self.token),
            },
        }
    }

    /// `text` with the client's token replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        self.token.redact(text)
    }

    /// Text from GitHub as a message shows it: redacted, then with its control
    /// characters escaped, so that it stays within its line ([`escape_text`]).
    pub(crate) fn shown(&self, text: &str) -> String {
        escape_text(&self.token.redact(text)).into_owned()
    }

    /// The error for a redirect: its status and where it pointed, redacted.
    pub(crate) fn redirect(
        &self,
        method: Method,
        path: &str,
        status: u16,
        headers: &http::HeaderMap,
    ) -> ApiError {
        let location = headers
            .get(http::header::LOCATION)
            .map(|value| self.shown(&String::from_utf8_lossy(value.as_bytes())));
        let target = match &location {
            Some(location) => format!("a redirect to {location}"),
            None => "a redirect without a Location".to_owned(),
        };
        ApiError::Redirect {
            method,
            path: self.token.redact(path),
            status,
            location,
            message: format!(
                "{target}, which is not followed: the token goes to the API's host only (if \
                 the repository was renamed or moved, name it as it is now)"
            ),
        }
    }

    /// The error for an answer of `status >= 400` with body `text`, redacted.
    pub(crate) fn status_error(
        &self,
        method: Method,
        path: &str,
        status: u16,
        text: &str,
        rate_limit: Option<Duration>,
    ) -> ApiError {
        // Redacted before it is shortened, so that no part of the token survives a cut.
        let (message, documentation_url) = error_message(&self.token.redact(text), status);
        let rate_limit = match status {
            403 | 429 => rate_limit.or_else(|| secondary_rate_limit(&message)),
            _ => None,
        };
        ApiError::Status {
            method,
            path: self.token.redact(path),
            status,
            message: self.shown(&message),
            documentation_url: documentation_url.map(|url| self.shown(&url)),
            rate_limit,
        }
    }
}

/// The rate-limit wait the headers of an answer ask for, if any.
pub(crate) fn rate_limit_of(headers: &http::HeaderMap) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    rate_limit_wait(
        header("retry-after"),
        header("x-ratelimit-remaining"),
        header("x-ratelimit-reset"),
        std::time::SystemTime::now(),
    )
}

/// GitHub's secondary rate limit can come as a 403 without `retry-after` or any
/// `x-ratelimit-*` header, said only by its message; GitHub asks for at least a minute
/// then. Without this it would read as a missing permission.
fn secondary_rate_limit(message: &str) -> Option<Duration> {
    message
        .to_ascii_lowercase()
        .contains("secondary rate limit")
        .then_some(SECONDARY_RATE_LIMIT_WAIT)
}

/// The wait after a secondary rate limit that names none.
const SECONDARY_RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);

/// An error and its causes on one line, redacted and escaped.
pub(crate) fn flatten(error: &dyn std::error::Error, token: &Token) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        let next_text = next.to_string();
        if !text.contains(&next_text) {
            text.push_str(": ");
            text.push_str(&next_text);
        }
        cause = next.source();
    }
    escape_text(&token.redact(&text)).into_owned()
}

/// GitHub's `message` (with `errors` when given) and `documentation_url` from an error
/// body; the body itself, shortened, when it is not GitHub's JSON.
fn error_message(body: &str, status: u16) -> (String, Option<String>) {
    if let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(body) {
        let mut message = fields
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("(no message)")
            .to_owned();
        if let Some(errors) = fields
            .get("errors")
            .filter(|errors| errors.as_array().is_some_and(|list| !list.is_empty()))
        {
            message.push_str(&format!(" {errors}"));
        }
        let documentation_url = fields
            .get("documentation_url")
            .and_then(Value::as_str)
            .map(str::to_owned);
        return (message, documentation_url);
    }
    let text = body.trim();
    if text.is_empty() {
        return (format!("HTTP {status} with no body"), None);
    }
    const LIMIT: usize = 300;
    let mut end = text.len().min(LIMIT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let ellipsis = if end < text.len() { "..." } else { "" };
    (format!("{}{ellipsis}", &text[..end]), None)
}

/// What a JSON value is, for messages: `a string`, `an object`, ...
pub fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The bytes a name keeps in a path segment or a query value: letters, digits, `-`, `.`,
/// `_` and `~` (URI's unreserved characters). Every other byte is percent-encoded.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `text` as one path segment (or one query value): everything but letters, digits, `-`,
/// `.`, `_` and `~` percent-encoded, so that a branch or environment name with `/` stays
/// one segment and an asset name with `&` one value.
pub fn path_segment(text: &str) -> String {
    utf8_percent_encode(text, UNRESERVED).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_urls_of_github_enterprise_and_others() {
        assert_eq!(web_url("https://api.github.com"), "https://github.com");
        assert_eq!(
            web_url("https://ghe.acme.test/api/v3/"),
            "https://ghe.acme.test"
        );
        assert_eq!(web_url("http://127.0.0.1:4000"), "http://127.0.0.1:4000");
    }

    #[test]
    fn api_url_from_environment() {
        let lookup = |url: Option<&'static str>| {
            move |name: &str| match name {
                "GITHUB_TOKEN" => Some("t0ken".to_owned()),
                "GITHUB_API_URL" => url.map(str::to_owned),
                _ => None,
            }
        };
        let config = Config::from_lookup(lookup(None)).unwrap();
        assert_eq!(config.api_url, "https://api.github.com");
        assert_eq!(config.timeout, DEFAULT_TIMEOUT);
        let config = Config::from_lookup(lookup(Some("https://ghe.example/api/v3/"))).unwrap();
        assert_eq!(config.api_url, "https://ghe.example/api/v3");
        let config = Config::from_lookup(lookup(Some("http://127.0.0.1:4000"))).unwrap();
        assert_eq!(config.api_url, "http://127.0.0.1:4000");
        assert_eq!(
            Config::from_lookup(lookup(Some(""))).unwrap().api_url,
            DEFAULT_API_URL
        );
        assert!(!format!("{config:?}").contains("t0ken"));
    }

    #[test]
    fn timeout_from_environment() {
        let timeout = |value: &'static str| {
            Config::from_lookup(|name: &str| match name {
                "GITHUB_TOKEN" => Some("t0ken".to_owned()),
                "XTASK_GITHUB_TIMEOUT_MS" => Some(value.to_owned()),
                _ => None,
            })
            .unwrap()
            .timeout
        };
        assert_eq!(timeout("250"), Duration::from_millis(250));
        assert_eq!(timeout(" 90000 "), Duration::from_secs(90));
        for ignored in ["0", "-1", "soon", ""] {
            assert_eq!(timeout(ignored), DEFAULT_TIMEOUT, "{ignored:?}");
        }
    }

    #[test]
    fn the_token_goes_in_cleartext_to_loopback_addresses_only() {
        for url in [
            "https://api.github.com",
            "https://ghe.example/api/v3",
            "http://127.0.0.1:4000",
            "http://127.8.9.10",
            "http://localhost:3000/api/v3",
            "http://LOCALHOST",
            "http://[::1]:8080",
        ] {
            assert!(api_url(url).is_ok(), "{url}");
        }
        for url in [
            "http://ghe.example/api/v3",
            "http://api.github.com",
            "http://10.0.0.1:8080",
            "http://localhost.example.com",
            "http://127.0.0.1.example.com",
            "http://[::2]",
        ] {
            let error = api_url(url).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!(
                    "GITHUB_API_URL is {url:?}, which is not an API base (http:// would send the \
                     token in cleartext: use https://, or http:// to a loopback address such as \
                     127.0.0.1 for a local stand-in): expected such as https://api.github.com or \
                     https://HOST/api/v3"
                ),
            );
        }
        // A config made in code is held to the same rule.
        let error = GitHub::new(Config {
            token: Token::new("t0ken", "GITHUB_TOKEN").unwrap(),
            api_url: "http://ghe.example/api/v3".to_owned(),
            timeout: Duration::from_secs(1),
            retry: RetryPolicy::default(),
        })
        .unwrap_err();
        assert!(error.to_string().contains("cleartext"), "{error}");
    }

    #[test]
    fn bad_api_urls_are_named() {
        for (url, reason) in [
            ("api.github.com", "it is not an absolute URL"),
            ("ftp://host/api", "only https:// and http:// are understood"),
            ("https:///api", "it names no host, or holds credentials"),
            ("https://u:p@host", "it names no host, or holds credentials"),
            ("https://host/api?x=1", "it is not a plain URL"),
            ("https://ho st/api", "it is not a plain URL"),
        ] {
            let error = api_url(url).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!(
                    "GITHUB_API_URL is {url:?}, which is not an API base ({reason}): expected \
                     such as https://api.github.com or https://HOST/api/v3"
                ),
            );
        }
    }

    #[test]
    fn error_bodies() {
        assert_eq!(
            error_message(
                r#"{"message":"Branch not protected","documentation_url":"https://docs.github.com/x","status":"404"}"#,
                404
            ),
            (
                "Branch not protected".to_owned(),
                Some("https://docs.github.com/x".to_owned())
            )
        );
        assert_eq!(
            error_message(
                r#"{"message":"Validation Failed","errors":[{"code":"invalid"}]}"#,
                422
            )
            .0,
            r#"Validation Failed [{"code":"invalid"}]"#
        );
        assert_eq!(error_message("", 502).0, "HTTP 502 with no body");
        assert_eq!(
            error_message("<html>bad gateway</html>", 502).0,
            "<html>bad gateway</html>"
        );
        assert_eq!(error_message(&"é".repeat(400), 500).0.chars().count(), 153);
    }

    /// A client of `token` for an API base nothing listens on.
    fn offline_client(token: &str) -> GitHub {
        GitHub::new(Config {
            token: Token::new(token, "GITHUB_TOKEN").unwrap(),
            api_url: "http://127.0.0.1:9".to_owned(),
            timeout: Duration::from_secs(1),
            retry: RetryPolicy::default(),
        })
        .unwrap()
    }

    #[test]
    fn a_secondary_rate_limit_without_headers_is_still_a_rate_limit() {
        let github = offline_client("ghp_x");
        let secondary = r#"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}"#;
        let error = github.status_error(Method::Post, "/x", 403, secondary, None);
        assert!(!error.is_forbidden());
        assert!(matches!(
            error,
            ApiError::Status { rate_limit: Some(wait), .. } if wait == SECONDARY_RATE_LIMIT_WAIT
        ));
        // retry-after, when given, is what counts.
        let error = github.status_error(
            Method::Post,
            "/x",
            403,
            secondary,
            Some(Duration::from_secs(3)),
        );
        assert!(matches!(
            error,
            ApiError::Status { rate_limit: Some(wait), .. } if wait == Duration::from_secs(3)
        ));
        // A refusal for want of permission stays one.
        let refused = r#"{"message":"Resource not accessible by integration"}"#;
        assert!(
            github
                .status_error(Method::Post, "/x", 403, refused, None)
                .is_forbidden()
        );
        // Not a rate limit on any other status.
        let error = github.status_error(Method::Get, "/x", 500, secondary, None);
        assert!(matches!(
            error,
            ApiError::Status {
                rate_limit: None,
                ..
            }
        ));
    }

    #[test]
    fn path_segments() {
        assert_eq!(path_segment("main"), "main");
        assert_eq!(path_segment("release/v1"), "release%2Fv1");
        assert_eq!(path_segment("a b?#%"), "a%20b%3F%23%25");
        assert_eq!(path_segment("v1.2_x~"), "v1.2_x~");
    }

    #[test]
    fn methods() {
        assert_eq!(Method::Delete.to_string(), "DELETE");
        assert!(!Method::Get.is_write());
        assert!(Method::Put.is_write());
    }

    #[test]
    fn client_debug_hides_the_token() {
        let github = offline_client("ghp_hidden_value");
        let debug = format!("{github:?}");
        assert!(!debug.contains("ghp_hidden_value"), "{debug}");
        assert!(debug.contains("http://127.0.0.1:9"), "{debug}");
    }
}

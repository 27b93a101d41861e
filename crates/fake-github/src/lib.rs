//! For the tests: a stand-in for GitHub's REST API on `127.0.0.1`, keeping state as
//! GitHub does, so that a client pointed at it (`GITHUB_API_URL`) can be checked for
//! what it leaves behind and for every request it made.
//!
//! The server runs on a thread of its own with its own runtime and stops when the
//! [`FakeGitHub`] is dropped. It answers for the endpoints `cargo xtask github setup`
//! uses: the repository, branch protection, environments and their deployment branch
//! policies, users and teams; releases, assets and git refs for `release publish`; and
//! the comments of pull requests (`src/comments.rs`) for `coverage --comment`. Requests must carry `Authorization: Bearer <token>` (or
//! `token <token>`) with a token added to the [`State`]; what the token may do is its
//! [`Access`]. Each request is recorded ([`Recorded`]); queued [`Fault`]s answer
//! instead of the endpoint (a status, headers such as a 3xx's `location`, a body, or one
//! of any size streamed: [`Fault::padded`]).
//!
//! It can also answer as a hostile or broken server would, set on the [`State`]: an
//! `upload_url` of another host or scheme (`upload_url_base`), the token echoed in every
//! `html_url` (`echo_authorization`), ids as strings (`ids_as_strings`), listings whose
//! every page is full (`endless_pages`).
//!
//! An endpoint is added in `src/router.rs`: a `Route` variant, a line in `route()` and a
//! handler over the [`State`] in a module named for what it serves.

#![warn(missing_docs)]

mod accounts;
mod comments;
mod environments;
mod git;
mod padded;
mod pages;
mod protection;
mod releases;
mod repos;
mod router;
mod state;
mod uploads;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use http_body_util::{BodyExt, Either, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;

pub use comments::{ACTIONS_BOT, IssueComment};
pub use state::{
    Access, Account, Actors, Asset, AssetState, BranchPolicy, DeploymentBranchPolicy, Environment,
    Fault, Protection, PullRequestReviews, Recorded, Release, Repository, Reviewer, State,
    StatusChecks, TagObject, Team,
};

/// The body of an answer: as given, or padded to a size (see [`Fault::padded`]).
pub(crate) type Body = Either<Full<Bytes>, padded::Padded>;

/// A running server. Dropping it stops the server.
pub struct FakeGitHub {
    url: String,
    upload_url: String,
    state: Arc<Mutex<State>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Where a [`FakeGitHub`] takes uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadHost {
    /// Another host than the API, as github.com's uploads.github.com: here another port.
    Separate,
    /// The API's own host under `/api/uploads`, as on GitHub Enterprise Server.
    SameAsApi,
}

/// The path prefix of uploads on the API's host ([`UploadHost::SameAsApi`]).
const UPLOADS_ON_API_HOST: &str = "/api/uploads";

impl FakeGitHub {
    /// Starts a server holding `state` on a free port of 127.0.0.1, with uploads on
    /// another port, as on github.com.
    pub fn start(state: State) -> Self {
        Self::start_with(state, UploadHost::Separate)
    }

    /// Starts a server holding `state`, taking uploads as `uploads` says.
    pub fn start_with(mut state: State, uploads: UploadHost) -> Self {
        let bind = || {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
            listener
                .set_nonblocking(true)
                .expect("a non-blocking listener");
            let url = format!("http://{}", listener.local_addr().expect("a local address"));
            (listener, url)
        };
        let (listener, url) = bind();
        let (upload_listener, upload_url) = bind();
        let upload_url = match uploads {
            UploadHost::Separate => upload_url,
            UploadHost::SameAsApi => format!("{url}{UPLOADS_ON_API_HOST}"),
        };
        state.upload_base = upload_url.clone();
        let state = Arc::new(Mutex::new(state));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("fake-github".into())
            .spawn({
                let state = Arc::clone(&state);
                let base: Arc<str> = url.clone().into();
                move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("a runtime for the fake GitHub");
                    // When `stopped` resolves, block_on returns and dropping the runtime
                    // ends the accept loop and every connection.
                    runtime.block_on(async move {
                        let listener =
                            tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
                        let upload_listener = tokio::net::TcpListener::from_std(upload_listener)
                            .expect("a tokio listener");
                        tokio::spawn(accept(
                            listener,
                            Arc::clone(&state),
                            Arc::clone(&base),
                            false,
                        ));
                        tokio::spawn(accept(upload_listener, state, base, true));
                        let _ = stopped.await;
                    });
                }
            })
            .expect("a thread for the fake GitHub");
        Self {
            url,
            upload_url,
            state,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The base URL, `http://127.0.0.1:PORT`: the value for `GITHUB_API_URL`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The base URL of uploads, `http://127.0.0.1:OTHER_PORT`, as `upload_url` in a
    /// release names it.
    pub fn upload_url(&self) -> &str {
        &self.upload_url
    }

    /// The state, locked: to read what requests left behind, or to change it.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state().requests.clone()
    }

    /// The requests so far that could change something (not `GET`).
    pub fn writes(&self) -> Vec<Recorded> {
        self.state()
            .requests
            .iter()
            .filter(|request| request.is_write())
            .cloned()
            .collect()
    }

    /// Forgets the requests so far.
    pub fn clear_requests(&self) {
        self.state().requests.clear();
    }
}

impl Drop for FakeGitHub {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept(
    listener: tokio::net::TcpListener,
    state: Arc<Mutex<State>>,
    base: Arc<str>,
    uploads: bool,
) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        if uploads && lock(&state).upload_throttle.is_some() {
            small_receive_buffer(&stream);
        }
        let state = Arc::clone(&state);
        let base = Arc::clone(&base);
        tokio::spawn(async move {
            let builder = http1::Builder::new();
            let io = TokioIo::new(stream);
            // A client that hangs up mid-request, or a fault that hangs up on it, ends the
            // connection; the state already says what was left behind.
            let service = service_fn(move |mut request: hyper::Request<_>| {
                let (state, base) = (Arc::clone(&state), Arc::clone(&base));
                async move {
                    if uploads {
                        return uploads::serve(state, base, request).await;
                    }
                    match upload_on_api_host(request.uri()) {
                        Some(path) => {
                            *request.uri_mut() = path;
                            uploads::serve(state, base, request).await
                        }
                        None => Ok(serve(state, base, request).await),
                    }
                }
            });
            let _ = builder.serve_connection(io, service).await;
        });
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A throttled upload reads slowly: with the kernel's receive buffer kept small, the
/// client sees its upload move at the throttled rate, not megabytes buffered at once.
fn small_receive_buffer(stream: &tokio::net::TcpStream) {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        let size: libc::c_int = 64 * 1024;
        // SAFETY: a valid socket, and an int option of the size given.
        unsafe {
            libc::setsockopt(
                stream.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                (&size as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
    }
    #[cfg(not(unix))]
    let _ = stream;
}

/// The upload path of a request sent to the API's host (`/api/uploads/...`), with the
/// prefix taken off; `None` for any other request.
fn upload_on_api_host(uri: &http::Uri) -> Option<http::Uri> {
    uri.path_and_query()?
        .as_str()
        .strip_prefix(UPLOADS_ON_API_HOST)
        .filter(|rest| rest.starts_with('/'))?
        .parse()
        .ok()
}

/// The request's one `Authorization` header; a 400, as GitHub answers, when it carries
/// more than one.
pub(crate) fn authorization(headers: &http::HeaderMap) -> Result<Option<&str>, router::Reply> {
    let mut values = headers.get_all(http::header::AUTHORIZATION).iter();
    let first = values.next().and_then(|value| value.to_str().ok());
    if values.next().is_some() {
        return Err(router::Reply::error(
            400,
            "Problems parsing the request: more than one Authorization header",
        ));
    }
    Ok(first)
}

async fn serve(
    state: Arc<Mutex<State>>,
    base: Arc<str>,
    request: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<Body> {
    let (parts, body) = request.into_parts();
    let bytes = body
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .unwrap_or_default();
    let (body, malformed_body) = if bytes.is_empty() {
        (None, false)
    } else {
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(value) => (Some(value), false),
            Err(_) => (
                Some(Value::String(String::from_utf8_lossy(&bytes).into_owned())),
                true,
            ),
        }
    };
    let reply = {
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        match authorization(&parts.headers) {
            Ok(authorization) => router::handle(
                &mut state,
                router::Request {
                    method: parts.method.as_str(),
                    path: parts.uri.path(),
                    query: parts.uri.query(),
                    authorization,
                    body,
                    malformed_body,
                    base_url: &base,
                },
            ),
            Err(reply) => {
                state.requests.push(Recorded {
                    method: parts.method.to_string(),
                    path: parts.uri.path().to_owned(),
                    query: parts.uri.query().map(str::to_owned),
                    body,
                    status: reply.status,
                });
                reply
            }
        }
    };
    respond(reply).await
}

/// `reply` as hyper's response, after its delay.
async fn respond(reply: router::Reply) -> hyper::Response<Body> {
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut response = hyper::Response::builder().status(reply.status);
    for (name, value) in &reply.headers {
        response = response.header(name.as_str(), value.as_str());
    }
    let body = match reply.padded {
        Some(size) => Either::Right(padded::Padded::new(size)),
        None => Either::Left(Full::new(Bytes::from(reply.body))),
    };
    response.body(body).expect("a valid response")
}

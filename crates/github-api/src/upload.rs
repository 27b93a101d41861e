//! Release asset uploads: a file streamed from disk to the release's `upload_url`,
//! which is on another host than the API (uploads.github.com), one chunk at a time.

use std::fs::File;
use std::future::Future;
use std::io::Read;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use camino::Utf8Path;
use http_body::{Frame, SizeHint};
use octocrab::OctoBody;
use serde_json::Value;

use crate::client::{ApiError, GitHub, Method, flatten, is_loopback, path_segment, rate_limit_of};

/// Called with the bytes of the file sent so far, after each chunk.
pub type Progress = Arc<dyn Fn(u64) + Send + Sync>;

/// How much of the file is read and sent at a time: memory stays this small whatever
/// the file's size.
const CHUNK: usize = 256 * 1024;

/// The URL that uploads `name` (and `label`, when given) to a release, from the
/// release's `upload_url` URI template (`.../assets{?name,label}`).
pub fn upload_target(upload_url: &str, name: &str, label: Option<&str>) -> String {
    let base = upload_url
        .split_once('{')
        .map_or(upload_url, |(base, _)| base);
    // A path segment's encoding keeps a query value whole too: `&`, `=`, `+` and `#` are
    // among the bytes it encodes.
    let mut url = format!("{base}?name={}", path_segment(name));
    if let Some(label) = label {
        url.push_str(&format!("&label={}", path_segment(label)));
    }
    url
}

/// Whether the token may go with an upload to `url`, for the API at `api_url`: over
/// https (plain http to loopback addresses only, for local stand-ins), to the API's own
/// host (GitHub Enterprise Server, where uploads are under `/api/uploads`) or, for
/// `api.github.com`, to `uploads.github.com`. The release's `upload_url` comes from
/// GitHub's answer: a host or scheme it names is not trusted for that alone.
pub(crate) fn upload_destination(api_url: &str, url: &str) -> Result<(), String> {
    let uri = url.parse::<http::Uri>().ok();
    let (Some(scheme), Some(host)) = (
        uri.as_ref().and_then(http::Uri::scheme_str),
        uri.as_ref().and_then(http::Uri::host),
    ) else {
        return Err(format!(
            "the release's upload_url is {url}, which is not an absolute URL"
        ));
    };
    let secure = scheme == "https" || (scheme == "http" && is_loopback(host));
    if !secure {
        return Err(format!(
            "the release's upload_url names {url}: the token is sent over https only \
             (http:// to loopback addresses alone, for local stand-ins)"
        ));
    }
    let api_host = api_url
        .parse::<http::Uri>()
        .ok()
        .and_then(|api| api.host().map(str::to_ascii_lowercase))
        .unwrap_or_default();
    let host = host.to_ascii_lowercase();
    if host == api_host || (api_host == GITHUB_API_HOST && host == GITHUB_UPLOAD_HOST) {
        return Ok(());
    }
    if api_host == GITHUB_API_HOST {
        Err(format!(
            "the release's upload_url names the host {host}, which is neither the API's host \
             ({api_host}) nor GitHub's upload host for it ({GITHUB_UPLOAD_HOST}): the token \
             is not sent there"
        ))
    } else {
        Err(format!(
            "the release's upload_url names the host {host}, which is not the API's host \
             ({api_host}): the token is not sent there"
        ))
    }
}

/// github.com's API host, and the host its releases take uploads on.
const GITHUB_API_HOST: &str = "api.github.com";
const GITHUB_UPLOAD_HOST: &str = "uploads.github.com";

impl GitHub {
    /// One attempt at uploading the file at `path` to `url` (see [`upload_target`]):
    /// `POST` with its length and `content_type`, the body read from disk as it is sent.
    /// Returns the asset GitHub made. Refused, unsent, when `url` is not https (plain
    /// http only to loopback addresses) or not on the API's host or GitHub's upload host
    /// for it (`uploads.github.com` for `api.github.com`). It fails when nothing moves for
    /// the client's timeout (no chunk taken by the connection, or no answer after the last one),
    /// however long a moving upload takes. Not repeated on failure: a failed upload can
    /// leave an asset behind that the caller must find and delete first.
    pub fn upload(
        &self,
        url: &str,
        path: &Utf8Path,
        content_type: &str,
        progress: Progress,
    ) -> Result<Value, ApiError> {
        let shown = self.redact(url);
        let transport = |message: String| ApiError::Transport {
            method: Method::Post,
            path: shown.clone(),
            message,
        };
        upload_destination(self.api_url(), url).map_err(|why| ApiError::Refused {
            method: Method::Post,
            path: shown.clone(),
            message: self.redact(&why),
        })?;
        let file =
            File::open(path).map_err(|error| transport(format!("cannot read {path}: {error}")))?;
        let len = file
            .metadata()
            .map_err(|error| transport(format!("cannot read {path}: {error}")))?
            .len();
        let uri: http::Uri = url
            .parse()
            .map_err(|error| transport(format!("not a URL: {error}")))?;
        let mut request = http::Request::builder()
            .method(http::Method::POST)
            .uri(uri.clone());
        // octocrab adds the token for the API's host only (its upload host is set to the
        // API's): the upload host GitHub names (uploads.github.com) gets it from here; on
        // GitHub Enterprise uploads are on the API's host, and the token goes once.
        if uri.authority() != self.api_authority().as_ref() {
            let mut authorization =
                http::HeaderValue::from_str(&format!("Bearer {}", self.token.expose()))
                    .map_err(|_| transport("the token cannot be a header".into()))?;
            authorization.set_sensitive(true);
            request = request.header(http::header::AUTHORIZATION, authorization);
        }
        let moved = Moved::now();
        let request = request
            .header(http::header::CONTENT_TYPE, content_type)
            .header(http::header::CONTENT_LENGTH, len)
            .header(http::header::ACCEPT, "application/vnd.github+json")
            .body(OctoBody::new(FileBody {
                file,
                remaining: len,
                sent: 0,
                progress,
                moved: moved.clone(),
            }))
            .map_err(|error| transport(format!("not a request: {error}")))?;
        let stalled = || {
            transport(format!(
                "stalled: nothing moved for {} s",
                self.timeout.as_secs_f64()
            ))
        };
        let result = self.runtime.block_on(async {
            let flatten = |error: octocrab::Error| transport(flatten(&error, &self.token));
            let response = moved
                .while_moving(self.timeout, self.octocrab.execute(request))
                .await
                .ok_or_else(stalled)?
                .map_err(flatten)?;
            let status = response.status().as_u16();
            if (300..400).contains(&status) {
                return Err(self.redirect(Method::Post, &shown, status, response.headers()));
            }
            let rate_limit = rate_limit_of(response.headers());
            let text = moved
                .while_moving(
                    self.timeout,
                    self.read_answer(Method::Post, &shown, response),
                )
                .await
                .ok_or_else(stalled)??;
            if status >= 400 {
                return Err(self.status_error(Method::Post, &shown, status, &text, rate_limit));
            }
            self.parse_answer(Method::Post, &shown, status, &text)
        });
        self.count_write(Method::Post, &result);
        result
    }
}

/// When an upload last moved: its start, then each chunk handed to the connection.
#[derive(Clone)]
struct Moved(Arc<Mutex<Instant>>);

impl Moved {
    fn now() -> Self {
        Self(Arc::new(Mutex::new(Instant::now())))
    }

    fn touch(&self) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Instant::now();
    }

    fn last(&self) -> Instant {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `future`'s output, or `None` once `timeout` has passed without a chunk moving
    /// (after the last one: without the answer). A slow upload that moves goes on.
    async fn while_moving<F: Future>(&self, timeout: Duration, future: F) -> Option<F::Output> {
        let mut future = std::pin::pin!(future);
        loop {
            let deadline = tokio::time::Instant::from_std(self.last() + timeout);
            match tokio::time::timeout_at(deadline, future.as_mut()).await {
                Ok(output) => return Some(output),
                Err(_) if self.last().elapsed() >= timeout => return None,
                Err(_) => {}
            }
        }
    }
}

/// A file as a request body: read a chunk at a time, as hyper asks for it.
struct FileBody {
    file: File,
    remaining: u64,
    sent: u64,
    progress: Progress,
    moved: Moved,
}

impl http_body::Body for FileBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let size = usize::try_from(self.remaining).map_or(CHUNK, |left| left.min(CHUNK));
        let mut chunk = vec![0; size];
        // A local file: the read is short enough not to matter to the runtime.
        if let Err(error) = self.file.read_exact(&mut chunk) {
            return Poll::Ready(Some(Err(error)));
        }
        self.remaining -= size as u64;
        self.sent += size as u64;
        self.moved.touch();
        (self.progress)(self.sent);
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(chunk)))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_go_to_the_api_host_or_its_known_upload_host() {
        let allowed = [
            (
                "https://api.github.com",
                "https://uploads.github.com/repos/o/r/releases/7/assets?name=a",
            ),
            (
                "https://api.github.com",
                "https://api.github.com/repos/o/r/releases/7/assets?name=a",
            ),
            (
                "https://ghe.example/api/v3",
                "https://ghe.example/api/uploads/repos/o/r/releases/7/assets?name=a",
            ),
            (
                "https://GHE.example/api/v3",
                "https://ghe.EXAMPLE:443/api/uploads/repos/o/r/releases/7/assets",
            ),
            // A local stand-in: plain http to loopback, any port.
            ("http://127.0.0.1:4000", "http://127.0.0.1:4001/repos/o/r"),
        ];
        for (api, url) in allowed {
            assert_eq!(upload_destination(api, url), Ok(()), "{api} {url}");
        }
        let refused = [
            (
                "https://api.github.com",
                "http://uploads.github.com/repos/o/r/releases/7/assets?name=a",
                "the release's upload_url names http://uploads.github.com/repos/o/r/releases/7/\
                 assets?name=a: the token is sent over https only (http:// to loopback \
                 addresses alone, for local stand-ins)",
            ),
            (
                "https://api.github.com",
                "https://uploads.evil.example/repos/o/r/releases/7/assets?name=a",
                "the release's upload_url names the host uploads.evil.example, which is \
                 neither the API's host (api.github.com) nor GitHub's upload host for it \
                 (uploads.github.com): the token is not sent there",
            ),
            (
                "https://ghe.example/api/v3",
                "https://uploads.github.com/repos/o/r/releases/7/assets",
                "the release's upload_url names the host uploads.github.com, which is not \
                 the API's host (ghe.example): the token is not sent there",
            ),
            (
                "http://127.0.0.1:4000",
                "http://localhost:4001/repos/o/r",
                "the release's upload_url names the host localhost, which is not the API's \
                 host (127.0.0.1): the token is not sent there",
            ),
            (
                "https://api.github.com",
                "ftp://uploads.github.com/x",
                "the release's upload_url names ftp://uploads.github.com/x: the token is sent \
                 over https only (http:// to loopback addresses alone, for local stand-ins)",
            ),
            (
                "https://api.github.com",
                "/repos/o/r/releases/7/assets",
                "the release's upload_url is /repos/o/r/releases/7/assets, which is not an \
                 absolute URL",
            ),
        ];
        for (api, url, why) in refused {
            assert_eq!(
                upload_destination(api, url),
                Err(why.to_owned()),
                "{api} {url}"
            );
        }
    }

    #[test]
    fn upload_targets_from_the_template() {
        assert_eq!(
            upload_target(
                "https://uploads.github.com/repos/o/r/releases/7/assets{?name,label}",
                "kato-linux-x86_64",
                None
            ),
            "https://uploads.github.com/repos/o/r/releases/7/assets?name=kato-linux-x86_64"
        );
        assert_eq!(
            upload_target("http://h/a", "SHA 256+.txt", Some("sums")),
            "http://h/a?name=SHA%20256%2B.txt&label=sums"
        );
    }
}

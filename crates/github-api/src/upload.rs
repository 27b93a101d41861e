//! Release asset uploads: a file streamed from disk to the release's `upload_url`,
//! which is on another host than the API (uploads.github.com), one chunk at a time.

use std::fs::File;
use std::io::Read;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use camino::Utf8Path;
use http_body::{Frame, SizeHint};
use octocrab::OctoBody;
use serde_json::Value;

use crate::client::{ApiError, GitHub, Method, flatten, rate_limit_of};

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
    let mut url = format!("{base}?name={}", query_value(name));
    if let Some(label) = label {
        url.push_str(&format!("&label={}", query_value(label)));
    }
    url
}

fn query_value(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

impl GitHub {
    /// One attempt at uploading the file at `path` to `url` (see [`upload_target`]):
    /// `POST` with its length and `content_type`, the body read from disk as it is sent.
    /// Returns the asset GitHub made. Not repeated on failure: a failed upload can leave
    /// an asset behind that the caller must find and delete first.
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
        let file =
            File::open(path).map_err(|error| transport(format!("cannot read {path}: {error}")))?;
        let len = file
            .metadata()
            .map_err(|error| transport(format!("cannot read {path}: {error}")))?
            .len();
        // octocrab adds the token only for its API and upload hosts; this URL is the one
        // GitHub's own answer gave (another port here, the API host on GitHub Enterprise).
        let mut authorization =
            http::HeaderValue::from_str(&format!("Bearer {}", self.token.expose()))
                .map_err(|_| transport("the token cannot be a header".into()))?;
        authorization.set_sensitive(true);
        let request = http::Request::builder()
            .method(http::Method::POST)
            .uri(url)
            .header(http::header::AUTHORIZATION, authorization)
            .header(http::header::CONTENT_TYPE, content_type)
            .header(http::header::CONTENT_LENGTH, len)
            .header(http::header::ACCEPT, "application/vnd.github+json")
            .body(OctoBody::new(FileBody {
                file,
                remaining: len,
                sent: 0,
                progress,
            }))
            .map_err(|error| transport(format!("not a request: {error}")))?;
        self.runtime.block_on(async {
            let flatten = |error: octocrab::Error| transport(flatten(&error, &self.token));
            let response = self.octocrab.execute(request).await.map_err(flatten)?;
            let status = response.status().as_u16();
            let rate_limit = rate_limit_of(response.headers());
            let text = self
                .octocrab
                .body_to_string(response)
                .await
                .map_err(flatten)?;
            if status >= 400 {
                return Err(self.status_error(Method::Post, &shown, status, &text, rate_limit));
            }
            serde_json::from_str(&text)
                .map_err(|error| transport(format!("the answer ({status}) is not JSON: {error}")))
        })
    }
}

/// A file as a request body: read a chunk at a time, as hyper asks for it.
struct FileBody {
    file: File,
    remaining: u64,
    sent: u64,
    progress: Progress,
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

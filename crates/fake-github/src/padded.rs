//! A JSON body of any size, made a chunk at a time as it is sent and never held whole:
//! an empty array padded with spaces, sent without a `Content-Length`, as a hostile or
//! broken server might stream one without end.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};

/// How much is made and sent at a time.
const CHUNK: u64 = 64 * 1024;

/// `[`, spaces, `]`: `size` bytes in all (at least the two brackets).
pub struct Padded {
    size: u64,
    sent: u64,
}

impl Padded {
    /// A body of `size` bytes.
    pub fn new(size: u64) -> Self {
        Self {
            size: size.max(2),
            sent: 0,
        }
    }
}

impl Body for Padded {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.sent >= self.size {
            return Poll::Ready(None);
        }
        let len = (self.size - self.sent).min(CHUNK);
        let mut chunk = vec![b' '; len as usize];
        if self.sent == 0 {
            chunk[0] = b'[';
        }
        if self.sent + len == self.size {
            chunk[len as usize - 1] = b']';
        }
        self.sent += len;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(chunk)))))
    }

    fn is_end_stream(&self) -> bool {
        self.sent >= self.size
    }

    fn size_hint(&self) -> SizeHint {
        // Unknown, so that hyper sends it chunked, without a Content-Length.
        SizeHint::default()
    }
}

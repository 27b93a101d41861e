//! The upload host: `POST /repos/{o}/{r}/releases/{id}/assets?name=...` with the
//! asset's bytes as the body, read frame by frame and hashed as they come, never held.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use http_body_util::BodyExt;
use sha2::{Digest, Sha256};

use crate::git::hex;
use crate::releases::{self, UploadEnd};
use crate::router::{self, Reply, percent_decode};
use crate::state::{Fault, Recorded, State};

/// Why a connection was closed without an answer.
#[derive(Debug)]
pub struct Hangup(&'static str);

impl std::fmt::Display for Hangup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Hangup {}

/// One upload request.
pub async fn serve(
    state: Arc<Mutex<State>>,
    base: Arc<str>,
    request: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<crate::Body>, Hangup> {
    let lock = || state.lock().unwrap_or_else(PoisonError::into_inner);
    let (parts, mut body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().map(str::to_owned);
    let param = |key: &str| {
        query
            .as_deref()?
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(name, _)| *name == key)
            .and_then(|(_, value)| percent_decode(value))
    };
    let (name, label) = (param("name"), param("label"));
    let header = |key: &str| {
        parts
            .headers
            .get(key)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header("content-type").unwrap_or_else(|| "application/octet-stream".into());
    let declared = header("content-length").and_then(|value| value.parse::<u64>().ok());
    let record = |state: &mut State, status: u16| {
        state.requests.push(Recorded {
            method: parts.method.to_string(),
            path: path.clone(),
            query: query.clone(),
            body: None,
            status,
        });
    };

    let authorization = match crate::authorization(&parts.headers) {
        Ok(authorization) => authorization.map(str::to_owned),
        Err(reply) => {
            record(&mut lock(), reply.status);
            return Ok(crate::respond(reply).await);
        }
    };

    // Everything that is decided before the body is read, under the lock.
    let started = {
        let mut state = lock();

        let fault = router::take_fault(
            &mut state,
            parts.method.as_str(),
            &path,
            Some(name.as_deref().unwrap_or("")),
        );
        let started = start(
            &mut state,
            &parts.method,
            &path,
            authorization.as_deref(),
            name.as_deref(),
            label.as_deref(),
            &content_type,
            fault.as_ref(),
        );
        if let Err(reply) = &started {
            record(&mut state, reply.status);
        }
        started.map(|(owner, repo, asset)| (owner, repo, fault, asset))
    };
    let (owner, repo, fault, asset) = match started {
        Ok(started) => started,
        Err(reply) => return Ok(crate::respond(reply).await),
    };

    // hyper drops this future when the connection breaks mid-body; the guard then
    // leaves the asset as GitHub would, holding its name.
    let mut unfinished = Unfinished {
        state: Arc::clone(&state),
        base: Arc::clone(&base),
        owner: owner.clone(),
        repo: repo.clone(),
        asset,
        recorded: Recorded {
            method: parts.method.to_string(),
            path: path.clone(),
            query: query.clone(),
            body: None,
            status: 0,
        },
        finished: false,
    };
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let end = |state: &mut State, size: u64, outcome: UploadEnd| {
        releases::end_upload(state, &base, &owner, &repo, asset, size, outcome)
    };
    loop {
        let frame = body.frame().await;
        let data = match frame {
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) => data,
                Err(_) => continue,
            },
            Some(Err(_)) => {
                // The client went away mid-body: the name stays held.
                unfinished.finished = true;
                let mut state = lock();
                end(&mut state, size, UploadEnd::Starter);
                record(&mut state, 0);
                return Err(Hangup("the client closed the upload"));
            }
            None => break,
        };
        if let Some(limit) = fault.as_ref().and_then(|fault| fault.drop_after)
            && size + data.len() as u64 >= limit
        {
            hasher.update(&data[..(limit - size) as usize]);
            unfinished.finished = true;
            let mut state = lock();
            end(&mut state, limit, UploadEnd::Starter);
            record(&mut state, 0);
            return Err(Hangup("dropped mid-upload, as asked"));
        }
        if size == 0 && !data.is_empty() && fault.as_ref().is_some_and(|fault| fault.corrupt) {
            let mut changed = data.to_vec();
            changed[0] ^= 0xff;
            hasher.update(&changed);
        } else {
            hasher.update(&data);
        }
        size += data.len() as u64;
        let throttle = lock().upload_throttle;
        if let Some(rate) = throttle.filter(|rate| *rate > 0) {
            tokio::time::sleep(Duration::from_secs_f64(data.len() as f64 / rate as f64)).await;
        }
    }

    unfinished.finished = true;
    let reply = {
        let mut state = lock();
        let delay = fault.as_ref().map_or(Duration::ZERO, |fault| fault.delay);
        let reply = if declared != Some(size) {
            end(&mut state, size, UploadEnd::Starter);
            Reply::error(400, "Bad Content-Length or name parameter missing")
        } else if let Some(fault) = fault.filter(|fault| fault.status != 0) {
            // GitHub's upstream failing with 502 can leave the asset holding its name.
            let outcome = if fault.status == 502 {
                UploadEnd::Starter
            } else {
                UploadEnd::Gone
            };
            end(&mut state, size, outcome);
            router::fault_reply(fault, authorization.as_deref())
        } else {
            let asset = end(
                &mut state,
                size,
                UploadEnd::Uploaded(hex(&hasher.finalize())),
            );
            let mut reply = match asset {
                Some(asset) => Reply::json(201, asset),
                // Deleted while it streamed in.
                None => Reply::not_found(),
            };
            reply.delay = delay;
            reply
        };
        record(&mut state, reply.status);
        reply
    };
    Ok(crate::respond(reply).await)
}

/// An upload whose request was dropped before it ended: its asset becomes a
/// `starter`, and the request is recorded with status 0 (no answer).
struct Unfinished {
    state: Arc<Mutex<State>>,
    base: Arc<str>,
    owner: String,
    repo: String,
    asset: u64,
    recorded: Recorded,
    finished: bool,
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        releases::end_upload(
            &mut state,
            &self.base,
            &self.owner,
            &self.repo,
            self.asset,
            0,
            UploadEnd::Starter,
        );
        state.requests.push(self.recorded.clone());
    }
}

/// The checks before the body: the path, the token, a fault that answers at once, the
/// release and the name. Returns the owner, the repository and the new asset's id.
#[allow(clippy::too_many_arguments)]
fn start(
    state: &mut State,
    method: &http::Method,
    path: &str,
    authorization: Option<&str>,
    name: Option<&str>,
    label: Option<&str>,
    content_type: &str,
    fault: Option<&Fault>,
) -> Result<(String, String, u64), Reply> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let ["repos", owner, repo, "releases", id, "assets"] = segments.as_slice() else {
        return Err(Reply::not_found());
    };
    if method != http::Method::POST {
        return Err(Reply::not_found());
    }
    // A fault that neither drops the body nor leaves a starter answers before reading it.
    if let Some(fault) =
        fault.filter(|fault| fault.status != 0 && fault.status != 502 && fault.drop_after.is_none())
    {
        return Err(router::fault_reply(fault.clone(), authorization));
    }
    let access = router::authenticate(state, authorization)?;
    router::may_write_contents(access)?;
    let asset = releases::begin_upload(state, owner, repo, id, name, label, content_type)?;
    Ok(((*owner).to_owned(), (*repo).to_owned(), asset))
}

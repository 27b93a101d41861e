//! Making the planned calls, in order.

use anyhow::{Result, bail};
use github_api::{GitHub, Method};

use crate::access::lacks_admin;
use crate::plan::Call;
use crate::read::Repository;

/// What [`apply`] has come to, for the caller to show as it happens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Applied<'a> {
    /// The call is about to be made.
    Making(&'a Call),
    /// GitHub answered the call with this success status.
    Made(&'a Call, u16),
    /// A deployment policy with the call's pattern was there already (GitHub answers a
    /// `POST` of it with 303).
    AlreadyThere(&'a Call),
}

/// Makes `calls` in order, reporting each to `report`; stops at the first failure, with
/// an error that says what was done: how many changes were made, and whether the one that
/// failed may have been.
pub fn apply(
    github: &GitHub,
    repository: &Repository,
    calls: &[Call],
    mut report: impl FnMut(Applied<'_>),
) -> Result<()> {
    for (done, call) in calls.iter().enumerate() {
        report(Applied::Making(call));
        match github.request(call.method, &call.path, call.body.as_ref()) {
            Err(error) if error.status() == Some(303) && call.method == Method::Post => {
                report(Applied::AlreadyThere(call))
            }
            Ok(answer) => report(Applied::Made(call, answer.status)),
            Err(error) => {
                // A call refused (4xx) changed nothing; one that failed otherwise may have.
                let perhaps = github.writes_made() > done as u64;
                let made = match (done, perhaps) {
                    (0, false) => "nothing was changed".to_owned(),
                    (n, false) => format!(
                        "{n} of {} changes were made; run again to make the rest",
                        calls.len()
                    ),
                    (n, true) => format!(
                        "{n} of {} changes were made, and perhaps the one that failed; run \
                         again to make the rest",
                        calls.len()
                    ),
                };
                if lacks_admin(&error, call.path.ends_with("/protection")) {
                    bail!("{}\n{made}", repository.admin_error(&error));
                }
                bail!("{error}\n{made}");
            }
        }
    }
    Ok(())
}

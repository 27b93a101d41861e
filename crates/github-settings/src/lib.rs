//! The repository settings on GitHub that releases rely on: branch protection of the main
//! branch requiring the CI checks, and a release environment with required reviewers that
//! deploys only from that branch and the release tags.
//!
//! - [`Repository::read`] and [`read_current`]: the repository and its settings as they
//!   are ([`Current`]), GitHub's answers read strictly.
//! - [`distinct_reviewers`] and [`choose_reviewers`]: the required reviewers, named as
//!   `LOGIN` or `ORG/TEAM` ([`ReviewerName`]) and looked up, or kept as they are.
//! - [`plan`]: the API calls ([`Call`]) that take the settings from [`Current`] to
//!   [`Desired`], only what differs; pure, so a dry run prints exactly what a run makes.
//! - [`apply`]: makes those calls in order, reporting each ([`Applied`]).
//!
//! Text from GitHub in summaries and errors is escaped to one line; printing it is the
//! caller's.

#![warn(missing_docs)]

mod access;
mod apply;
mod plan;
mod read;
mod reviewers;

pub use apply::{Applied, apply};
pub use plan::{Call, Current, Desired, Policy, RefKind, RefPattern, Reviewer, ReviewerKind, plan};
pub use read::{Repository, read_current};
pub use reviewers::{ReviewerName, choose_reviewers, distinct_reviewers};

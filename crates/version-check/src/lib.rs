//! The rules a release version follows.
//!
//! - [`parse_version`]: a requested version is exact semver (`0.1.0`, `1.2.0-rc.1`),
//!   never `v0.1.0` or `1.0`.
//! - [`check_declared`]: it equals the `version` of deno.json(c).
//! - [`check_tag`]: a tag is `v` + that version.
//! - [`Bump`] / [`set_version`]: the next version, written into deno.json(c) by editing
//!   the document's tree, so comments, key order, indentation and trailing commas stay.
//! - [`LockedConfig`]: deno.json(c) read under an exclusive lock and replaced atomically,
//!   only when it still holds what was read; bumps of one file take turns.
//! - [`Repository`] / [`ReleaseFacts`]: what git says about the ref to release (clean
//!   tree, on the main branch, tag not elsewhere), gathered by running git and judged
//!   without it; [`short_commit`] names a commit in a message.

#![warn(missing_docs)]

mod bump;
mod config_file;
mod git;
mod preflight;
mod version;

pub use bump::{Bump, BumpError, read_version, set_version};
pub use config_file::{ConfigFileError, LockedConfig};
pub use git::{MainHead, Repository, short_commit};
pub use preflight::{PreflightProblem, ReleaseFacts, TagFacts};
pub use version::{
    VersionError, check_declared, check_tag, parse_declared, parse_version, tag_name,
};

//! The rules every task that talks to GitHub follows.
//!
//! - The token is `GITHUB_TOKEN`, else `GH_TOKEN` ([`Token::from_env`]). It is held in a
//!   [`Token`], whose printed forms are `***`, and every message this crate produces,
//!   GitHub's answers included, has it replaced by `***`.
//! - The API base is `GITHUB_API_URL` when set, as GitHub Actions and GitHub Enterprise
//!   set it, else `https://api.github.com` ([`Config::from_env`]). It is https; plain
//!   http is taken only to a loopback address, so the token never travels in cleartext.
//! - Uploads go only to the API's host or, for `api.github.com`, `uploads.github.com`,
//!   over https ([`GitHub::upload`]); another `upload_url` is refused unsent.
//! - The repository is `--repo OWNER/NAME`, else `GITHUB_REPOSITORY`, else the `origin`
//!   remote of the git repository ([`resolve_repo`], [`origin_url`]).
//!
//! [`GitHub`] is the client: octocrab with rustls, retries and timeouts, driven by a
//! runtime of its own so that callers make plain blocking calls.

#![warn(missing_docs)]

mod answer;
mod client;
mod repo;
mod retry;
mod token;
mod upload;

pub use answer::{Fields, quoted};
pub use client::{
    ApiError, Config, DEFAULT_API_URL, GitHub, Method, Response, api_url, path_segment, web_url,
};
pub use repo::{RepoError, RepoName, RepoSource, origin_url, resolve_repo, valid_owner};
pub use retry::RetryPolicy;
pub use token::Token;
pub use upload::{Progress, upload_target};

/// Why a client could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    /// Neither `GITHUB_TOKEN` nor `GH_TOKEN` is set.
    #[error(
        "no GitHub token: set GITHUB_TOKEN (or GH_TOKEN) to a token that may administer the \
         repository"
    )]
    NoToken,
    /// The variable holds something that cannot be a token.
    #[error("{origin} does not hold a token: it has spaces or control characters")]
    MalformedToken {
        /// The variable it came from.
        origin: String,
    },
    /// `GITHUB_API_URL` is not an API base.
    #[error(
        "GITHUB_API_URL is {value:?}, which is not an API base ({reason}): expected such as \
         https://api.github.com or https://HOST/api/v3"
    )]
    BadApiUrl {
        /// The value.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot make the GitHub client: {0}")]
    Client(String),
}

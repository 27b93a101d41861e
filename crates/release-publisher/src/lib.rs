//! Releasing kato's binaries, from compiling to the published GitHub release.
//!
//! - [`Target`] / [`TARGETS`]: the five release targets, their artifact names and the
//!   runners a GitHub Actions matrix would use ([`BuildPlan::matrix`]).
//! - [`ReleasePolicy`]: the permissions a release binary is compiled with, taken from a
//!   permission set of deno.json and refused when it grants everything or would bake
//!   the build machine (relative paths, the workspace, the build user's home) into the
//!   binary. [`ReleasePolicy::compile_flags`] derives the explicit `deno compile` flags.
//! - [`plan_build`] / [`build`]: one `deno compile` per target, run in parallel.
//! - [`audit`]: reads a compiled artifact back: its file format, and the permissions
//!   deno embedded in it ([`read_metadata`]) against the policy.
//! - [`sha256sums`]: the `SHA256SUMS` file that `sha256sum -c` verifies;
//!   [`write_sha256sums`] writes it atomically.
//! - [`find_artifacts`] / [`release_files`]: the release's files on disk, the installers
//!   and `SHA256SUMS` written beside the artifacts.
//! - [`install_sh`] / [`install_ps1`]: the installers a release carries, which check the
//!   binary they download against `SHA256SUMS` before installing it.
//! - [`publish`] (feature `publish`, on by default): the GitHub release, resumable:
//!   [`read_remote`] (with [`remote_preflight`]), [`plan_publish`] (the calls, which a dry
//!   run prints), then [`apply`]: the annotated tag, a draft, uploads streamed from disk
//!   ([`plan_assets`] skips, replaces and cleans up), [`verify_assets`], then publication.
//!   [`changelog_section`] gives the notes.

#![warn(missing_docs)]

#[cfg(feature = "publish")]
mod assets;
mod audit;
mod build;
mod checksums;
mod files;
mod installers;
mod machine;
mod metadata;
mod notes;
mod plan;
mod policy;
#[cfg(feature = "publish")]
mod publish;
mod target;

#[cfg(feature = "publish")]
pub use assets::{AssetPlan, RemoteAsset, Removal, plan_assets, verify_assets};
pub use audit::{ArtifactFile, AuditFinding, Audited, audit, audit_files};
pub use build::{BuildEvent, Built, TypeCheckFailed, build};
pub use checksums::{SHA256SUMS, sha256_file, sha256_hex, sha256sums, write_sha256sums};
pub use files::{LocalAsset, find_artifacts, release_files};
pub use installers::{INSTALL_PS1, INSTALL_SH, InstallerPlan, install_ps1, install_sh};
pub use machine::BuildMachine;
pub use metadata::{DENO_DEFAULT_IMPORT_HOSTS, MetadataError, read_metadata};
pub use notes::{changelog_section, notes_from_commits};
pub use plan::{ArtifactPlan, BuildOptions, BuildPlan, base_runtime, base_runtimes, plan_build};
pub use policy::{
    AppPolicyError, Grant, Kind, PolicyProblem, ReleasePolicy, WHOLE_GRANTABLE, reaches_everything,
};
#[cfg(feature = "publish")]
pub use publish::{
    Call, Draft, PublishError, PublishPlan, Published, ReleaseSpec, Remote, Report, Start, apply,
    plan_publish, planned_reads, publish, published_release, read_remote, remote_preflight,
    tag_commit,
};
pub use target::{BinaryFormat, DEFAULT_BIN, TARGETS, Target};

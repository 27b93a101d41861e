//! `cargo xtask bump`: the next version, written into deno.json(c).

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use camino::Utf8Path;
use github_actions::Actions;
use semver::Version;
use version_check::{Bump, LockedConfig, read_version, set_version};

use crate::context::AppArgs;
use crate::output::Stream;

/// Write a new version into the app's deno.json(c) (the project's, unless --app or the
/// project's xtask.app names a monorepo's app).
///
/// Only the version's value changes: comments, key order, indentation and trailing
/// commas stay as they are. A file without a version gets one after "name". Versions
/// only go up. Inside GitHub Actions the new version is the step output `version`.
///
/// The file is read under an exclusive lock and replaced atomically (a temporary file
/// beside it, flushed to disk, renamed over it): bumps run at once take turns, each
/// from the version the previous one wrote, and an interrupted bump leaves the file as
/// it was. A bump waits up to 30 s for another; a config that is a symbolic link, or
/// that a program without the lock changed meanwhile, is refused with nothing written.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    app: AppArgs,

    /// `major`, `minor`, `patch`, or an exact version such as 0.2.0 (no leading v).
    #[arg(value_name = "VERSION|major|minor|patch")]
    to: String,
}

/// How long a bump waits for another one to finish with the file.
const LOCK_WAIT: Duration = Duration::from_secs(30);

pub fn run(args: &Args) -> Result<ExitCode> {
    let bump: Bump = args.to.parse()?;
    let app = args.app.open()?;
    let path = app.config_path();
    let config = LockedConfig::open(path, LOCK_WAIT)?;
    let current = current_version(config.text(), path)?;
    let next = bump
        .apply(current.as_ref())
        .map_err(|error| anyhow::anyhow!("{path}: {error}"))?;
    if current.as_ref() == Some(&next) {
        Stream::Stdout.write(&format!("{path}: already at version {next}\n"));
    } else {
        let written =
            set_version(config.text(), &next).with_context(|| format!("cannot edit {path}"))?;
        config.replace(&written)?;
        let from = current.map_or_else(|| "no version".to_owned(), |v| v.to_string());
        Stream::Stdout.write(&format!("{path}: version {from} -> {next}\n"));
    }
    if let Some(actions) = Actions::from_env() {
        actions.set_output("version", &next.to_string())?;
    }
    Ok(ExitCode::SUCCESS)
}

fn current_version(text: &str, path: &Utf8Path) -> Result<Option<Version>> {
    let Some(current) = read_version(text).with_context(|| format!("cannot read {path}"))? else {
        return Ok(None);
    };
    Version::parse(&current).map(Some).with_context(|| {
        format!("the version {current:?} in {path} is not semver: give the exact version to write")
    })
}

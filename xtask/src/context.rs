//! What every task starts from: the repository, the Deno project, the pinned deno.

use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};
use deno_runner::{Deno, DenoProject, Locator, Origin, pin};

/// The repository root: the workspace that holds this crate.
pub fn repo_root() -> &'static Utf8Path {
    Utf8Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in a workspace directory")
}

/// The project named by `--project`, else the embedded example.
pub fn open_project(project: Option<&Utf8Path>) -> Result<DenoProject> {
    let dir: Utf8PathBuf = match project {
        Some(dir) => dir.to_owned(),
        None => repo_root().join("examples/kato"),
    };
    Ok(DenoProject::open(&absolute(&dir)?)?)
}

/// `path` made absolute against the current directory.
pub fn absolute(path: &Utf8Path) -> Result<Utf8PathBuf> {
    Ok(if path.is_absolute() {
        path.to_owned()
    } else {
        current_dir()?.join(path)
    })
}

/// The deno of the repository's pin, located or provisioned; notes go to stderr.
pub fn deno() -> Result<Deno> {
    let pin_file = repo_root().join(pin::PIN_FILE);
    let pin = pin::read_pin(&pin_file)?;
    let located = Locator::from_env(pin)?
        .locate()
        .context("cannot find or provision deno")?;
    for note in &located.notes {
        eprintln!("note: {note}");
    }
    if located.origin == Origin::EnvVar {
        eprintln!("using deno {} from $DENO", located.deno.version());
    }
    Ok(located.deno)
}

/// The current directory, which must be UTF-8.
pub fn current_dir() -> Result<Utf8PathBuf> {
    let dir = std::env::current_dir().context("cannot read the current directory")?;
    Utf8PathBuf::from_path_buf(dir)
        .map_err(|dir| anyhow::anyhow!("the current directory {dir:?} is not UTF-8"))
}

/// The GitHub repository to work on: `flag` (`--repo`), else `GITHUB_REPOSITORY`, else
/// the `origin` remote of the git repository holding `dir`.
pub fn github_repo(
    flag: Option<&str>,
    dir: &Utf8Path,
) -> Result<(github_api::RepoName, github_api::RepoSource)> {
    let github_repository = std::env::var("GITHUB_REPOSITORY").ok();
    Ok(github_api::resolve_repo(
        flag,
        github_repository.as_deref(),
        || github_api::origin_url(dir),
    )?)
}

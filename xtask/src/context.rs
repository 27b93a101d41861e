//! What every task starts from: the repository, the Deno project, the pinned deno.

use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};
use deno_runner::{App, CONFIG_FILE_NAMES, Deno, DenoProject, Locator, Origin, pin};
use release_publisher::BuildMachine;

/// The repository root: the workspace that holds this crate.
pub fn repo_root() -> &'static Utf8Path {
    Utf8Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in a workspace directory")
}

/// Which Deno project a task works on.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ProjectArgs {
    /// The Deno project: a directory holding deno.json or deno.jsonc. Default:
    /// $XTASK_PROJECT, else the nearest deno.json(c) from the current directory up to
    /// the root of its git repository (for a workspace member, the workspace's root),
    /// else examples/kato.
    #[arg(long, value_name = "DIR")]
    project: Option<Utf8PathBuf>,
}

/// The variable naming the project when `--project` does not.
pub const PROJECT_VAR: &str = "XTASK_PROJECT";

impl ProjectArgs {
    /// The project `--project` or `XTASK_PROJECT` names, opened; `None` when neither does.
    pub fn open_if_named(&self) -> Result<Option<DenoProject>> {
        let named =
            self.project.is_some() || std::env::var(PROJECT_VAR).is_ok_and(|v| !v.is_empty());
        named.then(|| self.open()).transpose()
    }

    /// Opens the project and says on stderr, first, which it is and why.
    pub fn open(&self) -> Result<DenoProject> {
        let env = std::env::var(PROJECT_VAR).ok().filter(|v| !v.is_empty());
        let (dir, why) = match (&self.project, env) {
            (Some(dir), _) => (absolute(dir)?, "--project".to_owned()),
            (None, Some(dir)) => (absolute(Utf8Path::new(&dir))?, format!("${PROJECT_VAR}")),
            (None, None) => match discover(&current_dir()?)? {
                Some((dir, why)) => (dir, why),
                None => (
                    repo_root().join("examples/kato"),
                    "the example: no deno.json(c) from the current directory up to its \
                     repository's root; name one with --project"
                        .to_owned(),
                ),
            },
        };
        let project = DenoProject::open(&dir).with_context(|| format!("the project from {why}"))?;
        eprintln!("project: {} ({why})", project.dir());
        Ok(project)
    }
}

/// The GitHub repository a task talks to.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RepoArgs {
    /// The GitHub repository, OWNER/NAME. Default: GITHUB_REPOSITORY, else the origin
    /// remote of the project's git repository.
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: Option<String>,
}

/// Which app of the project a release task works on.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AppArgs {
    #[command(flatten)]
    pub project: ProjectArgs,

    /// The released app of a monorepo: its directory, relative to the project, whose
    /// deno.json(c) holds the version, the entry point (xtask.entry, else exports) and
    /// the binary's name (xtask.bin). Default: $XTASK_APP, else the project's xtask.app,
    /// else the project itself.
    #[arg(long, value_name = "DIR")]
    app: Option<Utf8PathBuf>,
}

/// The variable naming the app when `--app` does not.
pub const APP_VAR: &str = "XTASK_APP";

impl AppArgs {
    /// Opens the project and its app; says on stderr which app it is, when it is not the
    /// project itself.
    pub fn open(&self) -> Result<App> {
        let project = self.project.open()?;
        let env = std::env::var(APP_VAR).ok().filter(|v| !v.is_empty());
        let (dir, why) = match (&self.app, env) {
            (Some(dir), _) => (Some(dir.clone()), "--app"),
            (None, Some(dir)) => (Some(Utf8PathBuf::from(dir)), "$XTASK_APP"),
            (None, None) => (None, "xtask.app"),
        };
        let config = project.config_path().to_owned();
        let app = App::open(project, dir.as_deref()).with_context(|| match &dir {
            Some(dir) => format!("the app {dir} from {why}"),
            None => format!("the app named by xtask.app in {config}"),
        })?;
        if app.dir() != app.root().dir() {
            let why = if dir.is_some() {
                why.to_owned()
            } else {
                format!("xtask.app of {config}")
            };
            eprintln!("app: {} ({why})", app.dir());
        }
        Ok(app)
    }
}

/// This machine's workspace and home directories, in every spelling (symlinks resolved
/// or not): the project and its app, its git work tree, this xtask workspace,
/// `$GITHUB_WORKSPACE`, `$HOME`.
pub fn build_machine(app: &App) -> BuildMachine {
    let mut workspaces = vec![
        app.root().dir().to_owned(),
        app.dir().to_owned(),
        repo_root().to_owned(),
    ];
    // A build outside git (a matrix job's copy, a test) has no work tree to add.
    if let Ok(repo) = version_check::Repository::open(app.dir()) {
        workspaces.push(repo.root().to_owned());
    }
    workspaces.extend(env_path("GITHUB_WORKSPACE"));
    let mut homes: Vec<Utf8PathBuf> = env_path("HOME").into_iter().collect();
    homes.extend(dirs::home_dir().and_then(|home| Utf8PathBuf::from_path_buf(home).ok()));
    BuildMachine::new(workspaces, homes)
}

fn env_path(name: &str) -> Option<Utf8PathBuf> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.is_empty())
        .map(Utf8PathBuf::from)
}

/// The nearest directory holding deno.json(c) from `start` up to the root of its git
/// repository, or, when that is a workspace member, the workspace's root; with how it
/// was found.
pub fn discover(start: &Utf8Path) -> Result<Option<(Utf8PathBuf, String)>> {
    let Some(top) = start.ancestors().find(|dir| dir.join(".git").exists()) else {
        return Ok(None);
    };
    let within = |dir: &&Utf8Path| dir.starts_with(top);
    let has_config = |dir: &Utf8Path| CONFIG_FILE_NAMES.iter().any(|n| dir.join(n).is_file());
    let Some(nearest) = start.ancestors().take_while(within).find(|d| has_config(d)) else {
        return Ok(None);
    };
    for root in nearest
        .ancestors()
        .skip(1)
        .take_while(within)
        .filter(|d| has_config(d))
    {
        let workspace = DenoProject::open(root)?;
        if is_member(root, workspace.config().workspace_members(), nearest) {
            return Ok(Some((
                root.to_owned(),
                format!("the workspace holding {nearest}, the nearest to the current directory"),
            )));
        }
    }
    Ok(Some((
        nearest.to_owned(),
        "the nearest deno.json(c) to the current directory".to_owned(),
    )))
}

/// Whether `dir` is one of the workspace `members` of `root` (`./apps/daemon`, or
/// `./apps/*`).
fn is_member(root: &Utf8Path, members: &[String], dir: &Utf8Path) -> bool {
    let Ok(relative) = dir.strip_prefix(root) else {
        return false;
    };
    let relative: Vec<&str> = relative.components().map(|c| c.as_str()).collect();
    members.iter().any(|member| {
        let parts: Vec<&str> = member
            .split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .collect();
        parts.len() == relative.len()
            && parts
                .iter()
                .zip(&relative)
                .all(|(pattern, part)| *pattern == "*" || pattern == part)
    })
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
#[cfg(feature = "github")]
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

//! `cargo xtask release`: the runbook's release, from the preflight to the published
//! GitHub release.

#[cfg(feature = "github")]
pub(crate) mod publish;
pub(crate) mod steps;

use std::process::ExitCode;

use anyhow::Result;
use camino::Utf8PathBuf;
use clap::builder::PossibleValuesParser;
use deno_runner::App;
use release_publisher::{BuildOptions, DEFAULT_BIN, TARGETS, Target, base_runtimes, plan_build};
use semver::Version;
// What the flows that talk to GitHub use besides.
#[cfg(feature = "github")]
use {
    crate::unpublished,
    anyhow::bail,
    camino::Utf8Path,
    github_api::RepoName,
    release_publisher::find_artifacts,
    std::time::Instant,
    version_check::{parse_version, tag_name},
};

use crate::context::{self, AppArgs, RepoArgs};

/// Release the project's binaries: preflight, the ci gate, `deno compile` for every
/// target with the permissions of the release policy, SHA256SUMS, an audit of each
/// artifact, then the GitHub release.
///
/// Publishing creates the annotated tag v<VERSION> at the commit, a draft release with
/// the notes (CHANGELOG.md's section of the version, else the commits since the
/// previous tag), uploads the artifacts and SHA256SUMS streamed from disk, checks
/// GitHub's digest of each against the local SHA-256, and only then publishes. Any
/// failure before that leaves the draft, unseen by users, and prints the command that
/// resumes it; a rerun skips what is uploaded already. A release published already is
/// never touched. The token is GITHUB_TOKEN (or GH_TOKEN), with `contents: write`; the
/// repository is --repo, else GITHUB_REPOSITORY, else the origin remote.
///
/// `cargo xtask release 0.1.0 --dry-run` does everything that touches nothing remote
/// and prints the calls publishing would make. `release plan`, `release build` and
/// `release publish` are the same release split for a GitHub Actions matrix.
///
/// The preflight refuses, before anything is compiled: a version that is not exact
/// semver or is not the version in deno.json(c); uncommitted changes; a ref that is not
/// on the main branch (origin/<main> where it exists, else <main>) or is not what is
/// checked out; a tag v<VERSION> at another commit; a release policy that grants
/// everything or would bake the build machine into the binary.
///
/// In a monorepo the release is that of an app (--app apps/daemon, or the project's
/// xtask.app): its deno.json(c) holds the version, the entry point and the binary's
/// name; the ci gate, the lockfile and git are the project's.
///
/// The release policy is the permission set --permission-set (default: the app's
/// xtask.release.permissions, else "default") of the app's deno.json(c), else of the
/// project's. The compile flags are derived from it explicitly (--allow-read=... per
/// kind, --no-prompt), never -A.
///
/// Artifacts go to target/dist/<VERSION>/ in this workspace unless --out-dir names
/// another directory.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    #[command(subcommand)]
    step: Option<Step>,

    /// The version to release: exact semver such as 0.1.0 (no leading v), equal to the
    /// version in deno.json(c).
    #[arg(value_name = "VERSION", required = true)]
    version: Option<String>,

    /// Do everything that touches nothing remote, then print the calls publishing
    /// would make.
    #[arg(long)]
    dry_run: bool,

    #[command(flatten)]
    repo: RepoArgs,

    #[command(flatten)]
    release_ref: RefArgs,

    #[command(flatten)]
    build: BuildArgs,
}

/// What is released: the ref, and the branch it must be on.
#[derive(Debug, Clone, clap::Args)]
pub struct RefArgs {
    /// The ref to release: a branch, tag or commit on the main branch, checked out.
    #[arg(
        long = "ref",
        value_name = "REF",
        default_value = "main",
        requires = "version"
    )]
    reference: String,

    /// The branch releases come from: origin/<BRANCH> where that exists, else <BRANCH>.
    #[arg(
        long,
        value_name = "BRANCH",
        default_value = "main",
        requires = "version"
    )]
    main_branch: String,
}

#[derive(Debug, clap::Subcommand)]
enum Step {
    /// Print the targets, artifact names and suggested runners; with --json, the matrix
    /// a GitHub Actions job reads with fromJSON (also the step output `matrix`).
    ///
    /// The release policy is checked too, so a bad one fails the plan job before any
    /// build job starts.
    Plan(PlanArgs),
    /// Compile, audit and checksum the artifacts of the selected targets (a matrix job
    /// passes one --target), without the preflight or the ci gate.
    ///
    /// The version comes from deno.json(c). Inside GitHub Actions the step outputs are
    /// `artifact` (the path, when one target was built), `artifacts` (all paths) and
    /// `dir`.
    ///
    /// deno compiles into a hidden staging directory of the output directory; an
    /// artifact gets its name only when its compile succeeded. SIGINT or SIGTERM stop
    /// every deno of the build and leave no artifact (exit status 130 / 143).
    Build(BuildArgs),
    /// Publish the artifacts in DIR (or below it, as actions/download-artifact lays
    /// them out) as the GitHub release of deno.json(c)'s version: each is audited first,
    /// as `release build` audits (its target's format, exactly the policy's
    /// permissions), and any refusal stops everything before GitHub is asked anything;
    /// SHA256SUMS is written beside them, then the tag, the draft, the uploads, their verification and
    /// publication, as `release` does. A rerun resumes the draft.
    ///
    /// Exit status: 0 published; 1 failed after changing something (the draft stays,
    /// the command that resumes is printed); 2 refused or failed before any change.
    /// Inside GitHub Actions the step outputs are `url` (the release page) and
    /// `artifacts` (the files' paths, one per line).
    Publish(PublishArgs),
}

#[derive(Debug, clap::Args)]
struct PublishArgs {
    /// The directory holding the artifacts.
    #[arg(value_name = "DIR")]
    dir: Utf8PathBuf,

    #[command(flatten)]
    app: AppArgs,

    /// The commit to tag and release: a branch, tag or commit.
    #[arg(long = "ref", value_name = "REF", default_value = "HEAD")]
    reference: String,

    #[command(flatten)]
    repo: RepoArgs,

    #[command(flatten)]
    targets: TargetArgs,

    /// Print the calls publishing would make, and make none.
    #[arg(long)]
    dry_run: bool,
}

/// Which artifacts: the targets and the binary's name.
#[derive(Debug, Clone, clap::Args)]
pub struct Selection {
    /// A target triple to release; repeat for several. Default: all five.
    #[arg(
        long = "target",
        value_name = "TRIPLE",
        value_parser = PossibleValuesParser::new(TARGETS.iter().map(|t| t.triple))
    )]
    targets: Vec<String>,

    /// The binary's name, the prefix of every artifact (kato-linux-x86_64). Default: the
    /// app's xtask.bin, else kato.
    #[arg(long, value_name = "NAME", value_parser = parse_bin)]
    bin: Option<String>,
}

impl Selection {
    /// The targets selected, in the runbook's order.
    pub fn targets(&self) -> Vec<&'static Target> {
        TARGETS
            .iter()
            .filter(|t| self.targets.is_empty() || self.targets.iter().any(|n| n == t.triple))
            .collect()
    }

    /// The triples as given (none: all five).
    #[cfg(feature = "github")]
    pub fn triples(&self) -> &[String] {
        &self.targets
    }

    /// The name in the release's title: `--bin` or the app's `xtask.bin` when given, else
    /// the app's deno.json `name` without its scope (`@kato/kato` is kato), else kato.
    #[cfg(feature = "github")]
    pub fn name(&self, app: &App) -> Result<String> {
        if self.bin.is_some() || app.xtask().bin.is_some() {
            return self.bin(app);
        }
        let name = app.project().config().name.as_deref().unwrap_or_default();
        let bare = name.rsplit('/').next().unwrap_or_default();
        Ok(if bare.is_empty() { DEFAULT_BIN } else { bare }.to_owned())
    }

    /// The binary's name: `--bin`, else the app's `xtask.bin`, else kato.
    pub fn bin(&self, app: &App) -> Result<String> {
        match (&self.bin, app.xtask().bin) {
            (Some(bin), _) => Ok(bin.clone()),
            (None, Some(bin)) => parse_bin(&bin).map_err(|why| {
                anyhow::anyhow!("xtask.bin {bin:?} in {}: {why}", app.config_path())
            }),
            (None, None) => Ok(DEFAULT_BIN.to_owned()),
        }
    }
}

/// What selects and names the artifacts, and the policy they are compiled with.
#[derive(Debug, Clone, clap::Args)]
pub struct TargetArgs {
    #[command(flatten)]
    selection: Selection,

    /// The permission set of the app's deno.json(c) (else the project's) that is the
    /// release policy. Default: the app's xtask.release.permissions, else "default".
    #[arg(long, value_name = "NAME")]
    permission_set: Option<String>,
}

#[derive(Debug, clap::Args)]
struct PlanArgs {
    #[command(flatten)]
    app: AppArgs,

    #[command(flatten)]
    targets: TargetArgs,

    /// Print the matrix as JSON on stdout.
    #[arg(long)]
    json: bool,

    /// Also run the preflight of releasing this version (equal to deno.json(c)'s, the
    /// ref on the main branch, the tag not at another commit) and, when a token is set,
    /// check that GitHub has no published release of it: a workflow's plan job fails
    /// before any build starts.
    #[arg(long, value_name = "VERSION")]
    version: Option<String>,

    /// With --version: what is released.
    #[command(flatten)]
    release_ref: RefArgs,

    /// With --version and a token: the repository GitHub is asked about.
    #[command(flatten)]
    repo: RepoArgs,
}

/// How to compile.
#[derive(Debug, Clone, clap::Args)]
pub struct BuildArgs {
    #[command(flatten)]
    app: AppArgs,

    #[command(flatten)]
    targets: TargetArgs,

    /// Where the artifacts and SHA256SUMS go. Default: target/dist/<VERSION>/ in this
    /// workspace.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<Utf8PathBuf>,

    /// Base runtimes to compile with, instead of deno downloading them: DIR/<triple>/
    /// holds each target's base binary (denort) as its one file, passed to deno as
    /// DENORT_BIN.
    #[arg(long, value_name = "DIR")]
    denort_dir: Option<Utf8PathBuf>,

    /// Compiles to run at once. Default: the number of cores.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    jobs: Option<u32>,
}

impl BuildArgs {
    /// How to build `version` of `bin`: where the artifacts go (`--out-dir`, else
    /// target/dist/<VERSION>/ in this workspace) and the base runtimes (`--denort-dir`).
    fn options(&self, bin: &str, version: &Version) -> Result<BuildOptions> {
        let out_dir = match &self.out_dir {
            Some(dir) => context::absolute(dir)?,
            None => context::repo_root()
                .join("target/dist")
                .join(version.to_string()),
        };
        let targets = self.targets.selection.targets();
        let base_runtimes = match &self.denort_dir {
            None => Default::default(),
            Some(dir) => base_runtimes(&context::absolute(dir)?, &targets)?,
        };
        Ok(BuildOptions {
            bin: bin.to_owned(),
            out_dir,
            targets,
            base_runtimes,
        })
    }
}

pub fn run(args: &Args) -> Result<ExitCode> {
    match &args.step {
        Some(Step::Plan(plan)) => plan_matrix(plan),
        Some(Step::Build(build)) => build_targets(build),
        #[cfg(feature = "github")]
        Some(Step::Publish(publish)) => publish_dir(publish),
        #[cfg(feature = "github")]
        None => release(args),
        #[cfg(not(feature = "github"))]
        Some(Step::Publish(_)) | None => crate::with_github::run(),
    }
}

/// `release <VERSION> [--dry-run]`.
#[cfg(feature = "github")]
fn release(args: &Args) -> Result<ExitCode> {
    let started = Instant::now();
    let input = args.version.as_deref().unwrap_or_default();
    if let Some(step) = misspelled_step(input) {
        bail!(
            "{input:?} is neither a version nor a step of release: did you mean `cargo xtask \
             release {step}`? (the steps are plan, build and publish)"
        );
    }
    let version = parse_version(input)?;
    let build = &args.build;
    let app = build.app.open()?;
    steps::check_version(&app, &version)?;
    let machine = context::build_machine(&app);
    let policy = steps::policy(&app, build.targets.permission_set.as_deref(), &machine)?;
    let tag = tag_name(&version);
    let commit = steps::preflight(
        app.root(),
        &args.release_ref.reference,
        &args.release_ref.main_branch,
        &tag,
    )?;
    let repo = repository(args.repo.repo.as_deref(), app.dir(), args.dry_run)?;
    let github = if args.dry_run {
        None
    } else {
        let github = unpublished::client()?;
        unpublished::check(&github, &repo, &tag, &commit)?;
        Some(github)
    };
    let deno = context::deno()?;
    steps::ci_gate(app.root(), &deno, started)?;
    let selection = &build.targets.selection;
    let bin = selection.bin(&app)?;
    let plan = plan_build(&app, &policy, &build.options(&bin, &version)?)?;
    let built = steps::compile(&deno, &plan, build.jobs)?;
    let artifacts = steps::audit_and_checksum(&plan, built, &policy, &machine)?;
    steps::report(&plan, &policy, &artifacts)?;
    let (_, git_root) = publish::resolve(app.dir(), &commit)?;
    let targets = selection.targets();
    let release = publish::Release {
        dir: &plan.out_dir,
        artifacts: publish::local_assets(artifacts),
        targets: &targets,
        bin: &bin,
        name: &selection.name(&app)?,
    };
    let spec = publish::release_spec(&app, &policy, &git_root, repo, &version, &commit, release)?;
    let Some(github) = github else {
        publish::dry_run(&spec)?;
        return Ok(ExitCode::SUCCESS);
    };
    let resume = publish::resume_command(
        &app,
        &plan.out_dir,
        &spec.repo,
        &commit,
        selection.triples(),
        &bin,
    );
    let published = release_publisher::publish(&github, &spec, &publish::Reporter::new());
    publish::report(published, &spec, &resume)?;
    Ok(ExitCode::SUCCESS)
}

/// `release publish DIR`.
#[cfg(feature = "github")]
fn publish_dir(args: &PublishArgs) -> Result<ExitCode> {
    let app = args.app.open()?;
    let version = steps::declared_version(&app)?;
    let machine = context::build_machine(&app);
    let policy = steps::policy(&app, args.targets.permission_set.as_deref(), &machine)?;
    let (commit, git_root) = publish::resolve(app.dir(), &args.reference)?;
    let repo = repository(args.repo.repo.as_deref(), app.dir(), args.dry_run)?;
    let selection = &args.targets.selection;
    let bin = selection.bin(&app)?;
    let dir = context::absolute(&args.dir)?;
    let targets = selection.targets();
    let names: Vec<String> = targets.iter().map(|t| t.artifact_name(&bin)).collect();
    let artifacts = find_artifacts(&dir, &names)?;
    steps::audit_gathered(&artifacts, &targets, &bin, &policy, &machine)?;
    let release = publish::Release {
        dir: &dir,
        artifacts,
        targets: &targets,
        bin: &bin,
        name: &selection.name(&app)?,
    };
    let spec = publish::release_spec(&app, &policy, &git_root, repo, &version, &commit, release)?;
    if args.dry_run {
        publish::dry_run(&spec)?;
        return Ok(ExitCode::SUCCESS);
    }
    let github = unpublished::client()?;
    let resume =
        publish::resume_command(&app, &dir, &spec.repo, &commit, selection.triples(), &bin);
    let published = release_publisher::publish(&github, &spec, &publish::Reporter::new());
    publish::report(published, &spec, &resume)?;
    Ok(ExitCode::SUCCESS)
}

/// `release plan`.
fn plan_matrix(args: &PlanArgs) -> Result<ExitCode> {
    #[cfg(not(feature = "github"))]
    if args.version.is_some() {
        return crate::with_github::run();
    }
    let app = args.app.open()?;
    let machine = context::build_machine(&app);
    let policy = steps::policy(&app, args.targets.permission_set.as_deref(), &machine)?;
    #[cfg(feature = "github")]
    if let Some(input) = &args.version {
        let version = parse_version(input)?;
        steps::check_version(&app, &version)?;
        let tag = tag_name(&version);
        let commit = steps::preflight(
            app.root(),
            &args.release_ref.reference,
            &args.release_ref.main_branch,
            &tag,
        )?;
        if github_api::Token::from_env().is_ok() {
            let (repo, _) = context::github_repo(args.repo.repo.as_deref(), app.dir())?;
            unpublished::check(&unpublished::client()?, &repo, &tag, &commit)?;
        } else {
            eprintln!("no GITHUB_TOKEN: GitHub was not asked whether {tag} is published");
        }
    }
    // The matrix is that of the build each job makes a part of.
    let selection = &args.targets.selection;
    let options = BuildOptions {
        bin: selection.bin(&app)?,
        out_dir: context::repo_root().join("target/dist"),
        targets: selection.targets(),
        base_runtimes: Default::default(),
    };
    let plan = plan_build(&app, &policy, &options)?;
    steps::print_matrix(&app, &plan, &policy, args.json)?;
    Ok(ExitCode::SUCCESS)
}

/// `release build`.
fn build_targets(args: &BuildArgs) -> Result<ExitCode> {
    let app = args.app.open()?;
    let version = steps::declared_version(&app)?;
    let machine = context::build_machine(&app);
    let policy = steps::policy(&app, args.targets.permission_set.as_deref(), &machine)?;
    let deno = context::deno()?;
    let bin = args.targets.selection.bin(&app)?;
    let plan = plan_build(&app, &policy, &args.options(&bin, &version)?)?;
    let built = steps::compile(&deno, &plan, args.jobs)?;
    let artifacts = steps::audit_and_checksum(&plan, built, &policy, &machine)?;
    steps::report(&plan, &policy, &artifacts)?;
    Ok(ExitCode::SUCCESS)
}

/// The GitHub repository; a dry run that cannot tell names it OWNER/NAME, as it makes
/// no call.
#[cfg(feature = "github")]
fn repository(flag: Option<&str>, dir: &Utf8Path, dry_run: bool) -> Result<RepoName> {
    match context::github_repo(flag, dir) {
        Ok((repo, _)) => Ok(repo),
        Err(error) if dry_run => {
            eprintln!("dry run: {error:#}; the calls below say OWNER/NAME");
            Ok(RepoName::parse("OWNER/NAME").expect("a repository name"))
        }
        Err(error) => Err(error),
    }
}

/// The step `word` is a near miss of (`plann`, `buidl`), when it cannot be a version.
#[cfg(feature = "github")]
fn misspelled_step(word: &str) -> Option<&'static str> {
    if word.starts_with(|c: char| c.is_ascii_digit() || c == 'v') && word.len() > 1 {
        return None;
    }
    ["plan", "build", "publish"]
        .into_iter()
        .find(|step| strsim::damerau_levenshtein(word, step) <= 2)
}

fn parse_bin(name: &str) -> Result<String, String> {
    let plain = !name.is_empty()
        && !name.starts_with(['.', '-'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if plain {
        Ok(name.to_owned())
    } else {
        Err("a binary name is letters, digits, -, _ and . (not first), such as kato".into())
    }
}

//! `cargo xtask release`: the runbook's release up to, not including, GitHub.

pub(crate) mod steps;

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Result, bail};
use camino::{Utf8Path, Utf8PathBuf};
use clap::builder::PossibleValuesParser;
use release_publisher::TARGETS;
use version_check::{parse_version, tag_name};

use crate::context;

/// Release the project's binaries: preflight, the ci gate, `deno compile` for every
/// target with the permissions of the release policy, SHA256SUMS, and an audit of each
/// artifact.
///
/// `cargo xtask release 0.1.0 --dry-run` does all of that and prints what publishing
/// would do; publishing to GitHub is not available yet, so --dry-run is required.
/// `release plan` and `release build` are the same release split for a GitHub Actions
/// matrix.
///
/// The preflight refuses, before anything is compiled: a version that is not exact
/// semver or is not the version in deno.json(c); uncommitted changes; a ref that is not
/// on the main branch (origin/<main> where it exists, else <main>) or is not what is
/// checked out; a tag v<VERSION> at another commit; a release policy that grants
/// everything or would bake the build machine into the binary.
///
/// The release policy is the permission set --permission-set (default: "default") of
/// deno.json(c). The compile flags are derived from it explicitly (--allow-read=... per
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

    /// Do everything that touches nothing remote, then print what publishing would do.
    /// Required: publishing is not available yet.
    #[arg(long)]
    dry_run: bool,

    /// The ref to release: a branch, tag or commit on the main branch, checked out.
    #[arg(long = "ref", value_name = "REF", default_value = "main")]
    reference: String,

    /// The branch releases come from.
    #[arg(long, value_name = "BRANCH", default_value = "main")]
    main_branch: String,

    #[command(flatten)]
    build: BuildArgs,
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
    Build(BuildArgs),
}

/// What selects and names the artifacts.
#[derive(Debug, Clone, clap::Args)]
pub struct TargetArgs {
    /// A target triple to release; repeat for several. Default: all five.
    #[arg(
        long = "target",
        value_name = "TRIPLE",
        value_parser = PossibleValuesParser::new(TARGETS.iter().map(|t| t.triple))
    )]
    targets: Vec<String>,

    /// The binary's name, the prefix of every artifact (kato-linux-x86_64).
    #[arg(long, value_name = "NAME", default_value = "kato", value_parser = parse_bin)]
    bin: String,

    /// The permission set of deno.json(c) that is the release policy.
    #[arg(long, value_name = "NAME", default_value = "default")]
    permission_set: String,
}

#[derive(Debug, clap::Args)]
struct PlanArgs {
    #[command(flatten)]
    targets: TargetArgs,

    /// Print the matrix as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// How to compile.
#[derive(Debug, Clone, clap::Args)]
pub struct BuildArgs {
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

pub fn run(project: Option<&Utf8Path>, args: &Args) -> Result<ExitCode> {
    match &args.step {
        Some(Step::Plan(plan)) => plan_matrix(project, plan),
        Some(Step::Build(build)) => build_targets(project, build),
        None => release(project, args),
    }
}

/// `release <VERSION> --dry-run`.
fn release(project: Option<&Utf8Path>, args: &Args) -> Result<ExitCode> {
    let started = Instant::now();
    let input = args.version.as_deref().unwrap_or_default();
    let version = parse_version(input)?;
    if !args.dry_run {
        bail!(
            "publishing to GitHub is not available yet: run `cargo xtask release {version} \
             --dry-run` to do everything up to publishing (preflight, ci gate, compile, \
             checksums, audit); nothing was done"
        );
    }
    let project = context::open_project(project)?;
    steps::check_version(&project, &version)?;
    let machine = steps::build_machine(&project)?;
    let policy = steps::policy(&project, &args.build.targets.permission_set, &machine)?;
    let tag = tag_name(&version);
    let commit = steps::preflight(&project, &args.reference, &args.main_branch, &tag)?;
    let deno = context::deno()?;
    steps::ci_gate(&project, &deno, started)?;
    let plan = steps::plan(&project, &policy, &args.build, &version)?;
    let built = steps::compile(&deno, &plan, args.build.jobs)?;
    let artifacts = steps::audit_and_checksum(&plan, &built, &policy, &machine)?;
    steps::report(&plan, &artifacts)?;
    steps::describe_publishing(&tag, &commit, &plan.out_dir, &artifacts);
    Ok(ExitCode::SUCCESS)
}

/// `release plan`.
fn plan_matrix(project: Option<&Utf8Path>, args: &PlanArgs) -> Result<ExitCode> {
    let project = context::open_project(project)?;
    let machine = steps::build_machine(&project)?;
    let policy = steps::policy(&project, &args.targets.permission_set, &machine)?;
    steps::print_matrix(&args.targets, &policy, args.json)?;
    Ok(ExitCode::SUCCESS)
}

/// `release build`.
fn build_targets(project: Option<&Utf8Path>, args: &BuildArgs) -> Result<ExitCode> {
    let project = context::open_project(project)?;
    let version = steps::declared_version(&project)?;
    let machine = steps::build_machine(&project)?;
    let policy = steps::policy(&project, &args.targets.permission_set, &machine)?;
    let deno = context::deno()?;
    let plan = steps::plan(&project, &policy, args, &version)?;
    let built = steps::compile(&deno, &plan, args.jobs)?;
    let artifacts = steps::audit_and_checksum(&plan, &built, &policy, &machine)?;
    steps::report(&plan, &artifacts)?;
    Ok(ExitCode::SUCCESS)
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

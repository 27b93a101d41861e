//! `cargo xtask bench`: side-by-side timings of xtask against what it replaces.

#[cfg(unix)]
mod coverage;
#[cfg(all(unix, feature = "github"))]
mod publish;
mod release;

use std::ffi::OsString;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use camino::{Utf8Path, Utf8PathBuf};
use serde_json::json;
use xshell::{Cmd, Shell, cmd};

use crate::context::{self, AppArgs, ProjectArgs};
use crate::output::Stream;

/// Time xtask side by side with what it replaces, in one run.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    bench: Bench,
}

#[derive(Debug, clap::Subcommand)]
enum Bench {
    /// `cargo xtask ci` against `deno task ci` on the project, alternating, with a warm
    /// build; prints each side's median and the ratio of medians.
    ///
    /// Two scenarios: warm deno caches (a laptop rerunning the gate: fmt, lint and
    /// type-check results cached), and cold deno caches (a fresh CI runner: a new
    /// DENO_DIR for every run holding only the project's downloaded dependencies).
    /// Also times `cargo xtask --help`, the fixed cost of every task, and the xtask
    /// binary's share of it.
    Ci {
        #[command(flatten)]
        project: ProjectArgs,
        /// Timed runs of each side per scenario (after one untimed warm-up of each).
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
        runs: u32,
        /// Print the figures as JSON.
        #[arg(long)]
        json: bool,
    },
    /// `cargo xtask coverage --lcov` against diff-cover (installed pinned into a private
    /// venv) on inputs from make_patch_repo.py: wall time (median) and peak RSS of both
    /// (each side's processes together, git included), their ratios, and whether their
    /// numbers are identical. Exits with 1 when the numbers differ.
    #[cfg(unix)]
    Coverage {
        /// Sizes to generate, in files (the generator's --files).
        #[arg(long = "files", value_name = "N", value_delimiter = ',', default_values_t = [2000, 20000])]
        sizes: Vec<u32>,
        /// Runs of each tool per size, alternating.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        runs: u32,
        /// The input generator (default: crates/coverage-export/tests/data/make_patch_repo.py,
        /// the repository's copy of ../shared/bench/make_patch_repo.py).
        #[arg(long, value_name = "PATH")]
        generator: Option<Utf8PathBuf>,
        /// The directory the inputs are generated in and both tools write their reports
        /// in (default: the system's temporary directory). Its file system shows at 2,000
        /// files: each coverage run creates about 500 HTML pages, and on an ext4 without
        /// a journal every new file is placed by scanning past the files deleted in the
        /// last minutes (the previous runs' pages).
        #[arg(long, value_name = "DIR")]
        scratch: Option<Utf8PathBuf>,
        /// Print the figures as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The five-target `deno compile` of a release, in parallel (one compile per core)
    /// against one target after another, alternating which goes first; prints each
    /// side's median wall time and the ratio of medians.
    ///
    /// Each build compiles the project with its release policy into a fresh directory,
    /// after one untimed warm-up build, in two scenarios: warm deno caches (a rerun:
    /// the type check is cached) and cold deno caches (a fresh CI runner: a new
    /// DENO_DIR per build holding only the downloaded dependencies, so the build
    /// type-checks). Offline, pass --denort-dir (see `release --help`); without it deno
    /// downloads the base runtimes.
    Release {
        #[command(flatten)]
        app: AppArgs,
        /// Timed builds of each side (after one untimed warm-up).
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
        runs: u32,
        /// Base runtimes: DIR/<triple>/ holds each target's base binary.
        #[arg(long, value_name = "DIR")]
        denort_dir: Option<Utf8PathBuf>,
        /// Compiles at once on the parallel side. Default: the number of cores, as
        /// `release` does.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        jobs: Option<u32>,
        /// Print the figures as JSON.
        #[arg(long)]
        json: bool,
    },
    /// `cargo xtask release publish` of five artifacts of each size (and SHA256SUMS) to
    /// the local GitHub of the tests, run as a process of its own: wall time, upload
    /// throughput and the peak RSS of the xtask process (with any it starts). The
    /// artifacts are a small project's, compiled once (`release build`) and padded to
    /// each size; the audit and the uploads stream from disk, so memory stays flat
    /// whatever the size.
    #[cfg(unix)]
    Publish {
        /// Artifact sizes to compare, in MB (each at least an artifact's compiled size,
        /// about 100 MB).
        #[arg(long = "sizes", value_name = "MB", value_delimiter = ',', default_values_t = [100, 500])]
        sizes: Vec<u64>,
        /// Base runtimes to compile with (see `release --help`).
        #[arg(long, value_name = "DIR")]
        denort_dir: Option<Utf8PathBuf>,
        /// Print the figures as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: &Args) -> Result<ExitCode> {
    match &args.bench {
        Bench::Ci {
            project,
            runs,
            json,
        } => bench_ci(project, *runs, *json),
        #[cfg(unix)]
        Bench::Coverage {
            sizes,
            runs,
            generator,
            scratch,
            json,
        } => coverage::bench_coverage(
            sizes,
            *runs,
            generator.as_deref(),
            scratch.as_deref(),
            *json,
        ),
        Bench::Release {
            app,
            runs,
            denort_dir,
            jobs,
            json,
        } => release::bench_release(app, *runs, denort_dir.as_deref(), *jobs, *json),
        #[cfg(all(unix, feature = "github"))]
        Bench::Publish {
            sizes,
            denort_dir,
            json,
        } => publish::bench_publish(sizes, denort_dir.as_deref(), *json),
        #[cfg(all(unix, not(feature = "github")))]
        Bench::Publish { .. } => crate::with_github::run(),
    }
}

/// One scenario's medians.
struct Comparison {
    scenario: &'static str,
    xtask: Duration,
    deno_task: Duration,
}

fn bench_ci(project: &ProjectArgs, runs: u32, json: bool) -> Result<ExitCode> {
    let figures = measure_ci(&project.open()?, runs)?;
    Stream::Stdout.write(&if json {
        format!("{:#}\n", figures.json())
    } else {
        figures.table()
    });
    Ok(ExitCode::SUCCESS)
}

/// What `bench ci` measured.
struct CiFigures {
    project: Utf8PathBuf,
    deno: String,
    runs: u32,
    comparisons: [Comparison; 2],
    help: Duration,
    binary_help: Duration,
}

/// Both sides in both scenarios, after a warm-up run of each; then `--help`.
fn measure_ci(project: &deno_runner::DenoProject, runs: u32) -> Result<CiFigures> {
    let deno = context::deno()?;
    let dir = project.dir();
    let sides = Sides::new(dir, deno.path())?;

    let scratch = tempfile::tempdir().context("cannot create a scratch directory")?;
    let scratch = Utf8Path::from_path(scratch.path()).context("scratch path is not UTF-8")?;
    let dependencies = sides.download_dependencies(scratch)?;

    eprintln!("warming up: one untimed run of each side");
    time(sides.xtask_ci())?;
    time(sides.deno(&["task", "ci"]))?;
    let warm = sides.compare("warm deno caches", runs, || Ok(None))?;
    let mut fresh_dirs = 0;
    let cold = sides.compare("cold deno caches", runs, || {
        fresh_dirs += 1;
        let deno_dir = scratch.join(format!("deno-dir-{fresh_dirs}"));
        copy_tree(&dependencies, &deno_dir)?;
        Ok(Some(deno_dir))
    })?;
    let (help, binary_help) = sides.help_medians()?;
    Ok(CiFigures {
        project: dir.to_owned(),
        deno: deno.version().to_string(),
        runs,
        comparisons: [warm, cold],
        help,
        binary_help,
    })
}

impl CiFigures {
    fn json(&self) -> serde_json::Value {
        let scenarios: Vec<_> = self
            .comparisons
            .iter()
            .map(|c| {
                json!({
                    "scenario": c.scenario,
                    "xtask_ci_median_seconds": secs(c.xtask),
                    "deno_task_ci_median_seconds": secs(c.deno_task),
                    "ratio": c.ratio(),
                })
            })
            .collect();
        json!({
            "project": self.project,
            "deno": self.deno,
            "runs": self.runs,
            "scenarios": scenarios,
            "xtask_help_median_seconds": secs(self.help),
            "xtask_binary_help_median_seconds": secs(self.binary_help),
        })
    }

    fn table(&self) -> String {
        let mut table = format!(
            "project: {}, deno {}, {} runs each\n{:<18}  {:>14}  {:>12}  {:>5}\n",
            self.project,
            self.deno,
            self.runs,
            "scenario",
            "cargo xtask ci",
            "deno task ci",
            "ratio"
        );
        for c in &self.comparisons {
            table.push_str(&format!(
                "{:<18}  {:>13.3}s  {:>11.3}s  {:>5.2}\n",
                c.scenario,
                secs(c.xtask),
                secs(c.deno_task),
                c.ratio()
            ));
        }
        table.push_str(&format!(
            "cargo xtask --help median {:.3}s (10 runs), the binary alone {:.3}s\n",
            secs(self.help),
            secs(self.binary_help)
        ));
        table
    }
}

impl Comparison {
    fn ratio(&self) -> f64 {
        secs(self.xtask) / secs(self.deno_task)
    }
}

/// The two commands being compared, ready to run.
struct Sides {
    repo: Shell,
    project: Shell,
    cargo: String,
    dir: Utf8PathBuf,
    /// PATH with the pinned deno first, for `deno task ci`.
    path: OsString,
}

impl Sides {
    fn new(dir: &Utf8Path, deno: &Utf8Path) -> Result<Self> {
        let repo = Shell::new()?;
        repo.change_dir(context::repo_root());
        let project = Shell::new()?;
        project.change_dir(dir);
        let deno_bin_dir = deno.parent().context("deno has a directory")?;
        let path = std::env::join_paths(
            std::iter::once(deno_bin_dir.as_std_path().to_owned()).chain(std::env::split_paths(
                &std::env::var_os("PATH").unwrap_or_default(),
            )),
        )?;
        Ok(Self {
            repo,
            project,
            cargo: std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()),
            dir: dir.to_owned(),
            path,
        })
    }

    fn xtask_ci(&self) -> Cmd<'_> {
        let (cargo, dir) = (&self.cargo, &self.dir);
        as_from_a_shell(cmd!(self.repo, "{cargo} xtask ci --project {dir}").quiet())
    }

    fn deno(&self, args: &[&str]) -> Cmd<'_> {
        cmd!(self.project, "deno {args...}")
            .quiet()
            .env("PATH", &self.path)
            .env("NO_COLOR", "1")
            .env("DENO_NO_UPDATE_CHECK", "1")
            .env_remove("RUST_BACKTRACE")
    }

    /// A DENO_DIR holding only the project's dependencies, as a CI runner restores them.
    fn download_dependencies(&self, scratch: &Utf8Path) -> Result<Utf8PathBuf> {
        let deno_dir = scratch.join("download");
        eprintln!("downloading the project's dependencies into {deno_dir}");
        time(
            self.deno(&["install", "--frozen"])
                .env("DENO_DIR", &deno_dir),
        )?;
        let dependencies = scratch.join("dependencies");
        for kept in ["npm", "remote"] {
            if deno_dir.join(kept).exists() {
                copy_tree(&deno_dir.join(kept), &dependencies.join(kept))?;
            }
        }
        std::fs::create_dir_all(&dependencies)?;
        Ok(dependencies)
    }

    /// Alternates the sides `runs` times, each run in the DENO_DIR `prepare` gives
    /// (`None`: the user's own).
    fn compare(
        &self,
        scenario: &'static str,
        runs: u32,
        mut prepare: impl FnMut() -> Result<Option<Utf8PathBuf>>,
    ) -> Result<Comparison> {
        let mut xtask = Vec::new();
        let mut deno_task = Vec::new();
        for run in 1..=runs {
            // Each side gets a DENO_DIR of its own, in the same state.
            let (xtask_dir, deno_task_dir) = (prepare()?, prepare()?);
            let xtask_time = time(with_deno_dir(self.xtask_ci(), xtask_dir.as_deref()))?;
            let deno_time = time(with_deno_dir(
                self.deno(&["task", "ci"]),
                deno_task_dir.as_deref(),
            ))?;
            eprintln!(
                "{scenario}, run {run}/{runs}: cargo xtask ci {:.3}s, deno task ci {:.3}s",
                secs(xtask_time),
                secs(deno_time)
            );
            xtask.push(xtask_time);
            deno_task.push(deno_time);
        }
        Ok(Comparison {
            scenario,
            xtask: median(&mut xtask),
            deno_task: median(&mut deno_task),
        })
    }

    fn help_medians(&self) -> Result<(Duration, Duration)> {
        let exe = std::env::current_exe().context("cannot find the xtask binary")?;
        let cargo = &self.cargo;
        Ok((
            median_of(10, || {
                as_from_a_shell(cmd!(self.repo, "{cargo} xtask --help").quiet())
            })?,
            median_of(10, || cmd!(self.repo, "{exe} --help").quiet())?,
        ))
    }
}

/// `cmd` (a cargo command) without the variables `cargo run` gives the running xtask
/// (`CARGO_PKG_NAME`, `CARGO_MANIFEST_DIR`, `OUT_DIR`, ...). Some build scripts (ring's)
/// rerun when those change, so a nested cargo that inherits them would rebuild them and
/// relink xtask: every run would be timed with a build, and the running xtask binary
/// would be replaced under it.
pub(super) fn as_from_a_shell(mut cmd: Cmd<'_>) -> Cmd<'_> {
    for (name, _) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        if name.starts_with("CARGO_PKG_")
            || name.starts_with("CARGO_MANIFEST_")
            || matches!(
                name,
                "CARGO_CRATE_NAME" | "CARGO_BIN_NAME" | "CARGO_PRIMARY_PACKAGE" | "OUT_DIR"
            )
        {
            cmd = cmd.env_remove(name);
        }
    }
    cmd
}

fn with_deno_dir<'a>(cmd: Cmd<'a>, deno_dir: Option<&Utf8Path>) -> Cmd<'a> {
    match deno_dir {
        Some(dir) => cmd.env("DENO_DIR", dir),
        None => cmd,
    }
}

fn copy_tree(from: &Utf8Path, to: &Utf8Path) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {to}"))?;
    for entry in from
        .read_dir_utf8()
        .with_context(|| format!("cannot read {from}"))?
    {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("cannot copy {} to {target}", entry.path()))?;
        }
    }
    Ok(())
}

fn time(cmd: Cmd<'_>) -> Result<Duration> {
    let line = cmd.to_string();
    let started = Instant::now();
    let output = cmd.ignore_status().output()?;
    let elapsed = started.elapsed();
    if !output.status.success() {
        bail!(
            "`{line}` failed ({}), so its time means nothing:\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(elapsed)
}

fn median_of<'a>(runs: usize, cmd: impl Fn() -> Cmd<'a>) -> Result<Duration> {
    let mut times = (0..runs).map(|_| time(cmd())).collect::<Result<Vec<_>>>()?;
    Ok(median(&mut times))
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    let middle = times.len() / 2;
    if times.len().is_multiple_of(2) {
        (times[middle - 1] + times[middle]) / 2
    } else {
        times[middle]
    }
}

fn secs(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        let ms = Duration::from_millis;
        assert_eq!(median(&mut [ms(3), ms(1), ms(2)]), ms(2));
        assert_eq!(
            median(&mut [ms(4), ms(1), ms(3), ms(2)]),
            Duration::from_micros(2500)
        );
    }
}

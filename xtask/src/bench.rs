//! `cargo xtask bench`: side-by-side timings of xtask against what it replaces.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use camino::Utf8Path;
use serde_json::json;
use xshell::{Cmd, Shell, cmd};

use crate::context;

/// Time xtask side by side with what it replaces, in one run.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    bench: Bench,
}

#[derive(Debug, clap::Subcommand)]
enum Bench {
    /// `cargo xtask ci` against `deno task ci` on the project, alternating, with a warm
    /// build and warm deno caches; prints each side's median and the ratio of medians.
    /// Also times `cargo xtask --help`, the fixed cost of every task, and the xtask
    /// binary's share of it.
    Ci {
        /// Timed runs of each side (after one untimed warm-up run of each).
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
        runs: u32,
        /// Print the figures as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(project: Option<&Utf8Path>, args: &Args) -> Result<ExitCode> {
    match &args.bench {
        Bench::Ci { runs, json } => bench_ci(project, *runs, *json),
    }
}

fn bench_ci(project: Option<&Utf8Path>, runs: u32, json: bool) -> Result<ExitCode> {
    let project = context::open_project(project)?;
    let deno = context::deno()?;
    let sh = Shell::new()?;
    sh.change_dir(context::repo_root());
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let dir = project.dir();
    let deno_dir = deno.path().parent().context("deno has a directory")?;
    let path = std::env::join_paths(std::iter::once(deno_dir.as_std_path().to_owned()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))?;

    let xtask_ci = || cmd!(sh, "{cargo} xtask ci --project {dir}").quiet();
    let project_sh = Shell::new()?;
    project_sh.change_dir(dir);
    let deno_task_ci = || {
        cmd!(project_sh, "deno task ci")
            .quiet()
            .env("PATH", &path)
            .env("NO_COLOR", "1")
            .env("DENO_NO_UPDATE_CHECK", "1")
            .env_remove("RUST_BACKTRACE")
    };

    eprintln!("warming up: one untimed run of each side");
    time(xtask_ci())?;
    time(deno_task_ci())?;
    let mut xtask_times = Vec::new();
    let mut deno_times = Vec::new();
    for run in 1..=runs {
        xtask_times.push(time(xtask_ci())?);
        deno_times.push(time(deno_task_ci())?);
        eprintln!(
            "run {run}/{runs}: cargo xtask ci {:.3}s, deno task ci {:.3}s",
            secs(*xtask_times.last().unwrap()),
            secs(*deno_times.last().unwrap())
        );
    }
    let exe = std::env::current_exe().context("cannot find the xtask binary")?;
    let help_median = median_of(10, || cmd!(sh, "{cargo} xtask --help").quiet())?;
    let binary_help_median = median_of(10, || cmd!(sh, "{exe} --help").quiet())?;

    let xtask_median = median(&mut xtask_times);
    let deno_median = median(&mut deno_times);
    let ratio = secs(xtask_median) / secs(deno_median);
    if json {
        let figures = json!({
            "runs": runs,
            "xtask_ci_median_seconds": secs(xtask_median),
            "deno_task_ci_median_seconds": secs(deno_median),
            "ratio": ratio,
            "xtask_help_median_seconds": secs(help_median),
            "xtask_binary_help_median_seconds": secs(binary_help_median),
        });
        println!("{}", serde_json::to_string_pretty(&figures)?);
    } else {
        println!("project: {dir}, deno {}, {runs} runs each", deno.version());
        println!("cargo xtask ci    median {:.3}s", secs(xtask_median));
        println!("deno task ci      median {:.3}s", secs(deno_median));
        println!("ratio (xtask / deno task)  {ratio:.2}");
        println!(
            "cargo xtask --help median {:.3}s (10 runs), the binary alone {:.3}s",
            secs(help_median),
            secs(binary_help_median)
        );
    }
    Ok(ExitCode::SUCCESS)
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

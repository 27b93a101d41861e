//! `cargo xtask bench release`: the five-target build in parallel against one target
//! after another.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use camino::{Utf8Path, Utf8PathBuf};
use deno_runner::App;
use release_publisher::{
    BuildOptions, ReleasePolicy, TARGETS, Target, base_runtimes, build, plan_build,
};
use serde_json::json;

use super::{Sides, copy_tree, median, secs};
use crate::context::{self, AppArgs};
use crate::output::Stream;

pub fn bench_release(
    app: &AppArgs,
    runs: u32,
    denort_dir: Option<&Utf8Path>,
    jobs: Option<u32>,
    json: bool,
) -> Result<ExitCode> {
    let figures = measure(&app.open()?, runs, denort_dir, jobs)?;
    Stream::Stdout.write(&if json {
        format!("{:#}\n", figures.json())
    } else {
        figures.table()
    });
    Ok(ExitCode::SUCCESS)
}

/// What `bench release` measured: each scenario's medians.
struct Figures {
    project: Utf8PathBuf,
    app: Utf8PathBuf,
    deno: String,
    jobs: usize,
    runs: u32,
    /// (scenario, parallel median, sequential median).
    scenarios: Vec<(&'static str, Duration, Duration)>,
}

/// The warm-up build, then `runs` builds of each side per scenario, alternating.
fn measure(
    app: &App,
    runs: u32,
    denort_dir: Option<&Utf8Path>,
    jobs: Option<u32>,
) -> Result<Figures> {
    let machine = context::build_machine(app);
    let policy = ReleasePolicy::of_app(app, None, &machine)?;
    let bin = app
        .xtask()
        .bin
        .unwrap_or_else(|| release_publisher::DEFAULT_BIN.to_owned());
    let deno = context::deno()?;
    let cores = match jobs {
        Some(jobs) => jobs as usize,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let targets: Vec<&'static Target> = TARGETS.iter().collect();
    let base_runtimes = match denort_dir {
        None => BTreeMap::new(),
        Some(dir) => base_runtimes(&context::absolute(dir)?, &targets)?,
    };
    let scratch = tempfile::tempdir().context("cannot create a scratch directory")?;
    let scratch = Utf8Path::from_path(scratch.path()).context("scratch path is not UTF-8")?;
    let dependencies = Sides::new(app.root().dir(), deno.path())?.download_dependencies(scratch)?;
    let mut builds = 0;
    // One five-target build with `jobs` compiles at once, in `deno_dir` (None: the
    // user's own, warm).
    let mut time_build = |jobs: usize, cold: bool| -> Result<Duration> {
        builds += 1;
        let out_dir = scratch.join(format!("build-{builds}"));
        let options = BuildOptions {
            bin: bin.clone(),
            out_dir: out_dir.clone(),
            targets: TARGETS.iter().collect(),
            base_runtimes: base_runtimes.clone(),
        };
        let mut plan = plan_build(app, &policy, &options)?;
        if cold {
            let deno_dir = scratch.join(format!("deno-dir-{builds}"));
            copy_tree(&dependencies, &deno_dir)?;
            let invocations = std::iter::once(&mut plan.check)
                .chain(plan.artifacts.iter_mut().map(|a| &mut a.invocation));
            for invocation in invocations {
                invocation
                    .env
                    .insert("DENO_DIR".into(), deno_dir.to_string());
            }
        }
        let started = Instant::now();
        let built = build(&deno, &plan, jobs, |_| {})?;
        let elapsed = started.elapsed();
        if let Some(failed) = built.iter().find(|b| !b.completed.success()) {
            bail!(
                "`{}` failed, so the time means nothing:\n{}",
                failed.completed.invocation,
                failed.completed.output
            );
        }
        // Five artifacts take half a gigabyte: keep one build's at a time.
        std::fs::remove_dir_all(&out_dir).with_context(|| format!("cannot remove {out_dir}"))?;
        Ok(elapsed)
    };

    eprintln!("warming up: one untimed parallel build");
    time_build(cores, false)?;
    let mut scenarios = Vec::new();
    for (scenario, cold) in [("warm deno caches", false), ("cold deno caches", true)] {
        let (mut parallel, mut sequential) = (Vec::new(), Vec::new());
        for run in 1..=runs {
            // Alternate which side goes first, so neither always finds the machine warmer.
            let (p, s) = if run % 2 == 1 {
                let p = time_build(cores, cold)?;
                (p, time_build(1, cold)?)
            } else {
                let s = time_build(1, cold)?;
                (time_build(cores, cold)?, s)
            };
            eprintln!(
                "{scenario}, run {run}/{runs}: parallel ({cores} jobs) {:.3}s, sequential {:.3}s",
                secs(p),
                secs(s)
            );
            parallel.push(p);
            sequential.push(s);
        }
        scenarios.push((scenario, median(&mut parallel), median(&mut sequential)));
    }
    Ok(Figures {
        project: app.root().dir().to_owned(),
        app: app.dir().to_owned(),
        deno: deno.version().to_string(),
        jobs: cores,
        runs,
        scenarios,
    })
}

impl Figures {
    fn json(&self) -> serde_json::Value {
        let scenarios: Vec<_> = self
            .scenarios
            .iter()
            .map(|(scenario, parallel, sequential)| {
                json!({
                    "scenario": scenario,
                    "parallel_median_seconds": secs(*parallel),
                    "sequential_median_seconds": secs(*sequential),
                    "ratio": secs(*parallel) / secs(*sequential),
                })
            })
            .collect();
        json!({
            "project": self.project,
            "app": self.app,
            "deno": self.deno,
            "targets": TARGETS.len(),
            "jobs": self.jobs,
            "runs": self.runs,
            "scenarios": scenarios,
        })
    }

    fn table(&self) -> String {
        let mut table = format!(
            "project: {}, deno {}, {} targets, {} runs each\n{:<18}  {:>17}  {:>10}  {:>5}\n",
            self.app,
            self.deno,
            TARGETS.len(),
            self.runs,
            "scenario",
            format!("parallel ({} jobs)", self.jobs),
            "sequential",
            "ratio"
        );
        for (scenario, parallel, sequential) in &self.scenarios {
            table.push_str(&format!(
                "{scenario:<18}  {:>16.3}s  {:>9.3}s  {:>5.2}\n",
                secs(*parallel),
                secs(*sequential),
                secs(*parallel) / secs(*sequential)
            ));
        }
        table
    }
}

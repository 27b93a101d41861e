//! `cargo xtask bench coverage`: patch coverage against diff-cover, on the same inputs.

use std::fs::File;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitCode, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use camino::{Utf8Path, Utf8PathBuf};
use serde_json::{Value, json};

use super::{median, secs};
use crate::context;
use crate::output::Stream;

/// The input generator, a copy of ../shared/bench/make_patch_repo.py kept in the
/// repository so that the benchmark runs in any clone.
const GENERATOR: &str = "crates/coverage-export/tests/data/make_patch_repo.py";

/// What one size measured: medians of wall time, the highest peak RSS.
struct Row {
    files: u32,
    lcov_bytes: u64,
    changed_lines: u64,
    ours: Figures,
    diff_cover: Figures,
    identical: bool,
}

pub(super) struct Figures {
    pub(super) wall: Duration,
    pub(super) peak_rss: u64,
}

pub fn bench_coverage(
    sizes: &[u32],
    runs: u32,
    generator: Option<&Utf8Path>,
    scratch: Option<&Utf8Path>,
    json: bool,
) -> Result<ExitCode> {
    let generator = match generator {
        Some(path) => path.to_owned(),
        None => context::repo_root().join(GENERATOR),
    };
    ensure!(
        generator.is_file(),
        "the input generator {generator} is missing: pass --generator PATH"
    );
    let cache = deno_runner::default_cache_dir()?;
    eprintln!(
        "diff-cover {}: installing into {cache} when missing",
        pytools::DIFF_COVER.version
    );
    let diff_cover = pytools::DIFF_COVER.install(&cache)?;
    let xtask = std::env::current_exe().context("cannot find the running xtask binary")?;

    let scratch = match scratch {
        Some(dir) => tempfile::tempdir_in(dir)
            .with_context(|| format!("cannot create a scratch directory in {dir} (--scratch)"))?,
        None => tempfile::tempdir().context("cannot create a scratch directory")?,
    };
    let scratch = Utf8Path::from_path(scratch.path()).context("scratch path is not UTF-8")?;
    let mut rows = Vec::new();
    for &files in sizes {
        let dir = scratch.join(format!("files-{files}"));
        eprintln!("generating {files} files with {generator} into {dir}");
        let status = Command::new("python3")
            .arg(generator.as_str())
            .arg(dir.as_str())
            .arg(format!("--files={files}"))
            .status()
            .context("cannot run python3")?;
        ensure!(status.success(), "{generator} failed ({status})");
        let (repo, lcov) = (dir.join("repo"), dir.join("coverage.lcov"));
        let (our_json, their_json) = (dir.join("ours/coverage.json"), dir.join("diff-cover.json"));
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        for run in 1..=runs {
            eprintln!("{files} files, run {run} of {runs}: cargo xtask coverage, then diff-cover");
            let mut command = Command::new(&xtask);
            command
                .args([
                    "coverage",
                    "--lcov",
                    lcov.as_str(),
                    "--base",
                    "base",
                    "--fail-under",
                    "0",
                ])
                .args(["--out", dir.join("ours").as_str()])
                .current_dir(&repo);
            ours.push(measure(&mut command)?);
            let mut command = diff_cover.command();
            command
                .arg(lcov.as_str())
                .args([
                    "--compare-branch=base",
                    &format!("--format=json:{their_json}"),
                ])
                .current_dir(&repo);
            theirs.push(measure(&mut command)?);
        }
        let (ours_report, theirs_report) = (read_json(&our_json)?, read_json(&their_json)?);
        rows.push(Row {
            files,
            lcov_bytes: lcov.metadata().map_or(0, |m| m.len()),
            changed_lines: theirs_report["total_num_lines"].as_u64().unwrap_or(0),
            ours: summarize(ours),
            diff_cover: summarize(theirs),
            identical: same_numbers(&ours_report, &theirs_report),
        });
    }
    Stream::Stdout.write(&if json {
        json_rows(&rows, runs)
    } else {
        table(&rows, runs)
    });
    Ok(if rows.iter().all(|r| r.identical) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Runs `command` to its end; its wall time and the peak resident set size of all its
/// processes together: the highest sum over the process and its descendants (git
/// beside xtask, for one), sampled every 5 ms, or the kernel's peak of the largest one
/// alone when that is higher (a spike between two samples).
pub(super) fn measure(command: &mut Command) -> Result<Figures> {
    let errors = tempfile::tempfile().context("cannot create a file for stderr")?;
    let started = Instant::now();
    let child = command
        .stdout(Stdio::null())
        .stderr(errors.try_clone()?)
        .spawn()
        .with_context(|| format!("cannot start {command:?}"))?;
    let pid = child.id() as libc::pid_t;
    let done = Arc::new(AtomicBool::new(false));
    let sampler = std::thread::spawn({
        let done = Arc::clone(&done);
        move || {
            let mut peak = 0;
            while !done.load(Ordering::Relaxed) {
                peak = peak.max(tree_rss(pid as u32));
                std::thread::sleep(Duration::from_millis(5));
            }
            peak
        }
    });
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid, and wait4 only writes into the two locals.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let sampled = sampler.join().unwrap_or(0);
    ensure!(
        waited == pid,
        "waiting for {command:?} failed: {}",
        std::io::Error::last_os_error()
    );
    let status = ExitStatus::from_raw(status);
    if !status.success() {
        bail!("{command:?} failed ({status}):\n{}", read_all(errors));
    }
    // Linux reports ru_maxrss in kilobytes.
    Ok(Figures {
        wall,
        peak_rss: sampled.max(usage.ru_maxrss as u64 * 1024),
    })
}

/// The resident memory of process `pid` and all its descendants now, in bytes (0 for
/// the ones that are gone).
fn tree_rss(pid: u32) -> u64 {
    let page = 4096; // statm counts pages; 4 KiB on the machines this runs on
    let mut total = 0;
    let mut pending = vec![pid];
    while let Some(pid) = pending.pop() {
        let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).unwrap_or_default();
        let resident: u64 = statm
            .split_whitespace()
            .nth(1)
            .and_then(|pages| pages.parse().ok())
            .unwrap_or(0);
        total += resident * page;
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            let children =
                std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
            pending.extend(
                children
                    .split_whitespace()
                    .filter_map(|c| c.parse::<u32>().ok()),
            );
        }
    }
    total
}

fn read_all(mut file: File) -> String {
    use std::io::{Read, Seek};
    let mut text = String::new();
    let _ = file.rewind().and_then(|()| file.read_to_string(&mut text));
    text
}

fn summarize(runs: Vec<Figures>) -> Figures {
    let mut walls: Vec<Duration> = runs.iter().map(|f| f.wall).collect();
    Figures {
        wall: median(&mut walls),
        peak_rss: runs.iter().map(|f| f.peak_rss).max().unwrap_or(0),
    }
}

fn read_json(path: &Utf8PathBuf) -> Result<Value> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?;
    serde_json::from_str(&text).with_context(|| format!("{path} is not JSON"))
}

/// The figures diff-cover reports, compared with ours: totals and per-file lines.
fn same_numbers(ours: &Value, theirs: &Value) -> bool {
    let totals = [
        "total_num_lines",
        "total_num_violations",
        "total_percent_covered",
    ]
    .iter()
    .all(|field| ours[field] == theirs[field]);
    let (Some(our_files), Some(their_files)) = (
        ours["src_stats"].as_object(),
        theirs["src_stats"].as_object(),
    ) else {
        return false;
    };
    totals
        && our_files.len() == their_files.len()
        && their_files.iter().all(|(file, stats)| {
            ["violation_lines", "covered_lines"].iter().all(|field| {
                our_files
                    .get(file)
                    .is_some_and(|o| o[field] == stats[field])
            })
        })
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_048_576.0
}

fn table(rows: &[Row], runs: u32) -> String {
    let mut text = format!(
        "patch coverage, cargo xtask coverage --lcov vs diff-cover {} (median of {runs} runs; peak RSS of all \
         of a side's processes together, the highest run)\n\
         {:>6}  {:>8}  {:>13}  {:>19}  {:>19}  {:>7}  {:>9}  {:>9}\n",
        pytools::DIFF_COVER.version,
        "files",
        "lcov",
        "changed lines",
        "xtask",
        "diff-cover",
        "faster",
        "memory",
        "identical"
    );
    for r in rows {
        text.push_str(&format!(
            "{:>6}  {:>6.1}MB  {:>13}  {:>7.2}s {:>8.1}MB  {:>7.2}s {:>8.1}MB  {:>6.1}×  {:>9}  {:>9}\n",
            r.files,
            mb(r.lcov_bytes),
            r.changed_lines,
            secs(r.ours.wall),
            mb(r.ours.peak_rss),
            secs(r.diff_cover.wall),
            mb(r.diff_cover.peak_rss),
            secs(r.diff_cover.wall) / secs(r.ours.wall),
            format!("1/{:.1}", r.diff_cover.peak_rss as f64 / r.ours.peak_rss as f64),
            if r.identical { "yes" } else { "NO" },
        ));
    }
    text
}

fn json_rows(rows: &[Row], runs: u32) -> String {
    let rows: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "files": r.files,
                "lcov_bytes": r.lcov_bytes,
                "changed_coverable_lines": r.changed_lines,
                "xtask": { "median_seconds": secs(r.ours.wall), "peak_rss_bytes": r.ours.peak_rss },
                "diff_cover": { "median_seconds": secs(r.diff_cover.wall), "peak_rss_bytes": r.diff_cover.peak_rss },
                "speedup": secs(r.diff_cover.wall) / secs(r.ours.wall),
                "memory_ratio": r.ours.peak_rss as f64 / r.diff_cover.peak_rss as f64,
                "identical_numbers": r.identical,
            })
        })
        .collect();
    format!(
        "{:#}\n",
        json!({ "diff_cover": pytools::DIFF_COVER.version, "runs": runs, "sizes": rows })
    )
}

//! `cargo xtask bench publish`: memory and throughput of `release publish`, uploading
//! five artifacts of each size to the local GitHub running as a process of its own. The
//! artifacts are real ones (publishing audits them first), compiled once and padded to
//! each size: the padding changes nothing the audit reads.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, ExitCode, Stdio};

use anyhow::{Context, Result, ensure};
use camino::Utf8Path;
use serde_json::json;
use xshell::{Shell, cmd};

use super::coverage::{Figures, measure};
use super::{as_from_a_shell, secs};
use crate::context;
use crate::output::Stream;

const TOKEN: &str = "ghs_bench_publish";
const NAMES: [&str; 5] = [
    "kato-linux-x86_64",
    "kato-linux-aarch64",
    "kato-darwin-x86_64",
    "kato-darwin-arm64",
    "kato-windows-x86_64.exe",
];

struct Row {
    megabytes: u64,
    figures: Figures,
}

/// The release policy of the artifacts, as the bench project declares it.
const CONFIG: &str = r#"{ "name": "@kato/kato", "version": "0.1.0", "exports": "./main.ts",
  "lock": false, "permissions": { "default": { "env": ["HOME"] } } }
"#;

pub fn bench_publish(sizes: &[u64], denort_dir: Option<&Utf8Path>, json: bool) -> Result<ExitCode> {
    let rows = measure_sizes(sizes, denort_dir)?;
    Stream::Stdout.write(&if json {
        format!("{:#}\n", rows_json(&rows))
    } else {
        rows_table(&rows)
    });
    std::io::stdout().flush()?;
    Ok(ExitCode::SUCCESS)
}

/// A publication of five artifacts of each size, to a local GitHub of its own.
fn measure_sizes(sizes: &[u64], denort_dir: Option<&Utf8Path>) -> Result<Vec<Row>> {
    let sh = Shell::new()?;
    sh.change_dir(context::repo_root());
    eprintln!("building the local GitHub (crates/fake-github)");
    as_from_a_shell(cmd!(
        sh,
        "cargo build --quiet -p fake-github --bin fake-github"
    ))
    .run()?;
    // Where cargo put it: CARGO_TARGET_DIR when set (relative to the workspace, where
    // cargo ran), else the workspace's target/.
    let target_dir = std::env::var("CARGO_TARGET_DIR")
        .ok()
        .filter(|dir| !dir.is_empty())
        .map_or_else(
            || context::repo_root().join("target"),
            |dir| context::repo_root().join(dir),
        );
    let server_exe = target_dir.join("debug/fake-github");
    let xtask = std::env::current_exe().context("cannot find the running xtask binary")?;

    let scratch = tempfile::tempdir().context("cannot create a scratch directory")?;
    let scratch = Utf8Path::from_path(scratch.path()).context("scratch path is not UTF-8")?;
    let project = scratch.join("project");
    std::fs::create_dir_all(&project)?;
    std::fs::write(project.join("deno.json"), CONFIG)?;
    std::fs::write(
        project.join("main.ts"),
        "console.log(Deno.env.get(\"HOME\"));\n",
    )?;
    let git = Shell::new()?;
    git.change_dir(&project);
    cmd!(git, "git init --quiet --initial-branch=main")
        .quiet()
        .run()?;
    cmd!(git, "git -c user.name=bench -c user.email=bench@kato.invalid commit --quiet --allow-empty -m bench").quiet().run()?;
    let commit = cmd!(git, "git rev-parse HEAD").quiet().read()?;

    let built = scratch.join("built");
    eprintln!("compiling the five artifacts (cargo xtask release build)");
    let mut build = Command::new(&xtask);
    build.args([
        "release",
        "build",
        "--project",
        project.as_str(),
        "--out-dir",
        built.as_str(),
    ]);
    if let Some(dir) = denort_dir {
        build.args(["--denort-dir", context::absolute(dir)?.as_str()]);
    }
    let status = build.env_remove("GITHUB_ACTIONS").status()?;
    ensure!(
        status.success(),
        "`release build` of the bench project failed ({status})"
    );
    let largest = NAMES
        .iter()
        .map(|name| Ok(std::fs::metadata(built.join(name))?.len()))
        .collect::<Result<Vec<u64>>>()?
        .into_iter()
        .max()
        .unwrap_or(0);
    if let Some(small) = sizes.iter().find(|&&mb| mb << 20 < largest) {
        anyhow::bail!(
            "--sizes {small}: the artifacts are up to {:.0} MB as compiled, so each size must \
             be at least {} MB",
            largest as f64 / 1_048_576.0,
            largest.div_ceil(1 << 20)
        );
    }

    let mut rows = Vec::new();
    for &megabytes in sizes {
        let dist = scratch.join(format!("dist-{megabytes}"));
        std::fs::create_dir_all(&dist)?;
        for name in NAMES {
            padded(&built.join(name), &dist.join(name), megabytes << 20)?;
        }
        let mut server = Command::new(&server_exe)
            .args([
                "--token",
                TOKEN,
                "--repo",
                "bench/kato",
                "--commit",
                &commit,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {server_exe}"))?;
        let mut lines = BufReader::new(server.stdout.take().expect("piped"));
        let mut api = String::new();
        lines.read_line(&mut api)?;
        ensure!(api.starts_with("http://"), "{server_exe} printed {api:?}");
        eprintln!(
            "{megabytes} MB artifacts: cargo xtask release publish (5 × {megabytes} MB + SHA256SUMS)"
        );
        let mut publish = Command::new(&xtask);
        publish
            .args([
                "release",
                "publish",
                dist.as_str(),
                "--project",
                project.as_str(),
                "--repo",
                "bench/kato",
            ])
            .env("GITHUB_API_URL", api.trim())
            .env("GITHUB_TOKEN", TOKEN)
            .env_remove("GITHUB_ACTIONS");
        let figures = measure(&mut publish);
        // Closing its stdin stops the server.
        drop(server.stdin.take());
        let _ = server.wait();
        rows.push(Row {
            megabytes,
            figures: figures?,
        });
    }
    Ok(rows)
}

fn rows_json(rows: &[Row]) -> serde_json::Value {
    let rows: Vec<_> = rows
        .iter()
        .map(|r| {
            json!({
                "artifact_megabytes": r.megabytes,
                "seconds": secs(r.figures.wall),
                "peak_rss_bytes": r.figures.peak_rss,
                "megabytes_per_second": throughput(r),
            })
        })
        .collect();
    serde_json::Value::from(rows)
}

fn rows_table(rows: &[Row]) -> String {
    let mut text = String::from(
        "cargo xtask release publish to the local GitHub (a process of its own)\n\
         artifacts      uploaded   wall time   throughput   peak RSS\n",
    );
    for r in rows {
        text.push_str(&format!(
            "5 × {:>4} MB  {:>7} MB  {:>8.2} s  {:>7.1} MB/s  {:>6.1} MB\n",
            r.megabytes,
            r.megabytes * 5,
            secs(r.figures.wall),
            throughput(r),
            r.figures.peak_rss as f64 / 1_048_576.0
        ));
    }
    text
}

/// Megabytes of artifacts per second of the whole run.
fn throughput(row: &Row) -> f64 {
    (row.megabytes * 5) as f64 / secs(row.figures.wall)
}

/// A copy of the artifact `from` at `to`, padded with zeros to `size` bytes.
fn padded(from: &Utf8Path, to: &Utf8Path, size: u64) -> Result<()> {
    std::fs::copy(from, to).with_context(|| format!("cannot copy {from} to {to}"))?;
    let file = std::fs::OpenOptions::new()
        .append(true)
        .open(to)
        .with_context(|| format!("cannot write {to}"))?;
    let mut file = std::io::BufWriter::new(file);
    let mut left = size - std::fs::metadata(from)?.len();
    let zeros = vec![0u8; 1 << 20];
    while left > 0 {
        let take = left.min(zeros.len() as u64) as usize;
        file.write_all(&zeros[..take])?;
        left -= take as u64;
    }
    file.flush()?;
    Ok(())
}

//! `cargo xtask bench publish`: memory and throughput of `release publish`, uploading
//! five artifacts of each size to the local GitHub running as a process of its own.

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

pub fn bench_publish(sizes: &[u64], json: bool) -> Result<ExitCode> {
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
    std::fs::write(project.join("deno.json"), "{ \"version\": \"0.1.0\" }\n")?;
    let git = Shell::new()?;
    git.change_dir(&project);
    cmd!(git, "git init --quiet --initial-branch=main")
        .quiet()
        .run()?;
    cmd!(git, "git -c user.name=bench -c user.email=bench@kato.invalid commit --quiet --allow-empty -m bench").quiet().run()?;
    let commit = cmd!(git, "git rev-parse HEAD").quiet().read()?;

    let mut rows = Vec::new();
    for &megabytes in sizes {
        let dist = scratch.join(format!("dist-{megabytes}"));
        std::fs::create_dir_all(&dist)?;
        for (i, name) in NAMES.iter().enumerate() {
            write_artifact(&dist.join(name), megabytes << 20, i as u8)?;
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
                "--project",
                project.as_str(),
                "release",
                "publish",
                dist.as_str(),
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
    let report = if json {
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
        format!("{:#}\n", serde_json::Value::from(rows))
    } else {
        let mut text = String::from(
            "cargo xtask release publish to the local GitHub (a process of its own)\n\
             artifacts      uploaded   wall time   throughput   peak RSS\n",
        );
        for r in &rows {
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
    };
    Stream::Stdout.write(&report);
    std::io::stdout().flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Megabytes of artifacts per second of the whole run.
fn throughput(row: &Row) -> f64 {
    (row.megabytes * 5) as f64 / secs(row.figures.wall)
}

/// `size` bytes that differ between artifacts (`seed`), written a block at a time.
fn write_artifact(path: &Utf8Path, size: u64, seed: u8) -> Result<()> {
    let block: Vec<u8> = (0..1 << 20)
        .map(|n: u32| (n as u8).wrapping_mul(31) ^ seed)
        .collect();
    let mut file = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("cannot write {path}"))?,
    );
    let mut left = size;
    while left > 0 {
        let take = left.min(block.len() as u64) as usize;
        file.write_all(&block[..take])?;
        left -= take as u64;
    }
    file.flush()?;
    Ok(())
}

//! The local GitHub as a process of its own, for benchmarks that measure a client
//! without the server in the same process.
//!
//! `fake-github --token T --repo OWNER/NAME --commit SHA...` prints the API URL on the
//! first line of stdout and the upload URL on the second, then serves until its stdin
//! closes (or it is killed).

use std::io::{Read, Write};

use clap::Parser;
use fake_github::{Access, FakeGitHub, State};

/// Serve a local stand-in for GitHub's REST API on 127.0.0.1.
#[derive(Debug, Parser)]
struct Args {
    /// A token the server accepts.
    #[arg(long)]
    token: String,
    /// What the token may do.
    #[arg(long, default_value = "contents-write", value_parser = ["contents-write", "admin", "read-only"])]
    access: String,
    /// The repository, OWNER/NAME.
    #[arg(long)]
    repo: String,
    /// A commit the repository holds (repeatable); the last is its default branch.
    #[arg(long = "commit", value_name = "SHA")]
    commits: Vec<String>,
    /// Read uploads at most this many bytes per second.
    #[arg(long, value_name = "BYTES_PER_SECOND")]
    throttle: Option<u64>,
}

fn main() {
    let args = Args::parse();
    let Some((owner, name)) = args.repo.split_once('/') else {
        eprintln!("error: --repo is OWNER/NAME, not {}", args.repo);
        std::process::exit(2);
    };
    let mut state = State::new();
    let access = match args.access.as_str() {
        "admin" => Access::Admin,
        "read-only" => Access::ReadOnlyIntegration,
        _ => Access::ContentsWrite,
    };
    state.add_token(&args.token, access);
    state.upload_throttle = args.throttle;
    let repository = state.add_repo(owner, name);
    for commit in &args.commits {
        repository.add_commit(commit);
    }
    let server = FakeGitHub::start(state);
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "{}\n{}", server.url(), server.upload_url());
    let _ = stdout.flush();
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}

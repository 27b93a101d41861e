//! SIGTERM and SIGINT during a task: the deno processes it started are stopped and
//! reaped, nothing unfinished or unaudited is left, and the exit status is 128 + the
//! signal. The xtask binary is run directly, as a workflow step or a terminal runs it.

#![cfg(unix)]

mod support;

use std::process::Child;
use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};
use support::{Project, denort_dir, xtask};

/// A deno process working in `project`: its pid and command line.
fn deno_processes_in(project: &Utf8Path) -> Vec<(u32, String)> {
    let project = project.canonicalize_utf8().unwrap();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap() {
        let entry = entry.unwrap();
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let proc = entry.path();
        // Gone meanwhile, a zombie (no cwd), or not ours to read: not a running deno here.
        let Ok(cwd) = std::fs::read_link(proc.join("cwd")) else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(proc.join("cmdline")) else {
            continue;
        };
        let argv: Vec<String> = cmdline
            .split(|&b| b == 0)
            .filter(|arg| !arg.is_empty())
            .map(|arg| String::from_utf8_lossy(arg).into_owned())
            .collect();
        let is_deno = argv
            .first()
            .and_then(|program| Utf8Path::new(program).file_name())
            .is_some_and(|name| name.starts_with("deno"));
        if is_deno && cwd.starts_with(&project) {
            found.push((pid, argv.join(" ")));
        }
    }
    found
}

/// Waits until a deno process in `project` runs `subcommand`.
fn wait_for_deno(project: &Utf8Path, subcommand: &str, xtask: &mut Child) {
    let started = Instant::now();
    loop {
        let running = deno_processes_in(project);
        if running
            .iter()
            .any(|(_, argv)| argv.split(' ').nth(1) == Some(subcommand))
        {
            return;
        }
        if let Some(status) = xtask.try_wait().unwrap() {
            panic!("xtask ended ({status}) before deno {subcommand} was seen running");
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "deno {subcommand} never started in {project}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn send(child: &Child, signal: libc::c_int) {
    // SAFETY: kill(2) on a child this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
}

/// Waits for `child` to exit, at most `limit`; its exit code and stderr.
fn exit_of(child: Child, limit: Duration) -> (Option<i32>, String) {
    let pid = child.id();
    let waiter = std::thread::spawn(move || child.wait_with_output().unwrap());
    let started = Instant::now();
    while !waiter.is_finished() {
        if started.elapsed() > limit {
            // SAFETY: as in send.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            panic!("xtask did not exit within {limit:?} of the signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = waiter.join().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn entries(dir: &Utf8Path) -> Vec<String> {
    match dir.read_dir_utf8() {
        Ok(entries) => entries.map(|e| e.unwrap().file_name().to_owned()).collect(),
        Err(_) => Vec::new(),
    }
}

/// Now and a few seconds later: no deno of the run is left, and `check` holds.
fn assert_nothing_left(project: &Utf8Path, stderr: &str, check: impl Fn() -> Vec<String>) {
    for moment in ["right after the exit", "3 s after the exit"] {
        let left = deno_processes_in(project);
        assert!(
            left.is_empty(),
            "{moment}: deno still runs: {left:?}\n{stderr}"
        );
        let files = check();
        assert!(
            files.is_empty(),
            "{moment}: left behind: {files:?}\n{stderr}"
        );
        std::thread::sleep(Duration::from_secs(3));
    }
}

/// Every file under `dir`, at any depth.
fn files_under(dir: &Utf8Path) -> Vec<Utf8PathBuf> {
    let mut files = Vec::new();
    for entry in dir.read_dir_utf8().into_iter().flatten().flatten() {
        if entry.path().is_dir() {
            files.extend(files_under(entry.path()));
        } else {
            files.push(entry.into_path());
        }
    }
    files
}

/// The build stopped half-way: one artifact finished and in place, the next one being
/// written by deno (its own `.tmp-` file exists).
#[test]
fn sigterm_while_compiling_stops_deno_and_leaves_no_artifact() {
    let project = Project::copy_example();
    let out: Utf8PathBuf = project.path().parent().unwrap().join("dist");
    let denort = denort_dir();
    let mut child = xtask(&[
        "release",
        "build",
        "--out-dir",
        out.as_str(),
        "--denort-dir",
        denort.as_str(),
        "--jobs",
        "1",
    ])
    .project(&project)
    .spawn();
    let started = Instant::now();
    loop {
        let files = files_under(&out);
        let finished = files
            .iter()
            .any(|f| f.parent() == Some(&out) && f.file_name().unwrap().starts_with("kato-"));
        let writing = files.iter().any(|f| f.as_str().contains(".tmp-"));
        if finished && writing {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the build ended ({status}) before it was seen half-way");
        }
        assert!(started.elapsed() < Duration::from_secs(120), "{files:?}");
        std::thread::sleep(Duration::from_millis(2));
    }
    wait_for_deno(project.path(), "compile", &mut child);
    send(&child, libc::SIGTERM);
    let (code, stderr) = exit_of(child, Duration::from_secs(15));
    assert_eq!(code, Some(143), "{stderr}");
    assert!(stderr.contains("stopped by SIGTERM"), "{stderr}");
    assert_nothing_left(project.path(), &stderr, || entries(&out));
}

/// A test that runs for a minute keeps deno busy until the signal.
fn project_with_a_slow_test() -> Project {
    let project = Project::copy_example();
    project.write(
        "slow_test.ts",
        "Deno.test(\"slow\", async () => {\n  await new Promise((done) => setTimeout(done, 60_000));\n});\n",
    );
    project
}

#[test]
fn sigint_during_ci_stops_every_gate() {
    let project = project_with_a_slow_test();
    let mut child = xtask(&["ci"]).project(&project).spawn();
    wait_for_deno(project.path(), "test", &mut child);
    send(&child, libc::SIGINT);
    let (code, stderr) = exit_of(child, Duration::from_secs(15));
    assert_eq!(code, Some(130), "{stderr}");
    assert_nothing_left(project.path(), &stderr, Vec::new);
}

#[test]
fn sigterm_during_coverage_stops_the_tests_and_writes_no_report() {
    let project = project_with_a_slow_test();
    project.init_git();
    let out = project.path().parent().unwrap().join("coverage");
    let mut child = xtask(&["coverage", "--base", "main", "--out", out.as_str()])
        .project(&project)
        .spawn();
    wait_for_deno(project.path(), "test", &mut child);
    send(&child, libc::SIGTERM);
    let (code, stderr) = exit_of(child, Duration::from_secs(15));
    assert_eq!(code, Some(143), "{stderr}");
    assert_nothing_left(project.path(), &stderr, || {
        // deno's raw profile directory may stay; no report does.
        entries(&out)
            .into_iter()
            .filter(|name| name != "deno-profile")
            .collect()
    });
}

//! `cargo xtask bump` when things go wrong: a write cut short, bumps run at once, a config
//! that is a symbolic link, a config another process holds locked.

#![cfg(unix)]

mod support;

use std::os::fd::AsRawFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::time::{Duration, Instant};

use support::{Project, xtask};

/// A deno.jsonc of 727 bytes, with comments and trailing commas.
fn jsonc() -> String {
    let mut text = String::from(
        "// kato: a local CLI daemon\n{\n  \"name\": \"@kato/kato\", // the package\n  \"version\": \"0.1.0\",\n  \"exports\": \"./main.ts\",\n",
    );
    let mut n = 0;
    while text.len() < 620 {
        text.push_str(&format!(
            "  /* task {n} */ \"t{n}\": \"deno run -A main.ts\",\n"
        ));
        n += 1;
    }
    let pad = 727 - text.len() - "  // \n}\n".len();
    text.push_str(&format!("  // {}\n}}\n", "-".repeat(pad)));
    text
}

fn files_in(project: &Project) -> Vec<String> {
    let mut names: Vec<String> = project
        .path()
        .read_dir_utf8()
        .unwrap()
        .map(|e| e.unwrap().file_name().to_owned())
        .collect();
    names.sort();
    names
}

/// bump with files limited to 256 bytes (RLIMIT_FSIZE): the write fails part-way, as on
/// a full disk or a quota, or the process is killed there (SIGXFSZ).
fn bump_cut_short(project: &Project, ignore_sigxfsz: bool) -> std::process::Output {
    let mut command = xtask(&["bump", "patch"]).project(project).command();
    // SAFETY: setrlimit and signal are async-signal-safe; nothing else runs in the child.
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: 256,
                rlim_max: 256,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if ignore_sigxfsz {
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            }
            Ok(())
        });
    }
    command.output().unwrap()
}

#[test]
fn a_write_cut_short_leaves_the_config_whole() {
    let text = jsonc();
    assert_eq!(text.len(), 727);
    let project = Project::empty();
    project.write("deno.jsonc", &text);

    let output = bump_cut_short(&project, true);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "cannot write {}: File too large",
            project.path().join("deno.jsonc")
        )),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("File too large").count(),
        1,
        "said once: {stderr}"
    );
    assert_eq!(project.read("deno.jsonc"), text);
    assert_eq!(
        files_in(&project),
        ["deno.jsonc"],
        "no partial file is left"
    );

    let output = bump_cut_short(&project, false);
    assert_eq!(output.status.signal(), Some(libc::SIGXFSZ), "{output:?}");
    assert_eq!(project.read("deno.jsonc"), text);
    // Killed, it can leave its hidden partial file, never a torn config.
    for name in files_in(&project) {
        assert!(
            name == "deno.jsonc"
                || (name.starts_with(".deno.jsonc.") && name.ends_with(".partial")),
            "{name}"
        );
    }

    let run = xtask(&["bump", "patch"]).project(&project).run();
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(project.read("deno.jsonc"), text.replace("0.1.0", "0.1.1"));
}

#[test]
fn concurrent_bumps_take_turns_and_each_reports_its_own_step() {
    // Large enough that reading, editing and writing it takes a while.
    let mut text = String::from("{\n  \"name\": \"@kato/kato\",\n  \"version\": \"0.1.0\",\n");
    for n in 0..20_000 {
        text.push_str(&format!(
            "  // note {n}: keep this comment\n  \"k{n}\": [{n}, \"v\"],\n"
        ));
    }
    text.push_str("}\n");
    let project = Project::empty();
    project.write("deno.jsonc", &text);

    let children: Vec<_> = (0..8)
        .map(|_| xtask(&["bump", "patch"]).project(&project).spawn())
        .collect();
    let mut reports = Vec::new();
    for child in children {
        let output = child.wait_with_output().unwrap();
        let stdout = String::from_utf8(output.stdout).unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
        let report = stdout
            .trim()
            .rsplit_once(": version ")
            .map(|(_, report)| report.to_owned())
            .unwrap_or_else(|| panic!("no report in {stdout:?}"));
        reports.push(report);
    }
    reports.sort();
    let expected: Vec<String> = (0..8)
        .map(|n| format!("0.1.{n} -> 0.1.{}", n + 1))
        .collect();
    assert_eq!(reports, expected);
    let written = project.read("deno.jsonc");
    assert_eq!(
        version_check::read_version(&written).unwrap().as_deref(),
        Some("0.1.8")
    );
    assert!(
        written == text.replacen("0.1.0", "0.1.8", 1),
        "only the version changed"
    );
    assert_eq!(files_in(&project), ["deno.jsonc"]);
}

#[test]
fn a_config_that_is_a_symbolic_link_is_refused_and_its_target_left_alone() {
    let project = Project::empty();
    let shared = project.path().parent().unwrap().join("shared.jsonc");
    std::fs::write(&shared, jsonc()).unwrap();
    std::os::unix::fs::symlink(&shared, project.path().join("deno.jsonc")).unwrap();

    let run = xtask(&["bump", "patch"]).project(&project).run();
    assert_eq!(run.code, 2, "{}", run.all());
    let config = project.path().join("deno.jsonc");
    assert!(
        run.stderr.contains(&format!(
            "{config} is a symbolic link (to {shared}): bump edits a regular file only"
        )),
        "{}",
        run.all()
    );
    assert_eq!(std::fs::read_to_string(&shared).unwrap(), jsonc());
    assert!(config.is_symlink());
}

#[test]
fn a_bump_waits_for_the_lock_another_process_holds() {
    let project = Project::empty();
    project.write("deno.json", "{ \"version\": \"0.1.0\" }\n");
    // flock(2), as any other program would take it.
    let config = std::fs::File::open(project.path().join("deno.json")).unwrap();
    let fd = config.as_raw_fd();
    assert_eq!(unsafe { libc::flock(fd, libc::LOCK_EX) }, 0);
    let started = Instant::now();
    let child = xtask(&["bump", "minor"]).project(&project).spawn();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(project.read("deno.json"), "{ \"version\": \"0.1.0\" }\n");
    assert_eq!(unsafe { libc::flock(fd, libc::LOCK_UN) }, 0);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(started.elapsed() >= Duration::from_millis(1500));
    assert!(String::from_utf8_lossy(&output.stdout).contains("version 0.1.0 -> 0.2.0"));
    assert_eq!(project.read("deno.json"), "{ \"version\": \"0.2.0\" }\n");
}

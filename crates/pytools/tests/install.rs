//! Installing a pinned tool from PyPI into an empty cache, from several threads at once,
//! and the error without python3.

use camino::Utf8Path;
use pytools::DIFF_COVER;

#[test]
fn concurrent_installs_leave_one_working_environment() {
    let cache = tempfile::tempdir().unwrap();
    let cache = Utf8Path::from_path(cache.path()).unwrap();
    let installs: Vec<_> = std::thread::scope(|threads| {
        let handles: Vec<_> = (0..2)
            .map(|_| threads.spawn(|| DIFF_COVER.install(cache)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for install in &installs {
        let installed = install.as_ref().unwrap_or_else(|e| panic!("{e:#}"));
        let output = installed.command().arg("--version").output().unwrap();
        assert!(output.status.success(), "{output:?}");
        let version = String::from_utf8_lossy(&output.stdout);
        assert!(version.contains(DIFF_COVER.version), "{version}");
    }
    let entries: Vec<String> = cache
        .join("python")
        .read_dir_utf8()
        .unwrap()
        .map(|e| e.unwrap().file_name().to_owned())
        .collect();
    assert_eq!(
        entries,
        [format!("diff-cover-{}", DIFF_COVER.version)],
        "no staging directory is left"
    );
}

#[test]
fn without_python3_the_error_says_what_is_needed() {
    let cache = tempfile::tempdir().unwrap();
    let cache = Utf8Path::from_path(cache.path()).unwrap();
    // PATH is emptied for a child run of this test binary, not for this process, whose
    // other tests run beside it in threads.
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "install_without_python_child",
            "--nocapture",
            "--include-ignored",
        ])
        .env("PATH", "/nonexistent")
        .env("PYTOOLS_TEST_CACHE", cache.as_str())
        .output()
        .unwrap();
    let output = String::from_utf8_lossy(&status.stdout).into_owned()
        + &String::from_utf8_lossy(&status.stderr);
    assert!(status.status.success(), "{output}");
    assert!(
        output.contains("python3 -m venv: a Python 3 with the venv module is needed"),
        "{output}"
    );
    assert!(
        !cache.join("python").exists() || cache.join("python").read_dir().unwrap().next().is_none()
    );
}

#[test]
#[ignore = "run by without_python3_the_error_says_what_is_needed with an empty PATH"]
fn install_without_python_child() {
    let cache = std::env::var("PYTOOLS_TEST_CACHE").unwrap();
    let error = DIFF_COVER.install(Utf8Path::new(&cache)).unwrap_err();
    println!("{error:#}");
}

#[test]
fn every_entry_kind_runs_from_the_cache() {
    let cache = tempfile::tempdir().unwrap();
    let cache = Utf8Path::from_path(cache.path()).unwrap();
    for (tool, expected) in [
        (pytools::ACTIONLINT, pytools::ACTIONLINT.version),
        (pytools::ZIZMOR, pytools::ZIZMOR.version),
    ] {
        let installed = tool.install(cache).unwrap_or_else(|e| panic!("{e:#}"));
        let output = installed.command().arg("--version").output().unwrap();
        let text = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{}: {text}", tool.package);
        assert!(text.contains(expected), "{}: {text}", tool.package);
    }
}

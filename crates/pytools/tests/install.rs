//! Installing a pinned tool from PyPI into an empty cache, from several threads at once;
//! a requirements file whose hashes are not the files' is refused; the error without
//! python3.

use camino::Utf8Path;
use pytools::{DIFF_COVER, PyTool, Requirements, ZIZMOR};

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
        [DIFF_COVER.venv_name()],
        "no staging directory is left"
    );
}

/// `requirements` with every hash of the pin of `name` changed in its last digit.
fn tampered(requirements: Requirements, name: &str) -> Requirements {
    let mut current = false;
    let text: String = requirements
        .text
        .lines()
        .map(|line| {
            if !line.starts_with([' ', '#']) {
                current = line.starts_with(&format!("{name}=="));
            }
            let mut line = line.to_owned();
            if current && let Some(end) = line.find("--hash=sha256:").map(|at| at + 14 + 64) {
                let last = if &line[end - 1..end] == "0" { "1" } else { "0" };
                line.replace_range(end - 1..end, last);
            }
            line + "\n"
        })
        .collect();
    assert_ne!(text, requirements.text, "{name} is pinned");
    Requirements {
        file: "tampered-requirements.txt",
        text: Box::leak(text.into_boxed_str()),
    }
}

#[test]
fn a_file_whose_hash_is_not_pinned_is_refused_and_nothing_is_cached() {
    for (tool, package, version) in [
        (DIFF_COVER, "pygments", "2.21.0"),
        (ZIZMOR, "zizmor", ZIZMOR.version),
    ] {
        let cache = tempfile::tempdir().unwrap();
        let cache = Utf8Path::from_path(cache.path()).unwrap();
        let tool = PyTool {
            requirements: tampered(tool.requirements, package),
            ..tool
        };
        let error = format!("{:#}", tool.install(cache).unwrap_err());
        assert!(
            error.starts_with(&format!("pip refused {package}=={version} (")),
            "{error}"
        );
        assert!(
            error.contains("is none of those tampered-requirements.txt lists for it"),
            "{error}"
        );
        let left: Vec<_> = cache.join("python").read_dir_utf8().unwrap().collect();
        assert!(left.is_empty(), "nothing is left in the cache: {left:?}");
    }
}

/// Wheel tags of each platform the tools run on, as many as pip may need to find one.
fn platforms() -> Vec<(&'static str, Vec<String>)> {
    let linux = |arch: &str| {
        let mut tags = vec![format!("manylinux2014_{arch}")];
        tags.extend((17..=39).map(|minor| format!("manylinux_2_{minor}_{arch}")));
        tags
    };
    let mac = |arch: &str| {
        let versions = [
            "10_9", "10_12", "10_13", "11_0", "12_0", "13_0", "14_0", "15_0",
        ];
        let mut tags: Vec<String> = versions
            .iter()
            .map(|v| format!("macosx_{v}_{arch}"))
            .collect();
        tags.extend(versions.iter().map(|v| format!("macosx_{v}_universal2")));
        tags
    };
    vec![
        ("linux x86_64", linux("x86_64")),
        ("linux aarch64", linux("aarch64")),
        ("macOS x86_64", mac("x86_64")),
        ("macOS arm64", mac("arm64")),
        ("Windows x86_64", vec!["win_amd64".to_owned()]),
    ]
}

/// For this machine's Python version, pip finds a wheel of every pinned package for each
/// platform and checks it against the requirements' hashes.
#[test]
fn every_platform_has_wheels_that_match_the_pinned_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let dir = Utf8Path::from_path(dir.path()).unwrap();
    let platforms = platforms();
    let jobs: Vec<(PyTool, &str, &[String])> = pytools::TOOLS
        .iter()
        .flat_map(|tool| {
            platforms
                .iter()
                .map(move |(name, tags)| (*tool, *name, tags.as_slice()))
        })
        .collect();
    let failures: Vec<String> = std::thread::scope(|threads| {
        let handles: Vec<_> = jobs
            .iter()
            .enumerate()
            .map(|(i, (tool, platform, tags))| {
                threads.spawn(move || {
                    let job = dir.join(i.to_string());
                    std::fs::create_dir_all(&job).unwrap();
                    let requirements = job.join("requirements.txt");
                    std::fs::write(&requirements, tool.requirements.text).unwrap();
                    let mut command = std::process::Command::new("python3");
                    command
                        .args(["-m", "pip", "download", "--quiet", "--no-deps"])
                        .args(["--disable-pip-version-check", "--only-binary=:all:"])
                        .args(["--require-hashes", "-r", requirements.as_str()])
                        .args(["-d", job.join("wheels").as_str()]);
                    for tag in tags.iter() {
                        command.args(["--platform", tag]);
                    }
                    let output = command
                        .output()
                        .expect("python3 with pip is needed to download the wheels");
                    let downloaded = job
                        .join("wheels")
                        .read_dir_utf8()
                        .map(|entries| entries.count())
                        .unwrap_or(0);
                    let pins = tool.requirements.pins().len();
                    (output.status.success() && downloaded == pins)
                        .then_some(())
                        .ok_or_else(|| {
                            format!(
                                "{} on {platform}: {downloaded} of {pins} wheels\n{}",
                                tool.package,
                                String::from_utf8_lossy(&output.stderr)
                            )
                        })
                })
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|handle| handle.join().unwrap().err())
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
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

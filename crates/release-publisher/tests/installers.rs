//! install.sh under sh, dash and bash, against a local HTTP server serving a release: a
//! real artifact compiled for this machine, and the SHA256SUMS of it.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};

use camino::{Utf8Path, Utf8PathBuf};
use deno_runner::{CompileOptions, Invocation, Locator, default_cache_dir, pin};
use release_publisher::{
    InstallerPlan, SHA256SUMS, TARGETS, Target, base_runtime, install_sh, sha256_hex, sha256sums,
};

/// The target of this machine, whose artifact install.sh picks here.
fn host() -> &'static Target {
    let triple = match std::env::consts::ARCH {
        "x86_64" => "x86_64-unknown-linux-gnu",
        "aarch64" => "aarch64-unknown-linux-gnu",
        other => panic!("no release target for a Linux {other} machine"),
    };
    TARGETS.iter().find(|t| t.triple == triple).unwrap()
}

/// A release directory: the host's artifact (really compiled) and its SHA256SUMS.
fn release(root: &Utf8Path) -> (Utf8PathBuf, Vec<u8>) {
    let root_dir = Utf8Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let pin = pin::read_pin(&root_dir.join(pin::PIN_FILE)).unwrap();
    let deno = Locator::from_env(pin.clone())
        .unwrap()
        .locate()
        .expect("deno can be located or provisioned (needs npm on PATH)")
        .deno;
    let target = host();
    let denort = npm_denort::provision(
        &default_cache_dir().unwrap(),
        &pin.to_string(),
        &[target.triple],
    )
    .expect("the @deno/<platform> npm package can be installed (needs npm and the registry)");
    let project = root.join("project");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(project.join("main.ts"), "console.log(\"kato\");\n").unwrap();
    std::fs::write(project.join("deno.json"), r#"{ "lock": false }"#).unwrap();
    let dir = root.join("v0.1.0");
    std::fs::create_dir_all(&dir).unwrap();
    let name = target.artifact_name("kato");
    let compiled = deno
        .run(&Invocation::compile(
            &project,
            &CompileOptions {
                target: target.triple.into(),
                output: dir.join(&name),
                permission_flags: vec!["--no-prompt".into()],
                entry: "main.ts".into(),
                denort_bin: Some(base_runtime(&denort, target.triple).unwrap()),
                no_check: true,
                frozen: false,
            },
        ))
        .unwrap();
    assert!(compiled.success(), "{}", compiled.output);
    let bytes = std::fs::read(dir.join(&name)).unwrap();
    std::fs::write(
        dir.join(SHA256SUMS),
        sha256sums(&[(name, sha256_hex(&bytes))]),
    )
    .unwrap();
    (dir, bytes)
}

/// Serves the files of `dir` under `/v0.1.0/` over HTTP on 127.0.0.1 until the test ends.
fn serve(dir: Utf8PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let dir = dir.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request = String::new();
                reader.read_line(&mut request).unwrap();
                let path = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
                // The rest of the request's head.
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let file = path
                    .strip_prefix("/v0.1.0/")
                    .filter(|name| !name.contains('/'))
                    .map(|name| dir.join(name));
                match file.and_then(|f| std::fs::read(f).ok()) {
                    Some(body) => {
                        let head = format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        );
                        let _ = stream.write_all(head.as_bytes());
                        let _ = stream.write_all(&body);
                    }
                    None => {
                        let _ = stream.write_all(
                            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                        );
                    }
                }
            });
        }
    });
    format!("http://{address}/v0.1.0")
}

/// The three shells, each required: a missing one fails the test, naming it.
const SHELLS: [&str; 3] = ["sh", "dash", "bash"];

fn shell(name: &str) -> Utf8PathBuf {
    ["/bin", "/usr/bin"]
        .iter()
        .map(|dir| Utf8Path::new(dir).join(name))
        .find(|path| path.is_file())
        .unwrap_or_else(|| panic!("{name} is not installed: install it (Debian package {name})"))
}

struct Setup {
    _dir: tempfile::TempDir,
    root: Utf8PathBuf,
    script: Utf8PathBuf,
    release: Utf8PathBuf,
    artifact: Vec<u8>,
    url: String,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let root = Utf8Path::from_path(dir.path()).unwrap().to_owned();
    let (release, artifact) = release(&root);
    let plan = InstallerPlan {
        bin: "kato".into(),
        version: "0.1.0".into(),
        download_url: "https://github.com/acme/kato/releases/download/v0.1.0".into(),
        targets: TARGETS.iter().collect(),
    };
    let script = root.join("install.sh");
    std::fs::write(&script, install_sh(&plan)).unwrap();
    let url = serve(release.clone());
    Setup {
        _dir: dir,
        root,
        script,
        release,
        artifact,
        url,
    }
}

impl Setup {
    fn install(&self, shell_name: &str, into: &Utf8Path, env: &[(&str, &str)]) -> Output {
        let mut command = Command::new(shell(shell_name));
        command
            .arg(&self.script)
            .env("KATO_DOWNLOAD_URL", &self.url)
            .env("KATO_INSTALL_DIR", into)
            .env_remove("KATO_OS")
            .env_remove("KATO_ARCH");
        for (name, value) in env {
            command.env(name, value);
        }
        command.output().unwrap()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn install_sh_installs_the_checked_binary_under_sh_dash_and_bash() {
    let setup = setup();
    let name = host().artifact_name("kato");
    for shell_name in SHELLS {
        let into = setup.root.join(format!("bin-{shell_name}"));
        let output = setup.install(shell_name, &into, &[]);
        assert!(output.status.success(), "{shell_name}: {output:?}");
        let installed = into.join("kato");
        assert_eq!(
            std::fs::read(&installed).unwrap(),
            setup.artifact,
            "{shell_name}"
        );
        let mode = std::fs::metadata(&installed).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o755, "{shell_name}");
        let stdout = text(&output.stdout);
        assert!(
            stdout.starts_with(&format!(
                "installed kato 0.1.0 ({name}, sha256 {}) to {installed}\n",
                sha256_hex(&setup.artifact)
            )),
            "{shell_name}: {stdout}"
        );
        let left: Vec<_> = into
            .read_dir_utf8()
            .unwrap()
            .map(|e| e.unwrap().file_name().to_owned())
            .collect();
        assert_eq!(left, ["kato"], "{shell_name}: nothing but the binary");
    }
}

#[test]
fn a_digest_mismatch_a_missing_asset_and_an_unsupported_platform_install_nothing() {
    let setup = setup();
    let name = host().artifact_name("kato");
    let sums = std::fs::read_to_string(setup.release.join(SHA256SUMS)).unwrap();
    for shell_name in SHELLS {
        let into = setup.root.join(format!("bin-{shell_name}"));
        // Another file's digest.
        std::fs::write(
            setup.release.join(SHA256SUMS),
            sha256sums(&[(name.clone(), sha256_hex(b"other bytes"))]),
        )
        .unwrap();
        let output = setup.install(shell_name, &into, &[]);
        assert_eq!(output.status.code(), Some(1), "{shell_name}: {output:?}");
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains(&format!(
                "install.sh: {name} does not match SHA256SUMS (sha256 "
            )),
            "{shell_name}: {stderr}"
        );
        assert!(stderr.contains("nothing was installed"), "{stderr}");
        assert!(!into.exists(), "{shell_name}: nothing is installed");
        std::fs::write(setup.release.join(SHA256SUMS), &sums).unwrap();

        // The macOS arm64 binary is not in this release's directory.
        let output = setup.install(
            shell_name,
            &into,
            &[("KATO_OS", "Darwin"), ("KATO_ARCH", "arm64")],
        );
        assert_eq!(output.status.code(), Some(1), "{shell_name}: {output:?}");
        assert!(
            text(&output.stderr)
                .contains(&format!("cannot download {}/kato-darwin-arm64", setup.url)),
            "{shell_name}: {output:?}"
        );
        assert!(!into.exists());

        let output = setup.install(shell_name, &into, &[("KATO_ARCH", "riscv64")]);
        assert_eq!(output.status.code(), Some(1), "{shell_name}: {output:?}");
        assert!(
            text(&output.stderr).contains(
                "install.sh: kato 0.1.0 has no binary for the architecture riscv64 (it has: \
                 linux-x86_64, linux-aarch64, darwin-x86_64, darwin-aarch64)"
            ),
            "{shell_name}: {output:?}"
        );
        let output = setup.install(shell_name, &into, &[("KATO_OS", "FreeBSD")]);
        assert_eq!(output.status.code(), Some(1));
        assert!(
            text(&output.stderr).contains("no binary for the OS FreeBSD"),
            "{output:?}"
        );
        assert!(!into.exists());
    }
}

#[test]
fn wget_and_shasum_serve_where_curl_and_sha256sum_are_missing() {
    let setup = setup();
    // A PATH with what the script uses, wget and shasum (a perl script) but no curl and
    // no sha256sum.
    let tools = setup.root.join("tools");
    std::fs::create_dir_all(&tools).unwrap();
    for tool in [
        "uname", "mktemp", "rm", "awk", "cut", "mkdir", "chmod", "cp", "mv", "cat", "wget",
        "shasum", "perl", "dash",
    ] {
        let found = ["/usr/bin", "/bin"]
            .iter()
            .map(|dir| Utf8Path::new(dir).join(tool))
            .find(|path| path.exists())
            .unwrap_or_else(|| panic!("{tool} is not installed"));
        std::os::unix::fs::symlink(found, tools.join(tool)).unwrap();
    }
    let into = setup.root.join("bin");
    let output = setup.install("dash", &into, &[("PATH", tools.as_str())]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(std::fs::read(into.join("kato")).unwrap(), setup.artifact);
}

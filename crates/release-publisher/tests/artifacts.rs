//! Real `deno compile` artifacts for every target, built from a small project with the
//! npm deno builds standing in for denort, read back by the audit.

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};
use deno_runner::{CompileOptions, Deno, DenoProject, Invocation, Locator, default_cache_dir, pin};
use release_publisher::{
    BuildMachine, BuildOptions, Grant, Kind, ReleasePolicy, TARGETS, Target, audit, base_runtime,
    build, plan_build,
};

fn deno() -> Deno {
    Locator::from_env(pin())
        .unwrap()
        .locate()
        .expect("deno can be located or provisioned (needs npm on PATH)")
        .deno
}

fn pin() -> semver::Version {
    let root = Utf8Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    pin::read_pin(&root.join(pin::PIN_FILE)).unwrap()
}

/// The base runtimes of every target, installed through npm on first use.
fn denort_dir() -> Utf8PathBuf {
    let triples: Vec<&str> = TARGETS.iter().map(|t| t.triple).collect();
    npm_denort::provision(&default_cache_dir().unwrap(), &pin().to_string(), &triples)
        .expect("the @deno/<platform> npm packages can be installed (needs npm and the registry)")
}

struct Fixture {
    _dir: tempfile::TempDir,
    project: Utf8PathBuf,
    out: Utf8PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = Utf8Path::from_path(dir.path()).unwrap();
    let project = root.join("daemon");
    std::fs::create_dir(&project).unwrap();
    std::fs::write(
        project.join("deno.json"),
        "{\n  \"name\": \"@kato/daemon\",\n  \"version\": \"0.1.0\",\n  \"exports\": \"./main.ts\",\n  \"lock\": false\n}\n",
    )
    .unwrap();
    std::fs::write(
        project.join("main.ts"),
        "console.log(Deno.env.get(\"KATO_CONFIG\") ?? \"/etc/kato/config.json\");\n",
    )
    .unwrap();
    Fixture {
        out: root.join("out"),
        project,
        _dir: dir,
    }
}

fn policy() -> ReleasePolicy {
    ReleasePolicy {
        source: "permissions.default".into(),
        grants: BTreeMap::from([
            (
                Kind::Read,
                Grant::Values(vec!["/etc/kato".into(), "/var/lib/kato".into()]),
            ),
            (Kind::Write, Grant::Values(vec!["/var/lib/kato".into()])),
            (Kind::Env, Grant::Values(vec!["KATO_CONFIG".into()])),
        ]),
    }
}

fn machine(fixture: &Fixture) -> BuildMachine {
    BuildMachine {
        workspaces: vec![fixture.project.clone()],
        homes: vec![std::env::var("HOME").unwrap().into()],
    }
}

#[test]
fn every_target_compiles_to_its_format_with_the_policy_embedded() {
    let deno = deno();
    let denort = denort_dir();
    let fixture = fixture();
    let project = DenoProject::open(&fixture.project).unwrap();
    let options = BuildOptions {
        bin: "kato".into(),
        out_dir: fixture.out.clone(),
        targets: TARGETS.iter().collect(),
        base_runtimes: TARGETS
            .iter()
            .map(|t| {
                (
                    t.triple.to_owned(),
                    base_runtime(&denort, t.triple).unwrap(),
                )
            })
            .collect(),
    };
    let app = deno_runner::App::open(project, None).unwrap();
    let plan = plan_build(&app, &policy(), &options).unwrap();
    let built = build(&deno, &plan, 2, |_| {}).unwrap();
    for built in &built {
        assert!(built.completed.success(), "{}", built.completed.output);
        let bytes = std::fs::read(&built.artifact.path).unwrap();
        let findings = audit(
            &built.artifact.name,
            &bytes,
            built.artifact.target,
            &policy(),
            &machine(&fixture),
        );
        assert_eq!(findings, [], "{}", built.artifact.name);
    }
    let mut names: Vec<String> = fixture
        .out
        .read_dir_utf8()
        .unwrap()
        .map(|e| e.unwrap().file_name().to_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "kato-darwin-arm64",
            "kato-darwin-x86_64",
            "kato-linux-aarch64",
            "kato-linux-x86_64",
            "kato-windows-x86_64.exe"
        ]
    );
    // A Linux artifact audited as the macOS target is caught by its format.
    let linux = std::fs::read(fixture.out.join("kato-linux-x86_64")).unwrap();
    let darwin = Target::from_triple("aarch64-apple-darwin").unwrap();
    let findings = audit(
        "kato-darwin-arm64",
        &linux,
        darwin,
        &policy(),
        &machine(&fixture),
    );
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(
        findings[0]
            .to_string()
            .starts_with("kato-darwin-arm64: it is an ELF x86-64 file, not the Mach-O arm64"),
        "{}",
        findings[0]
    );
}

/// Compiles the fixture for Linux x86-64 with `flags` instead of the policy's.
fn compile_with(deno: &Deno, fixture: &Fixture, flags: &[String]) -> Vec<u8> {
    let target = &TARGETS[0];
    let output = fixture.out.join("kato-linux-x86_64");
    let completed = deno
        .run(&Invocation::compile(
            &fixture.project,
            &CompileOptions {
                target: target.triple.into(),
                output: output.clone(),
                permission_flags: flags.to_vec(),
                entry: "./main.ts".into(),
                denort_bin: Some(base_runtime(&denort_dir(), target.triple).unwrap()),
                no_check: false,
                frozen: true,
            },
        ))
        .unwrap();
    assert!(completed.success(), "{}", completed.output);
    std::fs::read(output).unwrap()
}

#[test]
fn the_audit_catches_allow_all_and_build_machine_paths() {
    let deno = deno();
    let fixture = fixture();
    let target = &TARGETS[0];

    let all = compile_with(&deno, &fixture, &["-A".into()]);
    let findings = audit(
        "kato-linux-x86_64",
        &all,
        target,
        &policy(),
        &machine(&fixture),
    );
    assert_eq!(
        findings.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [
            "kato-linux-x86_64: it grants everything: allow_read, allow_write, allow_net, \
             allow_env, allow_run, allow_sys, allow_ffi, allow_import are [] (every value of \
             every kind, as -A or --allow-all gives)"
        ]
    );

    let data = fixture.project.join("data");
    let home = format!("{}/.kato", std::env::var("HOME").unwrap());
    let mut flags = policy().compile_flags();
    flags.retain(|flag| !flag.starts_with("--allow-write="));
    flags.push(format!("--allow-write=/var/lib/kato,{data}"));
    flags.push(format!("--allow-ffi={home}"));
    let baked = compile_with(&deno, &fixture, &flags);
    let findings: Vec<String> = audit(
        "kato-linux-x86_64",
        &baked,
        target,
        &policy(),
        &machine(&fixture),
    )
    .iter()
    .map(ToString::to_string)
    .collect();
    assert_eq!(findings.len(), 4, "{findings:#?}");
    assert!(
        findings[0].starts_with("kato-linux-x86_64: allow_write: grants {"),
        "{findings:#?}"
    );
    assert_eq!(
        findings[1],
        format!(
            "kato-linux-x86_64: allow_write: grants \"{data}\", a path of the build machine: it \
             is in the build workspace {}",
            fixture.project
        )
    );
    assert!(
        findings[2].starts_with("kato-linux-x86_64: allow_ffi: grants {"),
        "{findings:#?}"
    );
    assert!(
        findings[3].starts_with(&format!("kato-linux-x86_64: allow_ffi: grants \"{home}\"")),
        "{findings:#?}"
    );
}

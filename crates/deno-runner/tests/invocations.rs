//! Each typed invocation run by the real deno on a small real project.

use camino::{Utf8Path, Utf8PathBuf};
use deno_runner::{CompileOptions, Deno, DenoProject, Invocation, Locator, TestOptions, pin};

fn deno() -> Deno {
    let root = Utf8Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let pin = pin::read_pin(&root.join(pin::PIN_FILE)).unwrap();
    Locator::from_env(pin)
        .unwrap()
        .locate()
        .expect("deno can be located or provisioned (needs npm on PATH)")
        .deno
}

struct Fixture {
    _dir: tempfile::TempDir,
    path: Utf8PathBuf,
}

/// A project with one module and one test of it; `lock: false` keeps it offline.
fn project() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = Utf8Path::from_path(dir.path())
        .unwrap()
        .join("tiny project");
    std::fs::create_dir(&path).unwrap();
    std::fs::write(
        path.join("deno.json"),
        "{\n  \"name\": \"@kato/tiny\",\n  \"version\": \"0.1.0\",\n  \"exports\": \"./mod.ts\",\n  \"lock\": false\n}\n",
    )
    .unwrap();
    std::fs::write(
        path.join("mod.ts"),
        "export function double(n: number): number {\n  if (n < 0) {\n    throw new Error(\"negative\");\n  }\n  return n * 2;\n}\n\nif (import.meta.main) {\n  console.log(double(21));\n}\n",
    )
    .unwrap();
    std::fs::write(
        path.join("mod_test.ts"),
        "import { double } from \"./mod.ts\";\n\nDeno.test(\"double\", () => {\n  if (double(2) !== 4) throw new Error(\"wrong\");\n});\n",
    )
    .unwrap();
    Fixture { _dir: dir, path }
}

#[test]
fn quality_gate_invocations_run_in_the_project_with_plain_output() {
    let deno = deno();
    let fixture = project();
    let dir = &fixture.path;
    DenoProject::open(dir).unwrap();

    for invocation in [
        Invocation::fmt_check(dir),
        Invocation::lint(dir),
        Invocation::check(dir, false),
        Invocation::test(dir, &TestOptions::default()),
    ] {
        let completed = deno.run(&invocation).unwrap();
        assert!(completed.success(), "{invocation}: {}", completed.output);
        assert!(completed.duration.as_nanos() > 0);
        // NO_COLOR is set for every invocation: no escape sequences to parse around.
        assert!(!completed.output.contains('\u{1b}'), "{}", completed.output);
    }
    let test = deno
        .run(&Invocation::test(dir, &TestOptions::default()))
        .unwrap();
    assert!(
        test.output.contains("ok | 1 passed | 0 failed"),
        "{}",
        test.output
    );
}

#[test]
fn failures_keep_stdout_and_stderr_in_order() {
    let deno = deno();
    let fixture = project();
    std::fs::write(fixture.path.join("mod.ts"), "export const x   = 1;\n").unwrap();
    let completed = deno.run(&Invocation::fmt_check(&fixture.path)).unwrap();
    assert!(!completed.success());
    let diff = completed.output.find("from ").unwrap();
    let error = completed
        .output
        .find("error: Found 1 not formatted file")
        .unwrap();
    assert!(diff < error, "{}", completed.output);
}

#[test]
fn coverage_writes_an_lcov_file() {
    let deno = deno();
    let fixture = project();
    let dir = &fixture.path;
    let coverage_dir = dir.join(".coverage");
    let test = deno
        .run(&Invocation::test(
            dir,
            &TestOptions {
                coverage_dir: Some(coverage_dir.clone()),
                ..TestOptions::default()
            },
        ))
        .unwrap();
    assert!(test.success(), "{}", test.output);
    let lcov = dir.join("coverage.lcov");
    let export = deno
        .run(&Invocation::coverage_lcov(
            dir,
            std::slice::from_ref(&coverage_dir),
            &lcov,
        ))
        .unwrap();
    assert!(export.success(), "{}", export.output);
    let lcov = std::fs::read_to_string(lcov).unwrap();
    assert!(
        lcov.contains(&format!("SF:{}", dir.join("mod.ts"))),
        "{lcov}"
    );
    // The negative branch is not tested: line 3 has a DA entry with no hits.
    assert!(lcov.contains("DA:3,0"), "{lcov}");
}

#[test]
#[cfg(target_os = "linux")] // The base runtime is this machine's deno: an ELF for Linux.
fn compile_uses_the_given_base_runtime_and_permissions() {
    let deno = deno();
    let fixture = project();
    let dir = &fixture.path;
    let output = dir.join("dist/tiny");
    let completed = deno
        .run(&Invocation::compile(
            dir,
            &CompileOptions {
                target: format!("{}-unknown-linux-gnu", std::env::consts::ARCH),
                output: output.clone(),
                permission_flags: vec!["--allow-env=HOME".into()],
                entry: "mod.ts".into(),
                // Offline, the deno binary itself serves as the base runtime.
                denort_bin: Some(deno.path().to_owned()),
                no_check: false,
                frozen: true,
            },
        ))
        .unwrap();
    assert!(completed.success(), "{}", completed.output);
    let bytes = std::fs::read(&output).unwrap();
    assert_eq!(&bytes[..4], b"\x7fELF");
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("\"allow_env\":[\"HOME\"]"),
        "permissions are not embedded"
    );
}

#[test]
fn outdated_lists_dependencies_against_the_registry() {
    let deno = deno();
    let fixture = project();
    std::fs::write(
        fixture.path.join("deno.json"),
        "{\n  \"imports\": { \"zod\": \"npm:zod@3.22.0\" },\n  \"lock\": false\n}\n",
    )
    .unwrap();
    let completed = deno
        .run(&Invocation::outdated(&fixture.path, &["--latest".into()]))
        .unwrap();
    assert!(completed.success(), "{}", completed.output);
    assert!(completed.output.contains("npm:zod"), "{}", completed.output);
    assert!(completed.output.contains("3.22.0"), "{}", completed.output);
}

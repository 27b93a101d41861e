//! `cargo xtask outdated` on projects with old dependencies, against the npm registry.

mod support;

use support::{Project, xtask};

fn project_with(imports: &str) -> Project {
    let project = Project::empty();
    project.write(
        "deno.json",
        &format!("{{\n  \"imports\": {{ {imports} }},\n  \"lock\": false\n}}\n"),
    );
    project
}

#[test]
fn lists_outdated_dependencies_and_filters_them() {
    let project = project_with(r#""zod": "npm:zod@3.22.0", "chalk": "npm:chalk@4.0.0""#);
    let all = xtask(&["outdated", "--latest"]).project(&project).run();
    assert_eq!(all.code, 0, "{}", all.all());
    for listed in ["npm:zod", "3.22.0", "npm:chalk", "4.0.0"] {
        assert!(all.stdout.contains(listed), "{listed}\n{}", all.all());
    }

    let zod = xtask(&["outdated", "--latest", "zod"])
        .project(&project)
        .run();
    assert_eq!(zod.code, 0, "{}", zod.all());
    assert!(zod.stdout.contains("npm:zod"), "{}", zod.all());
    assert!(zod.stdout.contains("3.22.0"), "{}", zod.all());
    assert!(!zod.stdout.contains("chalk"), "filtered out\n{}", zod.all());
    assert!(
        zod.stderr.contains("running deno outdated --latest zod in"),
        "{}",
        zod.all()
    );
}

#[test]
fn deno_failing_comes_through_with_its_exit_status() {
    let project = project_with(r#""gone": "npm:kato-xtask-no-such-package@1.0.0""#);
    let run = xtask(&["outdated"]).project(&project).run();
    assert_eq!(run.code, 1, "deno's exit status\n{}", run.all());
    assert!(
        run.stderr
            .contains("npm package 'kato-xtask-no-such-package' does not exist"),
        "deno's own error\n{}",
        run.all()
    );
}

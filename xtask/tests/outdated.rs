//! `cargo xtask outdated` on a project with an old dependency, against the npm registry.

mod support;

use support::{Project, xtask};

#[test]
fn lists_an_outdated_dependency_and_filters() {
    let project = Project::empty();
    project.write(
        "deno.json",
        "{\n  \"imports\": { \"zod\": \"npm:zod@3.22.0\" },\n  \"lock\": false\n}\n",
    );
    let run = xtask(&["outdated", "--latest"]).project(&project).run();
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.contains("npm:zod"), "{}", run.all());
    assert!(run.stdout.contains("3.22.0"), "{}", run.all());
    assert!(
        run.stderr.contains("running deno outdated --latest in"),
        "{}",
        run.all()
    );

    let run = xtask(&["outdated", "--no-such-flag"])
        .project(&project)
        .run();
    assert_ne!(
        run.code,
        0,
        "deno's own refusal comes through\n{}",
        run.all()
    );
    assert!(run.all().contains("--no-such-flag"), "{}", run.all());
}

//! The Deno project and the deno binary.
//!
//! - [`pin`]: the deno version pinned in `.dvmrc`.
//! - [`Locator`]: finds deno, in order: the `DENO` environment variable; `deno` on `PATH`
//!   when it is the pinned version; a copy provisioned earlier into the cache
//!   (`XTASK_CACHE_DIR`, else the user's cache directory); otherwise provisions the pinned
//!   version now through npm (`@deno/<platform>`), verifies it and caches it.
//! - [`DenoProject`]: a project directory and its `deno.json` / `deno.jsonc`; [`App`]: the
//!   config of the released app (the project itself, or a monorepo's member).
//! - [`Invocation`]: typed deno command lines; [`Deno`] runs them with their output
//!   captured and their duration measured; [`run_lanes`] runs several side by side.
//! - [`parse_diagnostics`]: file locations read back from deno's output.
//! - [`quality_gates`] / [`run_gates`]: the quality gate: the project's `tasks.ci`
//!   ([`task_steps`] resolves its `deno task` calls, [`task_shell`] reads its command
//!   lines), else the runbook's four gates.

#![warn(missing_docs)]

mod diagnostics;
mod gates;
mod invocation;
mod lanes;
mod locate;
pub mod pin;
mod platform;
mod project;
mod provision;
mod run;
pub mod task_shell;
mod task_steps;

pub use diagnostics::{Diagnostic, lockfile_out_of_date, parse_diagnostics};
pub use gates::{
    CI_TASK, Gate, GateKind, GatePlan, GateResult, PlanError, PlanSource, Verdict, coverage_gates,
    quality_gates, run_gates,
};
pub use invocation::{BASE_ENV, CompileOptions, Invocation, REMOVED_ENV, Subcommand, TestOptions};
pub use lanes::{Outcome, run_lanes};
pub use locate::{CACHE_DIR_VAR, DENO_VAR, Located, Locator, Origin, default_cache_dir};
pub use platform::{NpmDistribution, host_npm_distribution, npm_distribution};
pub use project::{
    App, CONFIG_FILE_NAMES, ConfigSyntaxError, DenoConfig, DenoProject, Exports, Lock, Permission,
    PermissionSet, ProjectError, ReleaseConfig, Task, TestConfig, TestPermissions, Workspace,
    XtaskConfig,
};
pub use run::{Completed, Deno, Running, parse_version_output};
pub use task_steps::{Step, StepCommand, TaskError, command_steps, task_steps};

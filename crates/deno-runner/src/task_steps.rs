//! The commands a task runs: its `&&` chain, with every `deno task NAME args` it holds
//! resolved into the commands of NAME (its dependencies first, then its command with
//! `args` appended to the last command, as `deno task` appends them).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::project::Task;
use crate::task_shell::{CommandLine, Link, ShellSyntaxError, SimpleCommand, Word, parse};

/// One command of a resolved task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The innermost task whose command holds the step: `fmt:check`.
    pub task: String,
    /// The command.
    pub command: StepCommand,
}

/// What a step runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepCommand {
    /// A plain command (`deno test --allow-read main_test.ts`), its words as the shell
    /// reads them.
    Simple(SimpleCommand),
    /// Text for deno's task shell: a pipeline, a `||` list, a `cd` and what follows it, or a
    /// `deno task` call with flags of its own.
    Shell(String),
}

impl StepCommand {
    /// The command as text for the task shell.
    pub fn raw(&self) -> String {
        match self {
            StepCommand::Simple(command) => command.raw(),
            StepCommand::Shell(text) => text.clone(),
        }
    }
}

/// Why a task cannot be resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskError {
    /// A task named by `deno task` or `dependencies` is not defined.
    Unknown {
        /// The task that names it.
        from: String,
        /// The missing task.
        name: String,
    },
    /// A task reaches itself again.
    Cycle(Vec<String>),
    /// A task's command cannot be read.
    Syntax {
        /// The task.
        task: String,
        /// What is wrong, and where in the command.
        error: ShellSyntaxError,
    },
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Unknown { from, name } => write!(
                f,
                "tasks.{from} runs the task {name:?}, which is not defined: define tasks.{name} \
                 or correct the name"
            ),
            TaskError::Cycle(path) => write!(
                f,
                "tasks.{} runs itself again ({}): a task cannot depend on itself",
                path[0],
                path.join(" -> ")
            ),
            TaskError::Syntax { task, error } => write!(f, "tasks.{task}: {error}"),
        }
    }
}

impl std::error::Error for TaskError {}

/// The steps of the task `name` of `tasks`, run with `args` appended.
pub fn task_steps(
    tasks: &BTreeMap<String, Task>,
    name: &str,
    args: &[Word],
) -> Result<Vec<Step>, TaskError> {
    let mut resolver = Resolver {
        tasks,
        stack: Vec::new(),
        done: BTreeSet::new(),
    };
    resolver.task(name, args, "")
}

/// The steps of a command line that is not a task's (the runbook's default gate),
/// attributed to `task`.
pub fn command_steps(
    tasks: &BTreeMap<String, Task>,
    task: &str,
    command: &str,
) -> Result<Vec<Step>, TaskError> {
    let mut resolver = Resolver {
        tasks,
        stack: vec![task.to_owned()],
        done: BTreeSet::new(),
    };
    resolver.command(task, command, &[])
}

struct Resolver<'a> {
    tasks: &'a BTreeMap<String, Task>,
    /// The tasks being resolved, outermost first.
    stack: Vec<String>,
    /// Dependencies already resolved: deno runs each once.
    done: BTreeSet<String>,
}

impl Resolver<'_> {
    fn task(&mut self, name: &str, args: &[Word], from: &str) -> Result<Vec<Step>, TaskError> {
        if let Some(start) = self.stack.iter().position(|t| t == name) {
            let mut path = self.stack[start..].to_vec();
            path.push(name.to_owned());
            return Err(TaskError::Cycle(path));
        }
        let task = self.tasks.get(name).ok_or_else(|| TaskError::Unknown {
            from: from.to_owned(),
            name: name.to_owned(),
        })?;
        self.stack.push(name.to_owned());
        let mut steps = Vec::new();
        if let Task::Detailed { dependencies, .. } = task {
            for dependency in dependencies {
                if self.done.insert(dependency.clone()) {
                    steps.extend(self.task(dependency, &[], name)?);
                }
            }
        }
        if let Some(command) = task.command() {
            steps.extend(self.command(name, command, args)?);
        }
        self.stack.pop();
        Ok(steps)
    }

    fn command(&mut self, task: &str, text: &str, args: &[Word]) -> Result<Vec<Step>, TaskError> {
        let line = parse(text).map_err(|error| TaskError::Syntax {
            task: task.to_owned(),
            error,
        })?;
        let step = |command| Step {
            task: task.to_owned(),
            command,
        };
        let mut links = match line {
            CommandLine::Shell(text) => {
                return Ok(vec![step(StepCommand::Shell(append(text, args)))]);
            }
            CommandLine::Chain(links) => links,
        };
        match links.last_mut().expect("a chain has a link") {
            Link::Simple(command) => command.words.extend(args.iter().cloned()),
            Link::Shell(text) => *text = append(std::mem::take(text), args),
        }
        let mut steps = Vec::new();
        for (index, link) in links.iter().enumerate() {
            let command = match link {
                Link::Shell(text) => StepCommand::Shell(text.clone()),
                Link::Simple(command) if changes_the_shell(command) => {
                    // `cd`, `export` and plain assignments act on the commands after them:
                    // the rest of the chain runs as one piece.
                    let rest: Vec<String> = links[index..].iter().map(Link::raw).collect();
                    steps.push(step(StepCommand::Shell(rest.join(" && "))));
                    break;
                }
                Link::Simple(command) => match task_call(command) {
                    Some((name, args)) => {
                        steps.extend(self.task(&name, &args, task)?);
                        continue;
                    }
                    None => StepCommand::Simple(command.clone()),
                },
            };
            steps.push(step(command));
        }
        Ok(steps)
    }
}

/// `deno task NAME args...` without flags of `deno task` itself: the task and its
/// arguments.
fn task_call(command: &SimpleCommand) -> Option<(String, Vec<Word>)> {
    match command.words.as_slice() {
        [deno, task, name, args @ ..]
            if deno.text == "deno"
                && task.text == "task"
                && command.assignments.is_empty()
                && !name.expands
                && !name.text.starts_with('-') =>
        {
            Some((name.text.clone(), args.to_vec()))
        }
        _ => None,
    }
}

fn changes_the_shell(command: &SimpleCommand) -> bool {
    match command.words.first() {
        None => true,
        Some(first) => matches!(first.text.as_str(), "cd" | "export" | "unset"),
    }
}

fn append(text: String, args: &[Word]) -> String {
    std::iter::once(text)
        .chain(args.iter().map(|w| w.raw.clone()))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tasks(pairs: &[(&str, &str)]) -> BTreeMap<String, Task> {
        pairs
            .iter()
            .map(|(name, command)| (name.to_string(), Task::Command(command.to_string())))
            .collect()
    }

    fn shown(steps: &[Step]) -> Vec<(String, String)> {
        steps
            .iter()
            .map(|s| (s.task.clone(), s.command.raw()))
            .collect()
    }

    fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
        expected
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn deno_task_calls_resolve_with_their_arguments_appended() {
        let tasks = tasks(&[
            ("fmt:check", "deno fmt --check apps shared tests main.ts"),
            ("lint", "deno lint apps shared"),
            ("check", "deno check apps shared tests main.ts"),
            (
                "test",
                "deno test --allow-read --allow-write=.test-tmp --allow-env=A,B main_test.ts tests/**/*.ts",
            ),
            (
                "ci",
                "deno task fmt:check && deno task lint && deno task check --frozen && deno task test --frozen",
            ),
        ]);
        let steps = task_steps(&tasks, "ci", &[]).unwrap();
        assert_eq!(
            shown(&steps),
            pairs(&[
                ("fmt:check", "deno fmt --check apps shared tests main.ts"),
                ("lint", "deno lint apps shared"),
                ("check", "deno check apps shared tests main.ts --frozen"),
                (
                    "test",
                    "deno test --allow-read --allow-write=.test-tmp --allow-env=A,B main_test.ts tests/**/*.ts --frozen"
                ),
            ])
        );
        let StepCommand::Simple(test) = &steps[3].command else {
            panic!()
        };
        assert!(test.words[6].expands, "{:?}", test.words[6]);
        assert!(!test.words[7].expands);
    }

    #[test]
    fn arguments_go_to_the_last_command_of_a_chain_and_through_nested_calls() {
        let tasks = tasks(&[
            ("inner", "deno lint && deno check"),
            ("outer", "deno task inner --quiet"),
            ("ci", "deno task outer --frozen 'a b'"),
        ]);
        assert_eq!(
            shown(&task_steps(&tasks, "ci", &[]).unwrap()),
            pairs(&[
                ("inner", "deno lint"),
                ("inner", "deno check --quiet --frozen 'a b'"),
            ])
        );
    }

    #[test]
    fn dependencies_come_first_and_once() {
        let mut tasks = tasks(&[("gen", "deno run -A gen.ts"), ("lint", "deno lint")]);
        let detailed = |command: Option<&str>, dependencies: &[&str]| Task::Detailed {
            command: command.map(str::to_owned),
            description: None,
            dependencies: dependencies.iter().map(|d| d.to_string()).collect(),
        };
        tasks.insert("test".into(), detailed(Some("deno test"), &["gen"]));
        tasks.insert("ci".into(), detailed(None, &["gen", "lint", "test"]));
        assert_eq!(
            shown(&task_steps(&tasks, "ci", &[]).unwrap()),
            pairs(&[
                ("gen", "deno run -A gen.ts"),
                ("lint", "deno lint"),
                ("test", "deno test"),
            ])
        );
    }

    #[test]
    fn what_the_shell_must_run_stays_whole() {
        let tasks = tasks(&[
            ("docs", "deno doc --lint mod.ts || exit 1"),
            (
                "ci",
                "deno lint && deno task docs && cd apps && deno test && deno task -q x && FOO=1",
            ),
        ]);
        assert_eq!(
            shown(&task_steps(&tasks, "ci", &[]).unwrap()),
            pairs(&[
                ("ci", "deno lint"),
                ("docs", "deno doc --lint mod.ts || exit 1"),
                ("ci", "cd apps && deno test && deno task -q x && FOO=1"),
            ])
        );
    }

    #[test]
    fn unknown_tasks_cycles_and_bad_syntax_are_named() {
        let tasks = tasks(&[
            ("ci", "deno task lnt"),
            ("a", "deno task b"),
            ("b", "deno lint && deno task a"),
            ("bad", "deno test 'x"),
        ]);
        assert_eq!(
            task_steps(&tasks, "ci", &[]).unwrap_err().to_string(),
            "tasks.ci runs the task \"lnt\", which is not defined: define tasks.lnt or correct \
             the name"
        );
        assert_eq!(
            task_steps(&tasks, "a", &[]).unwrap_err(),
            TaskError::Cycle(vec!["a".into(), "b".into(), "a".into()])
        );
        assert_eq!(
            task_steps(&tasks, "bad", &[]).unwrap_err().to_string(),
            "tasks.bad: column 11: a single quote is not closed"
        );
    }

    #[test]
    fn a_command_of_no_task_resolves_the_same_way() {
        let tasks = tasks(&[("lint", "deno lint src")]);
        assert_eq!(
            shown(&command_steps(&tasks, "ci", "deno fmt --check && deno task lint").unwrap()),
            pairs(&[("ci", "deno fmt --check"), ("lint", "deno lint src")])
        );
    }
}

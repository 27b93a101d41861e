//! The release's permission policy: a permission set of deno.json, checked, and the
//! explicit `deno compile` flags derived from it.

use std::collections::BTreeMap;
use std::fmt;

use camino::Utf8PathBuf;
use deno_runner::{App, Permission, PermissionSet, ReleaseConfig};

use crate::machine::BuildMachine;

/// A kind of Deno permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// File system reads (`--allow-read`).
    Read,
    /// File system writes (`--allow-write`).
    Write,
    /// Network (`--allow-net`).
    Net,
    /// Environment variables (`--allow-env`).
    Env,
    /// Subprocesses (`--allow-run`).
    Run,
    /// System information (`--allow-sys`).
    Sys,
    /// Native libraries (`--allow-ffi`).
    Ffi,
    /// Remote module imports (`--allow-import`).
    Import,
}

impl Kind {
    /// Every kind, in deno's flag order.
    pub const ALL: [Kind; 8] = [
        Kind::Read,
        Kind::Write,
        Kind::Net,
        Kind::Env,
        Kind::Run,
        Kind::Sys,
        Kind::Ffi,
        Kind::Import,
    ];

    /// The key in deno.json's permission sets: `read`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Read => "read",
            Kind::Write => "write",
            Kind::Net => "net",
            Kind::Env => "env",
            Kind::Run => "run",
            Kind::Sys => "sys",
            Kind::Ffi => "ffi",
            Kind::Import => "import",
        }
    }

    /// The key in a compiled binary's metadata: `allow_read`.
    pub fn metadata_key(self) -> String {
        format!("allow_{}", self.as_str())
    }

    /// Whether the values are file system paths, which deno keeps as written.
    pub(crate) fn takes_paths(self) -> bool {
        matches!(self, Kind::Read | Kind::Write | Kind::Ffi)
    }

    fn declared_in(self, set: &PermissionSet) -> Option<&Permission> {
        match self {
            Kind::Read => set.read.as_ref(),
            Kind::Write => set.write.as_ref(),
            Kind::Net => set.net.as_ref(),
            Kind::Env => set.env.as_ref(),
            Kind::Run => set.run.as_ref(),
            Kind::Sys => set.sys.as_ref(),
            Kind::Ffi => set.ffi.as_ref(),
            Kind::Import => set.import.as_ref(),
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a policy grants of one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// Every value (`"read": true`), declared on purpose in `xtask.release.grantWhole`.
    Whole,
    /// These values only.
    Values(Vec<String>),
}

/// The permissions a release binary is granted: for each granted kind, what of it.
/// Kinds not in the map are not granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleasePolicy {
    /// Where it was declared: `permissions.default`.
    pub source: String,
    /// The grants.
    pub grants: BTreeMap<Kind, Grant>,
}

/// Why a permission set cannot be a release's policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyProblem {
    /// `permissions.default.write`.
    pub at: String,
    /// The offending value, when one value is at fault.
    pub value: Option<String>,
    /// What is wrong and what to do.
    pub reason: String,
}

impl fmt::Display for PolicyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(value) => write!(f, "{} {value:?}: {}", self.at, self.reason),
            None => write!(f, "{}: {}", self.at, self.reason),
        }
    }
}

/// Kinds a release may grant whole when it declares so: reading files, environment
/// variables, system information and remote imports. Writing, the network, programs
/// and native libraries always stay scoped.
pub const WHOLE_GRANTABLE: [Kind; 4] = [Kind::Read, Kind::Env, Kind::Sys, Kind::Import];

/// Programs that run whatever they are given: granting one grants every program.
const INTERPRETERS: [&str; 36] = [
    "sh",
    "bash",
    "dash",
    "zsh",
    "ksh",
    "mksh",
    "fish",
    "csh",
    "tcsh",
    "ash",
    "busybox",
    "env",
    "xargs",
    "sudo",
    "su",
    "doas",
    "nohup",
    "nice",
    "timeout",
    "time",
    "cmd",
    "powershell",
    "pwsh",
    "wsl",
    "python",
    "perl",
    "ruby",
    "node",
    "deno",
    "bun",
    "php",
    "lua",
    "osascript",
    "tclsh",
    "wish",
    "awk",
];

impl ReleasePolicy {
    /// The policy declared by the permission set `name`, read with the declarations of
    /// `xtask.release` (`declared`), or every problem that keeps it from being one.
    ///
    /// Refused: `all`; a kind granted whole (`true`) unless `grantWhole` names it and it
    /// may be ([`WHOLE_GRANTABLE`]) (a set may still scope a kind `grantWhole` names); an empty list, the long form; `run` entries without
    /// `allowRun`, and any shell or interpreter; `ffi` entries without `allowFfi`;
    /// wildcards; paths that reach the whole file system (`/`, `/proc/...`), that would
    /// bake the build machine into the binary (see [`BuildMachine::claims`]), that deno
    /// would not expand (`~`, `$HOME`) or that a flag cannot carry (a comma).
    pub fn from_set(
        name: &str,
        set: &PermissionSet,
        declared: &ReleaseConfig,
        machine: &BuildMachine,
    ) -> Result<Self, Vec<PolicyProblem>> {
        let source = format!("permissions.{name}");
        let mut problems = Vec::new();
        let mut problem = |at: String, value: Option<&str>, reason: String| {
            problems.push(PolicyProblem {
                at,
                value: value.map(str::to_owned),
                reason,
            })
        };
        if set.all == Some(true) {
            problem(
                format!("{source}.all"),
                None,
                "grants every permission, as -A does; a release lists what it needs, kind by \
                 kind"
                    .into(),
            );
        }
        let mut whole = Vec::new();
        for value in &declared.grant_whole {
            match Kind::ALL.iter().find(|k| k.as_str() == value) {
                None => problem(
                    "xtask.release.grantWhole".into(),
                    Some(value),
                    format!(
                        "not a kind of permission: write one of {}",
                        WHOLE_GRANTABLE.map(Kind::as_str).join(", ")
                    ),
                ),
                Some(kind) => whole.push(*kind),
            }
        }
        let mut grants = BTreeMap::new();
        for kind in Kind::ALL {
            let at = format!("{source}.{kind}");
            let declared_whole = whole.contains(&kind);
            match kind.declared_in(set) {
                None | Some(Permission::Flag(false)) => {}
                Some(Permission::Flag(true)) if !WHOLE_GRANTABLE.contains(&kind) => problem(
                    at,
                    None,
                    format!(
                        "true grants every {kind} value, and {kind} always stays scoped in a \
                         release; list the values the release needs"
                    ),
                ),
                Some(Permission::Flag(true)) if !declared_whole => problem(
                    at,
                    None,
                    format!(
                        "true grants every {kind} value; list the values the release needs, or \
                         declare that it is meant: \"xtask\": {{ \"release\": {{ \"grantWhole\": \
                         [\"{kind}\"] }} }} (the audit and the release notes then name it)"
                    ),
                ),
                Some(Permission::Flag(true)) => {
                    grants.insert(kind, Grant::Whole);
                }
                Some(Permission::Detailed { .. }) => problem(
                    at,
                    None,
                    "the long form (allow/deny/ignore) is not supported in a release policy; \
                     list the allowed values"
                        .into(),
                ),
                Some(Permission::List(values)) if values.is_empty() => problem(
                    at,
                    None,
                    format!(
                        "an empty list means every {kind} value in a compiled binary; omit \
                         {kind} (or write false) to grant none"
                    ),
                ),
                Some(Permission::List(values)) => {
                    let opted_in = match kind {
                        Kind::Run => Some((declared.allow_run, "allowRun", "start programs")),
                        Kind::Ffi => Some((declared.allow_ffi, "allowFfi", "load native code")),
                        _ => None,
                    };
                    if let Some((false, flag, what)) = opted_in {
                        problem(
                            at.clone(),
                            None,
                            format!(
                                "a release that may {what} must say so: \"xtask\": {{ \
                                 \"release\": {{ \"{flag}\": true }} }}"
                            ),
                        );
                    }
                    for value in values {
                        if let Some(reason) = value_problem(kind, value, machine) {
                            problem(at.clone(), Some(value), reason);
                        }
                    }
                    grants.insert(kind, Grant::Values(values.clone()));
                }
            }
        }
        if problems.is_empty() {
            Ok(Self { source, grants })
        } else {
            Err(problems)
        }
    }

    /// The `deno compile` flags: `--no-prompt` (a daemon has no one to ask), then one
    /// `--allow-<kind>[=<values>]` per granted kind. Never `-A`.
    pub fn compile_flags(&self) -> Vec<String> {
        std::iter::once("--no-prompt".to_owned())
            .chain(self.grants.iter().map(|(kind, grant)| match grant {
                Grant::Whole => format!("--allow-{kind}"),
                Grant::Values(values) => format!("--allow-{kind}={}", values.join(",")),
            }))
            .collect()
    }

    /// The kinds granted whole.
    pub fn whole(&self) -> Vec<Kind> {
        self.grants
            .iter()
            .filter(|(_, grant)| **grant == Grant::Whole)
            .map(|(kind, _)| *kind)
            .collect()
    }

    /// What the release notes say of the binaries' permissions: the flags, and each kind
    /// granted whole.
    pub fn disclosure(&self) -> String {
        let mut text = format!(
            "### Permissions\n\nThe binaries are compiled with `{}`.",
            self.compile_flags().join(" ")
        );
        let whole = self.whole();
        if !whole.is_empty() {
            let kinds: Vec<String> = whole.iter().map(|k| format!("**{k}**")).collect();
            text.push_str(&format!(
                " Granted whole, as declared (`xtask.release.grantWhole`): {}; the binary \
                 confines itself there.",
                kinds.join(", ")
            ));
        }
        text.push('\n');
        text
    }
}

/// Why an app has no release policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppPolicyError {
    /// Neither the app's config nor the project's declares the set.
    #[error(
        "{config} has no permission set {name:?}: declare the release's permissions as \
         \"permissions\": {{ \"{name}\": {{ \"read\": [...], ... }} }} (see the README, Release \
         permissions), or name another set with --permission-set"
    )]
    NoSet {
        /// The app's config file.
        config: Utf8PathBuf,
        /// The set asked for.
        name: String,
    },
    /// The set is refused.
    #[error("the release policy permissions.{name} in {config} is refused (nothing was compiled):{}", list(.problems))]
    Refused {
        /// The config file declaring the set.
        config: Utf8PathBuf,
        /// The set.
        name: String,
        /// Everything wrong with it.
        problems: Vec<PolicyProblem>,
    },
}

fn list(problems: &[PolicyProblem]) -> String {
    problems.iter().map(|p| format!("\n  - {p}")).collect()
}

impl ReleasePolicy {
    /// The release policy of `app`: the permission set `name` (default: the app's
    /// `xtask.release.permissions`, else `default`) of its deno.json(c), else the
    /// project's, read with the app's `xtask.release` declarations. Its source names the
    /// set and the file.
    pub fn of_app(
        app: &App,
        name: Option<&str>,
        machine: &BuildMachine,
    ) -> Result<Self, AppPolicyError> {
        let declared = app.xtask().release;
        let name = name
            .or(declared.permissions.as_deref())
            .unwrap_or("default");
        let (config, set) = app
            .permission_set(name)
            .ok_or_else(|| AppPolicyError::NoSet {
                config: app.config_path().to_owned(),
                name: name.to_owned(),
            })?;
        let mut policy = Self::from_set(name, set, &declared, machine).map_err(|problems| {
            AppPolicyError::Refused {
                config: config.to_owned(),
                name: name.to_owned(),
                problems,
            }
        })?;
        policy.source = format!("permissions.{name} of {config}");
        Ok(policy)
    }
}

/// What is wrong with one granted value, if anything.
fn value_problem(kind: Kind, value: &str, machine: &BuildMachine) -> Option<String> {
    if value.is_empty() {
        return Some("an empty value; remove it".into());
    }
    if value.contains(',') {
        return Some("a comma separates values in deno's flags; split it into two values".into());
    }
    if value.contains('*') {
        return Some(format!(
            "a wildcard grants {kind} values nobody listed (deno reads * as every one); list \
             each value"
        ));
    }
    if value.starts_with('~') || value.contains('$') || value.contains('%') {
        return Some(
            "deno does not expand ~ or environment variables in permissions: the binary would \
             be granted this literal text; write the absolute path"
                .into(),
        );
    }
    if kind == Kind::Net && value.starts_with(':') {
        return Some(format!(
            "a bare port is embedded by deno as 0.0.0.0{value}, 127.0.0.1{value} and \
             localhost{value}: name the hosts the daemon uses, such as 127.0.0.1{value}"
        ));
    }
    if kind == Kind::Run && is_interpreter(value) {
        return Some(
            "it runs whatever it is given, so granting it grants every program; grant the \
             programs themselves"
                .into(),
        );
    }
    // Program names (`git`) are looked up on PATH at run time; anything with a
    // separator is a path.
    let is_path = kind.takes_paths() || (kind == Kind::Run && value.contains(['/', '\\']));
    if !is_path {
        return None;
    }
    if !is_absolute(value) {
        return Some(
            "a relative path is resolved against the build machine's directory when taken \
             from deno.json (-P), or against wherever the binary is started; write the \
             absolute path the binary uses on the machines it runs on"
                .into(),
        );
    }
    if let Some(reason) = reaches_everything(value) {
        return Some(reason);
    }
    if !is_normal(value) {
        return Some("write the path without ., .. or repeated separators".into());
    }
    machine
        .claims(value)
        .map(|reason| format!("{reason}: the binary would be granted a path of the build machine"))
}

/// Why a granted path reaches the whole file system, if it does: a root, or `/proc`
/// (`/proc/self/root` is `/` again).
pub fn reaches_everything(path: &str) -> Option<String> {
    let path = path.replace('\\', "/");
    let bytes = path.as_bytes();
    let drive = bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
    let body = if drive { &path[2..] } else { path.as_str() };
    if body.trim_matches('/').is_empty() {
        return Some("it is the root of the file system: it grants every path".into());
    }
    let first = body
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default();
    if !drive && first == "proc" {
        return Some(
            "/proc reaches every path again (/proc/self/root is /) and every process's \
             files; grant the paths the binary uses"
                .into(),
        );
    }
    None
}

/// Whether a `run` value names a shell or an interpreter (`/bin/sh`, `python3.12`,
/// `pwsh.exe`).
fn is_interpreter(value: &str) -> bool {
    let name = value
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(value)
        .to_ascii_lowercase();
    let name = name.strip_suffix(".exe").unwrap_or(&name);
    INTERPRETERS.iter().any(|interpreter| {
        name == *interpreter
            || name
                .strip_prefix(interpreter)
                .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit() || c == '.'))
    })
}

fn is_absolute(path: &str) -> bool {
    let bytes = path.as_bytes();
    path.starts_with('/')
        || (bytes.len() >= 3
            && bytes[0].is_ascii_alphabetic()
            && bytes[1] == b':'
            && (bytes[2] == b'/' || bytes[2] == b'\\'))
}

fn is_normal(path: &str) -> bool {
    let path = path.replace('\\', "/");
    let body = path.strip_suffix('/').unwrap_or(&path);
    let body = body.split_once(':').map_or(body, |(_, rest)| rest);
    body.split('/')
        .skip(1)
        .all(|part| !part.is_empty() && part != "." && part != "..")
        || body == "/"
        || body.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(values: &[&str]) -> Option<Permission> {
        Some(Permission::List(
            values.iter().map(|v| v.to_string()).collect(),
        ))
    }

    fn machine() -> BuildMachine {
        BuildMachine {
            workspaces: vec!["/work/kato".into()],
            homes: vec!["/home/builder".into()],
        }
    }

    fn kato() -> PermissionSet {
        PermissionSet {
            read: list(&["/etc/kato", "/var/lib/kato"]),
            write: list(&["/var/lib/kato"]),
            env: list(&["HOME", "KATO_CONFIG"]),
            net: list(&["127.0.0.1:7777"]),
            run: list(&["git", "/usr/bin/systemctl"]),
            ..PermissionSet::default()
        }
    }

    fn runs() -> ReleaseConfig {
        ReleaseConfig {
            allow_run: true,
            ..ReleaseConfig::default()
        }
    }

    fn problems(set: &PermissionSet) -> Vec<String> {
        problems_with(set, &runs())
    }

    fn problems_with(set: &PermissionSet, declared: &ReleaseConfig) -> Vec<String> {
        ReleasePolicy::from_set("default", set, declared, &machine())
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn flags_are_explicit_per_kind() {
        let policy = ReleasePolicy::from_set("default", &kato(), &runs(), &machine()).unwrap();
        assert_eq!(policy.source, "permissions.default");
        assert_eq!(
            policy.compile_flags(),
            [
                "--no-prompt",
                "--allow-read=/etc/kato,/var/lib/kato",
                "--allow-write=/var/lib/kato",
                "--allow-net=127.0.0.1:7777",
                "--allow-env=HOME,KATO_CONFIG",
                "--allow-run=git,/usr/bin/systemctl",
            ]
        );
    }

    #[test]
    fn everything_at_once_is_refused() {
        let set = PermissionSet {
            all: Some(true),
            ..kato()
        };
        assert_eq!(
            problems(&set),
            [
                "permissions.default.all: grants every permission, as -A does; a release lists \
              what it needs, kind by kind"
            ]
        );
        let whole = PermissionSet {
            sys: Some(Permission::Flag(true)),
            ffi: list(&[]),
            ..kato()
        };
        let found = problems(&whole);
        assert!(found[0].starts_with("permissions.default.sys: true grants every sys value"));
        assert!(found[0].contains(r#""grantWhole": ["sys"]"#), "{found:?}");
        assert!(found[1].starts_with("permissions.default.ffi: an empty list means every"));
        let detailed = PermissionSet {
            net: Some(Permission::Detailed {
                allow: None,
                deny: None,
                ignore: None,
            }),
            ..kato()
        };
        assert!(problems(&detailed)[0].contains("long form"));
    }

    #[test]
    fn a_bare_port_is_refused_with_the_hosts_deno_would_grant() {
        let set = PermissionSet {
            net: list(&[":7777", "127.0.0.1:7777"]),
            ..PermissionSet::default()
        };
        assert_eq!(
            problems(&set),
            [
                "permissions.default.net \":7777\": a bare port is embedded by deno as \
              0.0.0.0:7777, 127.0.0.1:7777 and localhost:7777: name the hosts the daemon uses, \
              such as 127.0.0.1:7777"
            ]
        );
    }

    #[test]
    fn paths_that_bake_the_build_machine_in_are_refused() {
        let set = PermissionSet {
            read: list(&[
                "./data",
                "data",
                "~/.config/kato",
                "$HOME/.kato",
                "/work/kato/fixtures",
                "/home/builder/.kato",
                "/home/runner/work/kato/kato/data",
                "/var/lib/kato/../..",
                "/etc/kato",
                "C:\\ProgramData\\kato",
            ]),
            run: list(&["./bin/katoctl", "git"]),
            env: list(&["A,B"]),
            ..PermissionSet::default()
        };
        let found = problems(&set);
        let named: Vec<&str> = found
            .iter()
            .map(|p| p.split(": ").next().unwrap())
            .collect();
        assert_eq!(
            named,
            [
                "permissions.default.read \"./data\"",
                "permissions.default.read \"data\"",
                "permissions.default.read \"~/.config/kato\"",
                "permissions.default.read \"$HOME/.kato\"",
                "permissions.default.read \"/work/kato/fixtures\"",
                "permissions.default.read \"/home/builder/.kato\"",
                "permissions.default.read \"/home/runner/work/kato/kato/data\"",
                "permissions.default.read \"/var/lib/kato/../..\"",
                "permissions.default.env \"A,B\"",
                "permissions.default.run \"./bin/katoctl\"",
            ]
        );
        assert!(found[0].contains("a relative path is resolved against the build machine"));
        assert!(found[4].contains("in the build workspace /work/kato"));
        assert!(found[5].contains("in the build user's home /home/builder"));
    }

    #[test]
    fn a_kind_granted_whole_on_purpose_is_compiled_bare_and_disclosed() {
        let set = PermissionSet {
            read: Some(Permission::Flag(true)),
            ..kato()
        };
        let declared = ReleaseConfig {
            grant_whole: vec!["read".into()],
            ..runs()
        };
        let policy = ReleasePolicy::from_set("user", &set, &declared, &machine()).unwrap();
        assert_eq!(policy.grants[&Kind::Read], Grant::Whole);
        assert_eq!(policy.compile_flags()[1], "--allow-read");
        assert_eq!(policy.whole(), [Kind::Read]);
        assert!(
            policy
                .disclosure()
                .contains("Granted whole, as declared (`xtask.release.grantWhole`): **read**"),
            "{}",
            policy.disclosure()
        );
        // Undeclared, it is refused with the declaration to write.
        let found = problems(&set);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("permissions.default.read: true grants every read value"));
    }

    #[test]
    fn write_net_run_and_ffi_stay_scoped_and_unknown_kinds_are_named() {
        let declared = ReleaseConfig {
            grant_whole: vec!["write".into(), "net".into(), "env".into(), "reed".into()],
            ..runs()
        };
        let set = PermissionSet {
            write: Some(Permission::Flag(true)),
            net: Some(Permission::Flag(true)),
            ..kato()
        };
        assert_eq!(
            problems_with(&set, &declared),
            [
                "xtask.release.grantWhole \"reed\": not a kind of permission: write one of \
                 read, env, sys, import",
                "permissions.default.write: true grants every write value, and write always \
                 stays scoped in a release; list the values the release needs",
                "permissions.default.net: true grants every net value, and net always stays \
                 scoped in a release; list the values the release needs",
            ]
        );
        // A kind that may be granted whole can still be scoped: the set decides.
        let declared = ReleaseConfig {
            grant_whole: vec!["env".into()],
            ..runs()
        };
        let policy = ReleasePolicy::from_set("default", &kato(), &declared, &machine()).unwrap();
        assert!(policy.whole().is_empty());
    }

    #[test]
    fn grants_that_amount_to_everything_are_refused_whatever_is_declared() {
        let set = PermissionSet {
            read: list(&[
                "/",
                "//",
                "/proc/self/root",
                "/proc/1/cwd",
                "C:\\",
                "/etc/kato",
            ]),
            write: list(&["/"]),
            env: list(&["*", "AWS_*", "HOME"]),
            net: list(&["*.example.com:443"]),
            run: list(&[
                "/bin/sh",
                "bash",
                "python3.12",
                "C:\\Windows\\System32\\cmd.exe",
                "pwsh.exe",
                "env",
                "/usr/bin/node",
                "git",
                "shred",
            ]),
            ..PermissionSet::default()
        };
        let declared = ReleaseConfig {
            allow_run: true,
            allow_ffi: true,
            ..ReleaseConfig::default()
        };
        let named: Vec<String> = problems_with(&set, &declared)
            .iter()
            .map(|p| p.split(": ").next().unwrap().to_owned())
            .collect();
        assert_eq!(
            named,
            [
                "permissions.default.read \"/\"",
                "permissions.default.read \"//\"",
                "permissions.default.read \"/proc/self/root\"",
                "permissions.default.read \"/proc/1/cwd\"",
                "permissions.default.read \"C:\\\\\"",
                "permissions.default.write \"/\"",
                "permissions.default.net \"*.example.com:443\"",
                "permissions.default.env \"*\"",
                "permissions.default.env \"AWS_*\"",
                "permissions.default.run \"/bin/sh\"",
                "permissions.default.run \"bash\"",
                "permissions.default.run \"python3.12\"",
                "permissions.default.run \"C:\\\\Windows\\\\System32\\\\cmd.exe\"",
                "permissions.default.run \"pwsh.exe\"",
                "permissions.default.run \"env\"",
                "permissions.default.run \"/usr/bin/node\"",
            ]
        );
    }

    #[test]
    fn run_and_ffi_entries_need_their_opt_in() {
        let set = PermissionSet {
            run: list(&["git"]),
            ffi: list(&["/usr/lib/libkato.so"]),
            ..PermissionSet::default()
        };
        assert_eq!(
            problems_with(&set, &ReleaseConfig::default()),
            [
                "permissions.default.run: a release that may start programs must say so: \
                 \"xtask\": { \"release\": { \"allowRun\": true } }",
                "permissions.default.ffi: a release that may load native code must say so: \
                 \"xtask\": { \"release\": { \"allowFfi\": true } }",
            ]
        );
        let declared = ReleaseConfig {
            allow_run: true,
            allow_ffi: true,
            ..ReleaseConfig::default()
        };
        assert!(ReleasePolicy::from_set("default", &set, &declared, &machine()).is_ok());
    }
}

//! The release's permission policy: a permission set of deno.json, checked, and the
//! explicit `deno compile` flags derived from it.

use std::collections::BTreeMap;
use std::fmt;

use deno_runner::{Permission, PermissionSet};

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
    fn takes_paths(self) -> bool {
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

/// The permissions a release binary is granted: for each granted kind, the values.
/// Kinds not in the map are not granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleasePolicy {
    /// Where it was declared: `permissions.default`.
    pub source: String,
    /// The grants.
    pub grants: BTreeMap<Kind, Vec<String>>,
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

impl ReleasePolicy {
    /// The policy declared by the permission set `name`, or every problem that keeps it
    /// from being one. Refused: `all`, a kind granted whole (`true` or `[]`), the long
    /// form, and values that would bake the build machine into the binary (see
    /// [`BuildMachine::claims`]), that deno would not expand (`~`, `$HOME`) or that a
    /// flag cannot carry (a comma).
    pub fn from_set(
        name: &str,
        set: &PermissionSet,
        machine: &BuildMachine,
    ) -> Result<Self, Vec<PolicyProblem>> {
        let source = format!("permissions.{name}");
        let mut problems = Vec::new();
        if set.all == Some(true) {
            problems.push(PolicyProblem {
                at: format!("{source}.all"),
                value: None,
                reason: "grants every permission, as -A does; a release lists what it needs, \
                         kind by kind"
                    .into(),
            });
        }
        let mut grants = BTreeMap::new();
        for kind in Kind::ALL {
            let at = format!("{source}.{kind}");
            match kind.declared_in(set) {
                None | Some(Permission::Flag(false)) => {}
                Some(Permission::Flag(true)) => problems.push(PolicyProblem {
                    at,
                    value: None,
                    reason: format!(
                        "true grants every {kind} value; list the values the release needs"
                    ),
                }),
                Some(Permission::Detailed { .. }) => problems.push(PolicyProblem {
                    at,
                    value: None,
                    reason: "the long form (allow/deny/ignore) is not supported in a release \
                             policy; list the allowed values"
                        .into(),
                }),
                Some(Permission::List(values)) if values.is_empty() => {
                    problems.push(PolicyProblem {
                        at,
                        value: None,
                        reason: format!(
                            "an empty list means every {kind} value in a compiled binary; \
                             omit {kind} (or write false) to grant none"
                        ),
                    })
                }
                Some(Permission::List(values)) => {
                    for value in values {
                        if let Some(reason) = value_problem(kind, value, machine) {
                            problems.push(PolicyProblem {
                                at: at.clone(),
                                value: Some(value.clone()),
                                reason,
                            });
                        }
                    }
                    grants.insert(kind, values.clone());
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
    /// `--allow-<kind>=<values>` per granted kind. Never `-A`.
    pub fn compile_flags(&self) -> Vec<String> {
        std::iter::once("--no-prompt".to_owned())
            .chain(
                self.grants
                    .iter()
                    .map(|(kind, values)| format!("--allow-{kind}={}", values.join(","))),
            )
            .collect()
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
    if !is_normal(value) {
        return Some("write the path without ., .. or repeated separators".into());
    }
    machine
        .claims(value)
        .map(|reason| format!("{reason}: the binary would be granted a path of the build machine"))
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

    fn problems(set: &PermissionSet) -> Vec<String> {
        ReleasePolicy::from_set("default", set, &machine())
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn flags_are_explicit_per_kind() {
        let policy = ReleasePolicy::from_set("default", &kato(), &machine()).unwrap();
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
}

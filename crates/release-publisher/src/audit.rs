//! The artifact audit: a compiled binary read back and compared with what was asked
//! for, before anything is published.

use std::collections::BTreeSet;
use std::fmt;

use object::read::elf::FileHeader as _;
use object::read::macho::MachHeader as _;
use object::read::pe::ImageNtHeaders as _;
use object::{Endianness, FileKind, LittleEndian, elf, macho, pe};
use serde_json::{Map, Value};

use camino::{Utf8Path, Utf8PathBuf};

use crate::machine::BuildMachine;
use crate::metadata::{DENO_DEFAULT_IMPORT_HOSTS, HEAD_LEN, MetadataError, read_metadata, scan};
use crate::policy::{Grant, Kind, ReleasePolicy, reaches_everything};
use crate::target::{BinaryFormat, Target};

/// One thing wrong with an artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditFinding {
    /// The artifact's name.
    pub artifact: String,
    /// The permission at fault (`allow_read`), when the finding is about one.
    pub permission: Option<String>,
    /// What is wrong.
    pub problem: String,
}

impl fmt::Display for AuditFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.permission {
            Some(permission) => write!(f, "{}: {permission}: {}", self.artifact, self.problem),
            None => write!(f, "{}: {}", self.artifact, self.problem),
        }
    }
}

/// An artifact file to audit.
#[derive(Debug, Clone, Copy)]
pub struct ArtifactFile<'a> {
    /// Its name: `kato-linux-x86_64`.
    pub name: &'a str,
    /// Where it is.
    pub path: &'a Utf8Path,
    /// The target it must be built for.
    pub target: &'static Target,
}

/// An artifact that was read and audited, with its size and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audited {
    /// Its name.
    pub name: String,
    /// Where it is.
    pub path: Utf8PathBuf,
    /// Its target.
    pub target: &'static Target,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256, in hex.
    pub sha256: String,
    /// What the audit found; none means it passed.
    pub findings: Vec<String>,
}

/// Audits each file in a thread of its own; results in the order of `files`. A file that
/// cannot be read is refused (it was not audited) with that as its one finding.
pub fn audit_files(
    files: &[ArtifactFile<'_>],
    policy: &ReleasePolicy,
    machine: &BuildMachine,
) -> Vec<Audited> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .iter()
            .map(|file| scope.spawn(move || audit_file(file, policy, machine)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("an audit thread panicked"))
            .collect()
    })
}

fn audit_file(file: &ArtifactFile<'_>, policy: &ReleasePolicy, machine: &BuildMachine) -> Audited {
    let scanned = std::fs::File::open(file.path).and_then(|f| scan(std::io::BufReader::new(f)));
    let (sha256, size, findings) = match scanned {
        Ok(scanned) => {
            let findings = audit_parts(
                file.name,
                format_of(&scanned.head),
                scanned.metadata,
                file.target,
                policy,
                machine,
            );
            (scanned.sha256, scanned.size, findings)
        }
        Err(error) => (
            String::new(),
            0,
            vec![format!("{}: cannot read {}: {error}", file.name, file.path)],
        ),
    };
    Audited {
        name: file.name.to_owned(),
        path: file.path.to_owned(),
        target: file.target,
        size,
        sha256,
        findings,
    }
}

/// Audits the artifact `name` (its `bytes`) built for `target` under `policy`: its file
/// format and architecture are the target's; deno's embedded permissions equal the
/// policy (kinds it does not grant are `null`, no deny lists, no prompt); nothing is
/// granted whole (`[]`, what `-A` gives every kind); no granted path belongs to the
/// build machine. Returns every finding; none means the artifact passed.
pub fn audit(
    name: &str,
    bytes: &[u8],
    target: &Target,
    policy: &ReleasePolicy,
    machine: &BuildMachine,
) -> Vec<AuditFinding> {
    let head = &bytes[..bytes.len().min(HEAD_LEN)];
    audit_findings(
        name,
        format_of(head),
        read_metadata(bytes),
        target,
        policy,
        machine,
    )
}

/// [`audit`]'s findings as text, from a file's headers and metadata.
fn audit_parts(
    name: &str,
    format: Result<BinaryFormat, String>,
    metadata: Result<Map<String, Value>, MetadataError>,
    target: &Target,
    policy: &ReleasePolicy,
    machine: &BuildMachine,
) -> Vec<String> {
    audit_findings(name, format, metadata, target, policy, machine)
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn audit_findings(
    name: &str,
    format: Result<BinaryFormat, String>,
    metadata: Result<Map<String, Value>, MetadataError>,
    target: &Target,
    policy: &ReleasePolicy,
    machine: &BuildMachine,
) -> Vec<AuditFinding> {
    let mut findings = Vec::new();
    let mut find = |permission: Option<String>, problem: String| {
        findings.push(AuditFinding {
            artifact: name.to_owned(),
            permission,
            problem,
        })
    };
    match format {
        Ok(found) if found == target.format => {}
        Ok(found) => find(
            None,
            format!(
                "it is {} file, not the {} a {} binary is",
                found.with_article(),
                target.format.describe(),
                target.triple
            ),
        ),
        Err(found) => find(
            None,
            format!(
                "it is {found}, not the {} a {} binary is",
                target.format.describe(),
                target.triple
            ),
        ),
    }
    let metadata = match metadata {
        Ok(metadata) => metadata,
        Err(error) => {
            find(None, error.to_string());
            return findings;
        }
    };
    let permissions = metadata["permissions"]
        .as_object()
        .expect("checked by read_metadata");
    for (key, problem) in permission_findings(permissions, policy, machine) {
        find(key, problem);
    }
    findings
}

/// The format and architecture in the file's headers (only the headers: the rest of
/// the file is deno's business), or a description of what the file is instead.
fn format_of(bytes: &[u8]) -> Result<BinaryFormat, String> {
    let broken = |error: object::Error| format!("a file with broken headers ({error})");
    match FileKind::parse(bytes) {
        Ok(FileKind::Elf64) => {
            let header = elf::FileHeader64::<Endianness>::parse(bytes).map_err(broken)?;
            let machine = header.e_machine(header.endian().map_err(broken)?);
            match machine {
                elf::EM_X86_64 => Ok(BinaryFormat::ElfX86_64),
                elf::EM_AARCH64 => Ok(BinaryFormat::ElfAarch64),
                other => Err(format!("an ELF file for machine {other:#x}")),
            }
        }
        Ok(FileKind::MachO64) => {
            let header = macho::MachHeader64::<Endianness>::parse(bytes, 0).map_err(broken)?;
            match header.cputype(header.endian().map_err(broken)?) {
                macho::CPU_TYPE_X86_64 => Ok(BinaryFormat::MachOX86_64),
                macho::CPU_TYPE_ARM64 => Ok(BinaryFormat::MachOArm64),
                other => Err(format!("a Mach-O file for CPU type {other:#x}")),
            }
        }
        Ok(FileKind::Pe64) => {
            let dos = pe::ImageDosHeader::parse(bytes).map_err(broken)?;
            let mut offset = dos.nt_headers_offset().into();
            let (nt, _) = pe::ImageNtHeaders64::parse(bytes, &mut offset).map_err(broken)?;
            match nt.file_header().machine.get(LittleEndian) {
                pe::IMAGE_FILE_MACHINE_AMD64 => Ok(BinaryFormat::PeX86_64),
                other => Err(format!("a PE file for machine {other:#x}")),
            }
        }
        Ok(other) => Err(format!("a {other:?} file")),
        Err(_) => Err("not an ELF, Mach-O or PE file".into()),
    }
}

/// The findings about the embedded `permissions` object, as (permission, problem).
fn permission_findings(
    permissions: &Map<String, Value>,
    policy: &ReleasePolicy,
    machine: &BuildMachine,
) -> Vec<(Option<String>, String)> {
    let allows: Vec<(&String, &Value)> = permissions
        .iter()
        .filter(|(key, _)| key.starts_with("allow_"))
        .collect();
    let empty = |value: &Value| value.as_array().is_some_and(Vec::is_empty);
    if !allows.is_empty() && allows.iter().all(|(_, value)| empty(value)) {
        // Named in deno's flag order, whatever order the JSON object keeps.
        let mut keys: Vec<&str> = allows.iter().map(|(key, _)| key.as_str()).collect();
        keys.sort_by_key(|key| {
            let kind = Kind::ALL.iter().position(|k| k.metadata_key() == *key);
            (kind.unwrap_or(Kind::ALL.len()), *key)
        });
        return vec![(
            None,
            format!(
                "it grants everything: {} are [] (every value of every kind, as -A or \
                 --allow-all gives)",
                keys.join(", ")
            ),
        )];
    }
    let mut findings = Vec::new();
    for kind in Kind::ALL {
        let key = kind.metadata_key();
        let whole = policy.grants.get(&kind) == Some(&Grant::Whole);
        let expected: Option<BTreeSet<String>> = match policy.grants.get(&kind) {
            Some(Grant::Values(values)) => Some(values.iter().cloned().collect()),
            // deno embeds a kind granted whole as [].
            Some(Grant::Whole) => Some(BTreeSet::new()),
            None if kind == Kind::Import => Some(
                DENO_DEFAULT_IMPORT_HOSTS
                    .iter()
                    .map(|h| h.to_string())
                    .collect(),
            ),
            None => None,
        };
        let Some(value) = permissions.get(&key) else {
            findings.push((Some(key), "missing from the embedded permissions".into()));
            continue;
        };
        let actual: Option<BTreeSet<String>> = match value {
            Value::Null => None,
            Value::Array(items) if items.iter().all(Value::is_string) => Some(
                items
                    .iter()
                    .filter_map(|item| item.as_str().map(str::to_owned))
                    .collect(),
            ),
            other => {
                findings.push((Some(key), format!("unexpected value {other}")));
                continue;
            }
        };
        if actual.as_ref().is_some_and(BTreeSet::is_empty) && !whole {
            findings.push((
                Some(key),
                format!(
                    "[] grants every {kind} value; the policy ({}) grants {}",
                    policy.source,
                    describe(expected.as_ref().filter(|_| !whole))
                ),
            ));
            continue;
        }
        if actual != expected {
            findings.push((
                Some(key.clone()),
                format!(
                    "grants {}, the policy ({}) grants {}",
                    describe(actual.as_ref()),
                    policy.source,
                    describe(expected.as_ref())
                ),
            ));
        }
        for granted in actual.iter().flatten() {
            if granted.contains('*') {
                findings.push((
                    Some(key.clone()),
                    format!("grants {granted:?}: a wildcard grants values nobody listed"),
                ));
            }
            if kind.takes_paths()
                && let Some(reason) = reaches_everything(granted)
            {
                findings.push((Some(key.clone()), format!("grants {granted:?}: {reason}")));
            }
            if let Some(reason) = machine.claims(granted) {
                findings.push((
                    Some(key.clone()),
                    format!("grants {granted:?}, a path of the build machine: {reason}"),
                ));
            }
        }
    }
    for (key, value) in permissions {
        let known = key == "prompt" || Kind::ALL.iter().any(|kind| kind.metadata_key() == *key);
        if key == "prompt" && value != &Value::Bool(false) {
            findings.push((
                Some(key.clone()),
                format!(
                    "is {value}: the binary would ask for permissions at run time; it is \
                     compiled with --no-prompt"
                ),
            ));
        } else if !known && !value.is_null() {
            findings.push((
                Some(key.clone()),
                format!("is {value}; the policy ({}) sets no {key}", policy.source),
            ));
        }
    }
    findings
}

fn describe(values: Option<&BTreeSet<String>>) -> String {
    match values {
        None => "nothing".into(),
        Some(values) => format!("{values:?}"),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;

    fn policy() -> ReleasePolicy {
        ReleasePolicy {
            source: "permissions.default".into(),
            grants: BTreeMap::from([
                (
                    Kind::Read,
                    Grant::Values(vec!["/etc/kato".into(), "/var/lib/kato".into()]),
                ),
                (Kind::Write, Grant::Values(vec!["/var/lib/kato".into()])),
            ]),
        }
    }

    fn machine() -> BuildMachine {
        BuildMachine {
            workspaces: vec!["/work/kato".into()],
            homes: vec!["/home/builder".into()],
        }
    }

    /// The permissions deno embeds for `policy()` with --no-prompt.
    fn embedded() -> Map<String, Value> {
        let json = json!({
            "allow_env": null, "deny_env": null, "ignore_env": null,
            "allow_net": null, "deny_net": null,
            "allow_ffi": null, "deny_ffi": null,
            "allow_read": ["/etc/kato", "/var/lib/kato"], "deny_read": null, "ignore_read": null,
            "allow_run": null, "deny_run": null,
            "allow_sys": null, "deny_sys": null,
            "allow_write": ["/var/lib/kato"], "deny_write": null,
            "allow_import": DENO_DEFAULT_IMPORT_HOSTS, "deny_import": null,
            "prompt": false
        });
        json.as_object().unwrap().clone()
    }

    fn findings(permissions: &Map<String, Value>) -> Vec<String> {
        permission_findings(permissions, &policy(), &machine())
            .into_iter()
            .map(|(key, problem)| format!("{}: {problem}", key.unwrap_or_default()))
            .collect()
    }

    #[test]
    fn the_policy_itself_passes() {
        assert_eq!(findings(&embedded()), Vec::<String>::new());
    }

    #[test]
    fn allow_all_is_named_once() {
        let mut all = embedded();
        for kind in Kind::ALL {
            all.insert(kind.metadata_key(), json!([]));
        }
        assert_eq!(
            findings(&all),
            [
                ": it grants everything: allow_read, allow_write, allow_net, allow_env, \
                 allow_run, allow_sys, allow_ffi, allow_import are [] (every value of every \
                 kind, as -A or --allow-all gives)"
            ]
        );
    }

    #[test]
    fn each_departure_from_the_policy_is_named() {
        let mut changed = embedded();
        changed.insert(
            "allow_write".into(),
            json!(["/var/lib/kato", "/work/kato/data"]),
        );
        changed.insert("allow_env".into(), json!([]));
        changed.insert("deny_read".into(), json!(["/etc/shadow"]));
        changed.insert("prompt".into(), json!(true));
        changed.remove("allow_sys");
        assert_eq!(
            findings(&changed),
            [
                "allow_write: grants {\"/var/lib/kato\", \"/work/kato/data\"}, the policy \
                 (permissions.default) grants {\"/var/lib/kato\"}",
                "allow_write: grants \"/work/kato/data\", a path of the build machine: it is in \
                 the build workspace /work/kato",
                "allow_env: [] grants every env value; the policy (permissions.default) grants \
                 nothing",
                "allow_sys: missing from the embedded permissions",
                "deny_read: is [\"/etc/shadow\"]; the policy (permissions.default) sets no \
                 deny_read",
                "prompt: is true: the binary would ask for permissions at run time; it is \
                 compiled with --no-prompt",
            ]
        );
    }

    #[test]
    fn not_an_executable_and_no_metadata() {
        let found = audit(
            "kato-linux-x86_64",
            b"#!/bin/sh\necho hi\n",
            &crate::TARGETS[0],
            &policy(),
            &machine(),
        );
        let found: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(
            found[0],
            "kato-linux-x86_64: it is not an ELF, Mach-O or PE file, not the ELF x86-64 a \
             x86_64-unknown-linux-gnu binary is"
        );
        assert_eq!(
            found[1],
            "kato-linux-x86_64: it holds no deno compile metadata (no d3n0l4nd block with \
             permissions)"
        );
    }

    #[test]
    fn a_kind_granted_whole_by_the_policy_is_expected_as_empty_and_nothing_more() {
        let mut policy = policy();
        policy.grants.insert(Kind::Read, Grant::Whole);
        let mut whole_read = embedded();
        whole_read.insert("allow_read".into(), json!([]));
        let found = |permissions: &Map<String, Value>, policy: &ReleasePolicy| -> Vec<String> {
            permission_findings(permissions, policy, &machine())
                .into_iter()
                .map(|(key, problem)| format!("{}: {problem}", key.unwrap_or_default()))
                .collect()
        };
        assert_eq!(found(&whole_read, &policy), Vec::<String>::new());
        // Scoped reads where the policy grants them whole are a departure too.
        assert_eq!(
            found(&embedded(), &policy),
            [
                "allow_read: grants {\"/etc/kato\", \"/var/lib/kato\"}, the policy \
              (permissions.default) grants {}"
            ]
        );
        // And a whole grant the policy does not make is refused as before.
        assert_eq!(
            findings(&whole_read),
            [
                "allow_read: [] grants every read value; the policy (permissions.default) grants \
              {\"/etc/kato\", \"/var/lib/kato\"}"
            ]
        );
    }

    #[test]
    fn roots_and_wildcards_in_an_artifact_are_refused_whatever_the_policy_says() {
        let mut policy = policy();
        policy
            .grants
            .insert(Kind::Write, Grant::Values(vec!["/".into()]));
        policy
            .grants
            .insert(Kind::Env, Grant::Values(vec!["*".into()]));
        policy
            .grants
            .insert(Kind::Read, Grant::Values(vec!["/proc/self/root".into()]));
        let mut embedded = embedded();
        embedded.insert("allow_write".into(), json!(["/"]));
        embedded.insert("allow_env".into(), json!(["*"]));
        embedded.insert("allow_read".into(), json!(["/proc/self/root"]));
        let found: Vec<String> = permission_findings(&embedded, &policy, &machine())
            .into_iter()
            .map(|(key, problem)| format!("{}: {problem}", key.unwrap_or_default()))
            .collect();
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].starts_with("allow_read: grants \"/proc/self/root\": /proc reaches"));
        assert!(found[1].starts_with("allow_write: grants \"/\": it is the root"));
        assert!(found[2].starts_with("allow_env: grants \"*\": a wildcard"));
    }
}

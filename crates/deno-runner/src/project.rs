//! A Deno project on disk: its directory and its `deno.json` / `deno.jsonc`.

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};
use serde::Deserialize;

/// Config file names, in the order Deno itself looks for them.
pub const CONFIG_FILE_NAMES: [&str; 2] = ["deno.json", "deno.jsonc"];

/// Why a project could not be opened. Callers branch on `NoConfig` (for example to
/// suggest `--project`), the rest are reported as they are.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    /// The directory does not exist or is not a directory.
    #[error("project directory {0} does not exist or is not a directory")]
    NotADirectory(Utf8PathBuf),
    /// Neither deno.json nor deno.jsonc is in the directory.
    #[error(
        "no deno.json or deno.jsonc in {0}: point --project at the directory of a Deno project"
    )]
    NoConfig(Utf8PathBuf),
    /// The config file could not be read.
    #[error("cannot read {path}")]
    Read {
        /// The config file.
        path: Utf8PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The config file is not valid JSONC, or a field has the wrong type.
    #[error("{path}:{line}:{column}: {message}")]
    Malformed {
        /// The config file.
        path: Utf8PathBuf,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What is wrong there.
        message: String,
    },
}

/// A Deno project: a directory holding a config file.
#[derive(Debug, Clone)]
pub struct DenoProject {
    dir: Utf8PathBuf,
    config_path: Utf8PathBuf,
    config: DenoConfig,
}

impl DenoProject {
    /// Opens the project in `dir`, reading `deno.json` or else `deno.jsonc`.
    pub fn open(dir: &Utf8Path) -> Result<Self, ProjectError> {
        if !dir.is_dir() {
            return Err(ProjectError::NotADirectory(dir.to_owned()));
        }
        let config_path = CONFIG_FILE_NAMES
            .iter()
            .map(|name| dir.join(name))
            .find(|path| path.is_file())
            .ok_or_else(|| ProjectError::NoConfig(dir.to_owned()))?;
        let text = std::fs::read_to_string(&config_path).map_err(|source| ProjectError::Read {
            path: config_path.clone(),
            source,
        })?;
        let config = DenoConfig::parse(&text).map_err(|error| ProjectError::Malformed {
            path: config_path.clone(),
            line: error.line,
            column: error.column,
            message: error.message,
        })?;
        Ok(Self {
            dir: dir.to_owned(),
            config_path,
            config,
        })
    }

    /// The project directory, where deno runs.
    pub fn dir(&self) -> &Utf8Path {
        &self.dir
    }

    /// The config file that was read.
    pub fn config_path(&self) -> &Utf8Path {
        &self.config_path
    }

    /// The parsed config.
    pub fn config(&self) -> &DenoConfig {
        &self.config
    }

    /// The lockfile deno uses for this project, or `None` when locking is off.
    pub fn lockfile(&self) -> Option<Utf8PathBuf> {
        match &self.config.lock {
            None | Some(Lock::Enabled(true)) => Some(self.dir.join("deno.lock")),
            Some(Lock::Enabled(false)) => None,
            Some(Lock::Path(path))
            | Some(Lock::Detailed {
                path: Some(path), ..
            }) => Some(self.dir.join(path)),
            Some(Lock::Detailed { path: None, .. }) => Some(self.dir.join("deno.lock")),
        }
    }
}

/// The released app of a project: the config that holds the version, the entry point and
/// the binary's name. In a single-package project it is the project itself; in a
/// monorepo a member (`apps/daemon`), named by `xtask.app` or by the caller.
#[derive(Debug, Clone)]
pub struct App {
    config: DenoProject,
    root: DenoProject,
}

impl App {
    /// The app in `dir` (relative to the project, or absolute); without `dir`, the one
    /// named by the project's `xtask.app`, else the project itself.
    pub fn open(root: DenoProject, dir: Option<&Utf8Path>) -> Result<Self, ProjectError> {
        let named = root.config.xtask.as_ref().and_then(|x| x.app.as_deref());
        let Some(dir) = dir.or(named.map(Utf8Path::new)) else {
            return Ok(Self {
                config: root.clone(),
                root,
            });
        };
        let dir = root.dir.join(dir);
        let config = DenoProject::open(&dir)?;
        Ok(Self { config, root })
    }

    /// The app's own config (the project's, for a single-package project).
    pub fn project(&self) -> &DenoProject {
        &self.config
    }

    /// The project the app is part of: where the gate, the lockfile and git are.
    pub fn root(&self) -> &DenoProject {
        &self.root
    }

    /// The app's directory.
    pub fn dir(&self) -> &Utf8Path {
        self.config.dir()
    }

    /// The app's config file.
    pub fn config_path(&self) -> &Utf8Path {
        self.config.config_path()
    }

    /// The app's `version`.
    pub fn version(&self) -> Option<&str> {
        self.config.config.version.as_deref()
    }

    /// The app's `xtask` field.
    pub fn xtask(&self) -> XtaskConfig {
        self.config.config.xtask.clone().unwrap_or_default()
    }

    /// The module compiled into the binary, relative to the app: `xtask.entry`, else the
    /// root of `exports`.
    pub fn entry(&self) -> Option<String> {
        let config = &self.config.config;
        config
            .xtask
            .as_ref()
            .and_then(|x| x.entry.clone())
            .or_else(|| config.exports.as_ref()?.root().map(str::to_owned))
    }

    /// The permission set `name`: the app's, else the project's; with the file declaring it.
    pub fn permission_set(&self, name: &str) -> Option<(&Utf8Path, &PermissionSet)> {
        [&self.config, &self.root]
            .into_iter()
            .find_map(|p| Some((p.config_path(), p.config.permissions.get(name)?)))
    }

    /// The lockfile: the project's, which a workspace's members share.
    pub fn lockfile(&self) -> Option<Utf8PathBuf> {
        self.root.lockfile()
    }
}

/// The fields of deno.json(c) that the tasks use. Unknown fields are ignored, as deno
/// itself accepts many more.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DenoConfig {
    /// Package name, e.g. `@kato/kato`.
    pub name: Option<String>,
    /// Package version, e.g. `0.1.0`; the release version.
    pub version: Option<String>,
    /// `deno task` definitions.
    #[serde(default)]
    pub tasks: BTreeMap<String, Task>,
    /// The module or modules the package exports.
    pub exports: Option<Exports>,
    /// Paths excluded from every subcommand.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Lockfile setting.
    pub lock: Option<Lock>,
    /// Named permission sets (`-P=<name>`), by name.
    #[serde(default)]
    pub permissions: BTreeMap<String, PermissionSet>,
    /// Options of `deno test`.
    pub test: Option<TestConfig>,
    /// The members of a Deno workspace, when this config is its root.
    pub workspace: Option<Workspace>,
    /// What the tasks read beyond deno's own keys (deno ignores keys it does not know).
    pub xtask: Option<XtaskConfig>,
}

/// The `xtask` field of deno.json(c).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct XtaskConfig {
    /// In the project's config: the directory of the released app, relative to the
    /// project (`apps/daemon`), whose config holds the version and the entry point.
    pub app: Option<String>,
    /// In the app's config: the released binary's name, the artifacts' prefix (`kato`).
    pub bin: Option<String>,
    /// In the app's config: the module compiled into the binary, relative to the app,
    /// when `exports` names none (`./src/main.ts`).
    pub entry: Option<String>,
    /// In the project's config: its test modules do not depend on each other, so the
    /// gate may run them side by side in one process (`deno test --parallel`) even where
    /// their permissions would let one change what another sees.
    #[serde(default)]
    pub parallel_tests: bool,
    /// In the app's config: how its release permissions are read.
    #[serde(default)]
    pub release: ReleaseConfig,
    /// In the project's config: the files coverage counts (`include`, `exclude`), which the
    /// coverage task reads and checks itself.
    #[serde(default)]
    pub coverage: Unchecked,
}

/// A value read by another part of the tasks, which checks it with its own messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Unchecked;

impl<'de> Deserialize<'de> for Unchecked {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(deserializer).map(|_| Unchecked)
    }
}

/// `xtask.release`: the release policy's declaration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ReleaseConfig {
    /// The permission set that is the release policy (default `default`).
    pub permissions: Option<String>,
    /// Kinds the set grants whole (`"read": true`) on purpose; any other kind granted
    /// whole is refused.
    #[serde(default)]
    pub grant_whole: Vec<String>,
    /// The set's `run` entries are meant: the binary may start those programs.
    #[serde(default)]
    pub allow_run: bool,
    /// The set's `ffi` entries are meant: the binary may load those native libraries.
    #[serde(default)]
    pub allow_ffi: bool,
}

impl DenoConfig {
    /// The permissions `deno test -P` uses: `test.permissions`, inline or naming a set of
    /// `permissions`; with where they are declared and the set, when it exists.
    pub fn test_permissions(&self) -> Option<(String, Option<&PermissionSet>)> {
        match self.test.as_ref()?.permissions.as_ref()? {
            TestPermissions::Named(name) => {
                Some((format!("permissions.{name}"), self.permissions.get(name)))
            }
            TestPermissions::Set(set) => Some(("test.permissions".to_owned(), Some(set))),
        }
    }

    /// The workspace members' directories as written (`./apps/daemon`).
    pub fn workspace_members(&self) -> &[String] {
        match &self.workspace {
            None => &[],
            Some(Workspace::Members(members)) | Some(Workspace::Detailed { members }) => members,
        }
    }
}

/// The `test` field.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct TestConfig {
    /// The permissions of `deno test -P`.
    pub permissions: Option<TestPermissions>,
}

/// `test.permissions`: a set, or the name of one in `permissions`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum TestPermissions {
    /// `"permissions": "dev"`.
    Named(String),
    /// `"permissions": { "read": true }`.
    Set(Box<PermissionSet>),
}

/// The `workspace` field.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Workspace {
    /// `"workspace": ["./apps/daemon"]`.
    Members(Vec<String>),
    /// `"workspace": { "members": ["./apps/daemon"] }`.
    Detailed {
        /// The members' directories.
        members: Vec<String>,
    },
}

/// A `deno task` definition: a command string or the object form.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Task {
    /// `"ci": "deno fmt --check && ..."`.
    Command(String),
    /// `"ci": { "command": "...", "description": "...", "dependencies": [...] }`.
    Detailed {
        /// The command, absent for a task that only runs its dependencies.
        command: Option<String>,
        /// What the task is for.
        description: Option<String>,
        /// Tasks that run first.
        #[serde(default)]
        dependencies: Vec<String>,
    },
}

impl Task {
    /// The shell command the task runs, if it has one.
    pub fn command(&self) -> Option<&str> {
        match self {
            Task::Command(command) => Some(command),
            Task::Detailed { command, .. } => command.as_deref(),
        }
    }
}

/// The `exports` field: one module or a map of entry names to modules.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Exports {
    /// `"exports": "./main.ts"`.
    Single(String),
    /// `"exports": { ".": "./mod.ts", "./cli": "./cli.ts" }`.
    Map(BTreeMap<String, String>),
}

impl Exports {
    /// The module exported as the package root (`"."`), if any.
    pub fn root(&self) -> Option<&str> {
        match self {
            Exports::Single(module) => Some(module),
            Exports::Map(map) => map.get(".").map(String::as_str),
        }
    }
}

/// The `lock` field.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Lock {
    /// `"lock": true` / `false`.
    Enabled(bool),
    /// `"lock": "./other.lock"`.
    Path(String),
    /// `"lock": { "path": "...", "frozen": true }`.
    Detailed {
        /// Lockfile path relative to the project.
        path: Option<String>,
        /// Whether `--frozen` is the default.
        #[serde(default)]
        frozen: bool,
    },
}

/// One named permission set of the `permissions` field.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionSet {
    /// Grants everything: what a release must never use.
    pub all: Option<bool>,
    /// File system reads.
    pub read: Option<Permission>,
    /// File system writes.
    pub write: Option<Permission>,
    /// Network access.
    pub net: Option<Permission>,
    /// Environment variables.
    pub env: Option<Permission>,
    /// Subprocesses.
    pub run: Option<Permission>,
    /// System information.
    pub sys: Option<Permission>,
    /// Foreign function interface.
    pub ffi: Option<Permission>,
    /// Dynamic imports from remote hosts.
    pub import: Option<Permission>,
}

/// One kind of permission in a set.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Permission {
    /// `true` grants all of the kind, `false` none.
    Flag(bool),
    /// Grants these values only.
    List(Vec<String>),
    /// The long form with allow, deny and ignore lists.
    Detailed {
        /// Allowed values (`true` for all).
        allow: Option<Box<Permission>>,
        /// Denied values.
        deny: Option<Box<Permission>>,
        /// Values that are silently refused.
        ignore: Option<Box<Permission>>,
    },
}

/// A parse error with its 1-based position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSyntaxError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl DenoConfig {
    /// Parses deno.json(c) text: comments and trailing commas are allowed, as deno allows
    /// them in both file names.
    pub fn parse(text: &str) -> Result<Self, ConfigSyntaxError> {
        let options = jsonc_parser::ParseOptions::default();
        let config: Option<DenoConfig> = jsonc_parser::parse_to_serde_value(text, &options)
            .map_err(|error| {
                let message = match error.kind() {
                    // A value of the wrong type or an unknown key: say whose.
                    jsonc_parser::errors::ParseErrorKind::Custom(message) => {
                        match key_at(text, error.range().start) {
                            Some(key) => format!("{key}: {message}{}", hint(&key, message)),
                            None => message.clone(),
                        }
                    }
                    other => other.to_string(),
                };
                ConfigSyntaxError {
                    line: error.line_display(),
                    column: error.column_display(),
                    message,
                }
            })?;
        config.ok_or_else(|| ConfigSyntaxError {
            line: 1,
            column: 1,
            message: "the file is empty; it must hold a JSON object".into(),
        })
    }
}

/// The key whose property holds byte `offset` of `text`, as a path
/// (`permissions.default.read`, `workspace[1]`).
fn key_at(text: &str, offset: usize) -> Option<String> {
    use jsonc_parser::ast::Value;
    let collect = jsonc_parser::CollectOptions {
        comments: jsonc_parser::CommentCollectionStrategy::Off,
        tokens: false,
    };
    let parsed = jsonc_parser::parse_to_ast(text, &collect, &Default::default()).ok()?;
    let mut path = String::new();
    let mut value = parsed.value?;
    loop {
        let next = match value {
            Value::Object(object) => object.properties.into_iter().find_map(|prop| {
                (prop.range.start <= offset && offset < prop.range.end).then(|| {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(prop.name.as_str());
                    prop.value
                })
            }),
            Value::Array(array) => array.elements.into_iter().enumerate().find_map(|(i, v)| {
                let range = jsonc_parser::common::Ranged::range(&v);
                (range.start <= offset && offset < range.end).then(|| {
                    path.push_str(&format!("[{i}]"));
                    v
                })
            }),
            _ => None,
        };
        match next {
            Some(inner) => value = inner,
            None => break,
        }
    }
    (!path.is_empty()).then_some(path)
}

/// What to write instead, for the keys whose form is easy to get wrong.
fn hint(key: &str, message: &str) -> &'static str {
    match key {
        "version" if message.contains("expected a string") => {
            "; write the version as a string, such as \"version\": \"0.1.0\""
        }
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_jsonc_with_comments_and_trailing_commas() {
        let text = r#"{
  // the package
  "name": "@kato/kato",
  "version": "0.1.0", /* released */
  "exports": "./main.ts",
  "tasks": {
    "ci": "deno fmt --check && deno lint",
    "dev": { "command": "deno run main.ts", "description": "run it", },
  },
  "exclude": ["dist/",],
  "lock": { "path": "./deno.lock", "frozen": true },
  "permissions": {
    "default": { "read": ["/etc/kato"], "write": false, "env": true },
  },
}"#;
        let config = DenoConfig::parse(text).unwrap();
        assert_eq!(config.name.as_deref(), Some("@kato/kato"));
        assert_eq!(config.version.as_deref(), Some("0.1.0"));
        assert_eq!(config.exports.unwrap().root(), Some("./main.ts"));
        assert_eq!(
            config.tasks["ci"].command(),
            Some("deno fmt --check && deno lint")
        );
        assert_eq!(config.tasks["dev"].command(), Some("deno run main.ts"));
        assert_eq!(config.exclude, vec!["dist/"]);
        assert_eq!(
            config.lock,
            Some(Lock::Detailed {
                path: Some("./deno.lock".into()),
                frozen: true
            })
        );
        let set = &config.permissions["default"];
        assert_eq!(set.read, Some(Permission::List(vec!["/etc/kato".into()])));
        assert_eq!(set.write, Some(Permission::Flag(false)));
        assert_eq!(set.env, Some(Permission::Flag(true)));
        assert_eq!(set.net, None);
    }

    #[test]
    fn exports_map_root() {
        let config =
            DenoConfig::parse(r#"{"exports": {".": "./mod.ts", "./cli": "./cli.ts"}}"#).unwrap();
        assert_eq!(config.exports.unwrap().root(), Some("./mod.ts"));
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let error = DenoConfig::parse("{\n  \"name\": \"x\"\n  \"version\": ,\n}").unwrap_err();
        assert_eq!((error.line, error.column), (3, 14), "{error:?}");
    }

    #[test]
    fn unterminated_object_is_an_error() {
        let error = DenoConfig::parse("{\n  \"name\": \"x\",\n").unwrap_err();
        assert_eq!(error.line, 3, "{error:?}");
    }

    #[test]
    fn wrong_type_names_position() {
        let error = DenoConfig::parse("{\n  \"version\": 1\n}").unwrap_err();
        assert_eq!(error.line, 2, "{error:?}");
        assert!(error.message.contains("string"), "{error:?}");
    }

    #[test]
    fn wrong_types_and_unknown_keys_name_the_key_and_what_to_write() {
        let error = DenoConfig::parse("{\n  \"name\": \"x\",\n  \"version\": 1\n}").unwrap_err();
        assert_eq!(
            error.message,
            "version: invalid type: integer `1`, expected a string; write the version as a \
             string, such as \"version\": \"0.1.0\""
        );
        let error =
            DenoConfig::parse(r#"{"permissions": {"default": {"read": ["/a"], "env": 3}}}"#)
                .unwrap_err();
        // An untagged value is read whole, so the error names the set holding it.
        assert!(
            error.message.starts_with("permissions.default: "),
            "{error:?}"
        );
        let error = DenoConfig::parse(r#"{"xtask": {"ap": "apps/daemon"}}"#).unwrap_err();
        assert!(
            error.message.starts_with("xtask: unknown field `ap`"),
            "{error:?}"
        );
    }

    #[test]
    fn unknown_permission_kind_is_refused() {
        let error =
            DenoConfig::parse("{\"permissions\": {\"default\": {\"raed\": true}}}").unwrap_err();
        assert!(error.message.contains("raed"), "{error:?}");
    }

    #[test]
    fn empty_file_is_an_error() {
        let error = DenoConfig::parse("  \n").unwrap_err();
        assert!(error.message.contains("empty"), "{error:?}");
    }

    #[test]
    fn open_reports_missing_config_with_directory() {
        let dir = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(dir.path()).unwrap();
        let error = DenoProject::open(dir).unwrap_err();
        assert!(matches!(error, ProjectError::NoConfig(_)));
        assert!(error.to_string().contains(dir.as_str()));
    }

    #[test]
    fn open_prefers_deno_json_and_reports_malformed_with_path() {
        let dir = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(dir.path()).unwrap();
        std::fs::write(dir.join("deno.jsonc"), "{ \"version\": \"1.0.0\" }").unwrap();
        let project = DenoProject::open(dir).unwrap();
        assert_eq!(project.config_path(), dir.join("deno.jsonc"));
        assert_eq!(project.lockfile(), Some(dir.join("deno.lock")));

        std::fs::write(dir.join("deno.json"), "{\n  \"name\": @\n}").unwrap();
        let error = DenoProject::open(dir).unwrap_err().to_string();
        assert!(
            error.starts_with(&format!("{}:2:11: ", dir.join("deno.json"))),
            "{error}"
        );
    }
}

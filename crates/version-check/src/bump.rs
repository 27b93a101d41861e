//! The next version, and writing it into deno.json(c) without reformatting the file.

use std::str::FromStr;

use jsonc_parser::ParseOptions;
use jsonc_parser::cst::{CstInputValue, CstRootNode};
use semver::{Prerelease, Version};

use crate::version::{VersionError, parse_version};

/// What `bump` was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bump {
    /// `1.2.3` -> `2.0.0`.
    Major,
    /// `1.2.3` -> `1.3.0`.
    Minor,
    /// `1.2.3` -> `1.2.4`.
    Patch,
    /// Exactly this version.
    To(Version),
}

impl FromStr for Bump {
    type Err = VersionError;

    /// `major`, `minor`, `patch` or an exact version (see [`parse_version`]).
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        match input {
            "major" => Ok(Bump::Major),
            "minor" => Ok(Bump::Minor),
            "patch" => Ok(Bump::Patch),
            _ => parse_version(input).map(Bump::To),
        }
    }
}

/// Why a version could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BumpError {
    /// The file is not valid JSONC.
    #[error("{line}:{column}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The document is not an object.
    #[error("the document is not a JSON object")]
    NotAnObject,
    /// `version` exists but is not a string.
    #[error("\"version\" is not a string")]
    NotAString,
    /// `major`/`minor`/`patch` needs a current version to start from.
    #[error("there is no \"version\" to bump: give the exact version instead (such as 0.1.0)")]
    NoCurrentVersion,
    /// The new version would be lower than the current one.
    #[error("{new} is lower than the current version {current}: versions only go up")]
    Backwards {
        /// The current version.
        current: Version,
        /// The version asked for.
        new: Version,
    },
}

impl Bump {
    /// The version after `current` (`None`: the file declares none). Like `npm version`,
    /// bumping a prerelease releases it: `patch` of `1.2.3-rc.1` is `1.2.3`.
    pub fn apply(&self, current: Option<&Version>) -> Result<Version, BumpError> {
        let next = match (self, current) {
            (Bump::To(version), None) => return Ok(version.clone()),
            (Bump::To(version), Some(current)) => {
                if version < current {
                    return Err(BumpError::Backwards {
                        current: current.clone(),
                        new: version.clone(),
                    });
                }
                return Ok(version.clone());
            }
            (_, None) => return Err(BumpError::NoCurrentVersion),
            (Bump::Major, Some(c)) => {
                if c.pre.is_empty() || c.minor != 0 || c.patch != 0 {
                    Version::new(c.major + 1, 0, 0)
                } else {
                    Version::new(c.major, 0, 0)
                }
            }
            (Bump::Minor, Some(c)) => {
                if c.pre.is_empty() || c.patch != 0 {
                    Version::new(c.major, c.minor + 1, 0)
                } else {
                    Version::new(c.major, c.minor, 0)
                }
            }
            (Bump::Patch, Some(c)) => {
                if c.pre.is_empty() {
                    Version::new(c.major, c.minor, c.patch + 1)
                } else {
                    Version {
                        pre: Prerelease::EMPTY,
                        ..c.clone()
                    }
                }
            }
        };
        Ok(next)
    }
}

/// The `version` field of `text` (deno.json or deno.jsonc), `None` when it has none.
pub fn read_version(text: &str) -> Result<Option<String>, BumpError> {
    let root = parse(text)?;
    let object = root.object_value().ok_or(BumpError::NotAnObject)?;
    let Some(property) = object.get("version") else {
        return Ok(None);
    };
    property
        .value()
        .and_then(|value| value.as_string_lit())
        .and_then(|value| value.decoded_value().ok())
        .map(Some)
        .ok_or(BumpError::NotAString)
}

fn parse(text: &str) -> Result<CstRootNode, BumpError> {
    CstRootNode::parse(text, &ParseOptions::default()).map_err(|error| BumpError::Syntax {
        line: error.line_display(),
        column: error.column_display(),
        message: error.kind().to_string(),
    })
}

/// `text` (deno.json or deno.jsonc) with its `version` set to `version`. Only that
/// value changes; when the field is missing it is added after `name` (else first),
/// indented like its neighbours.
pub fn set_version(text: &str, version: &Version) -> Result<String, BumpError> {
    let root = parse(text)?;
    let object = root.object_value().ok_or(BumpError::NotAnObject)?;
    let value = CstInputValue::String(version.to_string());
    match object.get("version") {
        Some(property) => {
            let current = property.value().ok_or(BumpError::NotAString)?;
            if current.as_string_lit().is_none() {
                return Err(BumpError::NotAString);
            }
            property.set_value(value);
        }
        None => {
            let index = object
                .get("name")
                .map(|name| name.property_index() + 1)
                .unwrap_or(0);
            object.insert(index, "version", value);
        }
    }
    Ok(root.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    fn bump(kind: &str, current: &str) -> String {
        kind.parse::<Bump>()
            .unwrap()
            .apply(Some(&v(current)))
            .unwrap()
            .to_string()
    }

    #[test]
    fn next_versions() {
        assert_eq!(bump("patch", "0.1.0"), "0.1.1");
        assert_eq!(bump("minor", "0.1.3"), "0.2.0");
        assert_eq!(bump("major", "0.1.3"), "1.0.0");
        assert_eq!(bump("patch", "1.2.3-rc.1"), "1.2.3");
        assert_eq!(bump("minor", "1.3.0-rc.1"), "1.3.0");
        assert_eq!(bump("minor", "1.3.1-rc.1"), "1.4.0");
        assert_eq!(bump("major", "2.0.0-rc.1"), "2.0.0");
        assert_eq!(bump("major", "2.1.0-rc.1"), "3.0.0");
        assert_eq!(bump("1.0.0", "0.9.9"), "1.0.0");
        assert_eq!(bump("0.1.0", "0.1.0"), "0.1.0");
    }

    #[test]
    fn refused_bumps() {
        assert_eq!(
            Bump::To(v("0.0.9"))
                .apply(Some(&v("0.1.0")))
                .unwrap_err()
                .to_string(),
            "0.0.9 is lower than the current version 0.1.0: versions only go up"
        );
        assert_eq!(Bump::Patch.apply(None), Err(BumpError::NoCurrentVersion));
        assert_eq!(Bump::To(v("0.1.0")).apply(None).unwrap(), v("0.1.0"));
        assert!("v1.0.0".parse::<Bump>().unwrap_err().is_bad_input());
        assert!("mayor".parse::<Bump>().is_err());
    }

    #[test]
    fn only_the_version_value_changes() {
        let text =
            "{\n  \"name\": \"x\",\n  \"version\":   \"0.1.0\" , // current\n  \"b\": 1,\n}\n";
        assert_eq!(
            set_version(text, &v("0.2.0")).unwrap(),
            "{\n  \"name\": \"x\",\n  \"version\":   \"0.2.0\" , // current\n  \"b\": 1,\n}\n"
        );
    }

    #[test]
    fn missing_version_goes_after_the_name() {
        let text = "{\n    \"name\": \"x\",\n    \"exports\": \"./main.ts\"\n}\n";
        assert_eq!(
            set_version(text, &v("0.1.0")).unwrap(),
            "{\n    \"name\": \"x\",\n    \"version\": \"0.1.0\",\n    \"exports\": \"./main.ts\"\n}\n"
        );
    }

    #[test]
    fn refuses_what_it_cannot_edit() {
        assert_eq!(set_version("[1]", &v("0.1.0")), Err(BumpError::NotAnObject));
        assert_eq!(
            set_version("{\"version\": 1}", &v("0.1.0")),
            Err(BumpError::NotAString)
        );
        let error = set_version("{\n  \"version\": \n}", &v("0.1.0")).unwrap_err();
        assert!(
            matches!(error, BumpError::Syntax { line: 3, .. }),
            "{error:?}"
        );
    }
}

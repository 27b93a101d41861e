//! A requested release version, the project's declared version and the tag name.

use camino::{Utf8Path, Utf8PathBuf};
use semver::Version;

/// What a release version looks like, for error messages.
pub const ACCEPTED_FORM: &str =
    "MAJOR.MINOR.PATCH with an optional -PRERELEASE, such as 0.1.0 or 1.2.0-rc.1";

/// What a release tag looks like, for error messages.
pub const TAG_FORM: &str =
    "v, then MAJOR.MINOR.PATCH with an optional -PRERELEASE, such as v0.1.0 or v1.2.0-rc.1";

/// Why a version, a declared version or a tag was refused. Callers branch on the kind:
/// [`VersionError::Invalid`] is bad input, the others are failed checks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// The requested version is not exact semver.
    #[error("{input:?} is not a release version: {reason}; write {ACCEPTED_FORM}")]
    Invalid {
        /// What was given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The config file has no `version`.
    #[error(
        "{config} has no \"version\" field: add one (cargo xtask bump <VERSION> writes it) and \
         commit it before releasing"
    )]
    Missing {
        /// The config file.
        config: Utf8PathBuf,
    },
    /// The config file's `version` is not exact semver.
    #[error(
        "the version {declared:?} in {config} is not a release version: {reason}; write {ACCEPTED_FORM}"
    )]
    DeclaredInvalid {
        /// The config file.
        config: Utf8PathBuf,
        /// Its version field.
        declared: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The requested version differs from the declared one.
    #[error(
        "the requested version {requested} differs from the version {declared} in {config}: \
         release {declared}, or bump the project first (cargo xtask bump {requested}) and \
         merge that"
    )]
    Mismatch {
        /// The version asked for.
        requested: String,
        /// The version in the config file.
        declared: String,
        /// The config file.
        config: Utf8PathBuf,
    },
    /// The tag is not `v` followed by a version.
    #[error("the tag {tag:?} is not a release tag: expected {TAG_FORM}")]
    TagForm {
        /// The tag.
        tag: String,
    },
    /// The tag's version differs from the declared one.
    #[error(
        "the tag {tag} does not match the version {declared} in {config}: the tag for this \
         version is v{declared}; tag the commit that declares {tag_version}, or bump the project \
         to {tag_version} before tagging"
    )]
    TagMismatch {
        /// The tag.
        tag: String,
        /// The version the tag names.
        tag_version: String,
        /// The version in the config file.
        declared: String,
        /// The config file.
        config: Utf8PathBuf,
    },
}

impl VersionError {
    /// Whether the error is about the input itself rather than a check against the project.
    pub fn is_bad_input(&self) -> bool {
        matches!(self, VersionError::Invalid { .. })
    }
}

/// Parses a requested release version: exact semver, no leading `v`, no build metadata.
pub fn parse_version(input: &str) -> Result<Version, VersionError> {
    parse_exact(input).map_err(|reason| VersionError::Invalid {
        input: input.to_owned(),
        reason,
    })
}

fn parse_exact(input: &str) -> Result<Version, String> {
    if input.starts_with(['v', 'V']) {
        return Err(format!(
            "drop the leading {:?}, the tag adds it",
            &input[..1]
        ));
    }
    if input.trim() != input || input.is_empty() {
        return Err("it is empty or has surrounding spaces".into());
    }
    let version = Version::parse(input).map_err(|error| error.to_string())?;
    if !version.build.is_empty() {
        return Err("build metadata (+...) is not part of a release version".into());
    }
    Ok(version)
}

/// Checks that `requested` is the version declared in `config` (`declared` is its
/// `version` field, if any). Returns the declared version.
pub fn check_declared(
    requested: &Version,
    declared: Option<&str>,
    config: &Utf8Path,
) -> Result<Version, VersionError> {
    let declared = parse_declared(declared, config)?;
    if &declared != requested {
        return Err(VersionError::Mismatch {
            requested: requested.to_string(),
            declared: declared.to_string(),
            config: config.to_owned(),
        });
    }
    Ok(declared)
}

/// The tag that releases `version`: `v0.1.0`.
pub fn tag_name(version: &Version) -> String {
    format!("v{version}")
}

/// Checks that `tag` is `v` + the version declared in `config`. Returns that version.
pub fn check_tag(
    tag: &str,
    declared: Option<&str>,
    config: &Utf8Path,
) -> Result<Version, VersionError> {
    let tag_version = tag
        .strip_prefix('v')
        .and_then(|rest| parse_exact(rest).ok())
        .ok_or_else(|| VersionError::TagForm {
            tag: tag.to_owned(),
        })?;
    let declared = parse_declared(declared, config)?;
    if declared != tag_version {
        return Err(VersionError::TagMismatch {
            tag: tag.to_owned(),
            tag_version: tag_version.to_string(),
            declared: declared.to_string(),
            config: config.to_owned(),
        });
    }
    Ok(declared)
}

/// The version declared in `config` (its `version` field, if any), which must be an
/// exact release version: missing or not one, an error naming the file and why.
pub fn parse_declared(declared: Option<&str>, config: &Utf8Path) -> Result<Version, VersionError> {
    let declared = declared.ok_or_else(|| VersionError::Missing {
        config: config.to_owned(),
    })?;
    parse_exact(declared).map_err(|reason| VersionError::DeclaredInvalid {
        config: config.to_owned(),
        declared: declared.to_owned(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> &'static Utf8Path {
        Utf8Path::new("/p/deno.json")
    }

    #[test]
    fn exact_versions_are_accepted() {
        assert_eq!(parse_version("0.1.0").unwrap(), Version::new(0, 1, 0));
        assert_eq!(
            parse_version("1.2.0-rc.1").unwrap(),
            Version::parse("1.2.0-rc.1").unwrap()
        );
    }

    #[test]
    fn refused_versions_name_the_input_and_the_accepted_form() {
        for (input, reason) in [
            ("v0.1.0", "drop the leading \"v\""),
            ("1.0", "unexpected end of input"),
            ("01.0.0", "leading zero"),
            ("0.1.00", "leading zero"),
            ("0.1.0+build.5", "build metadata"),
            (" 0.1.0", "spaces"),
            ("", "empty"),
            ("latest", "unexpected character"),
        ] {
            let error = parse_version(input).unwrap_err();
            assert!(error.is_bad_input());
            let message = error.to_string();
            assert!(
                message.starts_with(&format!("{input:?} is not")),
                "{message}"
            );
            assert!(message.contains(reason), "{input}: {message}");
            assert!(message.contains("such as 0.1.0"), "{message}");
        }
    }

    #[test]
    fn declared_version_must_match() {
        let v = Version::new(0, 1, 0);
        assert_eq!(check_declared(&v, Some("0.1.0"), config()).unwrap(), v);
        let error = check_declared(&Version::new(0, 2, 0), Some("0.1.0"), config()).unwrap_err();
        assert!(!error.is_bad_input());
        assert_eq!(
            error.to_string(),
            "the requested version 0.2.0 differs from the version 0.1.0 in /p/deno.json: release \
             0.1.0, or bump the project first (cargo xtask bump 0.2.0) and merge that"
        );
    }

    #[test]
    fn missing_or_invalid_declared_version_names_the_file() {
        let v = Version::new(0, 1, 0);
        let missing = check_declared(&v, None, config()).unwrap_err().to_string();
        assert!(
            missing.starts_with("/p/deno.json has no \"version\""),
            "{missing}"
        );
        let invalid = check_declared(&v, Some("0.1"), config())
            .unwrap_err()
            .to_string();
        assert!(
            invalid.starts_with("the version \"0.1\" in /p/deno.json is not a release version"),
            "{invalid}"
        );
    }

    #[test]
    fn tags_are_v_plus_the_declared_version() {
        assert_eq!(
            check_tag("v0.1.2", Some("0.1.2"), config()).unwrap(),
            Version::new(0, 1, 2)
        );
        assert_eq!(tag_name(&Version::new(0, 1, 2)), "v0.1.2");
        for tag in ["0.1.2", "v0.1", "release-0.1.2", "v0.1.2+x"] {
            let error = check_tag(tag, Some("0.1.2"), config()).unwrap_err();
            assert!(matches!(error, VersionError::TagForm { .. }), "{tag}");
            assert!(
                error.to_string().ends_with(
                    "expected v, then MAJOR.MINOR.PATCH with an optional -PRERELEASE, such as \
                     v0.1.0 or v1.2.0-rc.1"
                ),
                "{error}"
            );
        }
        let error = check_tag("v0.1.3", Some("0.1.2"), config()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the tag v0.1.3 does not match the version 0.1.2 in /p/deno.json: the tag for this \
             version is v0.1.2; tag the commit that declares 0.1.3, or bump the project to 0.1.3 \
             before tagging"
        );
    }
}

//! The pinned deno version, read from `.dvmrc` (the file `denoland/setup-deno` reads
//! with `deno-version-file`), so local runs and workflows use one pin.

use camino::{Utf8Path, Utf8PathBuf};
use semver::Version;

/// The pin file's name at the repository root.
pub const PIN_FILE: &str = ".dvmrc";

/// Why the pin could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PinError {
    /// The file could not be read.
    #[error("cannot read the deno version pin {path}")]
    Read {
        /// The pin file.
        path: Utf8PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file does not hold one exact version.
    #[error(
        "{path}:{line}: {value:?} is not an exact deno version; write one version such as 2.9.5"
    )]
    Invalid {
        /// The pin file.
        path: Utf8PathBuf,
        /// 1-based line of the bad value.
        line: usize,
        /// The value found.
        value: String,
    },
}

/// Reads the exact version pinned in `path`.
pub fn read_pin(path: &Utf8Path) -> Result<Version, PinError> {
    let text = std::fs::read_to_string(path).map_err(|source| PinError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse_pin(&text).map_err(|(line, value)| PinError::Invalid {
        path: path.to_owned(),
        line,
        value,
    })
}

/// Parses pin file text: the first non-blank line is the version. A leading `v` is
/// accepted (setup-deno accepts it); ranges, `stable` or partial versions are not pins.
/// On error returns the 1-based line and the offending value.
pub fn parse_pin(text: &str) -> Result<Version, (usize, String)> {
    let (index, line) = text
        .lines()
        .enumerate()
        .find(|(_, line)| !line.trim().is_empty())
        .ok_or((1, String::new()))?;
    let value = line.trim();
    let bare = value.strip_prefix('v').unwrap_or(value);
    match Version::parse(bare) {
        Ok(version) if version.build.is_empty() => Ok(version),
        _ => Err((index + 1, value.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_versions_are_pins() {
        assert_eq!(parse_pin("2.9.5\n").unwrap(), Version::new(2, 9, 5));
        assert_eq!(parse_pin("\n  v2.9.5  \n").unwrap(), Version::new(2, 9, 5));
        assert_eq!(
            parse_pin("2.10.0-rc.1").unwrap(),
            Version::parse("2.10.0-rc.1").unwrap()
        );
    }

    #[test]
    fn ranges_and_channels_are_not_pins() {
        assert_eq!(parse_pin("2.x"), Err((1, "2.x".into())));
        assert_eq!(parse_pin("\n~2.9\n"), Err((2, "~2.9".into())));
        assert_eq!(parse_pin("stable"), Err((1, "stable".into())));
        assert_eq!(parse_pin("2.9"), Err((1, "2.9".into())));
        assert_eq!(parse_pin(""), Err((1, String::new())));
    }

    #[test]
    fn read_pin_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = Utf8Path::from_path(dir.path()).unwrap().join(PIN_FILE);
        std::fs::write(&path, "# comment?\n").unwrap();
        let message = read_pin(&path).unwrap_err().to_string();
        assert!(message.starts_with(&format!("{path}:1: ")), "{message}");
        assert!(message.contains("2.9.5"), "{message}");
    }

    #[test]
    fn repository_pin_is_exact() {
        let root = Utf8Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        read_pin(&root.join(PIN_FILE)).unwrap();
    }
}

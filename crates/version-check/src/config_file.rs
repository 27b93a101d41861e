//! deno.json(c) held for an edit: read under an exclusive lock, replaced atomically only
//! when it still holds what was read.

use std::fs::{self, File, TryLockError};
use std::io::{self, Read};
use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};
use same_file::Handle;

/// Why the config could not be held or replaced. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    /// The config is a symbolic link: replacing it would turn the link into a file, and
    /// writing through it would edit a file outside the project.
    #[error(
        "{path} is a symbolic link (to {target}): bump edits a regular file only; bump the \
         project that holds {target}, or replace the link with a copy"
    )]
    Symlink {
        /// The config.
        path: Utf8PathBuf,
        /// What it links to.
        target: String,
    },
    /// The config is not a regular file.
    #[error("{path} is not a regular file")]
    NotAFile {
        /// The config.
        path: Utf8PathBuf,
    },
    /// Another process held the lock for longer than the wait.
    #[error(
        "{path} stayed locked by another process (another `cargo xtask bump`?) for {} s: \
         nothing was changed; try again when it has finished",
        waited.as_secs()
    )]
    Busy {
        /// The config.
        path: Utf8PathBuf,
        /// How long this process waited.
        waited: Duration,
    },
    /// Something that does not take the lock changed the file since it was read.
    #[error(
        "{path} changed while it was being edited (by a program that does not take its \
         lock): nothing was written; run the command again"
    )]
    Changed {
        /// The config.
        path: Utf8PathBuf,
    },
    /// Reading, locking or writing failed.
    // `reason`, not `source`: said once, in this message, rather than again as its cause.
    #[error("cannot {action} {path}: {reason}")]
    Io {
        /// What was being done: `read`, `lock`, `write`.
        action: &'static str,
        /// The config.
        path: Utf8PathBuf,
        /// The reason.
        reason: io::Error,
    },
}

/// A config file read under an exclusive lock (`flock` / `LockFileEx`), held until this
/// is dropped or [`replace`](Self::replace)d. Every `cargo xtask bump` takes it, so
/// bumps of one file run one after another, each starting from the version the previous
/// one wrote.
#[derive(Debug)]
pub struct LockedConfig {
    path: Utf8PathBuf,
    file: File,
    text: String,
}

impl LockedConfig {
    /// Opens `path`, locks it (waiting up to `wait` for another holder) and reads it.
    pub fn open(path: &Utf8Path, wait: Duration) -> Result<Self, ConfigFileError> {
        let io = |action| {
            let path = path.to_owned();
            move |reason| ConfigFileError::Io {
                action,
                path,
                reason,
            }
        };
        let started = Instant::now();
        loop {
            let kind = fs::symlink_metadata(path).map_err(io("read"))?.file_type();
            if kind.is_symlink() {
                let target = fs::read_link(path).map_err(io("read"))?;
                return Err(ConfigFileError::Symlink {
                    path: path.to_owned(),
                    target: target.display().to_string(),
                });
            }
            if !kind.is_file() {
                return Err(ConfigFileError::NotAFile {
                    path: path.to_owned(),
                });
            }
            let mut file = File::open(path).map_err(io("read"))?;
            lock(&file, path, started, wait)?;
            // A holder before us may have replaced the file: then the lock is on the old
            // one, which nobody reads any more. Start again on the new one.
            if !names(&file, path).map_err(io("read"))? {
                continue;
            }
            let mut text = String::new();
            file.read_to_string(&mut text).map_err(io("read"))?;
            return Ok(Self {
                path: path.to_owned(),
                file,
                text,
            });
        }
    }

    /// The file as it was read.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The config's path.
    pub fn path(&self) -> &Utf8Path {
        &self.path
    }

    /// Replaces the file with `text` (atomic-write: a temporary file beside it, flushed,
    /// renamed over it), provided it is still the file that was read and holds what was
    /// read; then releases the lock.
    pub fn replace(self, text: &str) -> Result<(), ConfigFileError> {
        let path = &self.path;
        let io = |action| {
            move |reason| ConfigFileError::Io {
                action,
                path: path.clone(),
                reason,
            }
        };
        let unchanged = names(&self.file, path).map_err(io("read"))?
            && fs::read(path).map_err(io("read"))? == self.text.as_bytes();
        if !unchanged {
            return Err(ConfigFileError::Changed { path: path.clone() });
        }
        atomic_write::write(path, text).map_err(io("write"))
        // Dropping self closes the file, which releases the lock: a bump waiting for it
        // finds the file replaced and opens the new one.
    }
}

/// Whether `path` still names the open `file`.
fn names(file: &File, path: &Utf8Path) -> io::Result<bool> {
    let held = Handle::from_file(file.try_clone()?)?;
    match Handle::from_path(path) {
        Ok(named) => Ok(held == named),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(error),
    }
}

fn lock(
    file: &File,
    path: &Utf8Path,
    started: Instant,
    wait: Duration,
) -> Result<(), ConfigFileError> {
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(()),
            Err(TryLockError::WouldBlock) if started.elapsed() < wait => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(TryLockError::WouldBlock) => {
                return Err(ConfigFileError::Busy {
                    path: path.to_owned(),
                    waited: started.elapsed(),
                });
            }
            Err(TryLockError::Error(reason)) => {
                return Err(ConfigFileError::Io {
                    action: "lock",
                    path: path.to_owned(),
                    reason,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> (tempfile::TempDir, Utf8PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = Utf8Path::from_path(dir.path()).unwrap().join("deno.json");
        fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn a_held_lock_makes_the_next_wait_then_give_up_clearly() {
        let (_dir, path) = config("{}");
        let held = LockedConfig::open(&path, Duration::ZERO).unwrap();
        let error = LockedConfig::open(&path, Duration::from_millis(100)).unwrap_err();
        assert!(matches!(error, ConfigFileError::Busy { .. }), "{error:?}");
        assert!(
            error
                .to_string()
                .starts_with(&format!("{path} stayed locked by another process")),
            "{error}"
        );
        drop(held);
        LockedConfig::open(&path, Duration::ZERO).unwrap();
    }

    #[test]
    fn the_next_holder_reads_what_the_previous_one_wrote() {
        let (_dir, path) = config("{ \"version\": \"0.1.0\" }");
        let first = LockedConfig::open(&path, Duration::ZERO).unwrap();
        let second = std::thread::spawn({
            let path = path.clone();
            move || {
                let second = LockedConfig::open(&path, Duration::from_secs(10)).unwrap();
                second.text().to_owned()
            }
        });
        std::thread::sleep(Duration::from_millis(200));
        first.replace("{ \"version\": \"0.1.1\" }").unwrap();
        assert_eq!(second.join().unwrap(), "{ \"version\": \"0.1.1\" }");
    }

    #[test]
    fn a_change_by_a_program_without_the_lock_is_not_overwritten() {
        let (_dir, path) = config("{ \"version\": \"0.1.0\" }");
        let held = LockedConfig::open(&path, Duration::ZERO).unwrap();
        fs::write(&path, "{ \"version\": \"0.5.0\" }").unwrap();
        let error = held.replace("{ \"version\": \"0.1.1\" }").unwrap_err();
        assert!(
            matches!(error, ConfigFileError::Changed { .. }),
            "{error:?}"
        );
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            "{ \"version\": \"0.5.0\" }"
        );

        let held = LockedConfig::open(&path, Duration::ZERO).unwrap();
        let replaced = path.with_file_name("other.json");
        fs::write(&replaced, "{ \"version\": \"0.5.0\" }").unwrap();
        fs::rename(&replaced, &path).unwrap();
        let error = held.replace("{ \"version\": \"0.5.1\" }").unwrap_err();
        assert!(
            matches!(error, ConfigFileError::Changed { .. }),
            "{error:?}"
        );
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            "{ \"version\": \"0.5.0\" }"
        );
    }

    #[test]
    fn what_is_not_a_regular_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(dir.path()).unwrap();
        let error = LockedConfig::open(dir, Duration::ZERO).unwrap_err();
        assert!(
            matches!(error, ConfigFileError::NotAFile { .. }),
            "{error:?}"
        );
        let missing = dir.join("deno.json");
        let error = LockedConfig::open(&missing, Duration::ZERO).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with(&format!("cannot read {missing}: ")),
            "{error}"
        );
    }
}

//! Files written whole or not at all, and never through a symbolic link.
//!
//! A file is first written to a new temporary file beside its name,
//! `.<name>.<pid>-<n>-<random>.partial`, created exclusively (nothing already there is
//! opened, a planted symbolic link included); it is flushed to disk (`fsync`), renamed
//! over the name, and the directory is flushed too. A rename replaces the directory
//! entry: a symbolic link at the name is replaced by the file, and what it pointed to
//! stays as it was. A reader sees the old file or the new one, never a part of one. A
//! failure leaves the old file as it was and removes the temporary one; a process killed
//! half-way can leave the temporary file behind, hidden, never under the name.
//!
//! - [`write()`]: bytes, in one call.
//! - [`AtomicFile`]: a file written piece by piece ([`std::io::Write`]), put in place by
//!   [`AtomicFile::commit`].
//! - [`PendingFile`]: a temporary name for a file another program writes (such as
//!   `deno compile --output`), put in place by [`PendingFile::commit`]; a
//!   [`StagingDir`] holds such files together with whatever else that program leaves.
//!
//! A file that replaces a regular one keeps its permissions; a new one gets the
//! process's default (`0666` less the umask).
//!
//! On SIGINT/SIGTERM (crates/interrupt) every temporary file is removed, and none is put
//! in place once the stop has begun.

#![warn(missing_docs)]

use std::fs::{self, File, OpenOptions};
use std::hash::{BuildHasher, RandomState};
use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};

use camino::{Utf8Path, Utf8PathBuf};

/// Writes `contents` to `path`, whole or not at all (see the crate's documentation).
pub fn write(path: &Utf8Path, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(contents.as_ref())?;
    file.commit()
}

/// A file being written beside its name. [`commit`](Self::commit) puts it in place;
/// dropped without that, it is removed and the name keeps what it held.
#[derive(Debug)]
pub struct AtomicFile {
    file: File,
    path: Utf8PathBuf,
    temp: Utf8PathBuf,
    committed: bool,
    /// Nothing was written since the last [`sync`](Self::sync).
    synced: bool,
    _removal: interrupt::Removal,
}

impl AtomicFile {
    /// Creates the temporary file for `path`. Its directory must exist.
    pub fn create(path: &Utf8Path) -> io::Result<Self> {
        let replaced = fs::symlink_metadata(path).ok().filter(|m| m.is_file());
        let (temp, file, removal) = create_temp(path)?;
        let atomic = Self {
            file,
            path: path.to_owned(),
            temp,
            committed: false,
            synced: false,
            _removal: removal,
        };
        if let Some(replaced) = replaced {
            atomic.file.set_permissions(replaced.permissions())?;
        }
        Ok(atomic)
    }

    /// The name the file is put at.
    pub fn path(&self) -> &Utf8Path {
        &self.path
    }

    /// The temporary file being written.
    pub fn temp_path(&self) -> &Utf8Path {
        &self.temp
    }

    /// Flushes what was written so far to disk, on the thread that wrote it, so that a
    /// later [`commit`](Self::commit) of a large file only renames it.
    pub fn sync(&mut self) -> io::Result<()> {
        self.file.flush()?;
        self.file.sync_all()?;
        self.synced = true;
        Ok(())
    }

    /// Flushes the file to disk (unless [`sync`](Self::sync) did and nothing was written
    /// since) and renames it over its name.
    pub fn commit(self) -> io::Result<()> {
        let path = self.put_in_place()?;
        sync_dir(dir_of(&path));
        Ok(())
    }

    /// [`commit`](Self::commit) but for the directory's flush; the name it took.
    fn put_in_place(mut self) -> io::Result<Utf8PathBuf> {
        if !self.synced {
            self.sync()?;
        }
        interrupt::unless_stopping(|| fs::rename(&self.temp, &self.path))?;
        self.committed = true;
        Ok(std::mem::take(&mut self.path))
    }
}

/// Commits `files` in order, as [`AtomicFile::commit`] does one by one, but flushes each
/// directory to disk once, after the last rename into it, rather than after every
/// rename: for files written together, such as a set of reports. At the first file that
/// cannot be put in place it stops with that file's name and the error: the files before
/// it are in place, it and the ones after it are removed.
///
/// A file replaced is held open while the new one is renamed over it, and let go on a
/// thread of its own once all are in place: freeing a replaced file of tens of megabytes
/// takes the kernel milliseconds, which the files then take side by side rather than
/// one rename after another.
pub fn commit_all(
    files: impl IntoIterator<Item = AtomicFile>,
) -> Result<Vec<Utf8PathBuf>, (Utf8PathBuf, io::Error)> {
    let mut done: Vec<Utf8PathBuf> = Vec::new();
    let mut replaced: Vec<File> = Vec::new();
    let mut result = Ok(());
    for file in files {
        let path = file.path.clone();
        let old = open_replaced(&path);
        match file.put_in_place() {
            Ok(path) => {
                done.push(path);
                replaced.extend(old);
            }
            Err(error) => {
                result = Err((path, error));
                break;
            }
        }
    }
    std::thread::scope(|threads| {
        for old in replaced {
            threads.spawn(move || drop(old));
        }
        let mut dirs: Vec<&Utf8Path> = done.iter().map(|path| dir_of(path)).collect();
        dirs.sort_unstable();
        dirs.dedup();
        for dir in dirs {
            sync_dir(dir);
        }
    });
    result.map(|()| done)
}

/// The regular file at `path`, opened for reading without following a link or waiting
/// on a FIFO; `None` when there is none or it cannot be opened.
#[cfg(unix)]
fn open_replaced(path: &Utf8Path) -> Option<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .ok()?;
    file.metadata().ok()?.is_file().then_some(file)
}

#[cfg(not(unix))]
fn open_replaced(_path: &Utf8Path) -> Option<File> {
    None
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.synced = false;
        self.file.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.synced = false;
        self.file.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// A temporary name beside `path` for another program to write, from [`pending_path`].
/// Nothing is created. [`commit`](Self::commit) puts the file in place; dropped without
/// that (or on a stop, see crates/interrupt), whatever was written under the temporary
/// name is removed.
#[derive(Debug)]
pub struct PendingFile {
    path: Utf8PathBuf,
    temp: Utf8PathBuf,
    committed: bool,
    _removal: interrupt::Removal,
}

/// A fresh temporary name beside `path` for another program to write: hidden, unique in
/// this process, not guessable from outside it, and keeping the name's extension
/// (`deno compile` appends `.exe` to a Windows output without it).
pub fn pending_path(path: &Utf8Path) -> io::Result<Utf8PathBuf> {
    let mut temp = temp_path(path)?.into_string();
    if let Some(extension) = path.extension() {
        temp.push('.');
        temp.push_str(extension);
    }
    Ok(temp.into())
}

impl PendingFile {
    /// A fresh temporary name for `path`.
    pub fn new(path: &Utf8Path) -> io::Result<Self> {
        Self::at(pending_path(path)?, path.to_owned())
    }

    /// `temp`, a name from [`pending_path`], to be put at `path`. Refused once the
    /// process is stopping.
    pub fn at(temp: Utf8PathBuf, path: Utf8PathBuf) -> io::Result<Self> {
        let removal = interrupt::remove_on_stop(&temp)?;
        Ok(Self {
            path,
            temp,
            committed: false,
            _removal: removal,
        })
    }

    /// The name the file is put at.
    pub fn path(&self) -> &Utf8Path {
        &self.path
    }

    /// Where the other program writes.
    pub fn temp_path(&self) -> &Utf8Path {
        &self.temp
    }

    /// Flushes what was written to disk and renames it over the name. Refused when the
    /// temporary name holds anything but a regular file (a symbolic link is never put in
    /// place).
    pub fn commit(mut self) -> io::Result<()> {
        let kind = fs::symlink_metadata(&self.temp)?.file_type();
        if !kind.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{} is not a regular file, so it was not put in place as {}",
                    self.temp, self.path
                ),
            ));
        }
        OpenOptions::new()
            .write(true)
            .open(&self.temp)?
            .sync_all()?;
        interrupt::unless_stopping(|| fs::rename(&self.temp, &self.path))?;
        self.committed = true;
        sync_dir(dir_of(&self.path));
        Ok(())
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// A hidden directory for another program to write files into, each then put in place
/// by a [`PendingFile::at`] naming a file inside it. Dropped (or on a stop), it is
/// removed with everything left in it, such as that program's own temporary files.
#[derive(Debug)]
pub struct StagingDir {
    path: Utf8PathBuf,
    _removal: interrupt::Removal,
}

impl StagingDir {
    /// Creates the directory `path` (a name from [`pending_path`]); refused when
    /// anything, a link included, is there already, or once the process is stopping.
    pub fn create(path: &Utf8Path) -> io::Result<Self> {
        let ((), removal) = interrupt::create_removable(path, || fs::create_dir(path))?;
        Ok(Self {
            path: path.to_owned(),
            _removal: removal,
        })
    }

    /// The directory.
    pub fn path(&self) -> &Utf8Path {
        &self.path
    }
}

impl Drop for StagingDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// `.<name>.<pid>-<n>-<random>.partial` beside `path`: hidden, unique in this process,
/// and not guessable from outside it.
fn temp_path(path: &Utf8Path) -> io::Result<Utf8PathBuf> {
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{path} does not name a file"),
        )
    })?;
    let n = COUNT.fetch_add(1, Ordering::Relaxed);
    // Each RandomState is seeded afresh: random bits without a dependency.
    let random = RandomState::new().hash_one(n) as u32;
    let temp = format!(".{name}.{}-{n}-{random:08x}.partial", std::process::id());
    Ok(dir_of(path).join(temp))
}

/// The temporary file, created and registered for removal on a stop in one step.
fn create_temp(path: &Utf8Path) -> io::Result<(Utf8PathBuf, File, interrupt::Removal)> {
    let mut attempts = 0;
    loop {
        let temp = temp_path(path)?;
        // create_new is O_CREAT | O_EXCL: whatever is at the name, a link included, is
        // an error rather than opened.
        let created = interrupt::create_removable(&temp, || {
            OpenOptions::new().write(true).create_new(true).open(&temp)
        });
        match created {
            Ok((file, removal)) => return Ok((temp, file, removal)),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists && attempts < 8 => {
                attempts += 1;
            }
            Err(error) => return Err(error),
        }
    }
}

fn dir_of(path: &Utf8Path) -> &Utf8Path {
    match path.parent() {
        Some(dir) if !dir.as_str().is_empty() => dir,
        _ => Utf8Path::new("."),
    }
}

/// Flushes the entries of `dir` (the renames into it) to disk. Best effort: the files
/// are in place and whole either way; this only makes the renames survive a power cut.
fn sync_dir(dir: &Utf8Path) {
    #[cfg(unix)]
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> (tempfile::TempDir, Utf8PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = Utf8Path::from_path(dir.path()).unwrap().to_owned();
        (dir, path)
    }

    fn names(dir: &Utf8Path) -> Vec<String> {
        let mut names: Vec<String> = dir
            .read_dir_utf8()
            .unwrap()
            .map(|e| e.unwrap().file_name().to_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_file_synced_early_stays_hidden_and_is_put_in_place_whole() {
        let (_dir, dir) = temp_dir();
        let path = dir.join("lcov.info");
        let mut file = AtomicFile::create(&path).unwrap();
        file.write_all(b"SF:a.ts\n").unwrap();
        file.sync().unwrap();
        assert!(!path.exists(), "a sync puts nothing in place");
        file.write_all(b"end_of_record\n").unwrap();
        file.commit().unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            "SF:a.ts\nend_of_record\n"
        );
        assert_eq!(names(&dir), ["lcov.info"]);
    }

    /// Files committed together are put in place in order; at the first that cannot be
    /// (its name is a directory holding a file), the ones before it stay in place, and it
    /// and the ones after it are removed.
    #[test]
    fn files_committed_together_stop_at_the_first_that_cannot_be_put_in_place() {
        let (_dir, dir) = temp_dir();
        let other = dir.join("other");
        fs::create_dir(&other).unwrap();
        let create = |path: &Utf8Path, text: &str| {
            let mut file = AtomicFile::create(path).unwrap();
            file.write_all(text.as_bytes()).unwrap();
            file
        };
        let (a, b, c) = (dir.join("a.json"), other.join("b.md"), dir.join("c.svg"));
        let done = commit_all([create(&a, "a\n"), create(&b, "b\n"), create(&c, "c\n")]);
        assert_eq!(done.unwrap(), [a.clone(), b.clone(), c.clone()]);
        assert_eq!(fs::read_to_string(&c).unwrap(), "c\n");
        assert_eq!(names(&dir), ["a.json", "c.svg", "other"]);
        assert_eq!(names(&other), ["b.md"]);

        fs::remove_file(&b).unwrap();
        fs::create_dir(&b).unwrap();
        fs::write(b.join("kept"), "kept\n").unwrap();
        let files = [create(&a, "a2\n"), create(&b, "b2\n"), create(&c, "c2\n")];
        let (failed, _) = commit_all(files).unwrap_err();
        assert_eq!(failed, b);
        assert_eq!(fs::read_to_string(&a).unwrap(), "a2\n");
        assert_eq!(fs::read_to_string(&c).unwrap(), "c\n");
        assert_eq!(names(&dir), ["a.json", "c.svg", "other"]);
        assert_eq!(names(&other), ["b.md"]);
        assert_eq!(names(&b), ["kept"]);
    }

    /// What a commit replaces is held open without waiting on it: a FIFO at a name (which
    /// an open for reading would wait on for a writer) and a link are replaced, and the
    /// link's target is left as it was.
    #[cfg(unix)]
    #[test]
    fn files_committed_together_replace_a_fifo_and_a_link_without_waiting() {
        let (_dir, dir) = temp_dir();
        let (fifo, link, target) = (dir.join("a.json"), dir.join("b.md"), dir.join("target"));
        let name = std::ffi::CString::new(fifo.as_str()).unwrap();
        // SAFETY: `name` is a NUL-terminated path that outlives the call.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        fs::write(&target, "target\n").unwrap();
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let files = [&fifo, &link].map(|path| {
            let mut file = AtomicFile::create(path).unwrap();
            file.write_all(b"report\n").unwrap();
            file
        });
        commit_all(files).unwrap();
        for path in [&fifo, &link] {
            assert!(fs::symlink_metadata(path).unwrap().is_file(), "{path}");
            assert_eq!(fs::read_to_string(path).unwrap(), "report\n");
        }
        assert_eq!(fs::read_to_string(&target).unwrap(), "target\n");
    }

    #[test]
    fn writes_a_new_file_and_replaces_one_keeping_its_permissions() {
        let (_dir, dir) = temp_dir();
        let path = dir.join("SHA256SUMS");
        write(&path, "first\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "first\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        }
        write(&path, "second\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "second\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o640);
        }
        assert_eq!(names(&dir), ["SHA256SUMS"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_at_the_name_is_replaced_and_its_target_left_alone() {
        let (_dir, dir) = temp_dir();
        let outside = dir.join("outside");
        fs::create_dir(&outside).unwrap();
        let target = outside.join("precious");
        fs::write(&target, "precious\n").unwrap();
        let out = dir.join("out");
        fs::create_dir(&out).unwrap();
        let path = out.join("SHA256SUMS");
        std::os::unix::fs::symlink(&target, &path).unwrap();

        write(&path, "sums\n").unwrap();

        assert_eq!(fs::read_to_string(&target).unwrap(), "precious\n");
        assert!(fs::symlink_metadata(&path).unwrap().is_file());
        assert_eq!(fs::read_to_string(&path).unwrap(), "sums\n");
        assert_eq!(names(&out), ["SHA256SUMS"]);
        assert_eq!(names(&outside), ["precious"]);
    }

    #[test]
    fn a_file_not_committed_leaves_the_old_one_and_no_temporary_file() {
        let (_dir, dir) = temp_dir();
        let path = dir.join("deno.json");
        fs::write(&path, "{ \"version\": \"0.1.0\" }\n").unwrap();
        let mut file = AtomicFile::create(&path).unwrap();
        file.write_all(b"{ \"vers").unwrap();
        assert!(
            file.temp_path()
                .file_name()
                .unwrap()
                .starts_with(".deno.json.")
        );
        assert!(file.temp_path().as_str().ends_with(".partial"));
        assert_eq!(names(&dir).len(), 2);
        drop(file);
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            "{ \"version\": \"0.1.0\" }\n"
        );
        assert_eq!(names(&dir), ["deno.json"]);
    }

    #[test]
    fn a_missing_directory_is_an_error_and_creates_nothing() {
        let (_dir, dir) = temp_dir();
        let error = write(&dir.join("gone/SHA256SUMS"), "x").unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
        assert!(names(&dir).is_empty());
        assert_eq!(
            write(Utf8Path::new("/"), "x").unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
    }

    #[test]
    fn pending_names_are_hidden_unique_and_keep_the_extension() {
        let path = Utf8Path::new("/dist/kato-windows-x86_64.exe");
        let one = PendingFile::new(path).unwrap();
        let two = PendingFile::new(path).unwrap();
        assert_ne!(one.temp_path(), two.temp_path());
        let name = one.temp_path().file_name().unwrap();
        assert!(name.starts_with(".kato-windows-x86_64.exe."), "{name}");
        assert!(name.ends_with(".partial.exe"), "{name}");
        assert_eq!(one.temp_path().parent().unwrap(), "/dist");
        let plain = PendingFile::new(Utf8Path::new("dist/kato-linux-x86_64")).unwrap();
        assert!(plain.temp_path().as_str().ends_with(".partial"));
        assert_eq!(plain.temp_path().parent().unwrap(), "dist");
    }

    #[test]
    fn a_pending_file_is_put_in_place_or_removed() {
        let (_dir, dir) = temp_dir();
        let path = dir.join("kato-linux-x86_64");
        let pending = PendingFile::new(&path).unwrap();
        fs::write(pending.temp_path(), "ELF").unwrap();
        pending.commit().unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "ELF");

        let pending = PendingFile::new(&path).unwrap();
        fs::write(pending.temp_path(), "half").unwrap();
        drop(pending);
        assert_eq!(names(&dir), ["kato-linux-x86_64"]);
        assert_eq!(fs::read_to_string(&path).unwrap(), "ELF");

        let pending = PendingFile::new(&path).unwrap();
        assert_eq!(
            pending.commit().unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), "ELF");
    }

    #[test]
    fn a_staging_directory_is_removed_with_what_is_left_in_it() {
        let (_dir, dir) = temp_dir();
        let staging_path = pending_path(&dir.join("build")).unwrap();
        let staging = StagingDir::create(&staging_path).unwrap();
        assert!(
            StagingDir::create(&staging_path).is_err(),
            "created once only"
        );
        let pending = PendingFile::at(staging.path().join("kato"), dir.join("kato")).unwrap();
        fs::write(pending.temp_path(), "ELF").unwrap();
        fs::write(staging.path().join("kato.tmp-1234"), "left by the writer").unwrap();
        pending.commit().unwrap();
        drop(staging);
        assert_eq!(names(&dir), ["kato"]);
        assert_eq!(fs::read_to_string(dir.join("kato")).unwrap(), "ELF");
    }

    #[cfg(unix)]
    #[test]
    fn a_pending_symlink_is_never_put_in_place() {
        let (_dir, dir) = temp_dir();
        let target = dir.join("elsewhere");
        fs::write(&target, "not ours").unwrap();
        let path = dir.join("kato-linux-x86_64");
        let pending = PendingFile::new(&path).unwrap();
        std::os::unix::fs::symlink(&target, pending.temp_path()).unwrap();
        let error = pending.commit().unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert!(
            error.to_string().contains("is not a regular file"),
            "{error}"
        );
        assert!(!path.exists());
        assert_eq!(fs::read_to_string(&target).unwrap(), "not ours");
    }
}

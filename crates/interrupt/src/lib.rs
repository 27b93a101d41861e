//! Stopping on SIGINT and SIGTERM without leaving anything behind.
//!
//! [`install`], called first in `main` (before any other thread starts), blocks both
//! signals in every thread and hands them to a thread of its own. On a signal that
//! thread:
//!
//! 1. marks the process as stopping: from then on no child starts ([`spawn`]) and no file
//!    is put in place ([`unless_stopping`]);
//! 2. sends SIGTERM to the process group of every child started with [`spawn`], and
//!    SIGKILL to the groups still there 2 s later;
//! 3. waits (up to 5 s in all) until their owners have reaped them;
//! 4. removes every file (or directory) registered with [`remove_on_stop`] or
//!    [`create_removable`]: unfinished and unchecked files, whether their owners are
//!    still at work or gave up when their children were stopped;
//! 5. exits with the conventional status, 128 + the signal: 130 for SIGINT, 143 for
//!    SIGTERM.
//!
//! Children started with [`spawn`] run in process groups of their own: a terminal's
//! Ctrl-C reaches only this process, which stops them itself once it has stopped
//! starting new ones, and stopping a group stops whatever the child started too.
//!
//! Without [`install`] (library tests) the signals keep their default action and the
//! rest works the same. On other platforms than Unix [`install`] does nothing: Ctrl-C
//! reaches every process of the console there.

#![warn(missing_docs)]

use std::fmt;
use std::io;
use std::process::{Child, Command};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use camino::{Utf8Path, Utf8PathBuf};

#[derive(Default)]
struct State {
    stopping: bool,
    /// Process ids of the children started with [`spawn`], each its group's id too.
    children: Vec<u32>,
    /// Files removed on a stop, by registration number.
    removals: Vec<(u64, Utf8PathBuf)>,
    next_removal: u64,
}

static STATE: Mutex<State> = Mutex::new(State {
    stopping: false,
    children: Vec::new(),
    removals: Vec::new(),
    next_removal: 0,
});

fn state() -> MutexGuard<'static, State> {
    // The state stays consistent whatever a panicking holder was doing: every update is
    // one push or one removal.
    STATE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The error of what was refused because the process is stopping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped;

impl fmt::Display for Stopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("stopped by a signal")
    }
}

impl std::error::Error for Stopped {}

fn stopped() -> io::Error {
    io::Error::other(Stopped)
}

/// Whether a signal has been received and the process is stopping.
pub fn stopping() -> bool {
    state().stopping
}

/// Never returns while the process is stopping (the signal's thread ends it); returns at
/// once otherwise. `main` calls it before reporting an error that the stop itself may
/// have caused, such as a child that was killed.
pub fn wait_if_stopping() {
    while stopping() {
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A child started by [`spawn`]: its process group is stopped on a signal for as long
/// as this lives. Drop it once the child has been reaped.
#[derive(Debug)]
pub struct Group {
    pid: u32,
}

impl Group {
    /// Kills the child's whole process group (SIGKILL); on other platforms than Unix,
    /// nothing (kill the child itself).
    pub fn kill(&self) {
        #[cfg(unix)]
        // SAFETY: kill(2) with a negative pid signals that process group; no memory is
        // involved.
        unsafe {
            libc::kill(-(self.pid as libc::pid_t), libc::SIGKILL);
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        state().children.retain(|&pid| pid != self.pid);
    }
}

/// Starts `command` in a process group of its own (on Unix) and registers it, so that a
/// stop stops it. Refused once the process is stopping.
pub fn spawn(command: &mut Command) -> io::Result<(Child, Group)> {
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(command, 0);
    // Under the lock, so that a stop either sees this child or keeps it from starting.
    let mut state = state();
    if state.stopping {
        return Err(stopped());
    }
    let child = command.spawn()?;
    state.children.push(child.id());
    let group = Group { pid: child.id() };
    Ok((child, group))
}

/// A file that a stop removes, for as long as this lives.
#[derive(Debug)]
pub struct Removal {
    id: u64,
}

fn register(state: &mut State, path: &Utf8Path) -> Removal {
    let id = state.next_removal;
    state.next_removal += 1;
    state.removals.push((id, path.to_owned()));
    Removal { id }
}

/// Registers `path` (a file another process is about to write, one written but not yet
/// checked, or a directory of such files) to be removed if the process stops before the
/// returned value is dropped. Refused with [`Stopped`] once the process is stopping.
pub fn remove_on_stop(path: &Utf8Path) -> io::Result<Removal> {
    let mut state = state();
    if state.stopping {
        return Err(stopped());
    }
    Ok(register(&mut state, path))
}

/// Runs `create` (which creates the file at `path`) and registers the file as
/// [`remove_on_stop`] does, in one step: a stop removes every file created this way.
/// Refused with [`Stopped`] once the process is stopping.
pub fn create_removable<T>(
    path: &Utf8Path,
    create: impl FnOnce() -> io::Result<T>,
) -> io::Result<(T, Removal)> {
    let mut state = state();
    if state.stopping {
        return Err(stopped());
    }
    let created = create()?;
    Ok((created, register(&mut state, path)))
}

impl Drop for Removal {
    fn drop(&mut self) {
        let mut state = state();
        // Once a stop has begun the file stays registered: an owner giving up because
        // its child was stopped must not take its files out of the stop's hands.
        if !state.stopping {
            state.removals.retain(|(id, _)| *id != self.id);
        }
    }
}

/// Runs `put_in_place` (a rename that makes a file final) unless the process is
/// stopping, in which case it is refused with [`Stopped`]. A stop waits for it to finish:
/// no file is put in place once the stop has begun.
pub fn unless_stopping<T>(put_in_place: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
    let state = state();
    if state.stopping {
        return Err(stopped());
    }
    let result = put_in_place();
    drop(state);
    result
}

/// Blocks SIGINT and SIGTERM in this thread (and so in every thread it starts after) and
/// starts the thread that handles them (see the crate's documentation). Call it once,
/// first in `main`. Children keep the default handling: the standard library resets
/// the signal mask of every process it starts.
pub fn install() -> io::Result<()> {
    #[cfg(unix)]
    unix::install()?;
    Ok(())
}

#[cfg(unix)]
mod unix {
    use std::time::Instant;

    use super::*;

    pub fn install() -> io::Result<()> {
        // SAFETY: the set is initialised by sigemptyset before use; pthread_sigmask only
        // reads it.
        let set = unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGINT);
            libc::sigaddset(&mut set, libc::SIGTERM);
            let failed = libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            if failed != 0 {
                return Err(io::Error::from_raw_os_error(failed));
            }
            set
        };
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                loop {
                    let mut signal = 0;
                    // SAFETY: set is a valid signal set; signal is written by sigwait.
                    if unsafe { libc::sigwait(&set, &mut signal) } == 0 {
                        stop(signal);
                    }
                }
            })?;
        Ok(())
    }

    fn stop(signal: libc::c_int) -> ! {
        let name = if signal == libc::SIGINT {
            "SIGINT"
        } else {
            "SIGTERM"
        };
        let children = {
            let mut state = state();
            state.stopping = true;
            state.children.clone()
        };
        signal_groups(&children, libc::SIGTERM);
        if !reaped_within(Duration::from_secs(2)) {
            signal_groups(&state().children.clone(), libc::SIGKILL);
            reaped_within(Duration::from_secs(3));
        }
        // Held until the process exits: nothing is created, registered or put in place
        // after the files are removed.
        let state = state();
        let removed = state
            .removals
            .iter()
            .filter(|(_, path)| remove(path))
            .count();
        eprintln!(
            "stopped by {name}: {} child process(es) stopped, {removed} unfinished file(s) removed",
            children.len()
        );
        std::process::exit(128 + signal);
    }

    /// Removes a file, or a directory with everything in it (never following a link).
    fn remove(path: &Utf8Path) -> bool {
        match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path).is_ok(),
            Ok(_) => std::fs::remove_file(path).is_ok(),
            Err(_) => false,
        }
    }

    fn signal_groups(children: &[u32], signal: libc::c_int) {
        for &pid in children {
            // SAFETY: see Group::kill.
            unsafe {
                libc::kill(-(pid as libc::pid_t), signal);
            }
        }
    }

    /// Whether every child was reaped (by its owner) within `limit`.
    fn reaped_within(limit: Duration) -> bool {
        let started = Instant::now();
        loop {
            if state().children.is_empty() {
                return true;
            }
            if started.elapsed() >= limit {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn children_run_in_their_own_process_group_until_reaped() {
        let (mut child, group) = spawn(Command::new("sleep").arg("30")).unwrap();
        let pid = child.id();
        // SAFETY: getpgid only reads the process table.
        let pgid = unsafe { libc::getpgid(pid as libc::pid_t) };
        assert_eq!(pgid, pid as libc::pid_t);
        assert!(state().children.contains(&pid));
        group.kill();
        let status = child.wait().unwrap();
        assert!(!status.success());
        drop(group);
        assert!(!state().children.contains(&pid));
    }

    #[test]
    fn files_are_registered_until_their_removal_is_dropped() {
        let one = remove_on_stop(Utf8Path::new("/tmp/one.partial")).unwrap();
        let (created, two) = create_removable(Utf8Path::new("/tmp/two.partial"), || Ok(2)).unwrap();
        assert_eq!(created, 2);
        let registered = |name: &str| state().removals.iter().any(|(_, p)| p == name);
        assert!(registered("/tmp/one.partial") && registered("/tmp/two.partial"));
        drop(one);
        assert!(!registered("/tmp/one.partial") && registered("/tmp/two.partial"));
        drop(two);
        assert!(!registered("/tmp/two.partial"));
    }

    #[test]
    fn without_a_signal_everything_runs() {
        assert!(!stopping());
        wait_if_stopping();
        assert_eq!(unless_stopping(|| Ok(7)).unwrap(), 7);
        let error = unless_stopping(|| Err::<(), _>(io::Error::other("disk full"))).unwrap_err();
        assert_eq!(error.to_string(), "disk full");
    }
}

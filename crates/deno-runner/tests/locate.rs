#![cfg(unix)] // PATHs are built from symlinks to node and npm.
//! Finding and provisioning the real deno through the real npm, from empty caches.
//!
//! These tests need `node` and `npm` on PATH and the npm registry; they fail, saying
//! so, where either is missing.

use std::ffi::OsString;

use camino::{Utf8Path, Utf8PathBuf};
use deno_runner::{Locator, Origin, host_npm_distribution, pin};
use semver::Version;

fn repo_pin() -> Version {
    let root = Utf8Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    pin::read_pin(&root.join(pin::PIN_FILE)).unwrap()
}

fn find_on_path(name: &str) -> Utf8PathBuf {
    let path = std::env::var_os("PATH").expect("PATH is set");
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .map(|p| Utf8PathBuf::from_path_buf(p).unwrap())
        .unwrap_or_else(|| panic!("these tests need `{name}` on PATH (install Node.js with npm)"))
}

/// A PATH holding only node and npm (so no deno), as on a fresh machine.
fn path_with_npm_only(dir: &Utf8Path) -> OsString {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for tool in ["node", "npm"] {
        std::os::unix::fs::symlink(find_on_path(tool), bin.join(tool)).unwrap();
    }
    bin.into_os_string().into_string().unwrap().into()
}

fn locator(pin: Version, cache_dir: Utf8PathBuf, path_var: Option<OsString>) -> Locator {
    Locator {
        pin,
        deno_var: None,
        path_var,
        cache_dir,
        distribution: host_npm_distribution(),
    }
}

/// A locator of `pin` with the cache `dir/cache` and a PATH of only node and npm.
fn fresh_locator(dir: &Utf8Path, pin: &Version) -> Locator {
    locator(
        pin.clone(),
        dir.join("cache"),
        Some(path_with_npm_only(dir)),
    )
}

fn temp_dir() -> (tempfile::TempDir, Utf8PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = Utf8Path::from_path(dir.path()).unwrap().to_owned();
    (dir, path)
}

fn cache_entries(cache: &Utf8Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(cache.join("deno"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn provisions_from_an_empty_cache_without_deno_on_path_then_reuses_it() {
    let (_guard, dir) = temp_dir();
    let pin = repo_pin();
    let locator = fresh_locator(&dir, &pin);

    let first = locator.locate().unwrap();
    assert_eq!(first.origin, Origin::Provisioned);
    assert_eq!(first.deno.version(), &pin);
    assert_eq!(
        first.deno.path(),
        dir.join(format!("cache/deno/{pin}/deno"))
    );
    assert_eq!(cache_entries(&dir.join("cache")), [pin.to_string()]);

    let second = locator.locate().unwrap();
    assert_eq!(second.origin, Origin::Cache);
    assert_eq!(second.deno.path(), first.deno.path());
}

#[test]
fn concurrent_provisioning_leaves_one_working_copy() {
    let (_guard, dir) = temp_dir();
    let pin = repo_pin();
    let locator = fresh_locator(&dir, &pin);

    let located: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3).map(|_| scope.spawn(|| locator.locate())).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for result in &located {
        let result = result.as_ref().unwrap();
        assert_eq!(result.deno.version(), &pin);
        assert_eq!(
            result.deno.path(),
            dir.join(format!("cache/deno/{pin}/deno"))
        );
    }
    // No staging directories are left behind, only the one copy.
    assert_eq!(cache_entries(&dir.join("cache")), [pin.to_string()]);
}

/// The cached copy is run to read its version only when it is not the file that printed
/// it last time: one whose first bytes were overwritten in place, keeping its size, time
/// and inode, is taken unasked; once its time changes, it is asked, fails and is replaced.
#[test]
fn a_cached_copy_is_asked_its_version_again_only_when_it_changed() {
    use std::io::Write;

    let (_guard, dir) = temp_dir();
    let pin = repo_pin();
    let locator = fresh_locator(&dir, &pin);
    let provisioned = locator.locate().unwrap();
    assert_eq!(provisioned.origin, Origin::Provisioned);
    let binary = provisioned.deno.path().to_owned();
    let record = binary.parent().unwrap().join(".probed");
    assert!(!record.exists(), "provisioning verified the copy itself");
    assert_eq!(locator.locate().unwrap().origin, Origin::Cache);
    let recorded = std::fs::read_to_string(&record).unwrap();
    assert!(recorded.starts_with(&format!("deno {pin} ")), "{recorded}");

    let modified = std::fs::metadata(&binary).unwrap().modified().unwrap();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(&binary)
        .unwrap();
    file.write_all(&[0; 64]).unwrap();
    file.set_modified(modified).unwrap();
    drop(file);
    let trusted = locator.locate().unwrap();
    assert_eq!(trusted.origin, Origin::Cache);
    assert_eq!(trusted.deno.version(), &pin);
    assert_eq!(std::fs::read_to_string(&record).unwrap(), recorded);

    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&binary)
        .unwrap();
    file.set_modified(std::time::SystemTime::now()).unwrap();
    drop(file);
    let replaced = locator.locate().unwrap();
    assert_eq!(replaced.origin, Origin::Provisioned);
    assert_eq!(replaced.deno.version(), &pin);
    assert_eq!(cache_entries(&dir.join("cache")), [pin.to_string()]);
    assert!(!record.exists(), "the record went with the broken copy");
}

#[test]
fn a_broken_cached_copy_is_replaced() {
    let (_guard, dir) = temp_dir();
    let pin = repo_pin();
    let cached = dir.join(format!("cache/deno/{pin}/deno"));
    std::fs::create_dir_all(cached.parent().unwrap()).unwrap();
    std::fs::write(&cached, "").unwrap();

    let located = fresh_locator(&dir, &pin).locate().unwrap();
    assert_eq!(located.origin, Origin::Provisioned);
    assert_eq!(located.deno.version(), &pin);
    assert_eq!(cache_entries(&dir.join("cache")), [pin.to_string()]);
}

#[test]
fn deno_on_path_of_another_version_is_named_and_not_used() {
    let (_guard, dir) = temp_dir();
    let pin = repo_pin();
    // The real pinned deno, provisioned, stands on PATH; the locator asks for another
    // real version, which it must provision rather than use the one on PATH.
    let pinned = fresh_locator(&dir, &pin).locate().unwrap();
    let other = Version::new(pin.major, pin.minor, pin.patch.saturating_sub(1));
    let mut path = vec![
        pinned
            .deno
            .path()
            .parent()
            .unwrap()
            .as_std_path()
            .to_owned(),
    ];
    path.extend(std::env::split_paths(&path_with_npm_only(
        &dir.join("other"),
    )));
    let path = std::env::join_paths(path).unwrap();

    let located = locator(other.clone(), dir.join("cache"), Some(path))
        .locate()
        .unwrap();
    assert_eq!(located.origin, Origin::Provisioned);
    assert_eq!(located.deno.version(), &other);
    let note = located.notes.join("\n");
    assert!(
        note.contains(&format!("is {pin}, not the pinned {other}")),
        "{note}"
    );

    // The same deno on PATH is used as it is when it is the pinned version.
    let on_path = locator(
        pin.clone(),
        dir.join("empty-cache"),
        Some(std::env::join_paths([pinned.deno.path().parent().unwrap()]).unwrap()),
    )
    .locate()
    .unwrap();
    assert_eq!(on_path.origin, Origin::Path);
    assert!(on_path.notes.is_empty());
}

#[test]
fn deno_variable_wins_and_a_bad_one_is_an_error() {
    let (_guard, dir) = temp_dir();
    let pin = repo_pin();
    let provisioned = fresh_locator(&dir, &pin).locate().unwrap();

    let mut by_var = locator(pin.clone(), dir.join("unused"), None);
    by_var.deno_var = Some(provisioned.deno.path().to_owned());
    let located = by_var.locate().unwrap();
    assert_eq!(located.origin, Origin::EnvVar);

    by_var.deno_var = Some(dir.join("no-such-deno"));
    let error = format!("{:#}", by_var.locate().unwrap_err());
    assert!(error.contains("DENO="), "{error}");
    assert!(error.contains("no-such-deno"), "{error}");
}

#[test]
fn without_npm_the_error_says_how_to_install_deno() {
    let (_guard, dir) = temp_dir();
    let empty_bin = dir.join("bin");
    std::fs::create_dir_all(&empty_bin).unwrap();
    let error = locator(
        repo_pin(),
        dir.join("cache"),
        Some(empty_bin.into_os_string().into_string().unwrap().into()),
    )
    .locate()
    .unwrap_err();
    let message = format!("{error:#}");
    assert!(message.contains("npm"), "{message}");
    assert!(message.contains("DENO=/path/to/deno"), "{message}");
    assert!(message.contains("installation"), "{message}");
}

#[test]
fn stages_abandoned_by_killed_processes_are_removed() {
    let (_guard, dir) = temp_dir();
    let pin = repo_pin();
    let versions = dir.join("cache/deno");
    for stage in [".stage-old", ".stage-recent"] {
        std::fs::create_dir_all(versions.join(stage).join("npm")).unwrap();
    }
    let two_days_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 86400);
    std::fs::File::open(versions.join(".stage-old"))
        .unwrap()
        .set_modified(two_days_ago)
        .unwrap();

    fresh_locator(&dir, &pin).locate().unwrap();
    // The recent one may belong to a process still at work.
    assert_eq!(
        cache_entries(&dir.join("cache")),
        [".stage-recent".to_owned(), pin.to_string()]
    );
}

//! The report files, written into one directory.
//!
//! Every file is written beside its final name (atomic-write: created exclusively, never
//! through a link, flushed to disk), and the `html/` directory under a fresh hidden name,
//! and each is renamed into place only when the whole run has succeeded, so a failed run
//! leaves the previous reports as they were. A symbolic link at a report's name is
//! replaced by the report; its target is left alone.

use std::fs;
use std::io::{self, BufWriter, Write};

use atomic_write::AtomicFile;
use camino::{Utf8Path, Utf8PathBuf};

use crate::lcov::write_lcov;
use crate::patch::RepoCoverage;
use crate::reports::{
    HtmlLink, Report, Sources, badge_svg, json_report, markdown_summary, shields_endpoint,
    write_cobertura, write_html,
};

/// The files the reports directory receives, with what each holds.
pub const OUTPUT_FILES: [(&str, &str); 7] = [
    (
        "lcov.info",
        "the merged lcov report, with repository-relative SF: paths",
    ),
    ("cobertura.xml", "the same as Cobertura XML"),
    (
        "coverage.json",
        "patch and overall figures; diff-cover's --json-report fields",
    ),
    (
        "summary.md",
        "the Markdown summary (the step summary in GitHub Actions)",
    ),
    ("badge.svg", "an SVG badge of overall line coverage"),
    (
        "badge.json",
        "the same badge as a shields.io endpoint document",
    ),
    (
        "html/index.html",
        "the HTML report: every file's figures, and pages with each line's hits",
    ),
];

/// Files written but not yet in place; dropping this removes them.
#[derive(Debug, Default)]
pub struct StagedFiles {
    files: Vec<AtomicFile>,
    /// Directories written under a hidden name, with the name they take.
    dirs: Vec<(Utf8PathBuf, Utf8PathBuf)>,
}

impl StagedFiles {
    fn stage(
        &mut self,
        dir: &Utf8Path,
        name: &str,
        write: impl FnOnce(&mut BufWriter<AtomicFile>) -> io::Result<()>,
    ) -> io::Result<()> {
        let path = dir.join(name);
        let mut out = BufWriter::with_capacity(
            1 << 18,
            AtomicFile::create(&path).map_err(|e| context(&path, e))?,
        );
        let written = write(&mut out)
            .and_then(|()| out.flush())
            .map_err(|e| context(&path, e));
        // Kept when the write failed too, so that dropping self removes the file; a failed
        // file's unwritten buffer is dropped with it.
        let (mut file, _) = out.into_parts();
        // On disk now, on the writer's thread: the large files are written beside git.
        let synced = written.and_then(|()| file.sync().map_err(|e| context(&path, e)));
        self.files.push(file);
        synced
    }

    /// A directory `name` in `dir`, filled by `write` under a fresh hidden name.
    fn stage_dir(
        &mut self,
        dir: &Utf8Path,
        name: &str,
        write: impl FnOnce(&Utf8Path) -> io::Result<()>,
    ) -> io::Result<()> {
        let path = dir.join(name);
        let partial = atomic_write::pending_path(&path).map_err(|e| context(&path, e))?;
        // Created here, exclusively: nothing planted at the name is written into.
        fs::create_dir(&partial).map_err(|e| context(&path, e))?;
        self.dirs.push((partial.clone(), path.clone()));
        write(&partial).map_err(|e| context(&path, e))
    }

    fn commit(mut self) -> io::Result<Vec<Utf8PathBuf>> {
        let files = std::mem::take(&mut self.files);
        let dirs = std::mem::take(&mut self.dirs);
        // Side by side: the files' renames (their directory flushed once, after the last)
        // and the directories' replacement, each mostly the kernel freeing what they
        // replace.
        let (files, dirs) = std::thread::scope(|threads| {
            let replacing = threads.spawn(|| -> io::Result<Vec<Utf8PathBuf>> {
                let mut done = Vec::new();
                for (partial, path) in dirs {
                    replace_dir(&partial, &path)?;
                    done.push(path);
                }
                Ok(done)
            });
            let files = atomic_write::commit_all(files).map_err(|(path, e)| context(&path, e));
            (
                files,
                replacing
                    .join()
                    .expect("the report directory's replacement panicked"),
            )
        });
        let mut done = files?;
        done.extend(dirs?);
        Ok(done)
    }
}

/// Puts the directory `partial` in the place of `path`. A directory cannot be renamed
/// over another that holds files: the old one is moved aside first, and back if the new
/// one cannot take its place.
fn replace_dir(partial: &Utf8Path, path: &Utf8Path) -> io::Result<()> {
    let old = partial.with_extension("old");
    let had_old = match fs::rename(path, &old) {
        Ok(()) => true,
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => {
            let _ = fs::remove_dir_all(partial);
            return Err(context(path, e));
        }
    };
    if let Err(e) = fs::rename(partial, path) {
        if had_old {
            let _ = fs::rename(&old, path);
        }
        let _ = fs::remove_dir_all(partial);
        return Err(context(path, e));
    }
    if had_old {
        // The old one may be a link someone planted: removed, never followed.
        let _ = match fs::symlink_metadata(&old) {
            Ok(meta) if meta.is_dir() => fs::remove_dir_all(&old),
            _ => fs::remove_file(&old),
        };
    }
    Ok(())
}

impl Drop for StagedFiles {
    fn drop(&mut self) {
        for (partial, _) in &self.dirs {
            let _ = fs::remove_dir_all(partial);
        }
    }
}

fn context(path: &Utf8Path, error: io::Error) -> io::Error {
    io::Error::new(error.kind(), format!("cannot write {path}: {error}"))
}

/// Writes `lcov.info` and `cobertura.xml` (the large ones) side by side, staged.
pub fn stage_coverage_files(
    dir: &Utf8Path,
    coverage: &RepoCoverage,
    root: &Utf8Path,
) -> io::Result<StagedFiles> {
    fs::create_dir_all(dir).map_err(|e| context(dir, e))?;
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let (lcov, cobertura) = std::thread::scope(|threads| {
        let lcov = threads.spawn(|| {
            let mut staged = StagedFiles::default();
            staged
                .stage(dir, "lcov.info", |out| {
                    write_lcov(out, coverage.files.iter().map(|(p, f)| (p.as_str(), f)))
                })
                .map(|()| staged)
        });
        let mut staged = StagedFiles::default();
        let cobertura = staged
            .stage(dir, "cobertura.xml", |out| {
                write_cobertura(out, coverage, root, timestamp)
            })
            .map(|()| staged);
        (lcov.join().expect("the lcov writer panicked"), cobertura)
    });
    let (mut lcov, mut cobertura) = (lcov?, cobertura?);
    lcov.files.append(&mut cobertura.files);
    lcov.dirs.append(&mut cobertura.dirs);
    Ok(lcov)
}

/// Writes the remaining report files and the HTML report into `dir`, then puts every file
/// in place.
pub fn write_outputs(
    dir: &Utf8Path,
    report: &Report,
    sources: &Sources,
    mut staged: StagedFiles,
) -> io::Result<Vec<Utf8PathBuf>> {
    let overall = report.overall.line_percent();
    let previous = dir.join("html");
    // A previous report whose pages can be reused: a directory, never a link's target.
    let previous = fs::symlink_metadata(&previous)
        .is_ok_and(|meta| meta.is_dir())
        .then_some(previous);
    // The small files beside the HTML report, which is most of what is left to do.
    let (small, html) = std::thread::scope(|threads| {
        let small = threads.spawn(|| -> io::Result<StagedFiles> {
            let mut small = StagedFiles::default();
            small.stage(dir, "coverage.json", |out| {
                serde_json::to_writer(&mut *out, &json_report(report))?;
                out.write_all(b"\n")
            })?;
            small.stage(dir, "summary.md", |out| {
                out.write_all(markdown_summary(report, HtmlLink::Beside).as_bytes())
            })?;
            small.stage(dir, "badge.svg", |out| {
                out.write_all(badge_svg("coverage", overall).as_bytes())
            })?;
            small.stage(dir, "badge.json", |out| {
                serde_json::to_writer_pretty(&mut *out, &shields_endpoint("coverage", overall))?;
                out.write_all(b"\n")
            })?;
            Ok(small)
        });
        let html = staged.stage_dir(dir, "html", |html| {
            write_html(html, report, sources, previous.as_deref())
        });
        (small.join().expect("the report writer panicked"), html)
    });
    // Dropped on an error, so that the files written are removed.
    let mut small = small?;
    html?;
    staged.files.append(&mut small.files);
    staged.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Utf8Path) -> Vec<String> {
        let mut names: Vec<String> = dir
            .read_dir_utf8()
            .unwrap()
            .map(|e| e.unwrap().file_name().to_owned())
            .collect();
        names.sort();
        names
    }

    /// Links planted at the report's name and at the name a partial file of this process
    /// would have are never written through; their targets stay as they were.
    #[cfg(unix)]
    #[test]
    fn reports_never_write_through_a_symbolic_link() {
        let temp = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(temp.path()).unwrap();
        let out = root.join("coverage");
        fs::create_dir(&out).unwrap();
        let precious = root.join("precious");
        fs::write(&precious, "precious\n").unwrap();
        let planted = out.join(format!(".summary.md.{}.partial", std::process::id()));
        std::os::unix::fs::symlink(&precious, &planted).unwrap();
        std::os::unix::fs::symlink(&precious, out.join("badge.svg")).unwrap();

        let mut staged = StagedFiles::default();
        staged
            .stage(&out, "summary.md", |w| w.write_all(b"# summary\n"))
            .unwrap();
        staged
            .stage(&out, "badge.svg", |w| w.write_all(b"<svg/>\n"))
            .unwrap();
        let written = staged.commit().unwrap();

        assert_eq!(fs::read_to_string(&precious).unwrap(), "precious\n");
        assert_eq!(written, [out.join("summary.md"), out.join("badge.svg")]);
        for (name, text) in [("summary.md", "# summary\n"), ("badge.svg", "<svg/>\n")] {
            let path = out.join(name);
            assert!(fs::symlink_metadata(&path).unwrap().is_file(), "{name}");
            assert_eq!(fs::read_to_string(&path).unwrap(), text);
        }
        // The planted link is someone else's: left where it was, never followed.
        let planted_name = planted.file_name().unwrap().to_owned();
        assert_eq!(
            names(&out),
            [planted_name.as_str(), "badge.svg", "summary.md"]
        );
    }

    #[test]
    fn a_failed_run_leaves_the_previous_reports_and_no_partial_file() {
        let temp = tempfile::tempdir().unwrap();
        let out = Utf8Path::from_path(temp.path()).unwrap();
        fs::write(out.join("summary.md"), "old\n").unwrap();
        let mut staged = StagedFiles::default();
        staged
            .stage(out, "summary.md", |w| w.write_all(b"new\n"))
            .unwrap();
        let error = staged
            .stage(out, "badge.svg", |_| Err(io::Error::other("disk full")))
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("cannot write {out}/badge.svg: disk full")
        );
        drop(staged);
        assert_eq!(fs::read_to_string(out.join("summary.md")).unwrap(), "old\n");
        assert_eq!(names(out), ["summary.md"]);
    }
}

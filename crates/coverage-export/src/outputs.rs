//! The report files, written into one directory.
//!
//! Every file is written beside its final name (atomic-write: created exclusively, never
//! through a link, flushed to disk) and renamed into place only when the whole run has
//! succeeded, so a failed run leaves the previous reports as they were. A symbolic link
//! at a report's name is replaced by the report; its target is left alone.

use std::fs;
use std::io::{self, BufWriter, Write};

use atomic_write::AtomicFile;
use camino::{Utf8Path, Utf8PathBuf};

use crate::lcov::write_lcov;
use crate::patch::RepoCoverage;
use crate::reports::{
    Report, badge_svg, json_report, markdown_summary, shields_endpoint, write_cobertura,
};

/// The files the reports directory receives, with what each holds.
pub const OUTPUT_FILES: [(&str, &str); 6] = [
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
];

/// Files written but not yet in place; dropping this removes them.
#[derive(Debug)]
pub struct StagedFiles {
    files: Vec<AtomicFile>,
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
        let (file, _) = out.into_parts();
        self.files.push(file);
        written
    }

    fn commit(self) -> io::Result<Vec<Utf8PathBuf>> {
        let mut done = Vec::new();
        for file in self.files {
            let path = file.path().to_owned();
            file.commit().map_err(|e| context(&path, e))?;
            done.push(path);
        }
        Ok(done)
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
            let mut staged = StagedFiles { files: Vec::new() };
            staged
                .stage(dir, "lcov.info", |out| {
                    write_lcov(out, coverage.files.iter().map(|(p, f)| (p.as_str(), f)))
                })
                .map(|()| staged)
        });
        let mut staged = StagedFiles { files: Vec::new() };
        let cobertura = staged
            .stage(dir, "cobertura.xml", |out| {
                write_cobertura(out, coverage, root, timestamp)
            })
            .map(|()| staged);
        (lcov.join().expect("the lcov writer panicked"), cobertura)
    });
    let (mut lcov, mut cobertura) = (lcov?, cobertura?);
    lcov.files.append(&mut cobertura.files);
    Ok(lcov)
}

/// Writes the remaining report files into `dir`, then puts every file in place.
pub fn write_outputs(
    dir: &Utf8Path,
    report: &Report,
    mut staged: StagedFiles,
) -> io::Result<Vec<Utf8PathBuf>> {
    let overall = report.overall.line_percent();
    staged.stage(dir, "coverage.json", |out| {
        serde_json::to_writer(&mut *out, &json_report(report))?;
        out.write_all(b"\n")
    })?;
    staged.stage(dir, "summary.md", |out| {
        out.write_all(markdown_summary(report).as_bytes())
    })?;
    staged.stage(dir, "badge.svg", |out| {
        out.write_all(badge_svg("coverage", overall).as_bytes())
    })?;
    staged.stage(dir, "badge.json", |out| {
        serde_json::to_writer_pretty(&mut *out, &shields_endpoint("coverage", overall))?;
        out.write_all(b"\n")
    })?;
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

        let mut staged = StagedFiles { files: Vec::new() };
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
        let mut staged = StagedFiles { files: Vec::new() };
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

//! The report files, written into one directory.
//!
//! Every file is written beside its final name and renamed into place only when the whole
//! run has succeeded, so a failed run leaves the previous reports as they were.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};

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
    files: Vec<(Utf8PathBuf, Utf8PathBuf)>,
}

impl StagedFiles {
    fn stage(
        &mut self,
        dir: &Utf8Path,
        name: &str,
        write: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
    ) -> io::Result<()> {
        let path = dir.join(name);
        let partial = dir.join(format!(".{name}.{}.partial", std::process::id()));
        self.files.push((partial.clone(), path.clone()));
        let mut out = BufWriter::with_capacity(
            1 << 18,
            File::create(&partial).map_err(|e| context(&path, e))?,
        );
        write(&mut out).map_err(|e| context(&path, e))?;
        out.into_inner()
            .map_err(|e| context(&path, e.into_error()))?;
        Ok(())
    }

    fn commit(mut self) -> io::Result<Vec<Utf8PathBuf>> {
        let mut done = Vec::new();
        for (partial, path) in std::mem::take(&mut self.files) {
            fs::rename(&partial, &path).map_err(|e| context(&path, e))?;
            done.push(path);
        }
        Ok(done)
    }
}

impl Drop for StagedFiles {
    fn drop(&mut self) {
        for (partial, _) in &self.files {
            let _ = fs::remove_file(partial);
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

//! The report files, written into one directory.
//!
//! Every file (and the `html/` directory) is written beside its final name and renamed
//! into place only when the whole run has succeeded, so a failed run leaves the previous
//! reports as they were.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};

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

    /// A directory `name` in `dir`, filled by `write` beside its final name.
    fn stage_dir(
        &mut self,
        dir: &Utf8Path,
        name: &str,
        write: impl FnOnce(&Utf8Path) -> io::Result<()>,
    ) -> io::Result<()> {
        let path = dir.join(name);
        let partial = dir.join(format!(".{name}.{}.partial", std::process::id()));
        if partial.exists() {
            fs::remove_dir_all(&partial).map_err(|e| context(&partial, e))?;
        }
        self.files.push((partial.clone(), path.clone()));
        fs::create_dir(&partial).map_err(|e| context(&path, e))?;
        write(&partial).map_err(|e| context(&path, e))
    }

    fn commit(mut self) -> io::Result<Vec<Utf8PathBuf>> {
        let mut done = Vec::new();
        for (partial, path) in std::mem::take(&mut self.files) {
            if partial.is_dir() {
                replace_dir(&partial, &path)?;
            } else {
                fs::rename(&partial, &path).map_err(|e| context(&path, e))?;
            }
            done.push(path);
        }
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
        let _ = fs::remove_dir_all(&old);
    }
    Ok(())
}

impl Drop for StagedFiles {
    fn drop(&mut self) {
        for (partial, _) in &self.files {
            if partial.is_dir() {
                let _ = fs::remove_dir_all(partial);
            } else {
                let _ = fs::remove_file(partial);
            }
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

/// Writes the remaining report files and the HTML report into `dir`, then puts every file
/// in place.
pub fn write_outputs(
    dir: &Utf8Path,
    report: &Report,
    sources: &Sources,
    mut staged: StagedFiles,
) -> io::Result<Vec<Utf8PathBuf>> {
    let overall = report.overall.line_percent();
    staged.stage(dir, "coverage.json", |out| {
        serde_json::to_writer(&mut *out, &json_report(report))?;
        out.write_all(b"\n")
    })?;
    staged.stage(dir, "summary.md", |out| {
        out.write_all(markdown_summary(report, HtmlLink::Beside).as_bytes())
    })?;
    staged.stage(dir, "badge.svg", |out| {
        out.write_all(badge_svg("coverage", overall).as_bytes())
    })?;
    staged.stage(dir, "badge.json", |out| {
        serde_json::to_writer_pretty(&mut *out, &shields_endpoint("coverage", overall))?;
        out.write_all(b"\n")
    })?;
    staged.stage_dir(dir, "html", |html| write_html(html, report, sources))?;
    staged.commit()
}

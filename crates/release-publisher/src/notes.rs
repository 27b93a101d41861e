//! Release notes: the CHANGELOG.md section of the version, else the commits since the
//! previous tag.

/// The body of the section for `version` in a Keep a Changelog file: under a heading
/// `## [0.1.0]`, `## 0.1.0`, `## v0.1.0` (a date or link after it allowed), up to the
/// next heading of that level. `None` when there is no such section or it is empty.
pub fn changelog_section(changelog: &str, version: &str) -> Option<String> {
    let mut lines = changelog.lines();
    let level = loop {
        let line = lines.next()?;
        let hashes = line.len() - line.trim_start_matches('#').len();
        if !(1..=3).contains(&hashes) {
            continue;
        }
        let title = line[hashes..].trim();
        let title = title.strip_prefix('[').unwrap_or(title);
        let title = title.strip_prefix('v').unwrap_or(title);
        if let Some(rest) = title.strip_prefix(version) {
            // `0.1.0` must not match the heading of `0.1.00` or `0.1.0-rc.1`.
            if rest.is_empty() || rest.starts_with([']', ' ', '\t']) {
                break hashes;
            }
        }
    };
    let body: Vec<&str> = lines
        .take_while(|line| {
            let hashes = line.len() - line.trim_start_matches('#').len();
            !(1..=level).contains(&hashes) || !line[hashes..].starts_with(' ')
        })
        .collect();
    let body = body.join("\n").trim().to_owned();
    (!body.is_empty()).then_some(body)
}

/// Notes made of commit subjects: one bullet each, newest first, saying where they
/// start from.
pub fn notes_from_commits(subjects: &[String], previous_tag: Option<&str>) -> String {
    let since = match previous_tag {
        Some(tag) => format!("Changes since {tag}:"),
        None => "Changes:".to_owned(),
    };
    if subjects.is_empty() {
        return format!("{since} none.");
    }
    let bullets: Vec<String> = subjects
        .iter()
        .map(|subject| format!("- {subject}"))
        .collect();
    format!("{since}\n\n{}", bullets.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHANGELOG: &str = "# Changelog\n\n## [Unreleased]\n\n- soon\n\n## [0.2.0] - 2026-03-01\n\n### Added\n\n- control socket\n\n## 0.1.0\n\n- first\n\n## [0.1.0-rc.1]\n\n- candidate\n";

    #[test]
    fn the_section_of_the_version() {
        assert_eq!(
            changelog_section(CHANGELOG, "0.2.0").as_deref(),
            Some("### Added\n\n- control socket")
        );
        assert_eq!(
            changelog_section(CHANGELOG, "0.1.0").as_deref(),
            Some("- first")
        );
        assert_eq!(
            changelog_section(CHANGELOG, "0.1.0-rc.1").as_deref(),
            Some("- candidate")
        );
        assert_eq!(changelog_section(CHANGELOG, "0.3.0"), None);
        assert_eq!(
            changelog_section("## v1.0.0\n\n", "1.0.0"),
            None,
            "an empty section"
        );
        assert_eq!(
            changelog_section("## v1.0.0\r\n- crlf\r\n", "1.0.0").as_deref(),
            Some("- crlf")
        );
    }

    #[test]
    fn notes_from_subjects() {
        assert_eq!(
            notes_from_commits(&["Fix the cursor".into(), "Add zod".into()], Some("v0.1.0")),
            "Changes since v0.1.0:\n\n- Fix the cursor\n- Add zod"
        );
        assert_eq!(notes_from_commits(&[], None), "Changes: none.");
    }
}

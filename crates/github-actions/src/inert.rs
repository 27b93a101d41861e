//! Text from outside (GitHub's answers, names chosen by others) printed so that it can
//! neither change the terminal nor be run by the Actions runner as a workflow command.
//!
//! The runner reads a line as a command when, after leading whitespace, it starts with
//! `::` (`::error::`, `::add-mask::`, `::stop-commands::`), and also when it holds `##[`
//! anywhere followed by a command name and `]` (the older form). A line ends at `\n` or
//! `\r`.

use std::borrow::Cow;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

/// `text` to print inside a line: control characters (C0, DEL, C1), the Unicode line and
/// paragraph separators and the bidirectional overrides written as escapes (`\n`, `\r`,
/// `\t`, `\u{1b}`), and `\` as `\\` so that an escape cannot be forged. Such text cannot
/// end the line it is printed in, start another, or move the cursor.
pub fn escape_text(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            '\t' => escaped.push_str("\\t"),
            c if needs_escape(c) => escaped.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => escaped.push(c),
        }
    }
    Cow::Owned(escaped)
}

fn needs_escape(c: char) -> bool {
    c == '\\'
        || c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}')
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// Whether the Actions runner would read `line` (one line, without its end) as a
/// workflow command.
pub fn reads_as_command(line: &str) -> bool {
    line.trim_start().starts_with("::") || line.contains("##[")
}

/// `text`, whole lines, as it is safe to print in a GitHub Actions log: unchanged when no
/// line of it would be read as a workflow command; otherwise between
/// `::stop-commands::TOKEN` and `::TOKEN::`, which make the runner show the lines between
/// them without running any, with a TOKEN that occurs nowhere in `text`. The lines this
/// crate's [`Annotation`](crate::Annotation) and [`group`](crate::group) make are
/// commands on purpose: print those apart.
pub fn inert(text: &str) -> Cow<'_, str> {
    if !text.split(['\n', '\r']).any(reads_as_command) {
        return Cow::Borrowed(text);
    }
    let token = stop_token(text);
    let end = if text.ends_with('\n') { "" } else { "\n" };
    Cow::Owned(format!(
        "::stop-commands::{token}\n{text}{end}::{token}::\n"
    ))
}

/// A token unknown to whoever wrote `text`, and absent from it.
fn stop_token(text: &str) -> String {
    let random = RandomState::new();
    (0u64..)
        .map(|attempt| {
            let mut hasher = random.build_hasher();
            hasher.write_u64(attempt);
            format!("inert-{:016x}", hasher.finish())
        })
        .find(|token| !text.contains(token.as_str()))
        .expect("an endless supply of tokens")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert!(matches!(
            escape_text("kato-linux-x86_64"),
            Cow::Borrowed("kato-linux-x86_64")
        ));
        assert_eq!(
            escape_text("evil\n::error title=pwned::x"),
            "evil\\n::error title=pwned::x"
        );
        assert_eq!(escape_text("a\r\tb\u{1b}[2Jc"), "a\\r\\tb\\u{1b}[2Jc");
        assert_eq!(escape_text("\u{7f}\u{85}\u{9b}"), "\\u{7f}\\u{85}\\u{9b}");
        assert_eq!(
            escape_text("x\u{2028}y\u{2029}\u{202e}z\u{2066}"),
            "x\\u{2028}y\\u{2029}\\u{202e}z\\u{2066}"
        );
        // A backslash is doubled, so that `\n` in a name is not taken for a newline.
        assert_eq!(escape_text("a\\nb"), "a\\\\nb");
        assert_eq!(escape_text("é ü 名前"), "é ü 名前");
        for hostile in ["a\nb", "a\rb", "\u{2028}", "\u{85}"] {
            let escaped = escape_text(hostile);
            assert_eq!(escaped.lines().count(), 1, "{escaped:?}");
            assert!(!escaped.chars().any(char::is_control), "{escaped:?}");
        }
    }

    #[test]
    fn lines_the_runner_would_run() {
        for line in [
            "::error title=pwned::x",
            "  ::add-mask::x",
            "\u{a0}\u{3000}::warning::x",
            "deleting ##[error]x",
            "##[set-output name=url;]https://evil",
        ] {
            assert!(reads_as_command(line), "{line:?}");
        }
        for line in [
            "deleting the asset ::error::x: it is not one of the files released",
            "  - ::error::x is not one of the files released",
            "https://github.com/acme/kato/releases/tag/v0.1.0",
            "#[derive] ## [x]",
            "",
        ] {
            assert!(!reads_as_command(line), "{line:?}");
        }
    }

    #[test]
    fn text_that_holds_a_command_is_fenced() {
        let plain = "deleting the asset x: it is not one of the files released\n";
        assert!(matches!(inert(plain), Cow::Borrowed(_)));

        let hostile = "the draft's assets are not the files released:\n::error::pwned\n";
        let fenced = inert(hostile);
        let lines: Vec<&str> = fenced.lines().collect();
        let token = lines[0].strip_prefix("::stop-commands::").unwrap();
        assert!(token.starts_with("inert-") && token.len() == 22, "{token}");
        assert_eq!(lines[1..3].join("\n") + "\n", hostile);
        assert_eq!(lines[3], format!("::{token}::"));
        assert_eq!(lines.len(), 4);
        assert!(!hostile.contains(token));

        // A line ended by `\r` alone is a line to the runner; text without a final
        // newline gets one before the end token.
        let fenced = inert("x\r::error::y");
        assert!(fenced.starts_with("::stop-commands::inert-"), "{fenced}");
        assert!(fenced.contains("x\r::error::y\n::inert-"), "{fenced:?}");
        // The older form, anywhere in a line.
        assert!(matches!(inert("see ##[error]y\n"), Cow::Owned(_)));
    }

    #[test]
    fn the_token_is_not_in_the_text() {
        // Text that holds a token of the same form cannot end the fence: a fresh token
        // is drawn each time, and one that occurs in the text is never used.
        let first = inert("::error::a\n").into_owned();
        let token = first.lines().next().unwrap()["::stop-commands::".len()..].to_owned();
        let text = format!("::error::b\n::{token}::\n");
        let fenced = inert(&text);
        let second = &fenced.lines().next().unwrap()["::stop-commands::".len()..];
        assert_ne!(second, token);
        assert!(!text.contains(second));
    }
}

//! `--include` / `--exclude`: which files of the repository count, with diff-cover's
//! semantics, for the changed lines and the report's files alike.
//!
//! - An include pattern is a path glob, as Python's `glob.glob(pattern, recursive=True)`
//!   run at the repository root reads it: `*`, `?` and `[…]` match within one path
//!   component, `**` as a whole component matches any number of directories, and a
//!   wildcard matches no name starting with `.` unless the component does. With include
//!   patterns, a file counts only when one of them matches it.
//! - An exclude pattern is an `fnmatch` pattern, where `*` also matches `/`; a file is
//!   left out when a pattern matches its name, its path from the repository root, or its
//!   absolute path.
//!
//! Two deliberate differences from diff-cover: a leading `./` is ignored (diff-cover then
//! matches nothing), and an absolute include pattern is matched against the absolute path
//! (diff-cover's include then matches nothing). Matching is on the paths, not the files
//! on disk, so a file deleted since the report was made still matches.

use std::fmt;
use std::str::FromStr;

use camino::Utf8Path;

/// One `--include` or `--exclude` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    text: String,
    /// The pattern without a leading `./`.
    pattern: Vec<Token>,
    /// The same, split into path components for include matching.
    components: Vec<Component>,
    absolute: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Char(char),
    AnyChar,
    AnyString,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Component {
    /// `**`: any number of directories.
    Directories,
    /// A name pattern; `hidden` when it starts with `.` and so may match hidden names.
    Name {
        tokens: Vec<Token>,
        magic: bool,
        hidden: bool,
    },
}

impl Glob {
    /// The pattern as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the file at `path` (repository-relative, `/`-separated) matches as an
    /// include pattern: a path glob.
    pub fn matches_path(&self, path: &str, root: &Utf8Path) -> bool {
        let absolute;
        let path = if self.absolute {
            absolute = format!("{}/{path}", root.as_str().trim_end_matches('/'));
            absolute.as_str()
        } else {
            path
        };
        let names: Vec<&str> = path.split('/').filter(|name| !name.is_empty()).collect();
        match_components(&self.components, &names)
    }

    /// Whether the file at `path` matches as an exclude pattern: `fnmatch` on its name,
    /// its repository path or its absolute path.
    pub fn matches_name(&self, path: &str, root: &Utf8Path) -> bool {
        let name = path.rsplit('/').next().unwrap_or(path);
        fnmatch(&self.pattern, name)
            || fnmatch(&self.pattern, path)
            || fnmatch(
                &self.pattern,
                &format!("{}/{path}", root.as_str().trim_end_matches('/')),
            )
    }
}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for Glob {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let body = text.strip_prefix("./").unwrap_or(text);
        if body.trim().is_empty() {
            return Err(format!(
                "{text:?} is not a glob: it is empty; write a pattern such as src/** or *_test.ts"
            ));
        }
        let pattern = tokens(body).map_err(|why| format!("{text:?} is not a glob: {why}"))?;
        let components = body
            .split('/')
            .filter(|part| !part.is_empty())
            .map(|part| {
                if part == "**" {
                    return Ok(Component::Directories);
                }
                let tokens = tokens(part)?;
                Ok(Component::Name {
                    magic: tokens.iter().any(|t| !matches!(t, Token::Char(_))),
                    hidden: part.starts_with('.'),
                    tokens,
                })
            })
            .collect::<Result<_, String>>()
            .map_err(|why| format!("{text:?} is not a glob: {why}"))?;
        Ok(Glob {
            text: text.to_owned(),
            pattern,
            components,
            absolute: body.starts_with('/'),
        })
    }
}

/// `text` as fnmatch tokens; an error for a `[` that no `]` closes.
fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' => {
                if tokens.last() != Some(&Token::AnyString) {
                    tokens.push(Token::AnyString);
                }
            }
            '?' => tokens.push(Token::AnyChar),
            '[' => {
                let mut j = i + 1;
                let negated = chars.get(j) == Some(&'!');
                if negated {
                    j += 1;
                }
                // A `]` first in the class is one of its characters.
                let start = j;
                if chars.get(j) == Some(&']') {
                    j += 1;
                }
                while j < chars.len() && chars[j] != ']' {
                    j += 1;
                }
                if j >= chars.len() {
                    return Err(format!(
                        "the `[` at character {} has no `]` to close it (to match a `[` \
                         itself, write `[[]`)",
                        i + 1
                    ));
                }
                let members = &chars[start..j];
                let mut ranges = Vec::new();
                let mut k = 0;
                while k < members.len() {
                    if k + 2 < members.len() && members[k + 1] == '-' {
                        ranges.push((members[k], members[k + 2]));
                        k += 3;
                    } else {
                        ranges.push((members[k], members[k]));
                        k += 1;
                    }
                }
                tokens.push(Token::Class { negated, ranges });
                i = j;
            }
            c => tokens.push(Token::Char(c)),
        }
        i += 1;
    }
    Ok(tokens)
}

/// Whether `tokens` match the whole of `text`, as Python's `fnmatch.fnmatchcase`.
fn fnmatch(tokens: &[Token], text: &str) -> bool {
    let text: Vec<char> = text.chars().collect();
    // The classic wildcard walk: on a mismatch, let the last `*` take one more char.
    let (mut t, mut s) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while s < text.len() {
        match tokens.get(t) {
            Some(Token::AnyString) => {
                star = Some((t, s));
                t += 1;
                continue;
            }
            Some(token) if one(token, text[s]) => {
                t += 1;
                s += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((star_t, star_s)) => {
                t = star_t + 1;
                s = star_s + 1;
                star = Some((star_t, star_s + 1));
            }
            None => return false,
        }
    }
    tokens[t.min(tokens.len())..]
        .iter()
        .all(|token| *token == Token::AnyString)
}

fn one(token: &Token, c: char) -> bool {
    match token {
        Token::Char(wanted) => *wanted == c,
        Token::AnyChar => true,
        Token::AnyString => false,
        Token::Class { negated, ranges } => {
            ranges.iter().any(|&(low, high)| low <= c && c <= high) != *negated
        }
    }
}

fn match_components(components: &[Component], names: &[&str]) -> bool {
    match components.split_first() {
        None => names.is_empty(),
        Some((Component::Directories, rest)) => {
            match_components(rest, names)
                || names.first().is_some_and(|name| {
                    !name.starts_with('.') && match_components(components, &names[1..])
                })
        }
        Some((
            Component::Name {
                tokens,
                magic,
                hidden,
            },
            rest,
        )) => names.split_first().is_some_and(|(name, names)| {
            let visible = !*magic || *hidden || !name.starts_with('.');
            visible && fnmatch(tokens, name) && match_components(rest, names)
        }),
    }
}

/// The files that count: those matching an include pattern (every file when there is
/// none) and no exclude pattern.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileFilter {
    /// `--include` patterns.
    pub include: Vec<Glob>,
    /// `--exclude` patterns.
    pub exclude: Vec<Glob>,
}

impl FileFilter {
    /// Whether the filter lets every file through.
    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    /// Whether the file at `path` (repository-relative) counts, in the repository at
    /// `root`.
    pub fn admits(&self, path: &str, root: &Utf8Path) -> bool {
        let included = self.include.is_empty()
            || self
                .include
                .iter()
                .any(|glob| glob.matches_path(path, root));
        included
            && !self
                .exclude
                .iter()
                .any(|glob| glob.matches_name(path, root))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(text: &str) -> Glob {
        text.parse().unwrap()
    }

    const ROOT: &str = "/work/repo";

    fn includes(pattern: &str, path: &str) -> bool {
        glob(pattern).matches_path(path, Utf8Path::new(ROOT))
    }

    fn excludes(pattern: &str, path: &str) -> bool {
        glob(pattern).matches_name(path, Utf8Path::new(ROOT))
    }

    #[test]
    fn include_patterns_are_path_globs() {
        assert!(includes("src/*.ts", "src/a.ts"));
        assert!(
            !includes("src/*.ts", "src/sub/a.ts"),
            "* stays in one component"
        );
        assert!(
            includes("src/**/*.ts", "src/a.ts"),
            "** is also no directory"
        );
        assert!(includes("src/**/*.ts", "src/x/y/a.ts"));
        assert!(includes("src/**", "src/x/y/a.ts"));
        assert!(includes("**/*_test.ts", "a_test.ts"));
        assert!(includes("**/*_test.ts", "deep/er/a_test.ts"));
        assert!(!includes("src/**/*.ts", "lib/a.ts"));
        assert!(includes("src/a.ts", "src/a.ts"));
        assert!(!includes("src", "src/a.ts"), "a directory is not its files");
        assert!(includes("src/?.ts", "src/a.ts"));
        assert!(!includes("src/?.ts", "src/ab.ts"));
        assert!(includes("src/[ab].ts", "src/b.ts"));
        assert!(!includes("src/[!ab].ts", "src/b.ts"));
        assert!(
            includes("./src/*.ts", "src/a.ts"),
            "a leading ./ is ignored"
        );
        assert!(includes("/work/repo/src/*.ts", "src/a.ts"));
        assert!(!includes("/elsewhere/src/*.ts", "src/a.ts"));
    }

    #[test]
    fn wildcards_skip_hidden_names_as_glob_does() {
        assert!(!includes("*", ".env"));
        assert!(includes(".*", ".env"));
        assert!(!includes("src/**/*.ts", "src/.gen/a.ts"));
        assert!(!includes("**", ".github/x.yml"));
        assert!(includes(".github/*.yml", ".github/x.yml"));
        assert!(!includes(".github/*", ".github/.hidden"));
    }

    #[test]
    fn exclude_patterns_are_fnmatch_on_name_path_and_absolute_path() {
        assert!(excludes("*_test.ts", "src/deep/a_test.ts"), "the name");
        assert!(excludes("src/*", "src/deep/a.ts"), "* crosses /");
        assert!(excludes("src/gen/*.ts", "src/gen/x/a.ts"));
        assert!(!excludes("src/*", "lib/a.ts"));
        assert!(
            excludes("/work/repo/src/*", "src/a.ts"),
            "the absolute path"
        );
        assert!(excludes("*.ts", "a.ts"));
        assert!(!excludes("*.ts", "a.tsx"));
        assert!(excludes("a[0-9].ts", "a7.ts"));
        assert!(!excludes("a[!0-9].ts", "a7.ts"));
        assert!(excludes("[]]x", "]x"), "] first is a member");
        assert!(excludes("*", ".env"), "fnmatch has no hidden names");
        assert!(excludes("*a*b*c", "xxaxxbxxc"));
        assert!(!excludes("*a*b*c", "xxaxxcxxb"));
    }

    #[test]
    fn the_filter_includes_then_excludes() {
        let root = Utf8Path::new(ROOT);
        let filter = FileFilter {
            include: vec![glob("src/**")],
            exclude: vec![glob("*_test.ts"), glob("src/gen/*")],
        };
        assert!(filter.admits("src/a.ts", root));
        assert!(!filter.admits("src/a_test.ts", root));
        assert!(!filter.admits("src/gen/x.ts", root));
        assert!(!filter.admits("main.ts", root));
        assert!(FileFilter::default().admits("anything", root));
        assert!(FileFilter::default().is_empty());
    }

    #[test]
    fn malformed_patterns_are_named() {
        assert_eq!(
            "src/[ab.ts".parse::<Glob>().unwrap_err(),
            "\"src/[ab.ts\" is not a glob: the `[` at character 5 has no `]` to close it (to match a `[` itself, write `[[]`)"
        );
        assert_eq!(
            "".parse::<Glob>().unwrap_err(),
            "\"\" is not a glob: it is empty; write a pattern such as src/** or *_test.ts"
        );
        assert!("./".parse::<Glob>().is_err());
        assert_eq!(glob("[[]x").as_str(), "[[]x");
        assert!(excludes("[[]x", "[x"));
    }
}

//! Command lines as deno's task shell reads them: words, quotes and operators, enough to
//! split a task's command into `&&`-joined simple commands and to tell which words the
//! shell would expand. Anything richer (`||`, `;`, pipes, redirections, subshells) is
//! kept as text, for deno's own shell to run as it is.

use std::fmt;
use std::ops::Range;

/// A word of a command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The word as written, quotes included.
    pub raw: String,
    /// The word after quote removal.
    pub text: String,
    /// Whether the shell would change it: an unquoted glob character (`*`, `?`, `[`), a
    /// `$` outside single quotes, a backtick or a leading unquoted `~`.
    pub expands: bool,
}

impl Word {
    /// A word holding `text` exactly, quoted as deno quotes the arguments it appends to a
    /// task (`deno task check --frozen`): plain words as they are, others in single quotes.
    pub fn literal(text: &str) -> Self {
        let plain = !text.is_empty()
            && text.chars().all(|c| {
                c.is_ascii_alphanumeric()
                    || matches!(c, '-' | '_' | '.' | '/' | '=' | ':' | ',' | '@' | '+' | '%')
            });
        let raw = if plain {
            text.to_owned()
        } else {
            format!("'{}'", text.replace('\'', r#"'"'"'"#))
        };
        Self {
            raw,
            text: text.to_owned(),
            expands: false,
        }
    }

    /// `NAME=value` with an unquoted name: a variable assignment when it comes before the
    /// command's first word.
    pub fn assignment(&self) -> Option<(&str, &str)> {
        let (name, value) = self.text.split_once('=')?;
        let valid = name
            .chars()
            .enumerate()
            .all(|(i, c)| c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit()));
        (valid && !name.is_empty() && self.raw.starts_with(&format!("{name}=")))
            .then_some((name, value))
    }
}

/// A command with its variable assignments: `FOO=1 deno test --allow-env`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleCommand {
    /// `NAME=value` words before the command.
    pub assignments: Vec<Word>,
    /// The command and its arguments; empty when the line only assigns variables.
    pub words: Vec<Word>,
}

impl SimpleCommand {
    /// The command as text the task shell reads back as the same words.
    pub fn raw(&self) -> String {
        self.assignments
            .iter()
            .chain(&self.words)
            .map(|w| w.raw.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Whether running it needs the shell: a word or an assignment the shell expands.
    pub fn expands(&self) -> bool {
        self.assignments
            .iter()
            .chain(&self.words)
            .any(|w| w.expands)
    }
}

/// One command of an `&&` chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// A plain command.
    Simple(SimpleCommand),
    /// A pipeline, a redirection or a subshell, as written.
    Shell(String),
}

impl Link {
    /// The link as text for the task shell.
    pub fn raw(&self) -> String {
        match self {
            Link::Simple(command) => command.raw(),
            Link::Shell(text) => text.clone(),
        }
    }
}

/// A task's command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandLine {
    /// Commands joined by `&&`: each runs when the ones before it passed.
    Chain(Vec<Link>),
    /// A line with `||`, `;`, `&` or a newline between commands: its exit status is not
    /// that of every command, so it stays one piece.
    Shell(String),
}

/// Why a command line cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellSyntaxError {
    /// 1-based character position in the command.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ShellSyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for ShellSyntaxError {}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(Word),
    /// An operator, as written.
    Op(&'static str),
}

/// Reads `text` as deno's task shell does.
pub fn parse(text: &str) -> Result<CommandLine, ShellSyntaxError> {
    let tokens = tokenize(text)?;
    let mut depth = 0usize;
    let mut splits = Vec::new();
    for (index, (token, span)) in tokens.iter().enumerate() {
        match token {
            Token::Op("(") => depth += 1,
            Token::Op(")") => {
                depth = depth.checked_sub(1).ok_or_else(|| ShellSyntaxError {
                    column: column(text, span.start),
                    message: "`)` without a `(` before it".into(),
                })?
            }
            Token::Op("||" | ";" | "&" | "\n") if depth == 0 => {
                return Ok(CommandLine::Shell(text.trim().to_owned()));
            }
            Token::Op("&&") if depth == 0 => splits.push(index),
            _ => {}
        }
    }
    if depth > 0 {
        return Err(ShellSyntaxError {
            column: text.chars().count() + 1,
            message: "a `(` is not closed".into(),
        });
    }
    let mut links = Vec::new();
    let mut start = 0;
    for end in splits.into_iter().chain([tokens.len()]) {
        let part = &tokens[start..end];
        let Some(((_, first), (_, last))) = part.first().zip(part.last()) else {
            let at = tokens.get(end).or(tokens.get(start.saturating_sub(1)));
            return Err(ShellSyntaxError {
                column: at.map_or(1, |(_, span)| column(text, span.start)),
                message: "`&&` needs a command on each side".into(),
            });
        };
        let words: Option<Vec<Word>> = part
            .iter()
            .map(|(token, _)| match token {
                Token::Word(word) => Some(word.clone()),
                Token::Op(_) => None,
            })
            .collect();
        links.push(match words {
            Some(words) => {
                let split = words
                    .iter()
                    .position(|w| w.assignment().is_none())
                    .unwrap_or(words.len());
                let (assignments, words) = words.split_at(split);
                Link::Simple(SimpleCommand {
                    assignments: assignments.to_vec(),
                    words: words.to_vec(),
                })
            }
            None => Link::Shell(text[first.start..last.end].to_owned()),
        });
        start = end + 1;
    }
    Ok(CommandLine::Chain(links))
}

fn column(text: &str, byte: usize) -> usize {
    text[..byte].chars().count() + 1
}

const OPERATORS: [&str; 12] = [
    "&&", "||", "|&", ">>", "&>", "|", "&", ";", "(", ")", ">", "<",
];

fn tokenize(text: &str) -> Result<Vec<(Token, Range<usize>)>, ShellSyntaxError> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c == '\n' {
            chars.next();
            tokens.push((Token::Op("\n"), start..start + 1));
            continue;
        }
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        if let Some(op) = OPERATORS.iter().find(|op| text[start..].starts_with(**op)) {
            for _ in 0..op.len() {
                chars.next();
            }
            tokens.push((Token::Op(op), start..start + op.len()));
            continue;
        }
        let mut word = Word {
            raw: String::new(),
            text: String::new(),
            expands: false,
        };
        let mut end = start;
        while let Some(&(at, c)) = chars.peek() {
            if c.is_whitespace() || OPERATORS.iter().any(|op| text[at..].starts_with(*op)) {
                break;
            }
            chars.next();
            end = at + c.len_utf8();
            match c {
                '\'' => {
                    let close = text[end..].find('\'').ok_or_else(|| ShellSyntaxError {
                        column: column(text, at),
                        message: "a single quote is not closed".into(),
                    })?;
                    word.text.push_str(&text[end..end + close]);
                    end += close + 1;
                    while chars.peek().is_some_and(|&(i, _)| i < end) {
                        chars.next();
                    }
                }
                '"' => {
                    let mut closed = false;
                    while let Some((i, c)) = chars.next() {
                        end = i + c.len_utf8();
                        match c {
                            '"' => {
                                closed = true;
                                break;
                            }
                            '\\' => match chars.peek() {
                                Some(&(j, next @ ('"' | '\\' | '$' | '`'))) => {
                                    chars.next();
                                    end = j + next.len_utf8();
                                    word.text.push(next);
                                }
                                _ => word.text.push('\\'),
                            },
                            '$' => {
                                word.expands = true;
                                word.text.push('$');
                                if chars.peek().is_some_and(|&(_, c)| c == '(') {
                                    end = substitution(text, &mut chars, &mut word.text, at)?;
                                }
                            }
                            '`' => {
                                word.expands = true;
                                word.text.push('`');
                            }
                            other => word.text.push(other),
                        }
                    }
                    if !closed {
                        return Err(ShellSyntaxError {
                            column: column(text, at),
                            message: "a double quote is not closed".into(),
                        });
                    }
                }
                '\\' => {
                    if let Some((i, next)) = chars.next() {
                        end = i + next.len_utf8();
                        word.text.push(next);
                    }
                }
                '$' => {
                    word.expands = true;
                    word.text.push('$');
                    if chars.peek().is_some_and(|&(_, c)| c == '(') {
                        end = substitution(text, &mut chars, &mut word.text, at)?;
                    }
                }
                '*' | '?' | '[' | '`' => {
                    word.expands = true;
                    word.text.push(c);
                }
                '~' if at == start => {
                    word.expands = true;
                    word.text.push(c);
                }
                other => word.text.push(other),
            }
        }
        word.raw = text[start..end].to_owned();
        tokens.push((Token::Word(word), start..end));
    }
    Ok(tokens)
}

/// Consumes `(...)` of a `$(...)` command substitution into `text`; returns the byte
/// after it.
fn substitution(
    source: &str,
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
    text: &mut String,
    at: usize,
) -> Result<usize, ShellSyntaxError> {
    let mut depth = 0usize;
    for (i, c) in chars.by_ref() {
        text.push(c);
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Ok(i + 1);
                }
            }
            _ => {}
        }
    }
    Err(ShellSyntaxError {
        column: column(source, at),
        message: "a `$(` is not closed".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(text: &str) -> Vec<Link> {
        match parse(text).unwrap() {
            CommandLine::Chain(links) => links,
            CommandLine::Shell(text) => panic!("not a chain: {text}"),
        }
    }

    fn words(link: &Link) -> Vec<&str> {
        match link {
            Link::Simple(command) => command.words.iter().map(|w| w.text.as_str()).collect(),
            Link::Shell(text) => panic!("not simple: {text}"),
        }
    }

    #[test]
    fn an_and_chain_is_split_into_its_commands() {
        let links = chain("deno task fmt:check && deno lint src  &&deno test --frozen");
        assert_eq!(links.len(), 3);
        assert_eq!(words(&links[0]), ["deno", "task", "fmt:check"]);
        assert_eq!(words(&links[1]), ["deno", "lint", "src"]);
        assert_eq!(words(&links[2]), ["deno", "test", "--frozen"]);
    }

    #[test]
    fn quotes_are_removed_and_globs_outside_them_expand() {
        let links = chain(r#"deno test 'a b.ts' "c\"d" e\ f tests/**/*.ts "g*" $HOME x=~"#);
        let Link::Simple(command) = &links[0] else {
            panic!()
        };
        let seen: Vec<(&str, &str, bool)> = command
            .words
            .iter()
            .map(|w| (w.raw.as_str(), w.text.as_str(), w.expands))
            .collect();
        assert_eq!(
            seen,
            [
                ("deno", "deno", false),
                ("test", "test", false),
                ("'a b.ts'", "a b.ts", false),
                (r#""c\"d""#, "c\"d", false),
                (r"e\ f", "e f", false),
                ("tests/**/*.ts", "tests/**/*.ts", true),
                (r#""g*""#, "g*", false),
                ("$HOME", "$HOME", true),
                ("x=~", "x=~", false),
            ]
        );
    }

    #[test]
    fn assignments_before_the_command_are_kept_apart() {
        let links = chain("FOO=1 BAR='a b' deno test A=b");
        let Link::Simple(command) = &links[0] else {
            panic!()
        };
        let names: Vec<_> = command
            .assignments
            .iter()
            .map(|w| w.assignment().unwrap())
            .collect();
        assert_eq!(names, [("FOO", "1"), ("BAR", "a b")]);
        assert_eq!(words(&links[0]), ["deno", "test", "A=b"]);
        assert_eq!(command.raw(), "FOO=1 BAR='a b' deno test A=b");
        assert_eq!(Word::literal("'quoted'").assignment(), None);
    }

    #[test]
    fn pipes_and_redirections_stay_text_within_the_chain() {
        let links = chain("deno fmt --check && deno test 2> err.txt && deno lint | tee x");
        assert_eq!(words(&links[0]), ["deno", "fmt", "--check"]);
        assert_eq!(links[1], Link::Shell("deno test 2> err.txt".into()));
        assert_eq!(links[2], Link::Shell("deno lint | tee x".into()));
        assert_eq!(
            chain("(deno lint && deno check) && deno test")[0],
            Link::Shell("(deno lint && deno check)".into())
        );
        assert_eq!(words(&chain("echo \"$(a && b)\" && c")[1]), ["c"]);
    }

    #[test]
    fn other_lists_are_one_piece() {
        for text in [
            "deno lint || true",
            "deno fmt --check; deno lint",
            "deno lint & deno check",
            "deno lint\ndeno check",
        ] {
            assert_eq!(
                parse(text).unwrap(),
                CommandLine::Shell(text.into()),
                "{text}"
            );
        }
        assert_eq!(
            parse("(a || b) && c").unwrap(),
            CommandLine::Chain(vec![Link::Shell("(a || b)".into()), chain("c")[0].clone()])
        );
    }

    #[test]
    fn syntax_errors_name_the_column() {
        for (text, column, message) in [
            ("deno test 'a", 11, "single quote"),
            ("deno test \"a", 11, "double quote"),
            ("deno lint && && deno test", 14, "`&&` needs a command"),
            ("&& deno test", 1, "`&&` needs a command"),
            ("deno test &&", 11, "`&&` needs a command"),
            ("(deno test", 11, "not closed"),
            ("deno test)", 10, "without a `(`"),
            ("echo $(x", 6, "`$(` is not closed"),
        ] {
            let error = parse(text).unwrap_err();
            assert_eq!(error.column, column, "{text}: {error}");
            assert!(error.message.contains(message), "{text}: {error}");
        }
    }

    #[test]
    fn literal_words_are_quoted_as_deno_appends_them() {
        assert_eq!(Word::literal("--frozen").raw, "--frozen");
        assert_eq!(Word::literal("a b").raw, "'a b'");
        assert_eq!(Word::literal("it's").raw, r#"'it'"'"'s'"#);
        assert_eq!(Word::literal("*.ts").raw, "'*.ts'");
        assert!(!Word::literal("*.ts").expands);
    }
}

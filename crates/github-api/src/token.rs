//! The token: read from the environment, never shown.

use std::fmt;

use serde_json::Value;

use crate::SetupError;

/// The variables a token is read from, in order.
pub const TOKEN_VARIABLES: [&str; 2] = ["GITHUB_TOKEN", "GH_TOKEN"];

/// What every printed form of a [`Token`] shows instead of it.
pub const MASK: &str = "***";

/// A GitHub token. `Debug` and `Display` print `***`; the text itself is read only inside
/// this crate, to build the `Authorization` header.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// A token from its text, trimmed of surrounding whitespace (a token read from a file
    /// often ends with a newline). Refused when empty or when it holds characters an HTTP
    /// header cannot carry; the error names `origin`, never the text.
    pub fn new(text: &str, origin: &str) -> Result<Self, SetupError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(SetupError::NoToken);
        }
        if !text.bytes().all(|byte| byte.is_ascii_graphic()) {
            return Err(SetupError::MalformedToken {
                origin: origin.to_owned(),
            });
        }
        Ok(Self(text.to_owned()))
    }

    /// `GITHUB_TOKEN`, else `GH_TOKEN` (an empty variable counts as unset).
    pub fn from_env() -> Result<Self, SetupError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// As [`Token::from_env`], reading variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SetupError> {
        for name in TOKEN_VARIABLES {
            if let Some(value) = lookup(name).filter(|value| !value.trim().is_empty()) {
                return Self::new(&value, name);
            }
        }
        Err(SetupError::NoToken)
    }

    /// The token's text: for the `Authorization` header only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the token replaced by `***`.
    pub(crate) fn redact(&self, text: &str) -> String {
        redact(text, &self.0)
    }

    /// `value` with the token replaced by `***` in every string and key of it, at any
    /// depth: an answer of GitHub's that echoes the token cannot carry it further.
    pub(crate) fn redact_value(&self, value: Value) -> Value {
        match value {
            Value::String(text) if text.contains(&self.0) => Value::String(self.redact(&text)),
            Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(|item| self.redact_value(item))
                    .collect(),
            ),
            Value::Object(fields) => Value::Object(
                fields
                    .into_iter()
                    .map(|(key, field)| (self.redact(&key), self.redact_value(field)))
                    .collect(),
            ),
            other => other,
        }
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token({MASK})")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

/// `text` with every occurrence of `secret` replaced by [`MASK`].
pub fn redact(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        text.to_owned()
    } else {
        text.replace(secret, MASK)
    }
}

/// `url` without the credentials it may carry (`https://user:secret@host/...`), for
/// messages that name a git remote.
pub fn strip_credentials(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}://***@{}", &url[..scheme_end], &rest[at + 1..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "ghp_canary0123456789";

    #[test]
    fn printed_forms_hide_the_token() {
        let token = Token::new(SECRET, "GITHUB_TOKEN").unwrap();
        assert_eq!(format!("{token}"), "***");
        assert_eq!(format!("{token:?}"), "Token(***)");
        assert_eq!(format!("{:?}", Some(&token)), "Some(Token(***))");
        assert_eq!(token.expose(), SECRET);
    }

    #[test]
    fn token_is_trimmed_and_checked() {
        let token = Token::new(&format!(" {SECRET}\n"), "GH_TOKEN").unwrap();
        assert_eq!(token.expose(), SECRET);
        let error = Token::new("ghp_a b", "GH_TOKEN").unwrap_err();
        assert_eq!(
            error.to_string(),
            "GH_TOKEN does not hold a token: it has spaces or control characters"
        );
        assert!(!error.to_string().contains("ghp_a"));
    }

    #[test]
    fn github_token_first_then_gh_token() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| value.to_string())
            }
        };
        let both = Token::from_lookup(env(&[("GITHUB_TOKEN", "one"), ("GH_TOKEN", "two")]));
        assert_eq!(both.unwrap().expose(), "one");
        let empty_first = Token::from_lookup(env(&[("GITHUB_TOKEN", " "), ("GH_TOKEN", "two")]));
        assert_eq!(empty_first.unwrap().expose(), "two");
        let none = Token::from_lookup(env(&[])).unwrap_err();
        assert_eq!(
            none.to_string(),
            "no GitHub token: set GITHUB_TOKEN (or GH_TOKEN) to a token that may administer \
             the repository"
        );
    }

    #[test]
    fn redaction_replaces_every_occurrence() {
        let token = Token::new(SECRET, "GITHUB_TOKEN").unwrap();
        assert_eq!(
            token.redact(&format!("Bearer {SECRET}, again {SECRET}.")),
            "Bearer ***, again ***."
        );
        assert_eq!(redact("plain", ""), "plain");
    }

    #[test]
    fn redaction_reaches_every_string_and_key_of_a_value() {
        let token = Token::new(SECRET, "GITHUB_TOKEN").unwrap();
        let value = serde_json::json!({
            "html_url": format!("https://github.com/o/r#{SECRET}"),
            "list": [1, null, true, { "deep": [format!("x{SECRET}y")] }],
            SECRET: "a key",
        });
        assert_eq!(
            token.redact_value(value),
            serde_json::json!({
                "html_url": "https://github.com/o/r#***",
                "list": [1, null, true, { "deep": ["x***y"] }],
                "***": "a key",
            })
        );
    }

    #[test]
    fn credentials_are_stripped_from_urls() {
        assert_eq!(
            strip_credentials("https://x-access-token:ghs_abc@github.com/o/r.git"),
            "https://***@github.com/o/r.git"
        );
        assert_eq!(
            strip_credentials("https://github.com/o/r"),
            "https://github.com/o/r"
        );
        assert_eq!(
            strip_credentials("git@github.com:o/r.git"),
            "git@github.com:o/r.git"
        );
    }
}

//! GitHub's answers read strictly: each field a task relies on has the type GitHub
//! documents, or the answer is an error that quotes what came. Read leniently, a release
//! whose `id` is a string looked like no release, and every rerun made another draft.

use github_actions::escape_text;
use serde_json::Value;

use crate::client::json_kind;

/// One object of an answer, with the name messages give it ("the release", "release 3
/// of the listing"). Each reader returns the field, or why it cannot be read, quoting
/// what came; a caller makes that an [`ApiError::Unreadable`](crate::ApiError) of its
/// call.
pub struct Fields<'a> {
    value: &'a Value,
    name: String,
}

impl<'a> Fields<'a> {
    /// `value`, which must be an object.
    pub fn of(value: &'a Value, name: impl Into<String>) -> Result<Self, String> {
        let name = name.into();
        if value.is_object() {
            Ok(Self { value, name })
        } else {
            Err(format!(
                "{name} is {} ({}), not an object",
                quoted(value),
                json_kind(value)
            ))
        }
    }

    /// The object at `key`.
    pub fn object(&self, key: &str) -> Result<Fields<'a>, String> {
        Fields::of(self.field(key)?, format!("`{key}` of {}", self.name))
    }

    /// The id, count or size at `key`: a whole number of at least 0.
    pub fn u64(&self, key: &str) -> Result<u64, String> {
        let field = self.field(key)?;
        field.as_u64().ok_or_else(|| {
            let wanted = if field.is_number() {
                "a whole number of at least 0"
            } else {
                "a number"
            };
            self.wrong(key, field, wanted)
        })
    }

    /// The text at `key`.
    pub fn str(&self, key: &str) -> Result<&'a str, String> {
        let field = self.field(key)?;
        field
            .as_str()
            .ok_or_else(|| self.wrong(key, field, "a string"))
    }

    /// The text at `key`, `None` when it is missing or `null`.
    pub fn optional_str(&self, key: &str) -> Result<Option<&'a str>, String> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(other) => Err(self.wrong(key, other, "a string or null")),
        }
    }

    /// The flag at `key`.
    pub fn bool(&self, key: &str) -> Result<bool, String> {
        let field = self.field(key)?;
        field
            .as_bool()
            .ok_or_else(|| self.wrong(key, field, "true or false"))
    }

    /// The git object id at `key`: 40 (SHA-1) or 64 (SHA-256) lower-case hex digits.
    pub fn object_id(&self, key: &str) -> Result<&'a str, String> {
        let text = self.str(key)?;
        let hex = text
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte));
        if hex && matches!(text.len(), 40 | 64) {
            Ok(text)
        } else {
            Err(self.wrong(key, &self.value[key], "a git object id"))
        }
    }

    fn field(&self, key: &str) -> Result<&'a Value, String> {
        self.value
            .get(key)
            .ok_or_else(|| format!("{} has no `{key}`", self.name))
    }

    fn wrong(&self, key: &str, field: &Value, wanted: &str) -> String {
        format!(
            "{} has `{key}` {} ({}), not {wanted}",
            self.name,
            quoted(field),
            json_kind(field)
        )
    }
}

/// `value` to quote in a message, shortened and escaped to one line: a string in quotes
/// with its control characters escaped, anything else as JSON.
pub fn quoted(value: &Value) -> String {
    const LIMIT: usize = 80;
    let (text, open, close) = match value {
        Value::String(text) => (escape_text(text).into_owned(), "\"", "\""),
        other => (escape_text(&other.to_string()).into_owned(), "", ""),
    };
    let shown: String = text.chars().take(LIMIT).collect();
    let ellipsis = if shown.len() < text.len() { "..." } else { "" };
    format!("{open}{shown}{close}{ellipsis}")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn fields_of_the_documented_types() {
        let release = json!({
            "id": 7, "draft": true, "tag_name": "v0.1.0", "body": null,
            "object": { "sha": "0123456789abcdef0123456789abcdef01234567" },
        });
        let fields = Fields::of(&release, "the release").unwrap();
        assert_eq!(fields.u64("id"), Ok(7));
        assert_eq!(fields.bool("draft"), Ok(true));
        assert_eq!(fields.str("tag_name"), Ok("v0.1.0"));
        assert_eq!(fields.optional_str("body"), Ok(None));
        assert_eq!(fields.optional_str("name"), Ok(None));
        let object = fields.object("object").unwrap();
        assert_eq!(
            object.object_id("sha"),
            Ok("0123456789abcdef0123456789abcdef01234567")
        );
    }

    #[test]
    fn a_field_of_another_type_is_quoted() {
        let release = json!({
            "id": "1002", "size": -1, "draft": "yes", "tag_name": 1,
            "sha": "../../x", "name": "evil\n::error::x", "object": [],
        });
        let fields = Fields::of(&release, "release 3 of the listing").unwrap();
        for (got, expected) in [
            (
                fields.u64("id"),
                "release 3 of the listing has `id` \"1002\" (a string), not a number",
            ),
            (
                fields.u64("size"),
                "release 3 of the listing has `size` -1 (a number), not a whole number of at \
                 least 0",
            ),
            (
                fields.u64("missing"),
                "release 3 of the listing has no `missing`",
            ),
        ] {
            assert_eq!(got, Err(expected.to_owned()));
        }
        assert_eq!(
            fields.bool("draft"),
            Err(
                "release 3 of the listing has `draft` \"yes\" (a string), not true or false".into()
            )
        );
        assert_eq!(
            fields.str("tag_name"),
            Err("release 3 of the listing has `tag_name` 1 (a number), not a string".into())
        );
        assert_eq!(
            fields.object_id("sha"),
            Err(
                "release 3 of the listing has `sha` \"../../x\" (a string), not a git object id"
                    .into()
            )
        );
        // What is quoted stays on one line.
        assert_eq!(
            fields.u64("name"),
            Err("release 3 of the listing has `name` \"evil\\n::error::x\" (a string), not a number".into())
        );
        assert_eq!(
            fields.object("object").err(),
            Some("`object` of release 3 of the listing is [] (an array), not an object".into())
        );
        assert_eq!(
            Fields::of(&json!(null), "the release").err(),
            Some("the release is null (null), not an object".into())
        );
        let long = json!("x".repeat(200));
        assert_eq!(quoted(&long), format!("\"{}\"...", "x".repeat(80)));
    }
}

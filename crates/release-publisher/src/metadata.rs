//! The metadata `deno compile` embeds in a binary, read back from its bytes.
//!
//! deno 2.x writes it as the magic `d3n0l4nd`, the length as a little-endian u64, then
//! the metadata as JSON (`{"argv":[],...,"permissions":{"allow_read":[...],...}}`). The
//! same bytes sit in an ELF, Mach-O or PE file alike, so they are found by scanning for
//! the magic rather than through each format's sections; the base runtime mentions the
//! magic too, but never followed by a length and a JSON object with permissions.

use serde_json::{Map, Value};

const MAGIC: &[u8] = b"d3n0l4nd";
/// Far larger than any metadata: guards against reading a length out of random bytes.
const MAX_METADATA_LEN: u64 = 64 << 20;

/// The hosts deno 2.9 allows remote imports from in a compiled binary when
/// `--allow-import` is not given.
pub const DENO_DEFAULT_IMPORT_HOSTS: [&str; 7] = [
    "jsr.io:443",
    "deno.land:443",
    "esm.sh:443",
    "raw.esm.sh:443",
    "cdn.jsdelivr.net:443",
    "raw.githubusercontent.com:443",
    "gist.githubusercontent.com:443",
];

/// Why no metadata could be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    /// No embedded metadata was found.
    #[error("it holds no deno compile metadata (no d3n0l4nd block with permissions)")]
    NotFound,
    /// Several different metadata blocks were found.
    #[error("it holds {0} different deno compile metadata blocks")]
    Ambiguous(usize),
}

/// The metadata object embedded in a compiled binary: the one JSON object that follows
/// the magic and its length and has a `permissions` object.
pub fn read_metadata(bytes: &[u8]) -> Result<Map<String, Value>, MetadataError> {
    let mut found: Vec<Map<String, Value>> = Vec::new();
    for at in memchr::memmem::find_iter(bytes, MAGIC) {
        if let Some(metadata) = metadata_at(bytes, at + MAGIC.len()) {
            if !found.contains(&metadata) {
                found.push(metadata);
            }
        }
    }
    match found.len() {
        0 => Err(MetadataError::NotFound),
        1 => Ok(found.pop().expect("one element")),
        n => Err(MetadataError::Ambiguous(n)),
    }
}

fn metadata_at(bytes: &[u8], start: usize) -> Option<Map<String, Value>> {
    let length: [u8; 8] = bytes.get(start..start + 8)?.try_into().ok()?;
    let length = u64::from_le_bytes(length);
    if length > MAX_METADATA_LEN {
        return None;
    }
    let body = bytes.get(start + 8..start + 8 + usize::try_from(length).ok()?)?;
    if body.first() != Some(&b'{') {
        return None;
    }
    match serde_json::from_slice(body).ok()? {
        Value::Object(map) if map.get("permissions").is_some_and(Value::is_object) => Some(map),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(json: &str) -> Vec<u8> {
        let mut bytes = MAGIC.to_vec();
        bytes.extend((json.len() as u64).to_le_bytes());
        bytes.extend(json.as_bytes());
        bytes
    }

    #[test]
    fn finds_the_block_among_other_mentions_of_the_magic() {
        let mut bytes = b"\x7fELF...d3n0l4nd...code mentioning d3n0l4ndd3n0l4nd".to_vec();
        bytes.extend(block(
            r#"{"argv":[],"permissions":{"allow_read":["/etc/kato"]}}"#,
        ));
        bytes.extend(b"\0\0vfs d3n0l4nd");
        let metadata = read_metadata(&bytes).unwrap();
        assert_eq!(
            metadata["permissions"]["allow_read"],
            serde_json::json!(["/etc/kato"])
        );
    }

    #[test]
    fn no_block_or_two_different_ones() {
        assert_eq!(
            read_metadata(b"plain deno d3n0l4nd"),
            Err(MetadataError::NotFound)
        );
        assert_eq!(
            read_metadata(&block(r#"{"argv":[]}"#)),
            Err(MetadataError::NotFound)
        );
        let mut two = block(r#"{"permissions":{"allow_read":null}}"#);
        two.extend(block(r#"{"permissions":{"allow_read":[]}}"#));
        assert_eq!(read_metadata(&two), Err(MetadataError::Ambiguous(2)));
        let mut same = block(r#"{"permissions":{}}"#);
        same.extend(block(r#"{"permissions":{}}"#));
        assert!(read_metadata(&same).is_ok());
    }

    #[test]
    fn truncated_or_huge_lengths_are_skipped() {
        let mut bytes = MAGIC.to_vec();
        bytes.extend(u64::MAX.to_le_bytes());
        bytes.extend(b"{}");
        assert_eq!(read_metadata(&bytes), Err(MetadataError::NotFound));
        let mut cut = block(r#"{"permissions":{}}"#);
        cut.truncate(cut.len() - 1);
        assert_eq!(read_metadata(&cut), Err(MetadataError::NotFound));
    }
}

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
        if let Some(metadata) = metadata_at(bytes, at + MAGIC.len())
            && !found.contains(&metadata)
        {
            found.push(metadata);
        }
    }
    match found.len() {
        0 => Err(MetadataError::NotFound),
        1 => Ok(found.pop().expect("one element")),
        n => Err(MetadataError::Ambiguous(n)),
    }
}

/// What a file holds, read in one pass with memory that does not grow with its size:
/// its first bytes (where every executable format keeps its headers), its SHA-256 and
/// size, and its deno compile metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Scanned {
    /// The first [`HEAD_LEN`] bytes (fewer for a shorter file).
    pub head: Vec<u8>,
    /// The SHA-256 of the whole file, in hex.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
    /// The metadata, as [`read_metadata`] finds it.
    pub metadata: Result<Map<String, Value>, MetadataError>,
}

/// The bytes at the start of a file that [`Scanned::head`] keeps: ELF and Mach-O headers
/// come first, and a PE file's headers follow its DOS header within the first kilobytes.
pub const HEAD_LEN: usize = 64 * 1024;

/// Reads `file` once, a chunk at a time: each metadata block is found by the magic
/// (across chunk boundaries too) and read back through `Seek` afterwards.
pub fn scan<R: std::io::Read + std::io::Seek>(mut file: R) -> std::io::Result<Scanned> {
    use sha2::Digest;
    const CHUNK: usize = 1 << 20;
    let mut hasher = sha2::Sha256::new();
    let mut head = Vec::new();
    let mut hits = Vec::new();
    // The end of the previous chunk, so that a magic split between two chunks is found.
    let mut window: Vec<u8> = Vec::with_capacity(CHUNK + MAGIC.len());
    let mut buffer = vec![0; CHUNK];
    let mut offset: u64 = 0;
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        let chunk = &buffer[..read];
        hasher.update(chunk);
        if head.len() < HEAD_LEN {
            let take = (HEAD_LEN - head.len()).min(read);
            head.extend_from_slice(&chunk[..take]);
        }
        let carried = window.len() as u64;
        window.extend_from_slice(chunk);
        for at in memchr::memmem::find_iter(&window, MAGIC) {
            hits.push(offset - carried + at as u64);
        }
        let keep = window.len().min(MAGIC.len() - 1);
        window.drain(..window.len() - keep);
        offset += read as u64;
    }
    let mut found: Vec<Map<String, Value>> = Vec::new();
    for at in hits {
        file.seek(std::io::SeekFrom::Start(at + MAGIC.len() as u64))?;
        let mut length = [0; 8];
        if file.read_exact(&mut length).is_err() {
            continue;
        }
        let length = u64::from_le_bytes(length);
        if length > MAX_METADATA_LEN || at + 16 + length > offset {
            continue;
        }
        let mut body = vec![0; length as usize];
        file.read_exact(&mut body)?;
        if let Some(metadata) = metadata_body(&body)
            && !found.contains(&metadata)
        {
            found.push(metadata);
        }
    }
    let metadata = match found.len() {
        0 => Err(MetadataError::NotFound),
        1 => Ok(found.pop().expect("one element")),
        n => Err(MetadataError::Ambiguous(n)),
    };
    Ok(Scanned {
        head,
        sha256: hasher
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect(),
        size: offset,
        metadata,
    })
}

fn metadata_at(bytes: &[u8], start: usize) -> Option<Map<String, Value>> {
    let length: [u8; 8] = bytes.get(start..start + 8)?.try_into().ok()?;
    let length = u64::from_le_bytes(length);
    if length > MAX_METADATA_LEN {
        return None;
    }
    let body = bytes.get(start + 8..start + 8 + usize::try_from(length).ok()?)?;
    metadata_body(body)
}

fn metadata_body(body: &[u8]) -> Option<Map<String, Value>> {
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
    fn a_scan_in_chunks_finds_what_reading_it_whole_finds() {
        // The block straddles the first chunk boundary, the magic split across it.
        let mut bytes = vec![7u8; (1 << 20) - 3];
        bytes.extend(block(r#"{"permissions":{"allow_env":["HOME"]}}"#));
        bytes.extend(vec![1u8; 3 << 20]);
        bytes.extend(b"d3n0l4nd");
        let scanned = scan(std::io::Cursor::new(&bytes)).unwrap();
        assert_eq!(scanned.metadata, read_metadata(&bytes));
        assert!(scanned.metadata.is_ok());
        assert_eq!(scanned.size, bytes.len() as u64);
        assert_eq!(scanned.head, bytes[..HEAD_LEN]);
        assert_eq!(scanned.sha256, crate::sha256_hex(&bytes));
        let short = scan(std::io::Cursor::new(b"MZ")).unwrap();
        assert_eq!(short.head, b"MZ");
        assert_eq!(short.metadata, Err(MetadataError::NotFound));
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
        for bytes in [bytes, cut] {
            let scanned = scan(std::io::Cursor::new(&bytes)).unwrap();
            assert_eq!(scanned.metadata, Err(MetadataError::NotFound));
        }
    }
}

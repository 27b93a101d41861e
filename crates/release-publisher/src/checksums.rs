//! `SHA256SUMS`: one `<hex digest>  <file name>` line per artifact, the format
//! `sha256sum -c SHA256SUMS` verifies.

use sha2::{Digest, Sha256};

/// The checksum file's name.
pub const SHA256SUMS: &str = "SHA256SUMS";

/// The SHA-256 of `bytes` in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The SHA-256 (lower-case hex) and size of the file at `path`, read a block at a time.
pub fn sha256_file(path: &camino::Utf8Path) -> std::io::Result<(String, u64)> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 256 * 1024];
    let mut size = 0;
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        size += read as u64;
    }
    let digest = hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    Ok((digest, size))
}

/// The checksum file for `(file name, hex digest)` pairs, sorted by name. Names are
/// plain file names (no directories): the file sits beside the artifacts.
pub fn sha256sums(entries: &[(String, String)]) -> String {
    let mut entries = entries.to_vec();
    entries.sort();
    entries
        .iter()
        .map(|(name, digest)| format!("{digest}  {name}\n"))
        .collect()
}

/// Writes [`sha256sums`] of `entries` to `dir/SHA256SUMS`, atomically: a reader sees the
/// old file or the new one, and a symbolic link there is replaced, never followed.
/// Returns the file's path.
pub fn write_sha256sums(
    dir: &camino::Utf8Path,
    entries: &[(String, String)],
) -> std::io::Result<camino::Utf8PathBuf> {
    let path = dir.join(SHA256SUMS);
    atomic_write::write(&path, sha256sums(entries))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests_and_line_format() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let sums = sha256sums(&[
            ("kato-linux-x86_64".into(), "bb".repeat(32)),
            ("kato-darwin-arm64".into(), "aa".repeat(32)),
        ]);
        assert_eq!(
            sums,
            format!(
                "{}  kato-darwin-arm64\n{}  kato-linux-x86_64\n",
                "aa".repeat(32),
                "bb".repeat(32)
            )
        );
    }
}

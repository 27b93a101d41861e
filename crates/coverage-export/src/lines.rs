//! Reading a stream line by line without copying each line.

use std::io::{self, BufRead};

/// Calls `each` with every line of `reader`, without its `\n`, where the line lies in
/// the reader's buffer: only a line that spans two fills of the buffer is copied. The
/// last line counts when it has no `\n`. Stops at the first error, of reading (through
/// `io_error`) or of `each`.
pub(crate) fn for_each_line<E>(
    mut reader: impl BufRead,
    io_error: impl Fn(io::Error) -> E,
    mut each: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    let mut split = Vec::new();
    loop {
        let buffer = reader.fill_buf().map_err(&io_error)?;
        if buffer.is_empty() {
            return if split.is_empty() {
                Ok(())
            } else {
                each(&split)
            };
        }
        let mut rest = buffer;
        while let Some(end) = memchr::memchr(b'\n', rest) {
            if split.is_empty() {
                each(&rest[..end])?;
            } else {
                split.extend_from_slice(&rest[..end]);
                each(&split)?;
                split.clear();
            }
            rest = &rest[end + 1..];
        }
        split.extend_from_slice(rest);
        let read = buffer.len();
        reader.consume(read);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    fn lines(text: &str, capacity: usize) -> Vec<String> {
        let mut seen = Vec::new();
        for_each_line(
            BufReader::with_capacity(capacity, text.as_bytes()),
            |e| e,
            |line| {
                seen.push(String::from_utf8(line.to_vec()).unwrap());
                Ok(())
            },
        )
        .unwrap();
        seen
    }

    #[test]
    fn every_line_once_whatever_the_buffer_size() {
        for capacity in [1, 2, 3, 5, 8, 1024] {
            assert_eq!(lines("ab\n\ncdef\ng", capacity), ["ab", "", "cdef", "g"]);
            assert_eq!(lines("ab\ncd\n", capacity), ["ab", "cd"]);
            assert!(lines("", capacity).is_empty());
        }
    }

    #[test]
    fn the_first_error_stops_the_reading() {
        let mut seen = 0;
        let result = for_each_line(
            "a\nb\nc\n".as_bytes(),
            |e| e.to_string(),
            |line| {
                seen += 1;
                if line == b"b" {
                    Err("b".to_owned())
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!(result, Err("b".to_owned()));
        assert_eq!(seen, 2);
    }
}

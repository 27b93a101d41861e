//! Reading a stream line by line without copying each line.

use std::io::{self, BufRead};

/// Calls `each` with every line of `reader`, without its `\n`, where the line lies in
/// the reader's buffer: only a line that spans two fills of the buffer is copied. The
/// last line counts when it has no `\n`. Stops at the first error, of reading (through
/// `io_error`) or of `each`.
pub(crate) fn for_each_line<E>(
    reader: impl BufRead,
    io_error: impl Fn(io::Error) -> E,
    mut each: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    for_each_line_or_run(
        reader,
        &mut each,
        io_error,
        |_, _| 0,
        |each, line| each(line),
    )
}

/// [`for_each_line`], where `run` may first take whole lines at once: it is shown the
/// buffer from the start of a line on, and returns how many bytes it took, each line
/// with its `\n` (none: 0). `state` is lent to both in turn.
pub(crate) fn for_each_line_or_run<S, E>(
    mut reader: impl BufRead,
    state: &mut S,
    io_error: impl Fn(io::Error) -> E,
    mut run: impl FnMut(&mut S, &[u8]) -> usize,
    mut each: impl FnMut(&mut S, &[u8]) -> Result<(), E>,
) -> Result<(), E> {
    let mut split = Vec::new();
    loop {
        let buffer = reader.fill_buf().map_err(&io_error)?;
        if buffer.is_empty() {
            return if split.is_empty() {
                Ok(())
            } else {
                each(state, &split)
            };
        }
        let read = buffer.len();
        let mut rest = buffer;
        if !split.is_empty() {
            let Some(end) = memchr::memchr(b'\n', rest) else {
                split.extend_from_slice(rest);
                reader.consume(read);
                continue;
            };
            split.extend_from_slice(&rest[..end]);
            each(state, &split)?;
            split.clear();
            rest = &rest[end + 1..];
        }
        loop {
            rest = &rest[run(state, rest)..];
            let Some(end) = memchr::memchr(b'\n', rest) else {
                break;
            };
            each(state, &rest[..end])?;
            rest = &rest[end + 1..];
        }
        split.extend_from_slice(rest);
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

    /// Lines a run takes and lines it leaves come out the same, in order, whatever the
    /// buffer's size; a run sees every whole line it can take.
    #[test]
    fn runs_take_whole_lines_and_leave_the_rest() {
        let text = "x1\nx2\ny\nx3\nyy\nx4";
        for capacity in [1, 2, 3, 5, 8, 1024] {
            // The lines in order, and how many a run took.
            let mut seen: (Vec<String>, usize) = (Vec::new(), 0);
            for_each_line_or_run(
                BufReader::with_capacity(capacity, text.as_bytes()),
                &mut seen,
                |e| e,
                |(lines, taken), rest| {
                    // Takes the lines `x<digit>\n`.
                    let mut at = 0;
                    while rest.len() >= at + 3 && rest[at] == b'x' && rest[at + 2] == b'\n' {
                        lines.push(String::from_utf8(rest[at..at + 2].to_vec()).unwrap());
                        *taken += 1;
                        at += 3;
                    }
                    at
                },
                |(lines, _), line| {
                    lines.push(String::from_utf8(line.to_vec()).unwrap());
                    Ok(())
                },
            )
            .unwrap();
            assert_eq!(seen.0, ["x1", "x2", "y", "x3", "yy", "x4"], "{capacity}");
            if capacity == 1024 {
                assert_eq!(seen.1, 3, "the last line has no \\n");
            }
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

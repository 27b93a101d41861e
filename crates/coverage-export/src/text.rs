//! Appending report text: the large reports are millions of short pieces (a tag, a
//! number, a line of source), and `Vec::extend_from_slice` costs a call per piece.

/// Appends `bytes` to `out`, inline: a piece of known length becomes a few moves.
#[inline(always)]
pub(crate) fn push(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len());
    let len = out.len();
    // SAFETY: `reserve` left room for `bytes.len()` more bytes after `len`; the copy
    // initializes exactly those before the length covers them; `bytes` cannot lie in
    // `out`'s buffer, which is borrowed mutably here.
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), out.as_mut_ptr().add(len), bytes.len());
        out.set_len(len + bytes.len());
    }
}

const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
    2021222324252627282930313233343536373839\
    4041424344454647484950515253545556575859\
    6061626364656667686970717273747576777879\
    8081828384858687888990919293949596979899";

/// Appends `n` in decimal. Reports' numbers are mostly line numbers and small counts:
/// those of up to four digits are written inline, two digits at a time.
#[inline(always)]
pub(crate) fn push_decimal(out: &mut Vec<u8>, n: u64) {
    match n {
        0..10 => push(out, &[b'0' + n as u8]),
        10..100 => push(out, pair(n as usize)),
        100..1000 => {
            let n = n as usize;
            push(
                out,
                &[
                    b'0' + (n / 100) as u8,
                    PAIRS[n % 100 * 2],
                    PAIRS[n % 100 * 2 + 1],
                ],
            );
        }
        1000..10000 => {
            let n = n as usize;
            push(out, pair(n / 100));
            push(out, pair(n % 100));
        }
        _ => push_long_decimal(out, n),
    }
}

/// The two digits of `n`, below 100.
#[inline(always)]
fn pair(n: usize) -> &'static [u8] {
    &PAIRS[n * 2..n * 2 + 2]
}

#[cold]
fn push_long_decimal(out: &mut Vec<u8>, n: u64) {
    let mut digits = itoa::Buffer::new();
    push(out, digits.format(n).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_and_numbers_append_in_order() {
        let mut out = Vec::new();
        for n in [0, 7, 10, 99, 100, 101, 65_535, 4_294_967_296, u64::MAX] {
            push(&mut out, b"<n=");
            push_decimal(&mut out, n);
            push(&mut out, b"/>");
        }
        push(&mut out, b"");
        let mut each = Vec::new();
        for n in (0..100_000).chain([u64::from(u32::MAX), u64::MAX / 3]) {
            each.clear();
            push_decimal(&mut each, n);
            assert_eq!(each, n.to_string().as_bytes());
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<n=0/><n=7/><n=10/><n=99/><n=100/><n=101/><n=65535/><n=4294967296/>\
             <n=18446744073709551615/>"
        );
    }
}

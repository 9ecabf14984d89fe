//! Eight bytes at a time: the byte tests the crate's scanners share (the
//! JSON reader and writer, the sensitive-data search, the printable check).
//!
//! A mask has the high bit set in each byte of the word that passes the
//! test. The subtraction's borrows can also flag bytes above a flagged one,
//! never below the lowest, so the lowest flag is exact, and so is "any flag"
//! as a yes-or-no answer.

pub(crate) const LO: u64 = 0x0101_0101_0101_0101;
pub(crate) const HI: u64 = 0x8080_8080_8080_8080;

/// The eight bytes of `b` from `i`, little-endian.
pub(crate) fn word_at(b: &[u8], i: usize) -> Option<u64> {
    let mut w = [0u8; 8];
    w.copy_from_slice(b.get(i..i.checked_add(8)?)?);
    Some(u64::from_le_bytes(w))
}

/// The bytes equal to `byte`.
pub(crate) fn eq(w: u64, byte: u8) -> u64 {
    let x = w ^ (LO * u64::from(byte));
    x.wrapping_sub(LO) & !x & HI
}

/// The bytes below `n`, for `n` up to 0x80.
pub(crate) fn below(w: u64, n: u8) -> u64 {
    w.wrapping_sub(LO * u64::from(n)) & !w & HI
}

/// The index of the lowest flagged byte.
pub(crate) fn first(mask: u64) -> Option<usize> {
    (mask != 0).then(|| (mask.trailing_zeros() / 8) as usize)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn masks_flag_the_lowest_byte_exactly() {
        for at in 0..8 {
            for fill in [0x00u8, 0x1f, 0x20, 0x22, 0x5c, 0x7f, 0x80, 0xff] {
                for special in [0x00u8, 0x1f, b'"', b'\\', b'@'] {
                    let mut bytes = [fill; 8];
                    bytes[at] = special;
                    let w = word_at(&bytes, 0).unwrap();
                    let want_eq = bytes.iter().position(|&b| b == special);
                    assert_eq!(first(eq(w, special)), want_eq, "{bytes:?}");
                    let want_below = bytes.iter().position(|&b| b < 0x20);
                    assert_eq!(first(below(w, 0x20)), want_below, "{bytes:?}");
                }
            }
        }
        assert_eq!(word_at(b"1234567", 0), None);
        assert_eq!(word_at(b"12345678", usize::MAX), None);
    }
}

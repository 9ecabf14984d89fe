//! The escapes of JSON strings (RFC 8259 section 7), decoded for the JSON
//! reader and for the payload scanner, which keeps its own offsets.

/// The character of a one-letter escape (`\n`, `\"`, …), given the letter.
pub(crate) fn short(letter: u8) -> Option<char> {
    Some(match letter {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        _ => return None,
    })
}

/// The character of a `\u` escape whose four hex digits start at `at`, and
/// how many bytes from `at` it took: 4, or 10 for a surrogate pair written
/// as two escapes. A lone surrogate is an error.
pub(crate) fn unicode(text: &[u8], at: usize) -> Result<(char, usize), &'static str> {
    const BAD: &str = "invalid \\u escape";
    const UNPAIRED: &str = "unpaired surrogate";
    let high = hex4(text, at).ok_or(BAD)?;
    if (0xdc00..0xe000).contains(&high) {
        return Err(UNPAIRED);
    }
    if !(0xd800..0xdc00).contains(&high) {
        return Ok((char::from_u32(high).ok_or(BAD)?, 4));
    }
    if text.get(at + 4) != Some(&b'\\') || text.get(at + 5) != Some(&b'u') {
        return Err(UNPAIRED);
    }
    let low = hex4(text, at + 6).ok_or(BAD)?;
    if !(0xdc00..0xe000).contains(&low) {
        return Err(UNPAIRED);
    }
    let code = 0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00);
    Ok((char::from_u32(code).ok_or(BAD)?, 10))
}

fn hex4(text: &[u8], at: usize) -> Option<u32> {
    let digits = text.get(at..at + 4)?;
    let mut n = 0u32;
    for &d in digits {
        n = n * 16 + char::from(d).to_digit(16)?;
    }
    Some(n)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn unicode_escapes_and_surrogate_pairs() {
        assert_eq!(unicode(b"00e9", 0), Ok(('é', 4)));
        assert_eq!(unicode(b"xx\\ud83d\\ude00", 4), Ok(('😀', 10)));
        assert_eq!(unicode(b"d83d", 0), Err("unpaired surrogate"));
        assert_eq!(unicode(b"d83d\\u0041", 0), Err("unpaired surrogate"));
        assert_eq!(unicode(b"de00", 0), Err("unpaired surrogate"));
        assert_eq!(unicode(b"00g0", 0), Err("invalid \\u escape"));
        assert_eq!(unicode(b"00", 0), Err("invalid \\u escape"));
        assert_eq!(short(b'n'), Some('\n'));
        assert_eq!(short(b'x'), None);
    }
}

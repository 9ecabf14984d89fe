//! Walking the JSON or CBOR document in `LogEntry.payload`: checks that it is
//! well-formed and hands every string (and long integer) to a visitor, with
//! its path and its byte span in the payload.
//!
//! Both walkers are iterative (an explicit stack, never recursion) and stop
//! at a depth limit, so any input costs time linear in its length and memory
//! linear in the depth limit plus the longest escaped string.

use std::borrow::Cow;

/// How a payload is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Json,
    Cbor,
}

/// Why a payload is not well-formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PayloadError {
    /// Not well-formed at this byte offset.
    Malformed { offset: usize, what: &'static str },
    /// Arrays and objects nest deeper than the limit, at this byte offset.
    TooDeep { offset: usize },
}

/// One step of the path to a value inside a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seg {
    /// An array item.
    Index(usize),
    /// An object member (a CBOR map entry with a text key): the key's
    /// content span in the payload; `escaped` when it holds JSON escapes.
    Key {
        start: usize,
        end: usize,
        escaped: bool,
        /// The key itself holds sensitive data: the path must not spell it.
        flagged: bool,
    },
    /// A CBOR map entry whose key is not a text string, or the inside of a
    /// key that is itself an array or map.
    OpaqueKey,
}

/// What a visited item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ItemKind {
    /// A string value.
    Str,
    /// An object member name (the path leads to its object).
    Key,
    /// A number written with at least 12 digits (a JSON number token, or a
    /// CBOR unsigned integer): the only numbers a detector could care about.
    Number,
}

/// How offsets in an item's text map to offsets in the payload.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mapping<'a> {
    /// Text byte `i` is payload byte `start + i`.
    Identity,
    /// Text byte `i` comes from payload byte `table[i]`; `table[len]` is the
    /// end of the content.
    Table(&'a [usize]),
    /// The text is a rendering of the whole span (a CBOR integer).
    Whole,
}

/// A string, key or long number found in a payload.
#[derive(Debug)]
pub(crate) struct Item<'a> {
    pub(crate) kind: ItemKind,
    pub(crate) path: &'a [Seg],
    pub(crate) text: &'a str,
    /// Where the item starts: the opening quote of a JSON string, the first
    /// byte of a number, the head of a CBOR item (or string chunk).
    pub(crate) head: usize,
    /// The content span in the payload (inside the quotes for JSON strings;
    /// the whole item for CBOR integers; the text bytes for CBOR strings).
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) mapping: Mapping<'a>,
}

impl Item<'_> {
    /// The payload span of text bytes `start..end`.
    pub(crate) fn raw_span(&self, start: usize, end: usize) -> (usize, usize) {
        match self.mapping {
            Mapping::Identity => (self.start + start, self.start + end),
            Mapping::Table(table) => (
                table.get(start).copied().unwrap_or(self.end),
                table.get(end).copied().unwrap_or(self.end),
            ),
            Mapping::Whole => (self.start, self.end),
        }
    }
}

/// A visitor of items. For [`ItemKind::Key`] items it returns whether the key
/// holds sensitive data (so paths through it do not spell it out).
pub(crate) type Visitor<'v> = dyn FnMut(&Item<'_>) -> bool + 'v;

/// The text of a key segment.
pub(crate) fn key_text(payload: &[u8], seg: &Seg) -> Option<Cow<'static, str>> {
    let Seg::Key {
        start,
        end,
        escaped,
        ..
    } = *seg
    else {
        return None;
    };
    let raw = payload.get(start..end)?;
    let text = std::str::from_utf8(raw).ok()?;
    if escaped {
        let mut out = String::new();
        let mut table = Vec::new();
        unescape(raw, 0, &mut out, &mut table).ok()?;
        Some(Cow::Owned(out))
    } else {
        Some(Cow::Owned(text.to_owned()))
    }
}

/// Checks a payload and, with a visitor, hands it every string.
pub(crate) fn walk(
    encoding: Encoding,
    payload: &[u8],
    max_depth: usize,
    visit: Option<&mut Visitor<'_>>,
) -> Result<(), PayloadError> {
    match encoding {
        Encoding::Json => walk_json(payload, max_depth, visit),
        Encoding::Cbor => walk_cbor(payload, max_depth, visit),
    }
}

// ---------------------------------------------------------------------------
// JSON (RFC 8259)

#[derive(Clone, Copy)]
enum Frame {
    Object,
    Array(usize),
}

fn malformed(offset: usize, what: &'static str) -> PayloadError {
    PayloadError::Malformed { offset, what }
}

fn skip_ws(b: &[u8], mut pos: usize) -> usize {
    while let Some(c) = b.get(pos) {
        if !matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
            break;
        }
        pos += 1;
    }
    pos
}

/// Scratch buffers for strings with escapes, reused across strings.
#[derive(Default)]
struct Scratch {
    text: String,
    table: Vec<usize>,
}

fn walk_json(
    b: &[u8],
    max_depth: usize,
    mut visit: Option<&mut Visitor<'_>>,
) -> Result<(), PayloadError> {
    if let Err(e) = std::str::from_utf8(b) {
        return Err(malformed(e.valid_up_to(), "invalid UTF-8"));
    }
    let mut frames: Vec<Frame> = Vec::new();
    let mut path: Vec<Seg> = Vec::new();
    // The keys of each open object, innermost last.
    let mut objects: Vec<ObjectKeys> = Vec::new();
    let mut scratch = Scratch::default();
    let mut pos = skip_ws(b, 0);
    'value: loop {
        // A value is expected at `pos`.
        let Some(&c) = b.get(pos) else {
            return Err(malformed(pos, "unexpected end of input"));
        };
        match c {
            b'{' | b'[' => {
                if frames.len() >= max_depth {
                    return Err(PayloadError::TooDeep { offset: pos });
                }
                pos = skip_ws(b, pos + 1);
                if c == b'[' {
                    if b.get(pos) == Some(&b']') {
                        pos += 1;
                    } else {
                        frames.push(Frame::Array(0));
                        path.push(Seg::Index(0));
                        continue 'value;
                    }
                } else if b.get(pos) == Some(&b'}') {
                    pos += 1;
                } else {
                    frames.push(Frame::Object);
                    path.push(Seg::OpaqueKey);
                    objects.push(ObjectKeys::default());
                    pos = member_name(b, pos, &mut path, &mut scratch, visit.as_deref_mut())?;
                    unique_key(b, &path, &mut objects)?;
                    continue 'value;
                }
            }
            b'"' => {
                pos = string(
                    b,
                    pos,
                    ItemKind::Str,
                    &path,
                    &mut scratch,
                    visit.as_deref_mut(),
                )?;
            }
            b'-' | b'0'..=b'9' => {
                let end = number(b, pos)?;
                if let Some(v) = visit.as_deref_mut() {
                    let digits = end - pos - usize::from(c == b'-');
                    if digits >= 12 {
                        let text = std::str::from_utf8(b.get(pos..end).unwrap_or_default())
                            .unwrap_or_default();
                        v(&Item {
                            kind: ItemKind::Number,
                            path: &path,
                            text,
                            head: pos,
                            start: pos,
                            end,
                            mapping: Mapping::Identity,
                        });
                    }
                }
                pos = end;
            }
            b't' => pos = literal(b, pos, b"true")?,
            b'f' => pos = literal(b, pos, b"false")?,
            b'n' => pos = literal(b, pos, b"null")?,
            _ => return Err(malformed(pos, "expected a value")),
        }
        // After a value: close containers or move to the next item.
        loop {
            pos = skip_ws(b, pos);
            let Some(frame) = frames.last_mut() else {
                if pos != b.len() {
                    return Err(malformed(pos, "unexpected text after the document"));
                }
                return Ok(());
            };
            let next = b.get(pos).copied();
            match (frame, next) {
                (Frame::Array(i), Some(b',')) => {
                    *i += 1;
                    if let Some(last) = path.last_mut() {
                        *last = Seg::Index(*i);
                    }
                    pos = skip_ws(b, pos + 1);
                    continue 'value;
                }
                (Frame::Array(_), Some(b']')) | (Frame::Object, Some(b'}')) => {
                    if matches!(frames.pop(), Some(Frame::Object)) {
                        objects.pop();
                    }
                    path.pop();
                    pos += 1;
                }
                (Frame::Object, Some(b',')) => {
                    pos = skip_ws(b, pos + 1);
                    pos = member_name(b, pos, &mut path, &mut scratch, visit.as_deref_mut())?;
                    unique_key(b, &path, &mut objects)?;
                    continue 'value;
                }
                (_, None) => return Err(malformed(pos, "unexpected end of input")),
                (Frame::Array(_), Some(_)) => {
                    return Err(malformed(pos, "expected `,` or `]`"));
                }
                (Frame::Object, Some(_)) => return Err(malformed(pos, "expected `,` or `}`")),
            }
        }
    }
}

/// The member names of one JSON object, to refuse a name given twice
/// (parsers disagree on which value wins). Spans are compared as decoded
/// text, so `"a"` and `"\u0061"` are the same name.
#[derive(Default)]
struct ObjectKeys {
    spans: Vec<(usize, usize, bool)>,
    /// All the names, decoded, once the object has more than a few.
    many: Option<std::collections::HashSet<String>>,
}

/// Objects with more names than this are checked with a hash set.
const FEW_KEYS: usize = 32;

fn decoded_key(b: &[u8], (start, end, escaped): (usize, usize, bool)) -> String {
    let raw = b.get(start..end).unwrap_or_default();
    let mut out = String::new();
    if escaped {
        let mut table = Vec::new();
        // The key was already read as a valid string.
        let _ = unescape(raw, start, &mut out, &mut table);
    } else {
        out.push_str(std::str::from_utf8(raw).unwrap_or_default());
    }
    out
}

/// Records the key the last path segment names in the innermost object;
/// fails when the object already has it.
fn unique_key(b: &[u8], path: &[Seg], objects: &mut [ObjectKeys]) -> Result<(), PayloadError> {
    let (
        Some(Seg::Key {
            start,
            end,
            escaped,
            ..
        }),
        Some(keys),
    ) = (path.last(), objects.last_mut())
    else {
        return Ok(());
    };
    let span = (*start, *end, *escaped);
    let duplicate = || malformed(span.0 - 1, "duplicate member name");
    if let Some(set) = &mut keys.many {
        return if set.insert(decoded_key(b, span)) {
            Ok(())
        } else {
            Err(duplicate())
        };
    }
    let raw = |(s, e, _): (usize, usize, bool)| b.get(s..e).unwrap_or_default();
    for &other in &keys.spans {
        let same = if !span.2 && !other.2 {
            raw(span) == raw(other)
        } else {
            decoded_key(b, span) == decoded_key(b, other)
        };
        if same {
            return Err(duplicate());
        }
    }
    keys.spans.push(span);
    if keys.spans.len() > FEW_KEYS {
        keys.many = Some(keys.spans.iter().map(|&s| decoded_key(b, s)).collect());
    }
    Ok(())
}

/// Reads `"name" :` at `pos`, sets the last path segment to the key, and
/// returns the position of the member's value.
fn member_name(
    b: &[u8],
    pos: usize,
    path: &mut Vec<Seg>,
    scratch: &mut Scratch,
    visit: Option<&mut Visitor<'_>>,
) -> Result<usize, PayloadError> {
    if b.get(pos) != Some(&b'"') {
        return Err(malformed(pos, "expected a member name"));
    }
    // The key's path is its object's path (the last segment is replaced
    // once the key is known).
    path.pop();
    let mut flagged = false;
    let mut visit = visit;
    let (end, escaped) = {
        let mut on_key = |item: &Item<'_>| -> bool {
            if let Some(v) = visit.as_deref_mut() {
                flagged = v(item);
            }
            false
        };
        let end = string(b, pos, ItemKind::Key, path, scratch, Some(&mut on_key))?;
        let escaped = b.get(pos + 1..end - 1).is_some_and(|s| s.contains(&b'\\'));
        (end, escaped)
    };
    path.push(Seg::Key {
        start: pos + 1,
        end: end - 1,
        escaped,
        flagged,
    });
    let colon = skip_ws(b, end);
    if b.get(colon) != Some(&b':') {
        return Err(malformed(colon, "expected `:`"));
    }
    Ok(skip_ws(b, colon + 1))
}

/// Reads the string starting with the quote at `pos`; returns the position
/// after the closing quote. Hands it to the visitor, decoded.
fn string(
    b: &[u8],
    pos: usize,
    kind: ItemKind,
    path: &[Seg],
    scratch: &mut Scratch,
    visit: Option<&mut Visitor<'_>>,
) -> Result<usize, PayloadError> {
    let start = pos + 1;
    let mut i = start;
    let mut escaped = false;
    loop {
        let Some(&c) = b.get(i) else {
            return Err(malformed(i, "unterminated string"));
        };
        match c {
            b'"' => break,
            b'\\' => {
                escaped = true;
                i += 2;
            }
            0x00..=0x1f => return Err(malformed(i, "control character in a string")),
            _ => i += 1,
        }
    }
    let end = i;
    let raw = b.get(start..end).unwrap_or_default();
    if escaped {
        scratch.text.clear();
        scratch.table.clear();
        unescape(raw, start, &mut scratch.text, &mut scratch.table)?;
        if let Some(v) = visit {
            v(&Item {
                kind,
                path,
                text: &scratch.text,
                head: pos,
                start,
                end,
                mapping: Mapping::Table(&scratch.table),
            });
        }
    } else if let Some(v) = visit {
        // The whole payload is valid UTF-8 and quotes are ASCII, so this is too.
        let text = std::str::from_utf8(raw).unwrap_or_default();
        v(&Item {
            kind,
            path,
            text,
            head: pos,
            start,
            end,
            mapping: Mapping::Identity,
        });
    }
    Ok(end + 1)
}

/// Decodes the escapes of a JSON string's content (`raw`, which starts at
/// payload offset `base`), recording for each output byte the payload offset
/// it came from, and the end offset last.
fn unescape(
    raw: &[u8],
    base: usize,
    out: &mut String,
    table: &mut Vec<usize>,
) -> Result<(), PayloadError> {
    let mut i = 0;
    while let Some(&c) = raw.get(i) {
        let at = base + i;
        if c != b'\\' {
            // Copy one UTF-8 sequence.
            let len = match c {
                0x00..=0x7f => 1,
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                _ => 4,
            };
            let piece = raw
                .get(i..i + len)
                .and_then(|p| std::str::from_utf8(p).ok())
                .ok_or(malformed(at, "invalid UTF-8"))?;
            out.push_str(piece);
            for k in 0..len {
                table.push(at + k);
            }
            i += len;
            continue;
        }
        let Some(&e) = raw.get(i + 1) else {
            return Err(malformed(at, "unterminated escape"));
        };
        let ch = match e {
            b'u' => {
                let (ch, len) =
                    crate::json::escape::unicode(raw, i + 2).map_err(|what| malformed(at, what))?;
                let before = out.len();
                out.push(ch);
                for _ in before..out.len() {
                    table.push(at);
                }
                i += 2 + len;
                continue;
            }
            other => crate::json::escape::short(other).ok_or(malformed(at, "invalid escape"))?,
        };
        out.push(ch);
        table.push(at);
        i += 2;
    }
    table.push(base + raw.len());
    Ok(())
}

fn number(b: &[u8], pos: usize) -> Result<usize, PayloadError> {
    let mut i = pos;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    let digits = |mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits(i),
        _ => return Err(malformed(i, "invalid number")),
    }
    if b.get(i) == Some(&b'.') {
        let j = digits(i + 1);
        if j == i + 1 {
            return Err(malformed(j, "invalid number"));
        }
        i = j;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let j = digits(i);
        if j == i {
            return Err(malformed(j, "invalid number"));
        }
        i = j;
    }
    Ok(i)
}

fn literal(b: &[u8], pos: usize, word: &[u8]) -> Result<usize, PayloadError> {
    if b.get(pos..pos + word.len()) == Some(word) {
        Ok(pos + word.len())
    } else {
        Err(malformed(pos, "expected a value"))
    }
}

// ---------------------------------------------------------------------------
// CBOR (RFC 8949)

#[derive(Clone, Copy)]
enum CborFrame {
    /// Items left (`None`: indefinite length, until a break).
    Array { left: Option<u64>, index: usize },
    /// Items left, keys and values counted separately.
    Map { left: Option<u64>, key_next: bool },
    /// The one item a tag is applied to.
    Tag,
}

/// Reads the argument of the head at `pos`; returns (major type, additional
/// info, argument, position after the head).
fn head(b: &[u8], pos: usize) -> Result<(u8, u8, u64, usize), PayloadError> {
    let Some(&initial) = b.get(pos) else {
        return Err(malformed(pos, "unexpected end of input"));
    };
    let (major, info) = (initial >> 5, initial & 0x1f);
    let width = match info {
        0..=23 => return Ok((major, info, u64::from(info), pos + 1)),
        24 => 1,
        25 => 2,
        26 => 4,
        27 => 8,
        31 => return Ok((major, info, 0, pos + 1)),
        _ => return Err(malformed(pos, "reserved additional information")),
    };
    let bytes = b
        .get(pos + 1..pos + 1 + width)
        .ok_or(malformed(pos, "unexpected end of input"))?;
    let value = bytes.iter().fold(0u64, |n, &x| (n << 8) | u64::from(x));
    Ok((major, info, value, pos + 1 + width))
}

fn walk_cbor(
    b: &[u8],
    max_depth: usize,
    mut visit: Option<&mut Visitor<'_>>,
) -> Result<(), PayloadError> {
    let mut frames: Vec<CborFrame> = Vec::new();
    let mut path: Vec<Seg> = Vec::new();
    let mut pos = 0;
    let mut digits = String::new();
    loop {
        // Close finished containers; a break closes an indefinite one.
        loop {
            match frames.last_mut() {
                None => {
                    if pos > 0 || b.is_empty() {
                        if pos == 0 {
                            return Err(malformed(0, "empty document"));
                        }
                        if pos != b.len() {
                            return Err(malformed(pos, "unexpected bytes after the document"));
                        }
                        return Ok(());
                    }
                    break;
                }
                Some(
                    CborFrame::Array { left: Some(0), .. } | CborFrame::Map { left: Some(0), .. },
                ) => {
                    frames.pop();
                    path.pop();
                    item_done(&mut frames, &mut path);
                }
                Some(CborFrame::Array { left: None, .. } | CborFrame::Map { left: None, .. })
                    if b.get(pos) == Some(&0xff) =>
                {
                    if let Some(CborFrame::Map {
                        key_next: false, ..
                    }) = frames.last()
                    {
                        return Err(malformed(pos, "break after a map key without its value"));
                    }
                    pos += 1;
                    frames.pop();
                    path.pop();
                    item_done(&mut frames, &mut path);
                }
                Some(_) => break,
            }
        }
        if frames.is_empty() && pos > 0 {
            if pos != b.len() {
                return Err(malformed(pos, "unexpected bytes after the document"));
            }
            return Ok(());
        }
        let start = pos;
        let (major, info, arg, next) = head(b, pos)?;
        pos = next;
        let is_key = matches!(frames.last(), Some(CborFrame::Map { key_next: true, .. }));
        let kind = if is_key { ItemKind::Key } else { ItemKind::Str };
        match major {
            0 | 1 => {
                if info == 31 {
                    return Err(malformed(start, "indefinite length integer"));
                }
                if major == 0 && arg >= 100_000_000_000 && !is_key {
                    if let Some(v) = visit.as_deref_mut() {
                        digits.clear();
                        digits.push_str(&arg.to_string());
                        v(&Item {
                            kind: ItemKind::Number,
                            path: &path,
                            text: &digits,
                            head: start,
                            start,
                            end: pos,
                            mapping: Mapping::Whole,
                        });
                    }
                }
                if is_key {
                    set_key(&mut path, Seg::OpaqueKey);
                }
            }
            2 | 3 => {
                let mut chunks = Vec::new();
                if info == 31 {
                    loop {
                        match b.get(pos) {
                            Some(0xff) => {
                                pos += 1;
                                break;
                            }
                            Some(_) => {
                                let (m, i, len, after) = head(b, pos)?;
                                if m != major || i == 31 {
                                    return Err(malformed(
                                        pos,
                                        "invalid chunk in an indefinite-length string",
                                    ));
                                }
                                let end = content_end(b, after, len)?;
                                chunks.push((pos, after, end));
                                pos = end;
                            }
                            None => return Err(malformed(pos, "unexpected end of input")),
                        }
                    }
                } else {
                    let end = content_end(b, pos, arg)?;
                    chunks.push((start, pos, end));
                    pos = end;
                }
                let mut key_seg = Seg::OpaqueKey;
                // A key's path is its map's path.
                let item_path = if is_key {
                    path.get(..path.len().saturating_sub(1)).unwrap_or_default()
                } else {
                    &path
                };
                for (h, s, e) in chunks {
                    if major == 3 {
                        let text = std::str::from_utf8(b.get(s..e).unwrap_or_default()).map_err(
                            |err| {
                                malformed(s + err.valid_up_to(), "invalid UTF-8 in a text string")
                            },
                        )?;
                        let mut flagged = false;
                        if let Some(v) = visit.as_deref_mut() {
                            flagged = v(&Item {
                                kind,
                                path: item_path,
                                text,
                                head: h,
                                start: s,
                                end: e,
                                mapping: Mapping::Identity,
                            });
                        }
                        if is_key {
                            key_seg = Seg::Key {
                                start: s,
                                end: e,
                                escaped: false,
                                flagged,
                            };
                        }
                    }
                }
                if is_key {
                    set_key(&mut path, key_seg);
                }
            }
            4 | 5 => {
                if frames.len() >= max_depth {
                    return Err(PayloadError::TooDeep { offset: start });
                }
                let left = if info == 31 {
                    None
                } else {
                    // Every item takes at least one byte, so a count beyond
                    // the bytes left is malformed (and not worth a loop).
                    let items = if major == 5 {
                        arg.saturating_mul(2)
                    } else {
                        arg
                    };
                    if items > (b.len() - pos) as u64 {
                        return Err(malformed(start, "more items than bytes left"));
                    }
                    Some(items)
                };
                if is_key {
                    set_key(&mut path, Seg::OpaqueKey);
                }
                if major == 4 {
                    frames.push(CborFrame::Array { left, index: 0 });
                    path.push(Seg::Index(0));
                } else {
                    frames.push(CborFrame::Map {
                        left,
                        key_next: true,
                    });
                    path.push(Seg::OpaqueKey);
                }
                continue;
            }
            6 => {
                if info == 31 {
                    return Err(malformed(start, "indefinite length tag"));
                }
                if frames.len() >= max_depth {
                    return Err(PayloadError::TooDeep { offset: start });
                }
                frames.push(CborFrame::Tag);
                continue;
            }
            _ => {
                // Major type 7: simple values, floats, break.
                match info {
                    24 if arg < 32 => return Err(malformed(start, "invalid simple value")),
                    31 => return Err(malformed(start, "unexpected break")),
                    _ => {}
                }
                if is_key {
                    set_key(&mut path, Seg::OpaqueKey);
                }
            }
        }
        item_done(&mut frames, &mut path);
    }
}

fn content_end(b: &[u8], start: usize, len: u64) -> Result<usize, PayloadError> {
    let left = (b.len() - start.min(b.len())) as u64;
    if len > left {
        return Err(malformed(start, "string longer than the bytes left"));
    }
    // len <= left <= usize::MAX, so the conversion is exact.
    Ok(start + usize::try_from(len).unwrap_or(usize::MAX))
}

fn set_key(path: &mut [Seg], seg: Seg) {
    if let Some(last) = path.last_mut() {
        *last = seg;
    }
}

/// One item of the innermost container is complete: count it, and finish
/// tags whose item it was.
fn item_done(frames: &mut Vec<CborFrame>, path: &mut [Seg]) {
    loop {
        match frames.last_mut() {
            Some(CborFrame::Tag) => {
                frames.pop();
            }
            Some(CborFrame::Array { left, index }) => {
                if let Some(n) = left {
                    *n -= 1;
                }
                *index += 1;
                set_key(path, Seg::Index(*index));
                return;
            }
            Some(CborFrame::Map { left, key_next }) => {
                if let Some(n) = left {
                    *n -= 1;
                }
                *key_next = !*key_next;
                return;
            }
            None => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(s: &str) -> Result<(), PayloadError> {
        walk(Encoding::Json, s.as_bytes(), 64, None)
    }

    fn strings(encoding: Encoding, b: &[u8]) -> Vec<(String, String, usize, usize)> {
        let mut out = Vec::new();
        let mut v = |item: &Item<'_>| {
            let path: Vec<String> = item
                .path
                .iter()
                .map(|s| match s {
                    Seg::Index(i) => format!("[{i}]"),
                    Seg::Key { .. } => format!(".{}", key_text(b, s).unwrap()),
                    Seg::OpaqueKey => "[*]".into(),
                })
                .collect();
            out.push((path.concat(), item.text.to_owned(), item.start, item.end));
            false
        };
        walk(encoding, b, 64, Some(&mut v)).unwrap();
        out
    }

    #[test]
    fn json_member_names_are_unique_per_object() {
        for ok in [
            r#"{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}"#,
            r#"{"a_b":1,"aB":2}"#,
        ] {
            assert_eq!(json(ok), Ok(()), "{ok}");
        }
        let dup = |offset| {
            Err(PayloadError::Malformed {
                offset,
                what: "duplicate member name",
            })
        };
        assert_eq!(json(r#"{"a":1,"a":2}"#), dup(7));
        assert_eq!(json(r#"{"x":{"a":1,"b":2,"a":null}}"#), dup(18));
        assert_eq!(json(r#"[{"a":1},{"a":1,"\u0061":2}]"#), dup(16));
        let many: Vec<String> = (0..100).map(|i| format!("\"k{i}\":{i}")).collect();
        let text = format!("{{{},\"k7\":0}}", many.join(","));
        assert!(matches!(
            json(&text),
            Err(PayloadError::Malformed {
                what: "duplicate member name",
                ..
            })
        ));
        assert_eq!(json(&format!("{{{}}}", many.join(","))), Ok(()));
    }

    #[test]
    fn json_grammar() {
        for ok in [
            "{}",
            "[]",
            " {\"a\": [1, -2.5e+3, true, false, null, \"x\"]} ",
            "\"\\u00e9\\ud83d\\ude00\"",
            "0",
            "[[[]]]",
            "{\"a\":{\"b\":{}}}",
        ] {
            assert_eq!(json(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\"}",
            "{\"a\":1,}",
            "01",
            "1.",
            "-",
            "tru",
            "\"\\x\"",
            "\"\\ud800\"",
            "\"a\nb\"",
            "{} {}",
            "[1 2]",
            "{1:2}",
            "\u{feff}{}",
            "NaN",
        ] {
            assert!(json(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            walk(Encoding::Json, b"{\"a\":\"\xff\"}", 64, None),
            Err(PayloadError::Malformed {
                offset: 6,
                what: "invalid UTF-8"
            })
        );
    }

    #[test]
    fn json_depth_is_bounded() {
        let deep = "[".repeat(64) + &"]".repeat(64);
        assert_eq!(json(&deep), Ok(()));
        let deeper = "[".repeat(65) + &"]".repeat(65);
        assert_eq!(json(&deeper), Err(PayloadError::TooDeep { offset: 64 }));
        // A million brackets: rejected at the limit, without recursion.
        let huge = "[".repeat(1_000_000);
        assert!(matches!(json(&huge), Err(PayloadError::TooDeep { .. })));
    }

    #[test]
    fn json_strings_with_paths_and_spans() {
        let doc =
            br#"{"user": {"email": "a@b.co", "tags": ["x", "y\u0041"]}, "n": 4111111111111111}"#;
        let found = strings(Encoding::Json, doc);
        let texts: Vec<(&str, &str)> = found
            .iter()
            .map(|(p, t, _, _)| (p.as_str(), t.as_str()))
            .collect();
        assert_eq!(
            texts,
            [
                ("", "user"),
                (".user", "email"),
                (".user.email", "a@b.co"),
                (".user", "tags"),
                (".user.tags[0]", "x"),
                (".user.tags[1]", "yA"),
                ("", "n"),
                (".n", "4111111111111111"),
            ]
        );
        let (_, _, s, e) = &found[2];
        assert_eq!(&doc[*s..*e], b"a@b.co");
    }

    #[test]
    fn cbor_grammar_and_strings() {
        // {"a": 1, "b": [true, null]}
        let doc = [0xa2, 0x61, 0x61, 0x01, 0x61, 0x62, 0x82, 0xf5, 0xf6];
        assert_eq!(walk(Encoding::Cbor, &doc, 64, None), Ok(()));
        // {"k": ["v", _ "ab" "c"]} with an indefinite-length text string.
        let doc = [
            0xa1, 0x61, b'k', 0x82, 0x61, b'v', 0x7f, 0x62, b'a', b'b', 0x61, b'c', 0xff,
        ];
        let found = strings(Encoding::Cbor, &doc);
        let texts: Vec<(&str, &str)> = found
            .iter()
            .map(|(p, t, _, _)| (p.as_str(), t.as_str()))
            .collect();
        assert_eq!(
            texts,
            [("", "k"), (".k[0]", "v"), (".k[1]", "ab"), (".k[1]", "c")]
        );
        // Indefinite map and array with tags.
        let doc = [0xbf, 0x61, b'x', 0x9f, 0xc1, 0x01, 0xff, 0xff];
        assert_eq!(walk(Encoding::Cbor, &doc, 64, None), Ok(()));
        for bad in [
            &[][..],
            &[0x61],
            &[0x82, 0x01],
            &[0x1c],
            &[0xff],
            &[0x01, 0x02],
            &[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            &[0x7b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            &[0x62, 0xff, 0xfe],
            &[0xf8, 0x10],
            &[0x1f],
            &[0xbf, 0x61, b'x', 0xff],
        ] {
            assert!(walk(Encoding::Cbor, bad, 64, None).is_err(), "{bad:x?}");
        }
        let deep: Vec<u8> = std::iter::repeat_n(0x81, 100).chain([0x01]).collect();
        assert!(matches!(
            walk(Encoding::Cbor, &deep, 64, None),
            Err(PayloadError::TooDeep { offset: 64 })
        ));
        let tags: Vec<u8> = std::iter::repeat_n(0xc1, 1000).chain([0x01]).collect();
        assert!(matches!(
            walk(Encoding::Cbor, &tags, 64, None),
            Err(PayloadError::TooDeep { .. })
        ));
    }
}

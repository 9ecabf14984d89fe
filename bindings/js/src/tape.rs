//! Tapes: JavaScript values written into one byte buffer, for a host whose
//! every call between JavaScript and the engine is costly (wasm-bindgen,
//! where each value crosses through a table slot and each string is
//! re-encoded).
//!
//! An argument goes in as an **input tape** that the package's JavaScript
//! writes in one pass (`bindings/wasm/tape.js`): each value with its kind,
//! message objects as the values of their fields read by the runtime's
//! reader of that message (see [`Host::fields`]). [`Taped`] is a [`Host`]
//! over such a tape that answers every question the conversions ask of a
//! value exactly as the live engine would, so the same generated code reads
//! it, with the same results and the same errors, and nothing about the
//! schema is decided in JavaScript.
//!
//! An entry comes out as an **output tape** written by [`TapeWriter`], a
//! [`Host`] that records what the generated code builds, in order (values,
//! then arrays and factory calls over the values before them), which the
//! JavaScript side replays with a stack. Its strings travel together, after
//! the operations, so that JavaScript decodes them with one call.
//!
//! Both formats are private to this crate and the package's JavaScript,
//! which ship together; the layout is little-endian:
//!
//! The tags of the values are in [`tag`], the factory codes in [`factory`]
//! (both generated with the JavaScript side's `tape_tags.js`).
//!
//! An output tape starts with its own u32 byte length and the u32 byte
//! length of its operations, which follow; the string section (UTF-8)
//! follows them.
//!
//! The Node package writes its input tapes with the strings apart
//! ([`Tape::parse_split`], `bindings/node/tape.cjs`): a string's tag is
//! followed by its length in UTF-16 units only, and its text is the next
//! that many units of one JavaScript string holding every string of the
//! tape in order, which crosses Node-API in one call (and is read as
//! Node-API reads a string: each unpaired surrogate becomes U+FFFD).

use std::cell::RefCell;

use crate::{Factory, Host, JsType, Key, Message, ToJs};

include!("tape_tags.rs");

/// Why a tape could not be read: it was not written by the package's
/// JavaScript of the same version (or a value was asked something the tape
/// does not record, which would be a bug of this crate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TapeError(pub &'static str);

impl std::fmt::Display for TapeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed value tape: {}", self.0)
    }
}

impl std::error::Error for TapeError {}

/// Containers nest at most this deep; the package's JavaScript writes at
/// most a message, in a list, in a message (and so on, as deep as the
/// schema's messages nest), each level one frame.
const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, Copy)]
enum Node {
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    BigInt(Option<i64>),
    Str {
        start: u32,
        len: u32,
    },
    /// A string of the side text of a split tape (UTF-16 units).
    Utf16 {
        start: u32,
        len: u32,
    },
    Symbol,
    Function,
    Bytes {
        start: u32,
        len: u32,
    },
    Array {
        first: u32,
        count: u32,
    },
    Date(f64),
    Object,
    Message {
        first: u32,
        count: u32,
    },
}

/// An input tape, parsed: one node per value, the root first.
#[derive(Debug)]
pub struct Tape<'a> {
    bytes: &'a [u8],
    /// The text of a split tape's strings.
    text: &'a [u16],
    nodes: Vec<Node>,
    /// The node ids of the elements of arrays and messages, each
    /// container's contiguous.
    children: Vec<u32>,
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], TapeError> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or(TapeError("a length runs past the end"))?;
        let s = self
            .bytes
            .get(self.pos..end)
            .ok_or(TapeError("a value runs past the end"))?;
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], TapeError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn u8(&mut self) -> Result<u8, TapeError> {
        Ok(self.array::<1>()?[0])
    }

    fn u32(&mut self) -> Result<u32, TapeError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn f64(&mut self) -> Result<f64, TapeError> {
        Ok(f64::from_le_bytes(self.array()?))
    }

    fn i64(&mut self) -> Result<i64, TapeError> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    /// A u32 length of bytes that follow, returned as the span they take.
    fn span(&mut self) -> Result<(u32, u32), TapeError> {
        let len = self.u32()?;
        let start = u32::try_from(self.pos).map_err(|_| TapeError("a tape over 4 GiB"))?;
        self.take(len as usize)?;
        Ok((start, len))
    }
}

/// A container being filled while parsing.
struct Frame {
    next: usize,
    end: usize,
}

impl<'a> Tape<'a> {
    /// A tape that holds nothing, for a call whose arguments are all live.
    pub const fn empty() -> Tape<'static> {
        Tape {
            bytes: &[],
            text: &[],
            nodes: Vec::new(),
            children: Vec::new(),
        }
    }

    /// Parses a tape of one value (its root). Time and memory are linear
    /// in its length: a container may not claim more elements than bytes
    /// remain, and containers nest at most `MAX_DEPTH` deep.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, TapeError> {
        Self::parse_with(bytes, None)
    }

    /// Parses a tape of one value whose strings are the consecutive
    /// pieces of `text` (see the module documentation), which it must use
    /// up exactly.
    pub fn parse_split(bytes: &'a [u8], text: &'a [u16]) -> Result<Self, TapeError> {
        Self::parse_with(bytes, Some(text))
    }

    fn parse_with(bytes: &'a [u8], text: Option<&'a [u16]>) -> Result<Self, TapeError> {
        let mut cur = Cursor { bytes, pos: 0 };
        // Where the next string of `text` starts.
        let mut at: usize = 0;
        // An entry takes about 10 bytes of tape per value (5 when its
        // strings are apart).
        let per_value = if text.is_some() { 4 } else { 8 };
        let mut nodes = Vec::with_capacity(bytes.len() / per_value + 1);
        let mut children: Vec<u32> = Vec::with_capacity(bytes.len() / per_value + 1);
        let mut stack: Vec<Frame> = Vec::with_capacity(8);
        loop {
            let id = u32::try_from(nodes.len()).map_err(|_| TapeError("too many values"))?;
            let node = match cur.u8()? {
                tag::UNDEFINED => Node::Undefined,
                tag::NULL => Node::Null,
                tag::FALSE => Node::Bool(false),
                tag::TRUE => Node::Bool(true),
                tag::NUMBER => Node::Number(cur.f64()?),
                tag::BIGINT => Node::BigInt(Some(cur.i64()?)),
                tag::BIGINT_OUT_OF_RANGE => Node::BigInt(None),
                tag::STRING => match text {
                    None => {
                        let (start, len) = cur.span()?;
                        Node::Str { start, len }
                    }
                    Some(text) => {
                        let len = cur.u32()?;
                        let start = u32::try_from(at).map_err(|_| TapeError("too much text"))?;
                        at = at
                            .checked_add(len as usize)
                            .filter(|end| *end <= text.len())
                            .ok_or(TapeError("a string runs past the end of the text"))?;
                        Node::Utf16 { start, len }
                    }
                },
                tag::SYMBOL => Node::Symbol,
                tag::FUNCTION => Node::Function,
                tag::BYTES => {
                    let (start, len) = cur.span()?;
                    Node::Bytes { start, len }
                }
                tag::DATE => Node::Date(cur.f64()?),
                tag::OBJECT => Node::Object,
                t @ (tag::ARRAY | tag::MESSAGE) => {
                    let count = cur.u32()?;
                    // Every element takes at least one byte.
                    if count as usize > bytes.len() - cur.pos {
                        return Err(TapeError("a container claims more values than it holds"));
                    }
                    let first =
                        u32::try_from(children.len()).map_err(|_| TapeError("too many values"))?;
                    if t == tag::ARRAY {
                        Node::Array { first, count }
                    } else {
                        Node::Message { first, count }
                    }
                }
                _ => return Err(TapeError("an unknown tag")),
            };
            nodes.push(node);
            if let Some(top) = stack.last_mut() {
                let slot = children
                    .get_mut(top.next)
                    .ok_or(TapeError("a container overflows"))?;
                *slot = id;
                top.next += 1;
            }
            if let Node::Array { first, count } | Node::Message { first, count } = node {
                if count > 0 {
                    if stack.len() == MAX_DEPTH {
                        return Err(TapeError("values nest too deeply"));
                    }
                    children.resize(children.len() + count as usize, 0);
                    stack.push(Frame {
                        next: first as usize,
                        end: first as usize + count as usize,
                    });
                }
            }
            while stack.last().is_some_and(|top| top.next == top.end) {
                stack.pop();
            }
            if stack.is_empty() {
                break;
            }
        }
        if cur.pos != bytes.len() {
            return Err(TapeError("bytes after the value"));
        }
        if text.is_some_and(|text| at != text.len()) {
            return Err(TapeError("text after the strings"));
        }
        Ok(Self {
            bytes,
            text: text.unwrap_or_default(),
            nodes,
            children,
        })
    }

    fn node(&self, id: u32) -> Node {
        self.nodes
            .get(id as usize)
            .copied()
            .unwrap_or(Node::Undefined)
    }

    fn slice(&self, start: u32, len: u32) -> &'a [u8] {
        let start = start as usize;
        self.bytes
            .get(start..start + len as usize)
            .unwrap_or_default()
    }

    fn text(&self, start: u32, len: u32) -> &'a [u16] {
        let start = start as usize;
        self.text
            .get(start..start + len as usize)
            .unwrap_or_default()
    }

    fn items(&self, first: u32, count: u32) -> &[u32] {
        let first = first as usize;
        self.children
            .get(first..first + count as usize)
            .unwrap_or_default()
    }
}

/// UTF-16 text as a string, each unpaired surrogate U+FFFD.
pub(crate) fn utf16_string(units: &[u16]) -> String {
    if units.iter().all(|u| *u < 0x80) {
        // ASCII, the common case: a byte per unit (two passes that the
        // compiler vectorises, cheaper than one that pushes byte by byte).
        #[allow(clippy::cast_possible_truncation)] // Each is below 0x80.
        let bytes: Vec<u8> = units.iter().map(|u| *u as u8).collect();
        return String::from_utf8(bytes).unwrap_or_default();
    }
    String::from_utf16_lossy(units)
}

/// A value of a [`Taped`] host: one of the live engine's, or one of the tape.
#[derive(Debug)]
pub enum Tv<V> {
    /// A value of the engine (options, and everything built).
    Host(V),
    /// A value of the tape (its node id).
    Node(u32),
}

/// A [`Host`] that reads the values of an input [`Tape`] and hands
/// everything else (other arguments, everything built) to the live host.
pub struct Taped<'t, 'h, H: Host> {
    host: &'h H,
    tape: &'t Tape<'t>,
    error: fn(&TapeError) -> H::Error,
}

impl<H: Host> std::fmt::Debug for Taped<'_, '_, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Taped")
            .field("tape", &self.tape)
            .finish_non_exhaustive()
    }
}

impl<'t, 'h, H: Host> Taped<'t, 'h, H> {
    /// Reads `tape` over `host`; `error` makes the host's error from a
    /// [`TapeError`] (thrown to the caller, never expected).
    pub fn new(host: &'h H, tape: &'t Tape<'t>, error: fn(&TapeError) -> H::Error) -> Self {
        Self { host, tape, error }
    }

    /// The tape's root value.
    pub fn root(&self) -> Tv<H::Value> {
        Tv::Node(0)
    }

    /// The live host's value, for what was built.
    pub fn into_host(&self, v: Tv<H::Value>) -> Result<H::Value, H::Error> {
        match v {
            Tv::Host(v) => Ok(v),
            Tv::Node(_) => Err((self.error)(&TapeError("a tape value was returned"))),
        }
    }

    fn unsupported<T>(&self, what: &'static str) -> Result<T, H::Error> {
        Err((self.error)(&TapeError(what)))
    }

    fn str(&self, start: u32, len: u32) -> Result<&'t str, H::Error> {
        std::str::from_utf8(self.tape.slice(start, len))
            .map_err(|_| (self.error)(&TapeError("a string is not UTF-8")))
    }

    fn nodes(&self, first: u32, count: u32) -> Vec<Tv<H::Value>> {
        self.tape
            .items(first, count)
            .iter()
            .map(|&id| Tv::Node(id))
            .collect()
    }

    fn host_values(&self, items: Vec<Tv<H::Value>>) -> Result<Vec<H::Value>, H::Error> {
        items.into_iter().map(|v| self.into_host(v)).collect()
    }
}

impl<H: Host> Host for Taped<'_, '_, H> {
    type Value = Tv<H::Value>;
    type Error = H::Error;

    fn type_of(&self, value: &Self::Value) -> Result<JsType, H::Error> {
        Ok(match value {
            Tv::Host(v) => return self.host.type_of(v),
            Tv::Node(id) => match self.tape.node(*id) {
                Node::Undefined => JsType::Undefined,
                Node::Null => JsType::Null,
                Node::Bool(_) => JsType::Boolean,
                Node::Number(_) => JsType::Number,
                Node::BigInt(_) => JsType::BigInt,
                Node::Str { .. } | Node::Utf16 { .. } => JsType::String,
                Node::Symbol => JsType::Symbol,
                Node::Function => JsType::Function,
                Node::Bytes { .. }
                | Node::Array { .. }
                | Node::Date(_)
                | Node::Object
                | Node::Message { .. } => JsType::Object,
            },
        })
    }

    fn get(&self, object: &Self::Value, key: Key) -> Result<Self::Value, H::Error> {
        match object {
            Tv::Host(o) => self.host.get(o, key).map(Tv::Host),
            Tv::Node(_) => self.unsupported("a property of a tape value was asked for"),
        }
    }

    fn fields(
        &self,
        object: &Self::Value,
        message: Message,
        keys: &[Key],
    ) -> Result<Vec<Self::Value>, H::Error> {
        match object {
            Tv::Host(o) => Ok(self
                .host
                .fields(o, message, keys)?
                .into_iter()
                .map(Tv::Host)
                .collect()),
            Tv::Node(id) => match self.tape.node(*id) {
                Node::Message { first, count } => Ok(self.nodes(first, count)),
                _ => self.unsupported("the fields of a tape value that is not a message"),
            },
        }
    }

    fn string(&self, value: &Self::Value) -> Result<String, H::Error> {
        Ok(self.as_string(value)?.unwrap_or_default())
    }

    fn as_string(&self, value: &Self::Value) -> Result<Option<String>, H::Error> {
        match value {
            Tv::Host(v) => self.host.as_string(v),
            Tv::Node(id) => match self.tape.node(*id) {
                Node::Str { start, len } => Ok(Some(self.str(start, len)?.to_owned())),
                Node::Utf16 { start, len } => Ok(Some(utf16_string(self.tape.text(start, len)))),
                _ => Ok(None),
            },
        }
    }

    fn as_number(&self, value: &Self::Value) -> Result<Option<f64>, H::Error> {
        match value {
            Tv::Host(v) => self.host.as_number(v),
            Tv::Node(id) => match self.tape.node(*id) {
                Node::Number(n) => Ok(Some(n)),
                _ => Ok(None),
            },
        }
    }

    fn boolean(&self, value: &Self::Value) -> Result<bool, H::Error> {
        match value {
            Tv::Host(v) => self.host.boolean(v),
            Tv::Node(id) => Ok(matches!(self.tape.node(*id), Node::Bool(true))),
        }
    }

    fn own_keys(&self, object: &Self::Value) -> Result<Vec<String>, H::Error> {
        match object {
            Tv::Host(o) => self.host.own_keys(o),
            Tv::Node(_) => self.unsupported("the keys of a tape value were asked for"),
        }
    }

    fn number(&self, value: &Self::Value) -> Result<f64, H::Error> {
        Ok(self.as_number(value)?.unwrap_or(f64::NAN))
    }

    fn bigint(&self, value: &Self::Value) -> Result<Option<i64>, H::Error> {
        match value {
            Tv::Host(v) => self.host.bigint(v),
            Tv::Node(id) => Ok(match self.tape.node(*id) {
                Node::BigInt(v) => v,
                _ => None,
            }),
        }
    }

    fn is_bytes(&self, value: &Self::Value) -> Result<bool, H::Error> {
        match value {
            Tv::Host(v) => self.host.is_bytes(v),
            Tv::Node(id) => Ok(matches!(self.tape.node(*id), Node::Bytes { .. })),
        }
    }

    fn bytes(&self, value: &Self::Value) -> Result<Option<Vec<u8>>, H::Error> {
        match value {
            Tv::Host(v) => self.host.bytes(v),
            Tv::Node(id) => Ok(match self.tape.node(*id) {
                Node::Bytes { start, len } => Some(self.tape.slice(start, len).to_vec()),
                _ => None,
            }),
        }
    }

    fn array(&self, value: &Self::Value) -> Result<Option<Vec<Self::Value>>, H::Error> {
        match value {
            Tv::Host(v) => Ok(self
                .host
                .array(v)?
                .map(|items| items.into_iter().map(Tv::Host).collect())),
            Tv::Node(id) => Ok(match self.tape.node(*id) {
                Node::Array { first, count } => Some(self.nodes(first, count)),
                _ => None,
            }),
        }
    }

    fn date_millis(&self, value: &Self::Value) -> Result<Option<f64>, H::Error> {
        match value {
            Tv::Host(v) => self.host.date_millis(v),
            Tv::Node(id) => Ok(match self.tape.node(*id) {
                Node::Date(ms) => Some(ms),
                _ => None,
            }),
        }
    }

    fn undefined(&self) -> Result<Self::Value, H::Error> {
        self.host.undefined().map(Tv::Host)
    }

    fn new_boolean(&self, value: bool) -> Result<Self::Value, H::Error> {
        self.host.new_boolean(value).map(Tv::Host)
    }

    fn new_string(&self, value: &str) -> Result<Self::Value, H::Error> {
        self.host.new_string(value).map(Tv::Host)
    }

    fn new_number(&self, value: f64) -> Result<Self::Value, H::Error> {
        self.host.new_number(value).map(Tv::Host)
    }

    fn new_bigint(&self, value: i64) -> Result<Self::Value, H::Error> {
        self.host.new_bigint(value).map(Tv::Host)
    }

    fn new_bytes(&self, value: &[u8]) -> Result<Self::Value, H::Error> {
        self.host.new_bytes(value).map(Tv::Host)
    }

    fn new_array(&self, items: Vec<Self::Value>) -> Result<Self::Value, H::Error> {
        let items = self.host_values(items)?;
        self.host.new_array(items).map(Tv::Host)
    }

    fn build(&self, factory: Factory, args: Vec<Self::Value>) -> Result<Self::Value, H::Error> {
        let args = self.host_values(args)?;
        self.host.build(factory, args).map(Tv::Host)
    }
}

/// The bytes before an output tape's operations: its length, theirs.
const HEADER: usize = 8;

/// A [`Host`] that writes what is built into an output tape (see the
/// module documentation); it reads nothing. Each built value is `()`: the
/// tape holds them in the order they were made.
#[derive(Debug)]
pub struct TapeWriter {
    /// The header (written by `finish`), then the operations.
    ops: RefCell<Vec<u8>>,
    strings: RefCell<Vec<u8>>,
}

impl Default for TapeWriter {
    fn default() -> Self {
        Self::with_buffers(Vec::new(), Vec::new())
    }
}

impl TapeWriter {
    /// An empty tape.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty tape written into the buffers of an earlier one (see
    /// [`TapeWriter::finish`]), which a host may keep to spare allocations.
    pub fn with_buffers(mut ops: Vec<u8>, mut strings: Vec<u8>) -> Self {
        ops.clear();
        ops.extend_from_slice(&[0; HEADER]);
        strings.clear();
        Self {
            ops: RefCell::new(ops),
            strings: RefCell::new(strings),
        }
    }

    fn op(&self, tag: u8, payload: &[u8]) {
        let mut ops = self.ops.borrow_mut();
        ops.push(tag);
        ops.extend_from_slice(payload);
    }

    fn length(len: usize) -> Result<[u8; 4], TapeError> {
        u32::try_from(len)
            .map(u32::to_le_bytes)
            .map_err(|_| TapeError("a value over 4 GiB"))
    }

    /// Writes what `value.to_js` builds.
    pub fn write<T: ToJs>(&self, value: &T) -> Result<(), TapeError> {
        value.to_js(self)
    }

    /// Writes an `Array` of the last `count` values written.
    pub fn array_of_last(&self, count: usize) -> Result<(), TapeError> {
        self.op(tag::ARRAY, &Self::length(count)?);
        Ok(())
    }

    /// The tape (its header, the operations, the strings), and the emptied
    /// buffer of the strings, for [`TapeWriter::with_buffers`].
    pub fn finish(self) -> Result<(Vec<u8>, Vec<u8>), TapeError> {
        let (mut ops, mut strings) = self.finish_apart()?;
        ops.extend_from_slice(&strings);
        strings.clear();
        Ok((ops, strings))
    }

    /// The tape of [`TapeWriter::finish`] in its two parts, the header and
    /// the operations, then the strings (UTF-8), without appending the
    /// second to the first: for a host that hands them over apart. Both
    /// buffers can go back to [`TapeWriter::with_buffers`].
    pub fn finish_apart(self) -> Result<(Vec<u8>, Vec<u8>), TapeError> {
        let mut ops = self.ops.into_inner();
        let strings = self.strings.into_inner();
        let ops_len = Self::length(ops.len() - HEADER)?;
        let total = Self::length(ops.len().saturating_add(strings.len()))?;
        let mut header = [0; HEADER];
        for (slot, byte) in header.iter_mut().zip(total.iter().chain(&ops_len)) {
            *slot = *byte;
        }
        if let Some(place) = ops.get_mut(..HEADER) {
            place.copy_from_slice(&header);
        }
        Ok((ops, strings))
    }
}

impl Host for TapeWriter {
    type Value = ();
    type Error = TapeError;

    fn type_of(&self, _: &()) -> Result<JsType, TapeError> {
        Err(TapeError("an output tape is not read"))
    }

    fn get(&self, _: &(), _: Key) -> Result<(), TapeError> {
        Err(TapeError("an output tape is not read"))
    }

    fn string(&self, _: &()) -> Result<String, TapeError> {
        Err(TapeError("an output tape is not read"))
    }

    fn boolean(&self, _: &()) -> Result<bool, TapeError> {
        Err(TapeError("an output tape is not read"))
    }

    fn own_keys(&self, _: &()) -> Result<Vec<String>, TapeError> {
        Err(TapeError("an output tape is not read"))
    }

    fn number(&self, _: &()) -> Result<f64, TapeError> {
        Err(TapeError("an output tape is not read"))
    }

    fn bigint(&self, _: &()) -> Result<Option<i64>, TapeError> {
        Err(TapeError("an output tape is not read"))
    }

    fn is_bytes(&self, _: &()) -> Result<bool, TapeError> {
        Err(TapeError("an output tape is not read"))
    }

    fn bytes(&self, _: &()) -> Result<Option<Vec<u8>>, TapeError> {
        Err(TapeError("an output tape is not read"))
    }

    fn array(&self, _: &()) -> Result<Option<Vec<()>>, TapeError> {
        Err(TapeError("an output tape is not read"))
    }

    fn date_millis(&self, _: &()) -> Result<Option<f64>, TapeError> {
        Err(TapeError("an output tape is not read"))
    }

    fn undefined(&self) -> Result<(), TapeError> {
        self.op(tag::UNDEFINED, &[]);
        Ok(())
    }

    fn new_boolean(&self, value: bool) -> Result<(), TapeError> {
        self.op(if value { tag::TRUE } else { tag::FALSE }, &[]);
        Ok(())
    }

    fn new_string(&self, value: &str) -> Result<(), TapeError> {
        // JavaScript slices the decoded string section by UTF-16 units.
        let units = if value.is_ascii() {
            value.len()
        } else {
            value.encode_utf16().count()
        };
        self.op(tag::STRING, &Self::length(units)?);
        self.strings
            .borrow_mut()
            .extend_from_slice(value.as_bytes());
        Ok(())
    }

    fn new_number(&self, value: f64) -> Result<(), TapeError> {
        self.op(tag::NUMBER, &value.to_le_bytes());
        Ok(())
    }

    fn new_bigint(&self, value: i64) -> Result<(), TapeError> {
        self.op(tag::BIGINT, &value.to_le_bytes());
        Ok(())
    }

    fn new_bytes(&self, value: &[u8]) -> Result<(), TapeError> {
        self.op(tag::BYTES, &Self::length(value.len())?);
        self.ops.borrow_mut().extend_from_slice(value);
        Ok(())
    }

    fn new_array(&self, items: Vec<()>) -> Result<(), TapeError> {
        self.array_of_last(items.len())
    }

    fn build(&self, factory: Factory, args: Vec<()>) -> Result<(), TapeError> {
        let (code, message) = match factory {
            Factory::Message(m) => (factory::MESSAGE, m.index()),
            Factory::Violation => (factory::VIOLATION, 0),
            Factory::Report => (factory::REPORT, 0),
            Factory::Finding => (factory::FINDING, 0),
            Factory::Redaction => (factory::REDACTION, 0),
            Factory::Error => (factory::ERROR, 0),
            Factory::ProofCheck => (factory::PROOFCHECK, 0),
        };
        let message = u8::try_from(message).map_err(|_| TapeError("too many messages"))?;
        let argc = Self::length(args.len())?;
        self.op(
            tag::BUILD,
            &[code, message, argc[0], argc[1], argc[2], argc[3]],
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    fn string(s: &str) -> Vec<u8> {
        let mut t = vec![tag::STRING];
        t.extend_from_slice(&u32::try_from(s.len()).unwrap().to_le_bytes());
        t.extend_from_slice(s.as_bytes());
        t
    }

    fn container(tag: u8, count: u32, items: &[Vec<u8>]) -> Vec<u8> {
        let mut t = vec![tag];
        t.extend_from_slice(&count.to_le_bytes());
        for item in items {
            t.extend_from_slice(item);
        }
        t
    }

    #[test]
    fn parses_nested_containers_in_order() {
        // A message of [ "a", [ "b", "c" ], a message of [ true ], undefined ].
        let inner = container(tag::ARRAY, 2, &[string("b"), string("c")]);
        let msg = container(tag::MESSAGE, 1, &[vec![tag::TRUE]]);
        let tape = container(
            tag::MESSAGE,
            4,
            &[string("a"), inner, msg, vec![tag::UNDEFINED]],
        );
        let t = Tape::parse(&tape).unwrap();
        let Node::Message { first, count } = t.node(0) else {
            panic!("not a message")
        };
        let items = t.items(first, count).to_vec();
        assert_eq!(items.len(), 4);
        assert!(matches!(t.node(items[0]), Node::Str { .. }));
        let Node::Array { first, count } = t.node(items[1]) else {
            panic!("not an array")
        };
        let strings: Vec<&str> = t
            .items(first, count)
            .iter()
            .map(|&id| match t.node(id) {
                Node::Str { start, len } => std::str::from_utf8(t.slice(start, len)).unwrap(),
                _ => "?",
            })
            .collect();
        assert_eq!(strings, ["b", "c"]);
        assert!(matches!(t.node(items[2]), Node::Message { count: 1, .. }));
        assert!(matches!(t.node(items[3]), Node::Undefined));
    }

    /// A string tag of a split tape: its length in UTF-16 units only.
    fn split_string(units: u32) -> Vec<u8> {
        let mut t = vec![tag::STRING];
        t.extend_from_slice(&units.to_le_bytes());
        t
    }

    #[test]
    fn split_tapes_take_their_strings_from_the_text_in_order() {
        // [ "ab", [ "", "c\u{1F600}" ], "\u{D800}" ] with the text apart.
        let text: Vec<u16> = "abc\u{1F600}".encode_utf16().chain([0xD800]).collect();
        let inner = container(tag::ARRAY, 2, &[split_string(0), split_string(3)]);
        let tape = container(tag::MESSAGE, 3, &[split_string(2), inner, split_string(1)]);
        let t = Tape::parse_split(&tape, &text).unwrap();
        let strings: Vec<String> = t
            .nodes
            .iter()
            .filter_map(|n| match *n {
                Node::Utf16 { start, len } => Some(String::from_utf16_lossy(t.text(start, len))),
                _ => None,
            })
            .collect();
        // An unpaired surrogate reads as U+FFFD, as Node-API reads it.
        assert_eq!(strings, ["ab", "", "c\u{1F600}", "\u{FFFD}"]);
        // The text must be used up exactly, and never overrun.
        assert_eq!(
            Tape::parse_split(&tape, &text[..5]).unwrap_err(),
            TapeError("a string runs past the end of the text")
        );
        let mut longer = text.clone();
        longer.push(u16::from(b'x'));
        assert_eq!(
            Tape::parse_split(&tape, &longer).unwrap_err(),
            TapeError("text after the strings")
        );
        // A huge length claims nothing.
        let huge = container(tag::ARRAY, 1, &[split_string(u32::MAX)]);
        assert!(Tape::parse_split(&huge, &text).is_err());
        for cut in 0..tape.len() {
            assert!(
                Tape::parse_split(&tape[..cut], &text).is_err(),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn malformed_tapes_are_errors_not_panics() {
        let ok = container(tag::ARRAY, 1, &[string("x")]);
        for cut in 0..ok.len() {
            assert!(Tape::parse(&ok[..cut]).is_err(), "cut at {cut}");
        }
        let mut trailing = ok;
        trailing.push(tag::NULL);
        assert_eq!(
            Tape::parse(&trailing).unwrap_err(),
            TapeError("bytes after the value")
        );
        assert_eq!(Tape::parse(&[99]).unwrap_err(), TapeError("an unknown tag"));
        // A count of four billion in a five-byte tape allocates nothing.
        assert_eq!(
            Tape::parse(&container(tag::ARRAY, u32::MAX, &[])).unwrap_err(),
            TapeError("a container claims more values than it holds")
        );
        // A string claiming more bytes than there are.
        let mut long = vec![tag::STRING];
        long.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(Tape::parse(&long).is_err());
        // Nesting deeper than any entry is refused, iteratively.
        let mut deep = Vec::new();
        for _ in 0..10_000 {
            deep.extend_from_slice(&container(tag::ARRAY, 1, &[]));
        }
        deep.push(tag::NULL);
        assert_eq!(
            Tape::parse(&deep).unwrap_err(),
            TapeError("values nest too deeply")
        );
    }

    #[test]
    fn output_tape_layout() {
        let w = TapeWriter::new();
        w.new_string("héllo").unwrap();
        w.new_number(1.5).unwrap();
        w.new_bytes(&[7, 8]).unwrap();
        w.new_array(vec![(), ()]).unwrap();
        w.build(Factory::Message(Message::Producer), vec![(), ()])
            .unwrap();
        let (tape, _) = w.finish().unwrap();
        let total = u32::from_le_bytes(tape[0..4].try_into().unwrap()) as usize;
        let ops = u32::from_le_bytes(tape[4..8].try_into().unwrap()) as usize;
        assert_eq!(total, tape.len());
        // The string's length is in UTF-16 units; its UTF-8 comes last.
        assert_eq!(&tape[8..13], &[tag::STRING, 5, 0, 0, 0]);
        assert_eq!(&tape[8 + ops..], "héllo".as_bytes());
        assert_eq!(tape[13], tag::NUMBER);
        assert_eq!(&tape[22..29], &[tag::BYTES, 2, 0, 0, 0, 7, 8]);
        assert_eq!(&tape[29..34], &[tag::ARRAY, 2, 0, 0, 0]);
        // Factory 0 (a message), message 2 (Producer), two arguments.
        assert_eq!(&tape[34..41], &[tag::BUILD, 0, 2, 2, 0, 0, 0]);
        assert_eq!(ops, 41 - 8);
        // The buffers are reused by the next tape, which starts empty.
        let (again, strings) = TapeWriter::with_buffers(tape, Vec::new()).finish().unwrap();
        assert_eq!(again, [8, 0, 0, 0, 0, 0, 0, 0]);
        assert!(strings.is_empty());
    }
}

//! The one error type of the crate.

/// A `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong reading or writing records.
///
/// Every variant carries what a user needs to find the problem (the field,
/// the line and column, the byte offset, the entry index) and never the
/// content of the record itself, which may be sensitive. [`Error::code`] gives
/// a stable machine-readable name for bindings and scripts.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not a valid protobuf encoding of the message.
    #[error("invalid protobuf: {0}")]
    Decode(#[from] prost::DecodeError),

    /// The input is larger than the configured limit.
    #[error("{what} is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// What was too large ("entry", "JSON text", …).
        what: &'static str,
        /// Its size in bytes.
        size: u64,
        /// The limit in force.
        limit: u64,
    },

    /// The JSON text is malformed or does not match the schema.
    #[error(
        "invalid JSON at line {line}, column {column}{}: {message}",
        if path.is_empty() { String::new() } else { format!(" (field `{path}`)") }
    )]
    Json {
        /// 1-based line of the problem (0 when not parsing text).
        line: usize,
        /// 1-based column of the problem (0 when not parsing text).
        column: usize,
        /// The JSON path of the offending field, like `delegationChain[0].actorType`;
        /// empty when the problem is not in a field (a syntax error).
        path: String,
        /// What is wrong. Values from the input are not repeated (they may
        /// be sensitive), except enum names that look like identifiers.
        message: String,
    },

    /// A field holds a value the canonical JSON mapping cannot express, such
    /// as a timestamp outside years 1-9999.
    #[error("field `{field}` cannot be written as JSON: {reason}")]
    JsonValue {
        /// The JSON name of the field.
        field: &'static str,
        /// Why the value is not representable.
        reason: String,
    },

    /// A length-delimited stream holds a length prefix that is not a varint
    /// of at most ten bytes.
    #[error("invalid length prefix: not a varint of at most 10 bytes")]
    LengthPrefix,

    /// A stream ended inside an entry or its length prefix.
    #[error("truncated: {needed} more bytes expected, the input ended")]
    Truncated {
        /// How many more bytes the entry needed (at least).
        needed: u64,
    },

    /// A problem with one entry of a stream.
    #[error("entry {index} ({}byte offset {offset}): {source}", line.map(|l| format!("line {l}, ")).unwrap_or_default())]
    Entry {
        /// 0-based index of the entry in its stream.
        index: u64,
        /// Byte offset of the entry's length prefix (or line start) in the stream.
        offset: u64,
        /// 1-based line number, for JSON Lines input.
        line: Option<u64>,
        /// The problem.
        #[source]
        source: Box<Error>,
    },

    /// Reading or writing failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),

    /// The record breaks rules at level error: what every binding raises
    /// from its "validate or fail" call (`validate` in Python, `assertValid`
    /// in JavaScript), made by `validate::Report::invalid_error`, which
    /// names each error's field and rule.
    #[error("{message}")]
    Invalid {
        /// What is wrong: each error's field, message and rule.
        message: String,
    },

    /// A validation profile name that is not one of
    /// [`validate::Options::profile_names`](crate::validate::Options::profile_names).
    #[error("unknown validation profile `{name}`; the profiles are baseline, soc2, hipaa and pci")]
    UnknownProfile {
        /// The name given.
        name: String,
    },
}

impl Error {
    /// A stable, machine-readable name for the kind of error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Decode(_) => "DECODE",
            Self::TooLarge { .. } => "TOO_LARGE",
            Self::Json { .. } => "JSON",
            Self::JsonValue { .. } => "JSON_VALUE",
            Self::LengthPrefix => "LENGTH_PREFIX",
            Self::Truncated { .. } => "TRUNCATED",
            Self::Entry { source, .. } => source.code(),
            Self::Io(_) => "IO",
            Self::Invalid { .. } => "INVALID",
            Self::UnknownProfile { .. } => "UNKNOWN_PROFILE",
        }
    }

    /// The innermost error, past any [`Error::Entry`] context.
    pub fn root(&self) -> &Error {
        match self {
            Self::Entry { source, .. } => source.root(),
            other => other,
        }
    }

    /// Wraps the error with the position of the entry it concerns in a
    /// stream or batch, for callers that frame entries themselves (a binding
    /// that hands each frame to another parser, say).
    pub fn at_entry(self, index: u64, offset: u64, line: Option<u64>) -> Self {
        Self::Entry {
            index,
            offset,
            line,
            source: Box::new(self),
        }
    }
}

//! A record to export: a decoded [`LogEntry`], or a [view](LogEntryView) of
//! its encoding read without copying it.
//!
//! The direct writers (OCSF JSON, OTLP protobuf, Parquet) and the ECS export
//! read a record's fields through the core's generated field access
//! ([`Access`]), which a view implements as a decoded entry does, so a view
//! is exported without decoding it. What those paths leave to the
//! reflection-based general path needs the decoded entry: for a view, that
//! rare record is decoded from the bytes it was read from, and gets the same
//! output as a decoded one (the tests hold the two to the same bytes).

use std::borrow::Cow;

use lokryn_compliance_log::access::Access;
use lokryn_compliance_log::view::LogEntryView;
use lokryn_compliance_log::{LogEntry, PayloadFormat};

use crate::Error;

/// A record to export, decoded or as a view of its encoding.
///
/// ```
/// use lokryn_compliance_log::{codec, view, LogEntry};
/// use lokryn_export::{ocsf, Options, Record};
///
/// let entry = LogEntry { actor_id: "alice".into(), ..Default::default() };
/// let bytes = codec::encode(&entry);
/// let v = view::decode(&bytes, &codec::Limits::DEFAULT)?;
/// let (mut from_view, mut from_entry) = (Vec::new(), Vec::new());
/// ocsf::write_ocsf_record(Record::view(&v, &bytes), &Options::default(), &mut from_view)?;
/// ocsf::write_ocsf(&entry, &Options::default(), &mut from_entry)?;
/// assert_eq!(from_view, from_entry);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Record<'a> {
    /// A decoded entry.
    Entry(&'a LogEntry),
    /// A view, with the encoded bytes it was read from (decoded only for a
    /// record the direct paths leave to the general one).
    View {
        /// The view of `bytes`.
        view: &'a LogEntryView<'a>,
        /// The encoded entry the view was read from.
        bytes: &'a [u8],
    },
}

impl<'a> From<&'a LogEntry> for Record<'a> {
    fn from(entry: &'a LogEntry) -> Self {
        Self::Entry(entry)
    }
}

impl<'a> Record<'a> {
    /// A view, with the bytes it was read from
    /// ([`view::decode`](lokryn_compliance_log::view::decode) of `bytes`).
    pub fn view(view: &'a LogEntryView<'a>, bytes: &'a [u8]) -> Self {
        Self::View { view, bytes }
    }

    /// The record's fields, by number.
    pub(crate) fn access(self) -> &'a dyn Access {
        match self {
            Self::Entry(entry) => entry,
            Self::View { view, .. } => view,
        }
    }

    /// The decoded entry: the one held, or the bytes of a view decoded (for
    /// the general path).
    pub fn to_entry(self) -> Result<Cow<'a, LogEntry>, Error> {
        match self {
            Self::Entry(entry) => Ok(Cow::Borrowed(entry)),
            // The view was read from these bytes, and a view takes exactly
            // what prost takes: this decodes (the size limit was checked
            // when the view was read).
            Self::View { bytes, .. } => <LogEntry as prost::Message>::decode(bytes)
                .map(Cow::Owned)
                .map_err(|e| Error::Write(format!("decoding the record: {e}"))),
        }
    }

    pub(crate) fn event_type(self) -> i32 {
        match self {
            Self::Entry(e) => e.event_type,
            Self::View { view, .. } => view.event_type,
        }
    }

    pub(crate) fn severity(self) -> i32 {
        match self {
            Self::Entry(e) => e.severity,
            Self::View { view, .. } => view.severity,
        }
    }

    pub(crate) fn trace_id(self) -> &'a str {
        match self {
            Self::Entry(e) => &e.trace_id,
            Self::View { view, .. } => view.trace_id,
        }
    }

    pub(crate) fn span_id(self) -> &'a str {
        match self {
            Self::Entry(e) => &e.span_id,
            Self::View { view, .. } => view.span_id,
        }
    }

    /// The producer's name and version (empty when unset).
    pub(crate) fn producer(self) -> (&'a str, &'a str) {
        match self {
            Self::Entry(e) => e
                .producer
                .as_ref()
                .map_or(("", ""), |p| (p.name.as_str(), p.version.as_str())),
            Self::View { view, .. } => view
                .producer
                .as_ref()
                .map_or(("", ""), |p| (p.name, p.version)),
        }
    }

    pub(crate) fn payload(self) -> &'a [u8] {
        match self {
            Self::Entry(e) => &e.payload,
            Self::View { view, .. } => view.payload,
        }
    }

    /// Whether the payload is declared CBOR (and so never read as JSON).
    pub(crate) fn payload_is_cbor(self) -> bool {
        let format = match self {
            Self::Entry(e) => e.payload_format,
            Self::View { view, .. } => view.payload_format,
        };
        format == PayloadFormat::Cbor as i32
    }
}

//! Errors: a value that does not fit the schema ([`ConvertError`]), the
//! error thrown to JavaScript ([`ErrorInfo`]) and why a call failed
//! ([`Failure`]).

use std::fmt;

use lokryn_compliance_log::Error;
use lokryn_compliance_log::validate::Report;

use crate::{Factory, Host, violations_to_js};

/// Why a JavaScript value could not be read.
#[derive(Debug)]
pub enum ConvertError<E> {
    /// The engine failed (a getter threw, memory ran out).
    Host(E),
    /// The value does not fit the schema.
    Invalid {
        /// Where, innermost segment first (reversed for display).
        path: Vec<Segment>,
        /// What was expected and what was found.
        message: String,
    },
}

/// One step of a path into an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A property.
    Field(&'static str),
    /// An array element.
    Index(usize),
}

impl<E> ConvertError<E> {
    /// A value that does not fit, at the current position.
    pub fn invalid(message: String) -> Self {
        Self::Invalid {
            path: Vec::new(),
            message,
        }
    }

    /// Adds the property the error happened under.
    #[must_use]
    pub fn at(mut self, field: &'static str) -> Self {
        if let Self::Invalid { path, .. } = &mut self {
            path.push(Segment::Field(field));
        }
        self
    }

    /// Adds the array element the error happened in.
    #[must_use]
    pub fn at_index(mut self, index: usize) -> Self {
        if let Self::Invalid { path, .. } = &mut self {
            path.push(Segment::Index(index));
        }
        self
    }

    /// The path as the core's validation reports write it:
    /// `delegationChain[1].actorType`; empty for the value itself.
    pub fn path(&self) -> String {
        let mut out = String::new();
        if let Self::Invalid { path, .. } = self {
            for segment in path.iter().rev() {
                match segment {
                    Segment::Field(name) => {
                        if !out.is_empty() {
                            out.push('.');
                        }
                        out.push_str(name);
                    }
                    Segment::Index(i) => out.push_str(&format!("[{i}]")),
                }
            }
        }
        out
    }
}

impl<E> From<E> for ConvertError<E> {
    fn from(err: E) -> Self {
        Self::Host(err)
    }
}

impl<E: fmt::Display> fmt::Display for ConvertError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Host(err) => err.fmt(f),
            Self::Invalid { message, .. } => match self.path().as_str() {
                "" => f.write_str(message),
                path => write!(f, "{path}: {message}"),
            },
        }
    }
}

/// A thrown error, before it becomes a JavaScript object: the code, the
/// message and the details the JavaScript error carries as properties.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorInfo {
    /// The stable code: [`Error::code`] for the core's errors, `"TYPE"` for
    /// a value that does not fit the schema, `"INVALID"` for a record that
    /// fails validation.
    pub code: &'static str,
    /// The message.
    pub message: String,
    /// Named details: where in a stream, which field, which limit.
    pub details: Vec<(&'static str, Detail)>,
}

/// The value of an error detail.
#[derive(Debug, Clone, PartialEq)]
pub enum Detail {
    /// A number (offsets and sizes stay exact below 2^53).
    Number(f64),
    /// A string.
    String(String),
}

impl ErrorInfo {
    /// Describes a core error.
    pub fn from_core(err: &Error) -> Self {
        let mut details = Vec::new();
        let mut current = err;
        while let Error::Entry {
            index,
            offset,
            line,
            source,
        } = current
        {
            details.push(("index", Detail::Number(*index as f64)));
            details.push(("offset", Detail::Number(*offset as f64)));
            if let Some(line) = line {
                details.push(("line", Detail::Number(*line as f64)));
            }
            current = source;
        }
        match current {
            Error::TooLarge { size, limit, .. } => {
                details.push(("size", Detail::Number(*size as f64)));
                details.push(("limit", Detail::Number(*limit as f64)));
            }
            Error::Json { line, column, .. } => {
                details.push(("jsonLine", Detail::Number(*line as f64)));
                details.push(("jsonColumn", Detail::Number(*column as f64)));
            }
            Error::JsonValue { field, .. } => {
                details.push(("field", Detail::String((*field).to_owned())));
            }
            Error::Truncated { needed } => {
                details.push(("needed", Detail::Number(*needed as f64)));
            }
            _ => {}
        }
        Self {
            code: err.code(),
            message: err.to_string(),
            details,
        }
    }

    /// Describes a value that does not fit the schema (`None` for an engine
    /// failure); `what` names the argument (`"entry"`, `"entries[3]"`).
    pub fn from_convert<E>(err: &ConvertError<E>, what: &str) -> Option<Self> {
        match err {
            ConvertError::Host(_) => None,
            ConvertError::Invalid { message, .. } => {
                let path = err.path();
                let message = if path.is_empty() {
                    format!("{what}: {message}")
                } else {
                    format!("{what}.{path}: {message}")
                };
                Some(Self::type_error(message, path))
            }
        }
    }

    /// A `TYPE` error: a value that does not fit, at `field` (a path, empty
    /// for an argument itself).
    pub fn type_error(message: String, field: String) -> Self {
        Self {
            code: "TYPE",
            message,
            details: vec![("field", Detail::String(field))],
        }
    }

    /// A record that fails validation: the core's one "not valid" error
    /// (`Error::Invalid`), its code `INVALID` and its message.
    pub fn invalid(report: &Report) -> Self {
        match report.invalid_error() {
            Some(err) => Self::from_core(&err),
            // Not called for a valid report; say so rather than panic.
            None => Self {
                code: "INVALID",
                message: "the record is not valid".into(),
                details: Vec::new(),
            },
        }
    }

    /// Builds the JavaScript error object through the registered factory.
    pub fn to_js<H: Host>(&self, host: &H) -> Result<H::Value, H::Error> {
        self.to_js_with(host, Vec::new())
    }

    /// [`ErrorInfo::to_js`] with further detail properties already built.
    pub fn to_js_with<H: Host>(
        &self,
        host: &H,
        extra: Vec<(&'static str, H::Value)>,
    ) -> Result<H::Value, H::Error> {
        let mut details = Vec::with_capacity((self.details.len() + extra.len()) * 2);
        for (name, value) in &self.details {
            details.push(host.new_string(name)?);
            details.push(match value {
                Detail::Number(n) => host.new_number(*n)?,
                Detail::String(s) => host.new_string(s)?,
            });
        }
        for (name, value) in extra {
            details.push(host.new_string(name)?);
            details.push(value);
        }
        let args = vec![
            host.new_string(self.code)?,
            host.new_string(&self.message)?,
            host.new_array(details)?,
        ];
        host.build(Factory::Error, args)
    }
}

/// Why a call failed: an engine exception to pass on, or an error to throw.
#[derive(Debug)]
pub enum Failure<E> {
    /// The engine failed; its exception is pending or in `E`.
    Host(E),
    /// Bad input: throw the [`ErrorInfo`] (with the violations, for
    /// `INVALID`).
    Throw(ErrorInfo, Option<Report>),
}

impl<E> From<Error> for Failure<E> {
    fn from(err: Error) -> Self {
        Self::Throw(ErrorInfo::from_core(&err), None)
    }
}

impl<E> Failure<E> {
    /// A conversion error of the argument `what` (`"entry"`, `"entries[3]"`).
    pub fn convert(err: ConvertError<E>, what: &str) -> Self {
        match ErrorInfo::from_convert(&err, what) {
            Some(info) => Self::Throw(info, None),
            None => match err {
                ConvertError::Host(e) => Self::Host(e),
                // `from_convert` describes every `Invalid`; this arm is not
                // reached.
                ConvertError::Invalid { message, .. } => {
                    Self::Throw(ErrorInfo::type_error(message, String::new()), None)
                }
            },
        }
    }

    /// Builds the JavaScript error to throw; `Err` when the engine fails
    /// (or for [`Failure::Host`]), with its own error.
    pub fn into_js<H: Host<Error = E>>(self, host: &H) -> Result<H::Value, E> {
        match self {
            Self::Host(e) => Err(e),
            Self::Throw(info, report) => {
                let mut extra = Vec::new();
                if let Some(report) = &report {
                    extra.push(("violations", violations_to_js(host, report)?));
                }
                info.to_js_with(host, extra)
            }
        }
    }
}

//! The sinks that come with the crate. Any type implementing
//! [`Sink`](crate::Sink) is a sink too.

mod file;
#[cfg(feature = "ledger")]
mod ledger;
mod stdout;

#[cfg(feature = "otlp")]
pub use crate::otlp::Otlp;
pub use file::{Binary, JsonLines};
#[cfg(feature = "ledger")]
pub use ledger::Ledger;
pub use lokryn_compliance_log::compress::Compression;
pub use stdout::Stdout;

//! The trace context of the current `opentelemetry` span (feature
//! `opentelemetry`).

use crate::TraceContext;

type Hook = Box<dyn Fn() -> Option<TraceContext> + Send + Sync>;

/// The trace context hook used when the builder was given none.
#[cfg(feature = "opentelemetry")]
pub(crate) fn default_hook() -> Option<Hook> {
    Some(Box::new(current))
}

/// Without the `opentelemetry` feature there is no default hook.
#[cfg(not(feature = "opentelemetry"))]
pub(crate) fn default_hook() -> Option<Hook> {
    None
}

/// The trace and span id of the current `opentelemetry` context's span, when
/// it is valid. (OpenTelemetry's span context carries no parent id.)
#[cfg(feature = "opentelemetry")]
pub fn current() -> Option<TraceContext> {
    use opentelemetry::trace::TraceContextExt as _;
    let context = opentelemetry::Context::current();
    let span = context.span();
    let sc = span.span_context();
    if !sc.is_valid() {
        return None;
    }
    Some(TraceContext {
        trace_id: sc.trace_id().to_string(),
        span_id: sc.span_id().to_string(),
        parent_span_id: String::new(),
    })
}

"""The W3C trace context of the current OpenTelemetry span, when there is one.

``opentelemetry-api`` is optional: without it, or outside any recording span,
``current`` returns ``None`` and records keep whatever trace fields they
were given.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Tuple

TraceContext = Tuple[str, str, str]
"""(trace_id as 32 hex digits, span_id as 16, parent span_id as 16 or "")."""


def _lookup() -> Optional[Callable[[], Any]]:
    try:
        from opentelemetry import trace
    except ImportError:
        return None
    return trace.get_current_span


_GET_CURRENT_SPAN = _lookup()


def current() -> Optional[TraceContext]:
    """The trace context of the active span, or ``None`` when there is none
    (no ``opentelemetry-api``, no span, or an invalid span context)."""
    if _GET_CURRENT_SPAN is None:
        return None
    span = _GET_CURRENT_SPAN()
    context = span.get_span_context()
    if not context.is_valid:
        return None
    # The API's Span has no parent; the SDK's spans (and most others) carry
    # the parent's SpanContext as `parent`.
    parent = getattr(span, "parent", None)
    parent_id = format(parent.span_id, "016x") if parent is not None and parent.is_valid else ""
    return format(context.trace_id, "032x"), format(context.span_id, "016x"), parent_id

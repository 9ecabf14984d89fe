"""Runs inside a subprocess with the published lokryn-compliance-log 0.1.1 on
PYTHONPATH. Reads a JSON payload on stdin, prints a JSON result.

Commands:
  spec-examples   encode the three examples of the package README, verbatim
  describe        the package's descriptor: LogEntry fields and enum values
  encode          build entries from {field: value} dicts (bytes as hex)
  decode          parse hex-encoded messages into {field: value} dicts
"""

import json
import sys

import lokryn_compliance_log as lcl
from lokryn_compliance_log import LogEntry


def spec_examples():
    # The three README examples, as written there.
    from lokryn_compliance_log import (
        LogEntry,
        EVENT_TOOL_INVOCATION,
        OUTCOME_SUCCESS,
        SEVERITY_INFO,
        SENSITIVITY_CONFIDENTIAL,
    )

    # Log an MCP tool call
    log = LogEntry(
        event_type=EVENT_TOOL_INVOCATION,
        outcome=OUTCOME_SUCCESS,
        severity=SEVERITY_INFO,
        actor_id="agent-001",
        component="mcp-client",
        environment="production",
        resource="tools/database_query",
        message="Executed database query tool",
        payload=b'{"query": "SELECT * FROM users", "rows_returned": 42}',
        policy_tags=["SOC2", "data-access"],
        sensitivity=SENSITIVITY_CONFIDENTIAL,
    )

    # Serialize
    data = log.SerializeToString()
    out = {"spec-tool-invocation": data.hex()}

    from lokryn_compliance_log import (
        LogEntry,
        EVENT_GUARDRAIL_CHECK,
        OUTCOME_FAILURE_DENIED,
        SEVERITY_WARNING,
        SENSITIVITY_HIGHLY_RESTRICTED,
    )

    log = LogEntry(
        event_type=EVENT_GUARDRAIL_CHECK,
        outcome=OUTCOME_FAILURE_DENIED,
        severity=SEVERITY_WARNING,
        actor_id="agent-001",
        component="safety-filter",
        environment="production",
        resource="guardrails/pii-detection",
        message="PII detected in agent output, blocked",
        payload=b'{"rule": "ssn-pattern", "action": "block"}',
        policy_tags=["PII", "HIPAA"],
        sensitivity=SENSITIVITY_HIGHLY_RESTRICTED,
    )
    out["spec-guardrail-check"] = log.SerializeToString().hex()

    from lokryn_compliance_log import (
        LogEntry,
        EVENT_AGENT_DECISION,
        OUTCOME_SUCCESS,
        SEVERITY_INFO,
        SENSITIVITY_INTERNAL,
    )

    log = LogEntry(
        event_type=EVENT_AGENT_DECISION,
        outcome=OUTCOME_SUCCESS,
        severity=SEVERITY_INFO,
        actor_id="agent-001",
        component="decision-engine",
        environment="production",
        resource="workflows/customer-support",
        message="Agent chose to escalate to human",
        payload=b'{"options": ["respond", "escalate", "defer"], "selected": "escalate", "confidence": 0.92}',
        policy_tags=["audit-trail"],
        sensitivity=SENSITIVITY_INTERNAL,
    )
    out["spec-agent-decision"] = log.SerializeToString().hex()
    return out


def describe():
    d = LogEntry.DESCRIPTOR
    fields = [
        {"name": f.name, "number": f.number, "type": f.type, "repeated": is_repeated(f), "json_name": f.json_name}
        for f in d.fields
    ]
    enums = {
        e.name: {v.name: v.number for v in e.values} for e in d.file.enum_types_by_name.values()
    }
    constants = {
        name: getattr(lcl, name) for name in lcl.__all__ if name.isupper() and isinstance(getattr(lcl, name), int)
    }
    return {"package": d.file.package, "fields": fields, "enums": enums, "constants": constants}


def is_repeated(field):
    """protobuf 7 dropped FieldDescriptor.label for is_repeated."""
    if hasattr(field, "is_repeated"):
        return field.is_repeated
    return field.label == field.LABEL_REPEATED


def to_dict(msg):
    out = {}
    for f in msg.DESCRIPTOR.fields:
        value = getattr(msg, f.name)
        if f.type == f.TYPE_BYTES:
            value = value.hex()
        elif is_repeated(f):
            value = list(value)
        out[f.name] = value
    return out


def encode(entries):
    out = []
    for fields in entries:
        fields = dict(fields)
        if "payload" in fields:
            fields["payload"] = bytes.fromhex(fields["payload"])
        out.append(LogEntry(**fields).SerializeToString().hex())
    return out


def decode(messages):
    return [to_dict(LogEntry.FromString(bytes.fromhex(m))) for m in messages]


COMMANDS = {
    "spec-examples": lambda _: spec_examples(),
    "describe": lambda _: describe(),
    "encode": encode,
    "decode": decode,
}

if __name__ == "__main__":
    payload = json.loads(sys.stdin.read() or "null")
    json.dump(COMMANDS[sys.argv[1]](payload), sys.stdout)

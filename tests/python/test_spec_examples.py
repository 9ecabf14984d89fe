"""Every Python example of the published package's README runs verbatim.

The examples are copied here exactly as the published README (0.2.0) gives
them; when that README is at hand (../shared/spec beside the repository, as
on the project's machines) a test checks the copies against it.
"""

import re

import pytest

from conftest import ROOT

SPEC = ROOT.parent / "shared" / "spec" / "lokryn-compliance-log-0.2.0.PKG-INFO.txt"

EXAMPLE_MCP_TOOL_CALL = '''\
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
'''

EXAMPLE_GUARDRAIL = '''\
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
'''

EXAMPLE_AGENT_DECISION = '''\
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
'''

EXAMPLES = [EXAMPLE_MCP_TOOL_CALL, EXAMPLE_GUARDRAIL, EXAMPLE_AGENT_DECISION]


def run(source):
    scope = {"__name__": "__example__"}
    exec(compile(source, "<spec example>", "exec"), scope)
    return scope


def test_the_copies_are_the_spec_examples_verbatim():
    if not SPEC.exists():
        pytest.skip(f"{SPEC} is not here")
    blocks = re.findall(r"```python\n(.*?)```", SPEC.read_text(encoding="utf-8"), re.S)
    assert blocks == EXAMPLES


def test_mcp_tool_call_example_serializes():
    scope = run(EXAMPLE_MCP_TOOL_CALL)
    data, log = scope["data"], scope["log"]
    assert isinstance(data, bytes)
    assert type(log).FromString(data) == log
    assert log.actor_id == "agent-001"
    assert list(log.policy_tags) == ["SOC2", "data-access"]


@pytest.mark.parametrize("source", EXAMPLES, ids=["tool-call", "guardrail", "agent-decision"])
def test_each_example_builds_a_record_the_core_accepts(source):
    import lokryn_compliance_log as lcl

    log = run(source)["log"]
    assert isinstance(log, lcl.LogEntry)
    report = lcl.validate(log)  # raises if the record were unfit
    assert report.valid
    # The examples set no time: the one warning says so (an error under the
    # soc2, hipaa and pci profiles).
    assert [(v.field, v.rule_id) for v in report.warnings] == [("time", "required")]
    assert lcl.from_json(lcl.to_json(log)) == log


def test_install_name_and_import_name():
    from importlib import metadata

    assert metadata.version("lokryn-compliance-log")
    import lokryn_compliance_log  # noqa: F401

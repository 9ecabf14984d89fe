"""The vendor's MCP wrapper (lokryn-mcp-log 0.4.0) and ours record the same
session against the same server; the vendor's records, imported with
`lokryn_compliance_log.export.from_lokryn_0_2`, have the event types of
ours for the same calls. `cargo xtask test` installs the vendor's packages
apart (they need lokryn-compliance-log 0.2.0, which has our import name)
and names the folder in LOKRYN_VENDOR_MCP_LOG, in the mcp 1.x venv (the
vendor's wrapper reads 1.x's result attributes)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import lokryn_compliance_log as lcl
from lokryn_compliance_log.export import from_lokryn_0_2
from lokryn_compliance_log.mcp import with_logging

HERE = Path(__file__).parent
VENDOR = os.environ.get("LOKRYN_VENDOR_MCP_LOG")


class Memory:
    def __init__(self):
        self.entries = []

    def write(self, entry):
        self.entries.append(entry)


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    mcp = pytest.importorskip("mcp", reason="mcp is installed in the mcp venvs of `cargo xtask test`")
    if not VENDOR:
        pytest.skip("LOKRYN_VENDOR_MCP_LOG names the vendor's packages (set by `cargo xtask test`)")
    import anyio
    from mcp.client.stdio import stdio_client

    sys.path.insert(0, str(HERE))
    try:
        from mcp_vendor_session import SERVER, session_calls
    finally:
        sys.path.remove(str(HERE))

    path = tmp_path_factory.mktemp("vendor") / "vendor.jsonl"
    env = dict(os.environ, PYTHONPATH=VENDOR)
    done = subprocess.run([sys.executable, str(HERE / "mcp_vendor_session.py"), str(path)], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    text = path.read_text()

    memory = Memory()

    async def ours():
        params = mcp.StdioServerParameters(command=sys.executable, args=[str(SERVER)])
        async with stdio_client(params, errlog=subprocess.DEVNULL) as (read, write):
            audit = lcl.AuditLogger([memory], profile="soc2", on_invalid="raise")
            async with with_logging(mcp.ClientSession(read, write), audit, environment="staging",
                                    actor_id="agent-7", component="billing-agent", policy_tags=["pci"],
                                    session_id="s-42") as session:
                await session_calls(session)

    anyio.run(ours)
    return text, from_lokryn_0_2(text), memory.entries


def test_the_vendors_records_import_to_our_event_types(both):
    text, imported, ours = both
    # Ours has records the vendor's has not: the transport, the initialized
    # notification, the shutdown.
    calls = [e for e in ours if e.mcp.method_name not in ("transport/connect", "notifications/initialized", "shutdown")]
    assert len(imported) == len(calls) == 8
    assert [lcl.v1.logentry_pb2.EventType.Name(e.event_type) for e in imported] == [
        lcl.v1.logentry_pb2.EventType.Name(e.event_type) for e in calls]
    assert [e.outcome for e in imported] == [e.outcome for e in calls]
    assert [e.resource for e in imported][2:4] == ["tools/charge", "tools/refuse"] == [e.resource for e in calls][2:4]
    for vendor, mine in zip(imported, calls):
        assert (vendor.actor_id, vendor.component, vendor.environment) == (mine.actor_id, mine.component, mine.environment)


def test_what_the_vendors_records_miss(both):
    # The differences issue 16 names, pinned: the vendor writes the card
    # number to the log, and each of its records has a trace id of its own.
    text, imported, ours = both
    assert "4111111111111111" in text
    assert len({e.trace_id for e in imported}) == len(imported)
    assert all("4111111111111111" not in e.SerializeToString().decode(errors="ignore") for e in ours)

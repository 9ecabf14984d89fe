"""What the MCP wrapper adds to a tools/call, in CPU time per call.

    python bindings/python/benches/mcp.py

A session stub answers `call_tool` at once, so the difference between the
wrapped and the bare session is the wrapper's own work: building the record,
redacting it (a card number in the arguments), and `AuditLogger.log` under
`soc2` to a JSON Lines file. The peer, in the same run, is one direct
`AuditLogger.log` of a similar tool-invocation record. Best of 7 runs of
2,000 calls each.
"""

import asyncio
import os
import tempfile
import time

import lokryn_compliance_log as lcl
from lokryn_compliance_log import sinks
from lokryn_compliance_log.mcp import with_logging

RUNS, CALLS = 7, 2000
ARGUMENTS = {"card": "4111111111111111", "amount": 42}


class Result:
    content: list = []
    isError = False


class Stub:
    """Answers at once, counting request ids as mcp 1.x does."""

    _request_id = 0

    async def call_tool(self, name, arguments=None):
        self._request_id += 1
        return Result()


async def calls(session):
    start = time.process_time()
    for _ in range(CALLS):
        await session.call_tool("charge", ARGUMENTS)
    return (time.process_time() - start) / CALLS


def direct(audit):
    start = time.process_time()
    for _ in range(CALLS):
        audit.log(event_type=lcl.EVENT_TOOL_INVOCATION, outcome=lcl.OUTCOME_SUCCESS, severity=lcl.SEVERITY_INFO,
                  actor_id="agent", component="mcp-client", resource="tools/charge",
                  payload=b'{"arguments":{"card":"411111******1111","amount":42}}',
                  payload_format=lcl.PAYLOAD_FORMAT_JSON)
    return (time.process_time() - start) / CALLS


def main():
    folder = tempfile.mkdtemp()
    audit = lcl.AuditLogger([sinks.JsonLines(os.path.join(folder, "audit.jsonl"))], profile="soc2")
    proxy = with_logging(Stub(), audit, actor_id="agent", on_behalf_of="alice", transport="stdio")
    bare = Stub()
    best = {"wrapped": [], "bare": [], "log": []}
    for _ in range(RUNS):
        best["wrapped"].append(asyncio.run(calls(proxy)))
        best["bare"].append(asyncio.run(calls(bare)))
        best["log"].append(direct(audit))
    audit.close()
    wrapped, bare_call, log = (min(best[k]) * 1e6 for k in ("wrapped", "bare", "log"))
    added = wrapped - bare_call
    print(f"wrapper adds {added:.1f} µs per call; AuditLogger.log alone {log:.1f} µs; ratio {added / log:.2f}")


if __name__ == "__main__":
    main()

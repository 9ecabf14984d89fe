"""One session against tests/python/mcp_test_server.py recorded by the
vendor's wrapper (lokryn-mcp-log 0.4.0, on its lokryn-compliance-log 0.2.0),
for tests/python/test_mcp_vendor.py. It runs in a subprocess with the
vendor's packages first on PYTHONPATH (they share our import name); the
records go to the JSON Lines file named by the first argument."""

import sys
from pathlib import Path

import anyio
import mcp
from mcp.client.stdio import stdio_client

SERVER = Path(__file__).with_name("mcp_test_server.py")


async def session_calls(session):
    """The calls both wrappers record, in this order."""
    await session.initialize()
    await session.list_tools()
    await session.call_tool("charge", {"card": "4111111111111111", "amount": 42})
    await session.call_tool("refuse", {"card": "4111111111111111"})
    await session.list_resources()
    await session.read_resource("memo://policy")
    await session.list_prompts()
    await session.get_prompt("review", {"topic": "refunds"})


async def main(path):
    from lokryn_mcp_log import FileSink, with_logging  # only on the vendor's PYTHONPATH

    params = mcp.StdioServerParameters(command=sys.executable, args=[str(SERVER)])
    async with stdio_client(params) as (read, write):
        async with mcp.ClientSession(read, write) as session:
            logged = with_logging(session, FileSink(path), environment="staging", actor_id="agent-7",
                                  component="billing-agent", policy_tags=["pci"], session_id="s-42")
            await session_calls(logged)


if __name__ == "__main__":
    anyio.run(main, sys.argv[1])

"""A real MCP server, written with the official SDK (1.x's FastMCP or 2.x's
MCPServer), for the tests of lokryn_compliance_log.mcp (tests/python/test_mcp*.py).

`python mcp_test_server.py` serves over stdio; `python mcp_test_server.py http`
serves streamable HTTP on 127.0.0.1 at a port the system picks, and prints
that port on its first line of output. With LOKRYN_SERVER_AUDIT set to a
path, every request it handles is recorded there (JSON Lines) by
`lokryn_compliance_log.mcp.log_server`.
"""

import asyncio
import os
import sys

try:  # mcp 2.x
    from mcp.server.mcpserver import Context
    from mcp.server.mcpserver import MCPServer as Server
    from mcp.server.mcpserver.exceptions import ToolError
except ImportError:  # mcp 1.x
    from mcp.server.fastmcp import Context
    from mcp.server.fastmcp import FastMCP as Server
    from mcp.server.fastmcp.exceptions import ToolError
from mcp import types

app = Server("lokryn-test-server")


@app.tool()
def charge(card: str, amount: int) -> str:
    """Charges a card; answers with its last four digits."""
    return f"charged {amount} to the card ending {card[-4:]}"


@app.tool()
def refuse(card: str) -> str:
    """A tool that reports an error in its result (isError)."""
    raise ToolError(f"card {card} was declined")


@app.tool()
def crash() -> str:
    """A tool whose code raises."""
    raise RuntimeError("the tool's backend is down")


@app.tool()
async def slow(seconds: float) -> str:
    """A tool that takes its time (for timeouts and cancellation)."""
    await asyncio.sleep(seconds)
    return "done"


@app.tool()
def big(size: int) -> str:
    """A large result."""
    return "x" * size


@app.tool()
def die() -> str:
    """The server process ends in the middle of the call."""
    os._exit(3)


@app.tool()
async def consult(card: str, ctx: Context) -> str:
    """Asks the client for everything a server can ask: a ping, its roots, a
    model answer (sampling), the user's consent (elicitation); logs, reports
    progress and announces changes on the way."""
    session = ctx.session
    await ctx.info(f"checking the card {card}")
    await ctx.report_progress(1, 3, "asking the client")
    await session.send_ping()
    roots = await session.list_roots()
    sampled = await session.create_message(
        [types.SamplingMessage(role="user", content=types.TextContent(type="text", text=f"Is {card} valid?"))],
        max_tokens=64,
    )
    consent = await session.elicit_form(
        "May the card be charged?",
        {"type": "object", "properties": {"approve": {"type": "boolean"}}, "required": ["approve"]},
    )
    await ctx.report_progress(3, 3, "done")
    await session.send_tool_list_changed()
    await session.send_resource_updated("memo://policy")
    return f"{len(roots.roots)} roots; the model said {sampled.content.text}; the user chose {consent.action}"


@app.resource("memo://policy")
def policy() -> str:
    """A resource."""
    return "cards are never logged"


@app.prompt()
def review(topic: str) -> str:
    """A prompt."""
    return f"Review {topic} for compliance."


def serve_http() -> None:
    import socket

    import anyio
    import uvicorn

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    print(listener.getsockname()[1], flush=True)
    server = uvicorn.Server(uvicorn.Config(app.streamable_http_app(), log_level="warning"))
    anyio.run(server.serve, [listener])


if __name__ == "__main__":
    if os.environ.get("LOKRYN_SERVER_AUDIT"):
        from lokryn_compliance_log import AuditLogger, sinks
        from lokryn_compliance_log.mcp import log_server

        audit = AuditLogger([sinks.JsonLines(os.environ["LOKRYN_SERVER_AUDIT"])], profile="soc2", on_invalid="raise")
        log_server(app, audit, environment="staging")
    if sys.argv[1:] == ["http"]:
        serve_http()
    else:
        app.run()

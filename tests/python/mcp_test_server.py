"""A real MCP server over stdio, written with the official SDK (1.x's
FastMCP or 2.x's MCPServer), for tests/python/test_mcp.py."""

import asyncio

try:  # mcp 2.x
    from mcp.server.mcpserver import MCPServer as Server
    from mcp.server.mcpserver.exceptions import ToolError
except ImportError:  # mcp 1.x
    from mcp.server.fastmcp import FastMCP as Server
    from mcp.server.fastmcp.exceptions import ToolError


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


@app.resource("memo://policy")
def policy() -> str:
    """A resource."""
    return "cards are never logged"


@app.prompt()
def review(topic: str) -> str:
    """A prompt."""
    return f"Review {topic} for compliance."


if __name__ == "__main__":
    app.run()

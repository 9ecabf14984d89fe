"""A real MCP server written with the low-level `Server` of the official SDK
(1.x: handlers registered with decorators; 2.x: passed to the constructor),
over stdio, for tests/python/test_mcp_server.py. Every request it handles is
recorded by `lokryn_compliance_log.mcp.log_server` in the JSON Lines file
named by LOKRYN_SERVER_AUDIT."""

import os

import anyio
from mcp import types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

from lokryn_compliance_log import AuditLogger, sinks
from lokryn_compliance_log.mcp import log_server

TOOLS = [types.Tool.model_validate({"name": "echo", "inputSchema": {"type": "object"}})]


def echo(arguments):
    if "fail" in arguments:
        return types.CallToolResult.model_validate(
            {"content": [{"type": "text", "text": "refused"}], "isError": True})
    return types.CallToolResult.model_validate(
        {"content": [{"type": "text", "text": f"echo {arguments['text']}"}]})


try:  # mcp 2.x: handlers (ctx, params) given to the constructor

    async def on_list_tools(ctx, params):
        return types.ListToolsResult(tools=TOOLS)

    async def on_call_tool(ctx, params):
        return echo(params.arguments or {})

    server = Server("lokryn-lowlevel-server", on_list_tools=on_list_tools, on_call_tool=on_call_tool)
except TypeError:  # mcp 1.x: decorators
    server = Server("lokryn-lowlevel-server")

    @server.list_tools()
    async def list_tools():
        return TOOLS

    @server.call_tool()
    async def call_tool(name, arguments):
        return echo(arguments)


async def main():
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


if __name__ == "__main__":
    audit = AuditLogger([sinks.JsonLines(os.environ["LOKRYN_SERVER_AUDIT"])], profile="soc2", on_invalid="raise")
    log_server(server, audit)
    anyio.run(main)

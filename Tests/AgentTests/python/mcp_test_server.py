"""An MCP server built on the official MCP Python SDK (FastMCP), for Sandcastle's MCP client tests.

    python3 mcp_test_server.py stdio            # JSON-RPC lines on stdin/stdout
    python3 mcp_test_server.py http [json]      # Streamable HTTP on 127.0.0.1, a free port printed as "PORT <n>"

`json` makes the HTTP server answer with application/json instead of an SSE stream.
"""

import os
import socket
import sys

from mcp.server.fastmcp import FastMCP

mode = sys.argv[1] if len(sys.argv) > 1 else "stdio"
json_answers = len(sys.argv) > 2 and sys.argv[2] == "json"

port = 0
if mode == "http":
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

server = FastMCP("sandcastle-test", host="127.0.0.1", port=port or 8000, json_response=json_answers)


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers and return the sum."""
    return a + b


@server.tool()
def read_secret_file(path: str) -> str:
    """Read a secret file (always refuses)."""
    raise PermissionError(f"access to {path} is denied")


@server.tool()
def where_am_i() -> str:
    """Report where this server runs: hostname, pid, PID 1's command line, a marker file and MCP_GREETING."""
    with open("/proc/1/cmdline", "rb") as f:
        init = f.read().replace(b"\0", b" ").decode().strip()
    marker = "/workspace/only-in-the-sandbox.txt"
    found = open(marker).read().strip() if os.path.exists(marker) else "absent"
    return f"hostname={socket.gethostname()} pid={os.getpid()} init={init} marker={found} greeting={os.environ.get('MCP_GREETING', '')}"


@server.tool()
def big(size: int) -> str:
    """Return `size` characters of text."""
    return "x" * size


if mode == "http":
    print(f"PORT {port}", flush=True)
    server.run(transport="streamable-http")
else:
    server.run()

#!/usr/bin/env python3
"""Sandstorm's own client against sandcastle's `POST /query`.

Run by scripts/compat-sandstorm against a live `sandcastle serve` on the real engine, whose model
is the provider double (`sandcastle provider-double`). It drives `sandstorm.client.SandstormClient`
from the `duvo-sandstorm` PyPI package, unmodified, as Sandstorm's README does, and `httpx` for
what the client does not expose (status codes, headers, the raw stream). Prints one line per
check ("PASS name" / "FAIL name: why") and exits non-zero if any check failed.

Environment: SANDSTORM_URL, SANDCASTLE_KEY (an API key of the server), DOUBLE_URL, SERVER_ID,
and REQUEST_KEY_1..5 (per-request `anthropic_api_key`s; each is its own conversation on the double).
"""

import asyncio
import json
import os
import subprocess
import sys
import time

import httpx
from sandstorm.client import SandstormClient

URL = os.environ["SANDSTORM_URL"]
KEY = os.environ["SANDCASTLE_KEY"]
DOUBLE = os.environ["DOUBLE_URL"]
SERVER_ID = os.environ["SERVER_ID"]
REQUEST_KEYS = [os.environ[f"REQUEST_KEY_{n}"] for n in range(1, 6)]
failures = []
passed = []


def check(name, condition, detail=""):
    if condition:
        passed.append(name)
        print(f"PASS {name}", flush=True)
    else:
        failures.append(name)
        print(f"FAIL {name}: {detail}", flush=True)


def script(conversation, turns):
    """Sets what the double answers the requests made with `conversation` as their key."""
    response = httpx.put(f"{DOUBLE}/_double/script", params={"conversation": conversation}, json={"turns": turns})
    response.raise_for_status()


def recorded(conversation):
    response = httpx.get(f"{DOUBLE}/_double/requests", params={"conversation": conversation})
    response.raise_for_status()
    return response.json()


def sandboxes(*labels):
    """Containers of this server (running or not) carrying every one of `labels`."""
    filters = ["--filter", f"label=sandcastle.server={SERVER_ID}"]
    for label in labels:
        filters += ["--filter", f"label={label}"]
    output = subprocess.run(["docker", "ps", "-aq", *filters], capture_output=True, text=True, check=True).stdout
    return output.split()


def gone_within(label, seconds):
    """Waits until no container carries `label`; returns how long that took, or None."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if not sandboxes(label):
            return time.monotonic() - start
        time.sleep(0.1)
    return None


def post(body, key=KEY):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.post(f"{URL}/query", json=body, headers=headers, timeout=60)


def scenario(fn):
    """Runs one scenario; an unexpected exception fails it (and only it)."""
    name = fn.__name__
    try:
        result = fn()
        if asyncio.iscoroutine(result):
            asyncio.run(result)
    except Exception as e:  # noqa: BLE001 - the suite reports every failure and goes on
        failures.append(name)
        print(f"FAIL {name}: unexpected {type(e).__name__}: {e}", flush=True)
    return fn


@scenario
def auth_comes_before_any_sandbox():
    none = post({"prompt": "hi"}, key=None)
    check("no key: 401 Not authenticated", none.status_code == 401 and none.json() == {"detail": "Not authenticated"}, none.text)
    check("no key: WWW-Authenticate: Bearer", none.headers.get("www-authenticate") == "Bearer", dict(none.headers))
    wrong = post({"prompt": "hi"}, key="sk-not-this-servers-key-0000000000")
    check(
        "wrong key: 401 Invalid authentication credentials",
        wrong.status_code == 401 and wrong.json() == {"detail": "Invalid authentication credentials"},
        wrong.text,
    )
    check("no sandbox for an unauthenticated request", sandboxes() == [], sandboxes())


@scenario
def bad_bodies_are_422_before_streaming():
    def first(body):
        response = post(body)
        detail = response.json().get("detail") if response.headers.get("content-type", "").startswith("application/json") else None
        return response, (detail[0] if isinstance(detail, list) and detail else {})

    response, detail = first({"prompt": ""})
    check("empty prompt: 422 string_too_short", response.status_code == 422 and detail.get("type") == "string_too_short", response.text)
    check("empty prompt: loc body.prompt", detail.get("loc") == ["body", "prompt"], detail)
    response, detail = first({"model": "sonnet"})
    check("missing prompt: 422 missing", response.status_code == 422 and detail.get("type") == "missing", response.text)
    secret = REQUEST_KEYS[0]
    response, detail = first({"prompt": "x", "files": {"../../etc/passwd": "x"}, "anthropic_api_key": secret})
    check(
        "path traversal: 422 value_error",
        response.status_code == 422 and detail.get("msg") == "Value error, Path traversal not allowed: ../../etc/passwd",
        response.text,
    )
    check("a 422 never echoes the body's key", secret not in response.text)
    response, detail = first({"prompt": "x", "files": {"/etc/passwd": "x"}})
    check("absolute path: 422", detail.get("msg") == "Value error, Absolute paths are not allowed: /etc/passwd", response.text)
    response, detail = first({"prompt": "x", "files": {f"f{i}.txt": "x" for i in range(21)}})
    check("too many files: 422", detail.get("msg") == "Value error, Too many files: 21 (max 20)", response.text)
    response, detail = first({"prompt": "x", "files": {"big.txt": "x" * 10_000_001}})
    check("too large: 422", "exceeds 10MB limit" in str(detail.get("msg")), response.text[:300])
    response, detail = first({"prompt": "x"})
    check(
        "no key anywhere: Sandstorm's message",
        detail.get("msg", "").startswith("Value error, anthropic_api_key is required"),
        response.text,
    )
    check("no sandbox for a rejected body", sandboxes() == [], sandboxes())


@scenario
async def the_official_client_streams_an_agent_run():
    key = REQUEST_KEYS[0]
    script(
        key,
        [
            {
                "text": "Let me shout it.",
                "tool_calls": [{"name": "Bash", "input": {"command": "tr a-z A-Z < data/input.txt | tee shout.txt && env"}}],
            },
            {"text": "All done.", "usage": {"input_tokens": 3000, "output_tokens": 60}},
        ],
    )
    async with SandstormClient(URL, api_key=KEY) as client:
        health = await client.health()
        check("client.health()", isinstance(health, dict), health)
        events = [
            event
            async for event in client.query(
                "Shout the input",
                files={"data/input.txt": "hello sandstorm"},
                anthropic_api_key=key,
                e2b_api_key="e2b_ignored",
                max_turns=5,
                timeout=120,
            )
        ]
    types = [event.type for event in events]
    check("events in order: system, assistant, user, assistant, result", types == ["system", "assistant", "user", "assistant", "result"], types)
    init = events[0].data if events else {}
    check("system init names the session and model", init.get("subtype") == "init" and init.get("session_id") and init.get("model"), init)
    check("the first assistant message calls Bash", any(b.get("name") == "Bash" for b in events[1].data["message"]["content"]), events[1].data)
    tool_result = events[2].data["message"]["content"][0]
    check("the tool ran in the sandbox on the uploaded file", "HELLO SANDSTORM" in tool_result.get("content", ""), tool_result)
    check("the sandbox's env has no key", "PATH=" in tool_result["content"] and key not in tool_result["content"], tool_result["content"][:300])
    check("SandstormEvent.text of the answer", events[3].text == "All done.", events[3].data)
    result = events[-1].data
    check("result: success, 2 turns", result.get("subtype") == "success" and result.get("num_turns") == 2 and not result.get("is_error"), result)
    check("result: total_cost_usd priced", isinstance(result.get("total_cost_usd"), float) and result["total_cost_usd"] > 0, result)
    check("result: the answer's text", result.get("result") == "All done.", result)
    check("one session_id throughout", len({e.data.get("session_id") for e in events}) == 1, [e.data.get("session_id") for e in events])
    calls = recorded(key)
    check("the per-request key reached the provider", len(calls) == 2 and all(c.get("credential_scheme") == "x-api-key" for c in calls), calls[:1])
    # Deleted with the session; the container itself goes in the server's background removal.
    check("the sandbox is gone", gone_within(f"sandcastle.agent-session={init.get('session_id')}", 10) is not None)


@scenario
async def output_format_gives_structured_output():
    key = REQUEST_KEYS[1]
    script(
        key,
        [
            {"tool_calls": [{"name": "StructuredOutput", "input": {"answer": "forty-two"}}]},
            {"tool_calls": [{"name": "StructuredOutput", "input": {"answer": 42}}]},
        ],
    )
    schema = {"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"], "additionalProperties": False}
    async with SandstormClient(URL, api_key=KEY) as client:
        events = [e async for e in client.query("Answer", anthropic_api_key=key, output_format={"type": "json_schema", "schema": schema})]
    result = events[-1].data if events else {}
    check("structured_output follows the schema", result.get("structured_output") == {"answer": 42}, result)
    check("after one repair", result.get("num_turns") == 2 and result.get("subtype") == "success", result)
    repair = recorded(key)[1]["body"]["messages"][-1]["content"][0]
    check("the repair named the violation", repair.get("is_error") and "integer" in json.dumps(repair), repair)


@scenario
async def mcp_servers_come_from_the_servers_sandstorm_json():
    # The server's sandstorm.json names the MCP server "t" (the official MCP Python SDK's FastMCP,
    # over Streamable HTTP on the host) and appends to the system prompt.
    key = REQUEST_KEYS[4]
    script(
        key,
        [
            {"tool_calls": [{"name": "mcp__t__add", "input": {"a": 2, "b": 40}}]},
            {"text": "It is 42."},
            {"text": "No MCP here."},
        ],
    )
    async with SandstormClient(URL, api_key=KEY) as client:
        events = [e async for e in client.query("Add 2 and 40", anthropic_api_key=key)]
        narrowed = [e async for e in client.query("Anything", anthropic_api_key=key, allowed_mcp_servers=[])]
    init = events[0].data if events else {}
    check("init lists the MCP server as connected", init.get("mcp_servers") == [{"name": "t", "status": "connected"}], init)
    check("init offers the server's tools", "mcp__t__add" in init.get("tools", []), init.get("tools"))
    results = [b for e in events if e.type == "user" for b in e.data["message"]["content"] if b.get("type") == "tool_result"]
    check("the MCP tool answered through the server", len(results) == 1 and results[0].get("content") == "42", results)
    check("the run succeeded", events[-1].data.get("subtype") == "success" and events[-1].data.get("result") == "It is 42.", events[-1].data)
    calls = recorded(key)
    offered = [t["name"] for t in calls[0]["body"].get("tools", [])] if calls else []
    check("the model was offered mcp__t__add", "mcp__t__add" in offered, offered)
    system = calls[0]["body"].get("system") if calls else None
    check("sandstorm.json's system_prompt_append reached the model", "Answer briefly." in json.dumps(system), system)
    narrowed_init = narrowed[0].data if narrowed else {}
    check("allowed_mcp_servers: [] keeps none", narrowed_init.get("mcp_servers") == [] and not any(
        t.startswith("mcp__") for t in narrowed_init.get("tools", [])), narrowed_init)


@scenario
def the_stream_is_sse_starlettes():
    key = REQUEST_KEYS[2]
    script(key, [{"text": "Hi."}])
    with httpx.stream("POST", f"{URL}/query", json={"prompt": "Hi", "anthropic_api_key": key}, headers={"Authorization": f"Bearer {KEY}"}, timeout=60) as response:
        raw = b"".join(response.iter_bytes()).decode()
        headers = response.headers
    check("content-type text/event-stream; charset=utf-8", headers.get("content-type") == "text/event-stream; charset=utf-8", dict(headers))
    check("Cache-Control: no-store, X-Accel-Buffering: no", headers.get("cache-control") == "no-store" and headers.get("x-accel-buffering") == "no")
    records = [r for r in raw.split("\r\n\r\n") if r]
    check("every record is one data: line of JSON", all(r.startswith("data: ") and "\n" not in r for r in records if not r.startswith(":")), records)
    check("no event: lines", "event:" not in raw)
    check("system, assistant, result", [json.loads(r[6:])["type"] for r in records if r.startswith("data: ")] == ["system", "assistant", "result"], raw)


@scenario
def a_client_that_disconnects_cancels_and_the_sandbox_goes():
    key = REQUEST_KEYS[3]
    script(key, [{"tool_calls": [{"name": "Bash", "input": {"command": "sleep 300"}}]}])
    session = None
    with httpx.stream("POST", f"{URL}/query", json={"prompt": "Wait", "anthropic_api_key": key}, headers={"Authorization": f"Bearer {KEY}"}, timeout=60) as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                message = json.loads(line[6:])
                session = session or message.get("session_id")
                if message.get("type") == "assistant":
                    break
    label = f"sandcastle.agent-session={session}"
    check("the sandbox was running when the client left", session is not None)
    took = gone_within(label, 10)
    check("the sandbox is removed within a few seconds", took is not None, f"left: {sandboxes(label)}")
    if took is not None:
        print(f"INFO sandbox removed {took:.2f} s after the client disconnected", flush=True)


if failures:
    print(f"{len(failures)} of {len(passed) + len(failures)} checks failed: {', '.join(failures)}", flush=True)
else:
    print(f"all {len(passed)} checks passed", flush=True)
sys.exit(1 if failures else 0)

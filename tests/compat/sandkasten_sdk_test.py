#!/usr/bin/env python3
"""Sandkasten compatibility scenario: the unmodified `sandkasten==0.3.0` Python SDK against a
live Sandcastle server.

    SANDCASTLE_URL=http://127.0.0.1:8080 SANDCASTLE_API_KEY=... python3 sandkasten_sdk_test.py

Prints one line per check (`ok` or `FAIL` with the reason) and exits 1 if any check failed.
What each check expects is specified in docs/compat/sandkasten.md; the SDK is used as its users
use it, so every request and response goes through the SDK's own code.
"""

import asyncio
import io
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

import httpx

try:
    import sandkasten
    from sandkasten import SandboxClient, SandkastenStreamError, Session
except ImportError as error:  # the harness installs it; a clear message beats a traceback
    print(f"FAIL import sandkasten: {error} (pip install sandkasten==0.3.0)")
    sys.exit(1)

SDK_VERSION = "0.3.0"
# A well-formed Sandkasten session id (8 hex, '-', 4 hex) that no server has handed out.
UNKNOWN_SESSION = "00000000-0000"


class Checks:
    """Records results; a failed check never stops the scenario, so one run shows every problem."""

    def __init__(self):
        self.failed = []
        self.passed = 0

    def record(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"ok   {name}", flush=True)
        else:
            self.failed.append(name)
            detail = str(detail)
            if len(detail) > 600:  # a megabyte of wrong output helps nobody
                detail = detail[:300] + f" …[{len(detail) - 600} characters]… " + detail[-300:]
            print(f"FAIL {name}: {detail}", flush=True)
        return ok

    def equal(self, name, actual, expected):
        return self.record(name, actual == expected, f"expected {expected!r}, got {actual!r}")

    async def run(self, name, body):
        """Runs one check; an exception is that check's failure (with the server's answer when there is one)."""
        try:
            result = await body()
        except Exception as error:  # noqa: BLE001 - every failure is reported, none aborts the scenario
            self.record(name, False, describe(error))
            return None
        # A check returns (ok, detail) or a bool; anything else (an SDK object, None) means it got through.
        if isinstance(result, tuple):
            ok, detail = result
            return self.record(name, ok, detail)
        if result is False:
            return self.record(name, False, "condition not met")
        return self.record(name, True)


def body_text(response):
    """The response body, or its reason phrase when the SDK streamed it and never read the body."""
    try:
        return response.text[:300]
    except httpx.ResponseNotRead:
        return f"({response.reason_phrase}; streamed body not read)"


def describe(error):
    if isinstance(error, httpx.HTTPStatusError):
        body = body_text(error.response)
        return f"HTTP {error.response.status_code} from {error.request.method} {error.request.url.path}: {body}"
    return f"{type(error).__name__}: {error}"


def error_code(error):
    """The `error_code` of the Sandkasten error envelope, or None."""
    try:
        return error.response.json().get("error_code")
    except Exception:  # noqa: BLE001 - a body that is not the envelope (or was never read) has no code
        return None


async def expect_status(call, status, code=None):
    """Awaits `call`, which must raise the SDK's error (httpx.HTTPStatusError) with `status` (and `code`)."""
    try:
        await call()
    except httpx.HTTPStatusError as error:
        actual_code = error_code(error)
        if error.response.status_code != status or (code is not None and actual_code != code):
            return False, f"expected HTTP {status} {code or ''}, got {error.response.status_code} {actual_code}: {body_text(error.response)}"
        return True, ""
    return False, f"expected HTTP {status} {code or ''}, but the call succeeded"


async def collect_stream(session, cmd, timeout_ms=30000):
    """Consumes exec_stream, timing each chunk's arrival on this side of the wire."""
    start = time.monotonic()
    chunks, done, arrivals = [], None, []
    async for chunk in session.exec_stream(cmd, timeout_ms=timeout_ms):
        arrivals.append(time.monotonic() - start)
        if chunk.done:
            done = chunk
        else:
            chunks.append(chunk)
    return chunks, done, arrivals, time.monotonic() - start


async def scenario(url, api_key, checks):
    async with SandboxClient(base_url=url, api_key=api_key) as client:
        session = None

        async def create():
            nonlocal session
            session = await client.create_session(image="python")
            return bool(session.id), f"id {session.id!r}"

        await checks.run("create_session(image='python')", create)
        if session is None:
            return  # nothing else can run without a session

        async def info():
            details = await session.info()
            ok = details.id == session.id and details.status == "running" and details.cwd == "/workspace" \
                and "python" in details.image and details.created_at and details.expires_at
            return ok, f"{details}"

        await checks.run("info(): running, cwd /workspace, image python, timestamps", info)
        await checks.run("get_session(id)", lambda: client.get_session(session.id))

        try:
            await exec_checks(session, checks)
            await stream_checks(session, checks)
            await file_checks(session, checks)
            await resource_checks(client, session, checks)
        finally:
            async def destroy():
                await session.destroy()
                details = await session.info()
                return details.status == "destroyed", f"status after destroy: {details.status!r}"

            await checks.run("destroy(); info() then says destroyed", destroy)

        await checks.run("exec after destroy → HTTP 409 SESSION_NOT_RUNNING",
                         lambda: expect_status(lambda: session.exec("true"), 409, "SESSION_NOT_RUNNING"))
        await checks.run("destroy() again is idempotent", session.destroy)
        await workspace_checks(client, checks)
        await unknown_session_checks(client, checks)

    async def wrong_key():
        async with SandboxClient(base_url=url, api_key="not-" + api_key) as intruder:
            return await expect_status(intruder.list_sessions, 401, "UNAUTHORIZED")

    await checks.run("a wrong API key → HTTP 401 UNAUTHORIZED", wrong_key)


async def exec_checks(session, checks):
    async def echo():
        result = await session.exec("echo hello")
        ok = result.output == "hello\n" and result.exit_code == 0 and result.cwd == "/workspace" \
            and not result.truncated and isinstance(result.duration_ms, int) and result.duration_ms >= 0
        return ok, f"{result}"

    await checks.run("exec: stdout, exit code 0, cwd, duration_ms", echo)

    async def python():
        result = await session.exec("python3 -c 'import sys; print(sys.version_info[0] * 7)'")
        return result.output == "21\n" and result.exit_code == 0, f"{result}"

    await checks.run("exec: python3 runs in the python image", python)

    async def stderr():
        result = await session.exec("echo out; echo err >&2")
        return result.output == "out\nerr\n", f"output {result.output!r}"

    await checks.run("exec: stderr merged with stdout, in order", stderr)

    async def failing():
        result = await session.exec("(exit 7)")
        other = await session.exec("ls /no/such/path")
        ok = result.exit_code == 7 and other.exit_code != 0 and "No such file" in other.output
        return ok, f"(exit 7) → {result.exit_code}, ls → {other.exit_code} {other.output!r}"

    await checks.run("exec: non-zero exit codes come back with HTTP 200", failing)

    async def state():
        await session.exec("cd /tmp && export COMPAT_X=42 && compat_f() { echo fn; }")
        result = await session.exec("echo $COMPAT_X; pwd; compat_f")
        await session.exec("cd /workspace")
        return result.output == "42\n/tmp\nfn\n" and result.cwd == "/tmp", f"{result}"

    await checks.run("exec: cd, export and functions persist between execs", state)

    async def timeout():
        start = time.monotonic()
        outcome = await expect_status(lambda: session.exec("sleep 30; echo never", timeout_ms=2000), 504, "COMMAND_TIMEOUT")
        elapsed = time.monotonic() - start
        if not outcome[0]:
            return outcome
        return elapsed <= 4.0, f"took {elapsed:.2f} s for a 2 s timeout"

    await checks.run("exec: a 2 s timeout → HTTP 504 COMMAND_TIMEOUT within 4 s", timeout)

    async def after_timeout():
        start = time.monotonic()
        result = await session.exec("echo after; cat /proc/[0-9]*/comm 2>/dev/null | grep -cx sleep", timeout_ms=5000)
        elapsed = time.monotonic() - start
        ok = result.output == "after\n0\n" and result.cwd == "/workspace" and elapsed < 2.0
        return ok, f"output {result.output!r} (want 'after' and 0 sleep processes) in {elapsed:.2f} s"

    await checks.run("exec: the timed-out command was killed; the shell answers at once, cwd intact", after_timeout)

    async def hygiene():
        first = await session.exec("printf 'no newline'")
        second = await session.exec("echo next")
        ok = first.output == "no newline" and second.output == "next\n"
        return ok, f"{first.output!r}, then {second.output!r}"

    await checks.run("exec: output is exactly the command's, nothing added or carried over", hygiene)

    async def large():
        result = await session.exec("head -c 1000000 /dev/zero | tr '\\0' x")
        ok = len(result.output) == 1_000_000 and set(result.output) == {"x"} and not result.truncated
        return ok, f"{len(result.output)} bytes, truncated={result.truncated}"

    await checks.run("exec: 1 MB of output arrives complete", large)


async def stream_checks(session, checks):
    async def streamed():
        chunks, done, arrivals, total = await collect_stream(session, "for i in 1 2 3; do echo $i; sleep 1; done")
        text = "".join(chunk.output for chunk in chunks)
        if done is None:
            return False, "no done event"
        first = arrivals[0]
        done_at = arrivals[-1]
        problems = []
        if text != "1\n2\n3\n":
            problems.append(f"text {text!r}")
        if len(chunks) < 2:
            problems.append(f"{len(chunks)} chunk(s): not streamed")
        if first > 1.0:
            problems.append(f"first chunk after {first:.2f} s")
        if done_at - first < 1.5:
            problems.append(f"first chunk only {done_at - first:.2f} s before done")
        if done.exit_code != 0 or done.cwd != "/workspace" or done.duration_ms < 1500:
            problems.append(f"done {done}")
        stamps = [chunk.timestamp for chunk in chunks]
        if stamps != sorted(stamps) or abs(stamps[0] / 1000 - (time.time() - total + first)) > 2:
            problems.append(f"chunk timestamps {stamps} are not the times the chunks were read")
        return not problems, "; ".join(problems)

    await checks.run("exec_stream: chunks arrive as produced, then done", streamed)

    async def stream_exit():
        chunks, done, _, _ = await collect_stream(session, "echo x; (exit 4)")
        text = "".join(chunk.output for chunk in chunks)
        return done is not None and done.exit_code == 4 and text == "x\n", f"text {text!r}, done {done}"

    await checks.run("exec_stream: non-zero exit in done", stream_exit)

    async def stream_timeout():
        start = time.monotonic()
        seen = []
        try:
            async for chunk in session.exec_stream("echo started; sleep 30", timeout_ms=2000):
                seen.append(chunk)
        except SandkastenStreamError as error:
            elapsed = time.monotonic() - start
            text = "".join(chunk.output for chunk in seen)
            ok = text == "started\n" and elapsed <= 4.0 and "timeout" in str(error).lower()
            return ok, f"chunks {text!r}, error {error!r} after {elapsed:.2f} s"
        return False, f"no SandkastenStreamError; got {seen}"

    await checks.run("exec_stream: a timeout is an error event (SandkastenStreamError) within 4 s", stream_timeout)

    async def usable_after():
        result = await session.exec("echo ok", timeout_ms=5000)
        return result.output == "ok\n", f"{result.output!r}"

    await checks.run("exec after a streamed timeout works", usable_after)


async def file_checks(session, checks):
    text = "héllo\nwörld\n"

    async def text_round_trip():
        await session.write("notes/hello.txt", text)
        back = await session.read("notes/hello.txt")
        shell = await session.exec("cat /workspace/notes/hello.txt")
        ok = back.content.decode("utf-8") == text and back.path == "notes/hello.txt" and not back.truncated \
            and shell.output == text
        return ok, f"read {back}, cat {shell.output!r}"

    await checks.run("write/read text (nested path created, visible to the shell)", text_round_trip)

    payload = bytes(range(256)) * 64

    async def bytes_round_trip():
        await session.write("/workspace/data.bin", payload)
        back = await session.read("/workspace/data.bin")
        size = await session.exec("wc -c < data.bin")
        ok = back.content == payload and not back.truncated and size.output.strip() == str(len(payload))
        return ok, f"{len(back.content)} bytes back, equal={back.content == payload}, wc={size.output!r}"

    await checks.run("write/read bytes: all 256 byte values", bytes_round_trip)

    async def truncated():
        back = await session.read("data.bin", max_bytes=10)
        return back.content == payload[:10] and back.truncated, f"{back}"

    await checks.run("read(max_bytes=10) is truncated", truncated)

    async def missing():
        return await expect_status(lambda: session.read("no-such-file.txt"), 404, "FILE_NOT_FOUND")

    await checks.run("read of a missing file → HTTP 404 FILE_NOT_FOUND", missing)

    async def upload_path():
        with tempfile.TemporaryDirectory() as directory:
            local = Path(directory) / "upload-me.txt"
            local.write_bytes(b"uploaded from a path\n")
            paths = await session.upload(local)
        back = await session.read("upload-me.txt")
        return paths == ["/workspace/upload-me.txt"] and back.content == b"uploaded from a path\n", f"paths {paths}, read {back}"

    await checks.run("upload(path) lands in /workspace", upload_path)

    async def upload_object():
        paths = await session.upload(io.BytesIO(b"\x00\x01binary\xff"), dest_path="/workspace/up", filename="blob.bin")
        back = await session.read("/workspace/up/blob.bin")
        return paths == ["/workspace/up/blob.bin"] and back.content == b"\x00\x01binary\xff", f"paths {paths}, read {back}"

    await checks.run("upload(file object, dest_path=/workspace/up)", upload_object)


async def resource_checks(client, session, checks):
    async def stats():
        result = await session.stats()
        ok = result.memory_bytes > 0 and result.memory_limit > 0 and result.cpu_usage_usec > 0
        return ok, f"{result}"

    await checks.run("stats(): memory, limit and CPU time", stats)

    async def listed():
        sessions = await client.list_sessions()
        mine = [info for info in sessions if info.id == session.id]
        return len(mine) == 1 and mine[0].status == "running", f"{mine or [info.id for info in sessions]}"

    await checks.run("list_sessions() has the session, running", listed)


async def workspace_checks(client, checks):
    workspace = "compat-" + secrets.token_hex(4)

    async def persistent():
        first = await client.create_session(image="python", workspace_id=workspace)
        try:
            await first.write("kept.txt", "survives\n")
            details = await first.info()
            if details.workspace_id != workspace:
                return False, f"info().workspace_id {details.workspace_id!r}"
        finally:
            await first.destroy()
        second = await client.create_session(image="python", workspace_id=workspace)
        try:
            back = await second.read("kept.txt")
        finally:
            await second.destroy()
        return back.content == b"survives\n", f"read back {back.content!r}"

    await checks.run("a named workspace outlives its session", persistent)

    async def listed():
        ids = [info.id for info in await client.list_workspaces()]
        return workspace in ids, f"{ids}"

    await checks.run("list_workspaces() has it", listed)

    async def deleted():
        await client.delete_workspace(workspace)
        ids = [info.id for info in await client.list_workspaces()]
        return workspace not in ids, f"{ids}"

    await checks.run("delete_workspace() removes it", deleted)


async def unknown_session_checks(client, checks):
    stranger = Session(client, UNKNOWN_SESSION)
    await checks.run("get_session(unknown) → HTTP 404 SESSION_NOT_FOUND",
                     lambda: expect_status(lambda: client.get_session(UNKNOWN_SESSION), 404, "SESSION_NOT_FOUND"))
    await checks.run("exec on an unknown session → HTTP 404 SESSION_NOT_FOUND",
                     lambda: expect_status(lambda: stranger.exec("true"), 404, "SESSION_NOT_FOUND"))
    await checks.run("destroy of an unknown session → HTTP 404 SESSION_NOT_FOUND",
                     lambda: expect_status(stranger.destroy, 404, "SESSION_NOT_FOUND"))

    async def stream():
        try:
            async for chunk in stranger.exec_stream("true"):
                return False, f"got a chunk {chunk}"
        except SandkastenStreamError as error:
            return "not found" in str(error).lower(), f"error {error!r}"
        return False, "the stream ended without an error event"

    await checks.run("exec_stream on an unknown session → SandkastenStreamError", stream)


def main():
    url = os.environ.get("SANDCASTLE_URL")
    api_key = os.environ.get("SANDCASTLE_API_KEY")
    if not url or not api_key:
        print("FAIL environment: set SANDCASTLE_URL and SANDCASTLE_API_KEY")
        return 1
    checks = Checks()
    checks.equal(f"sandkasten SDK version is {SDK_VERSION}", sandkasten.__version__, SDK_VERSION)
    asyncio.run(scenario(url, api_key, checks))
    if checks.failed:
        print(f"{len(checks.failed)} of {len(checks.failed) + checks.passed} checks FAILED: " + ", ".join(checks.failed))
        return 1
    print(f"all {checks.passed} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

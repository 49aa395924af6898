#!/usr/bin/env python3
"""Scenario suite for sandcastle's E2B-compatible API, driven by the unmodified `e2b` SDK.

Run by scripts/compat-e2b against a live `sandcastle serve`, with E2B_API_URL,
E2B_SANDBOX_URL and E2B_API_KEY pointing at it. Prints one line per check
("PASS name" / "FAIL name: why") and exits non-zero if any check failed.
"""

import os
import sys
import time
import uuid

from e2b import (
    AuthenticationException,
    PtySize,
    CommandExitException,
    Sandbox,
    SandboxNotFoundException,
    SandboxQuery,
    TimeoutException,
)


RUN_ID = uuid.uuid4().hex[:12]
failures = []
created = []


def check(name, condition, detail=""):
    if condition:
        print(f"PASS {name}", flush=True)
    else:
        failures.append(name)
        print(f"FAIL {name}: {detail}", flush=True)


def scenario(name):
    """Runs a scenario function; an unexpected exception fails it (and only it)."""

    def wrap(fn):
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - the suite reports every failure and goes on
            failures.append(name)
            print(f"FAIL {name}: unexpected {type(e).__name__}: {e}", flush=True)
        return fn

    return wrap


def expect_raises(name, exception_type, fn):
    try:
        result = fn()
    except exception_type as e:
        check(name, True)
        return e
    except Exception as e:  # noqa: BLE001
        check(name, False, f"raised {type(e).__name__}: {e}, expected {exception_type.__name__}")
        return None
    check(name, False, f"returned {result!r}, expected {exception_type.__name__}")
    return None


sbx = Sandbox.create(template="base", timeout=300, envs={"SBX_CREATED": "from-create"},
                     metadata={"suite": RUN_ID, "role": "main"})
created.append(sbx.sandbox_id)
check("create", bool(sbx.sandbox_id), "no sandbox id")

try:
    @scenario("commands.run")
    def _():
        r = sbx.commands.run("echo hello")
        check("commands.run stdout", r.stdout == "hello\n", repr(r.stdout))
        check("commands.run exit_code", r.exit_code == 0, repr(r.exit_code))
        r = sbx.commands.run("echo out; echo err >&2")
        check("commands.run stderr", r.stdout == "out\n" and r.stderr == "err\n", f"{r.stdout!r} {r.stderr!r}")

    @scenario("commands.run envs")
    def _():
        r = sbx.commands.run('echo "$GREETING"', envs={"GREETING": "hi there"})
        check("commands.run envs", r.stdout == "hi there\n", repr(r.stdout))
        r = sbx.commands.run('echo "$SBX_CREATED"')
        check("create envs visible to commands", r.stdout == "from-create\n", repr(r.stdout))

    @scenario("commands.run cwd")
    def _():
        r = sbx.commands.run("pwd", cwd="/tmp")
        check("commands.run cwd", r.stdout == "/tmp\n", repr(r.stdout))

    @scenario("commands.run non-zero exit")
    def _():
        e = expect_raises("non-zero exit raises CommandExitException", CommandExitException,
                          lambda: sbx.commands.run("echo oops >&2; exit 3"))
        if e is not None:
            check("CommandExitException exit_code", e.exit_code == 3, repr(e.exit_code))
            check("CommandExitException stderr", e.stderr == "oops\n", repr(e.stderr))

    @scenario("commands.run timeout")
    def _():
        started = time.monotonic()
        expect_raises("timeout raises TimeoutException", TimeoutException,
                      lambda: sbx.commands.run("sleep 20", timeout=2))
        elapsed = time.monotonic() - started
        check("timeout ends the command promptly", elapsed < 10, f"{elapsed:.1f}s")
        # The SDK's own deadline may fire a moment before the server's kill lands: allow it a few seconds.
        for _ in range(25):
            r = sbx.commands.run("pgrep -x sleep || true")
            if r.stdout.strip() == "":
                break
            time.sleep(0.2)
        check("timed-out command was killed", r.stdout.strip() == "", repr(r.stdout))

    @scenario("background command")
    def _():
        h = sbx.commands.run("for i in 1 2 3; do echo $i; sleep 0.3; done", background=True)
        check("background handle has a pid", isinstance(h.pid, int) and h.pid > 0, repr(h.pid))
        pids = [p.pid for p in sbx.commands.list()]
        check("commands.list shows the background command", h.pid in pids, repr(pids))
        result = h.wait()
        check("background wait gathers output", result.stdout == "1\n2\n3\n", repr(result.stdout))
        check("finished command leaves commands.list", h.pid not in [p.pid for p in sbx.commands.list()])

        long = sbx.commands.run("sleep 60", background=True)
        check("handle.kill", long.kill() is True)
        expect_raises("killed command's wait raises CommandExitException", CommandExitException, long.wait)
        check("kill of a gone pid returns False", sbx.commands.kill(long.pid) is False)

    @scenario("stdin")
    def _():
        h = sbx.commands.run("cat", background=True, stdin=True)
        sbx.commands.send_stdin(h.pid, "piped\n")
        sbx.commands.close_stdin(h.pid)
        r = h.wait()
        check("send_stdin + close_stdin", r.stdout == "piped\n", repr(r.stdout))

    @scenario("commands.connect")
    def _():
        h = sbx.commands.run("sleep 1; echo later", background=True)
        again = sbx.commands.connect(h.pid)
        r = again.wait()
        check("commands.connect follows output", r.stdout == "later\n", repr(r.stdout))
        h.disconnect()

    @scenario("pty")
    def _():
        out = bytearray()
        t = sbx.pty.create(PtySize(rows=24, cols=80), timeout=30)
        sbx.pty.resize(t.pid, PtySize(rows=30, cols=100))
        sbx.pty.send_stdin(t.pid, b"stty size; echo pty-$((40+2)); exit\n")
        t.wait(on_pty=lambda data: out.extend(data))
        text = out.decode(errors="replace")
        check("pty output", "pty-42" in text, repr(text[-200:]))
        check("pty resize", "30 100" in text, repr(text[-200:]))

    @scenario("files")
    def _():
        info = sbx.files.write("/tmp/e2b/hello.txt", "hello file")
        check("files.write text", info.path == "/tmp/e2b/hello.txt", repr(info))
        check("files.read text", sbx.files.read("/tmp/e2b/hello.txt") == "hello file")
        payload = bytes(range(256)) * 64
        sbx.files.write("/tmp/e2b/blob.bin", payload)
        got = sbx.files.read("/tmp/e2b/blob.bin", format="bytes")
        check("files.write/read bytes", bytes(got) == payload, f"{len(got)} bytes")
        r = sbx.commands.run("sha256sum /tmp/e2b/blob.bin | cut -c1-16")
        import hashlib
        check("bytes reach the sandbox intact", r.stdout.strip() == hashlib.sha256(payload).hexdigest()[:16], r.stdout)
        sbx.files.write("relative.txt", "in home")
        check("relative paths land in the home", sbx.commands.run("cat /workspace/relative.txt").stdout == "in home")

        check("files.make_dir new", sbx.files.make_dir("/tmp/e2b/sub/deeper") is True)
        check("files.make_dir existing", sbx.files.make_dir("/tmp/e2b/sub/deeper") is False)
        names = sorted(e.name for e in sbx.files.list("/tmp/e2b"))
        check("files.list", names == ["blob.bin", "hello.txt", "sub"], repr(names))
        entries = {e.name: e for e in sbx.files.list("/tmp/e2b")}
        check("files.list entry details", entries["hello.txt"].size == 10 and entries["sub"].type.value == "dir",
              repr(entries.get("hello.txt")))
        deep = sorted(e.path for e in sbx.files.list("/tmp/e2b", depth=3))
        check("files.list depth", "/tmp/e2b/sub/deeper" in deep, repr(deep))
        check("files.exists true", sbx.files.exists("/tmp/e2b/hello.txt") is True)
        check("files.exists false", sbx.files.exists("/tmp/e2b/missing.txt") is False)
        moved = sbx.files.rename("/tmp/e2b/hello.txt", "/tmp/e2b/renamed.txt")
        check("files.rename", moved.path == "/tmp/e2b/renamed.txt" and sbx.files.exists("/tmp/e2b/renamed.txt"))
        sbx.files.remove("/tmp/e2b/renamed.txt")
        check("files.remove file", sbx.files.exists("/tmp/e2b/renamed.txt") is False)
        sbx.files.remove("/tmp/e2b/sub")
        check("files.remove directory", sbx.files.exists("/tmp/e2b/sub") is False)
        from e2b import FileNotFoundException
        expect_raises("files.read missing raises FileNotFoundException", FileNotFoundException,
                      lambda: sbx.files.read("/tmp/e2b/nope.txt"))

    @scenario("more file transfers")
    def _():
        import io
        from e2b.sandbox.filesystem.filesystem import WriteEntry
        infos = sbx.files.write_files([WriteEntry(path="/tmp/multi/a.txt", data="A"),
                                       WriteEntry(path="/tmp/multi/b.bin", data=b"\x00\x01")])
        check("files.write_files (multipart, several parts)", sorted(i.path for i in infos) == ["/tmp/multi/a.txt", "/tmp/multi/b.bin"]
              and sbx.files.read("/tmp/multi/a.txt") == "A", repr(infos))
        sbx.files.write("/tmp/multi/stream.bin", io.BytesIO(b"streamed" * 1000))
        check("files.write file-like (octet-stream)", sbx.files.read("/tmp/multi/stream.bin", format="bytes") == b"streamed" * 1000)
        chunks = b"".join(sbx.files.read("/tmp/multi/stream.bin", format="stream"))
        check("files.read stream", chunks == b"streamed" * 1000, f"{len(chunks)} bytes")

    @scenario("watch_dir")
    def _():
        from e2b import FilesystemEventType
        sbx.files.make_dir("/tmp/watched/sub")
        handle = sbx.files.watch_dir("/tmp/watched", recursive=True)
        sbx.files.write("/tmp/watched/new.txt", "1")
        sbx.files.write("/tmp/watched/sub/deep.txt", "1")
        time.sleep(0.6)
        sbx.files.write("/tmp/watched/new.txt", "longer")
        sbx.files.remove("/tmp/watched/sub/deep.txt")
        time.sleep(0.6)
        events = {(e.name, e.type) for e in handle.get_new_events()}
        handle.stop()
        expected = {("new.txt", FilesystemEventType.CREATE), ("sub/deep.txt", FilesystemEventType.CREATE),
                    ("new.txt", FilesystemEventType.WRITE), ("sub/deep.txt", FilesystemEventType.REMOVE)}
        check("files.watch_dir (polling watcher) events", expected <= events, repr(sorted((n, t.value) for n, t in events)))

    @scenario("users")
    def _():
        r = sbx.commands.run("id -u; echo $HOME")
        check("commands run as the sandbox user", r.stdout == "1000\n/workspace\n", repr(r.stdout))
        from e2b import SandboxException
        expect_raises("user='root' is refused", SandboxException, lambda: sbx.commands.run("id -u", user="root"))

    @scenario("templates")
    def _():
        py = Sandbox.create(template="python", timeout=60)
        created.append(py.sandbox_id)
        r = py.commands.run('python3 -c "print(6*7)"')
        check("template python maps to the python image", r.stdout == "42\n", repr(r.stdout))
        check("kill python sandbox", py.kill() is True)
        from e2b import SandboxException
        e = expect_raises("unknown template is refused", SandboxException, lambda: Sandbox.create(template="no-such-template-zz"))
        if e is not None:
            check("unknown template error names it", "no-such-template-zz" in str(e), str(e))

    @scenario("async SDK")
    def _():
        import asyncio
        from e2b import AsyncSandbox

        async def run():
            s = await AsyncSandbox.create(timeout=60)
            created.append(s.sandbox_id)
            r = await s.commands.run("echo async")
            seen = []
            watch = await s.files.watch_dir("/tmp", on_event=lambda e: seen.append(e.name))
            await s.files.write("/tmp/async.txt", "x")
            content = await s.files.read("/tmp/async.txt")
            for _ in range(30):
                if "async.txt" in seen:
                    break
                await asyncio.sleep(0.1)
            await watch.stop()
            killed = await s.kill()
            return r.stdout, content, killed, seen

        out, content, killed, seen = asyncio.run(run())
        check("AsyncSandbox create/run/files/kill", (out, content, killed) == ("async\n", "x", True), repr((out, content, killed)))
        check("AsyncSandbox watch_dir (streaming WatchDir)", "async.txt" in seen, repr(seen))

    @scenario("get_info and Sandbox.list")
    def _():
        info = sbx.get_info()
        check("get_info", info.sandbox_id == sbx.sandbox_id and info.template_id == "base", repr(info))
        check("get_info metadata", info.metadata.get("suite") == RUN_ID, repr(info.metadata))
        other = Sandbox.create(template="base", timeout=120, metadata={"suite": RUN_ID, "role": "other"})
        created.append(other.sandbox_id)
        ids = []
        paginator = Sandbox.list(query=SandboxQuery(metadata={"suite": RUN_ID}), limit=1)
        pages = 0
        while paginator.has_next and pages < 10:
            ids.extend(s.sandbox_id for s in paginator.next_items())
            pages += 1
        check("Sandbox.list by metadata", sorted(ids) == sorted([sbx.sandbox_id, other.sandbox_id]), repr(ids))
        check("Sandbox.list pages with x-next-token", pages == 2, f"{pages} pages")
        only = Sandbox.list(query=SandboxQuery(metadata={"suite": RUN_ID, "role": "other"})).next_items()
        check("Sandbox.list metadata filter", [s.sandbox_id for s in only] == [other.sandbox_id], repr(only))

        # set_timeout shortens the other sandbox's life; the server's reaper enforces it.
        other.set_timeout(2)
        deadline = time.monotonic() + 20
        alive = True
        while alive and time.monotonic() < deadline:
            time.sleep(1)
            alive = other.is_running()
        check("set_timeout is enforced", not alive, "still running 20 s after a 2 s timeout")
        expect_raises("connect to an expired sandbox raises SandboxNotFoundException", SandboxNotFoundException,
                      lambda: Sandbox.connect(other.sandbox_id))

    @scenario("get_metrics")
    def _():
        samples = sbx.get_metrics()
        check("get_metrics", len(samples) == 1 and samples[0].mem_total > 0 and samples[0].mem_used > 0
              and samples[0].cpu_count >= 1, repr(samples))

    @scenario("connect")
    def _():
        again = Sandbox.connect(sbx.sandbox_id)
        r = again.commands.run("echo connected")
        check("Sandbox.connect to a running sandbox", r.stdout == "connected\n", repr(r.stdout))

    @scenario("errors")
    def _():
        expect_raises("unknown sandbox id: connect raises SandboxNotFoundException", SandboxNotFoundException,
                      lambda: Sandbox.connect("nosuchsandbox0000"))
        expect_raises("unknown sandbox id: get_info raises SandboxNotFoundException", SandboxNotFoundException,
                      lambda: Sandbox.get_info("nosuchsandbox0000"))
        check("unknown sandbox id: kill returns False", Sandbox.kill("nosuchsandbox0000") is False)
        expect_raises("wrong API key: create raises AuthenticationException", AuthenticationException,
                      lambda: Sandbox.create(api_key="definitely-not-a-key"))
        expect_raises("wrong API key: list raises AuthenticationException", AuthenticationException,
                      lambda: Sandbox.list(api_key="definitely-not-a-key").next_items())

    @scenario("kill")
    def _():
        from e2b import SandboxNotRunningException
        in_flight = sbx.commands.run("sleep 30", background=True)
        time.sleep(0.3)
        check("kill", sbx.kill() is True)
        expect_raises("a command in flight during kill raises SandboxNotRunningException", SandboxNotRunningException,
                      in_flight.wait)
        expect_raises("commands.run after kill raises SandboxNotRunningException", SandboxNotRunningException,
                      lambda: sbx.commands.run("true"))
        check("kill again returns False", Sandbox.kill(sbx.sandbox_id) is False)
        check("is_running after kill", sbx.is_running() is False)
        expect_raises("connect after kill raises SandboxNotFoundException", SandboxNotFoundException,
                      lambda: Sandbox.connect(sbx.sandbox_id))
finally:
    for sandbox_id in created:
        try:
            Sandbox.kill(sandbox_id)
        except Exception:  # noqa: BLE001 - best-effort cleanup
            pass

if failures:
    print(f"{len(failures)} check(s) failed: {', '.join(failures)}", flush=True)
    sys.exit(1)
print("all E2B SDK checks passed", flush=True)

#!/usr/bin/env python3
"""End-to-end checks of the runner over its real channel.

    python3 runner/tests/check.py                 # runner as a host subprocess
    python3 runner/tests/check.py --docker        # runner as PID 1 in a hardened container
    python3 runner/tests/check.py -k timeout      # only checks whose name contains "timeout"

Prints one line per check and the measurements at the end; exits non-zero on failure.
"""
import argparse
import hashlib
import os
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from driver import CHUNK, Runner, RunnerError, s  # noqa: E402

CHECKS = []
MEASURE = {}


def check(fn):
    CHECKS.append(fn)
    return fn


def expect(cond, *what):
    if not cond:
        raise AssertionError(" ".join(str(w) for w in what))


class Env:
    """Where the runner runs: a host subprocess or a container."""

    def __init__(self, docker):
        self.docker = docker
        self.volume = None
        self.tmp = None

    def start(self, env=None):
        if self.docker:
            if self.volume is None:
                self.volume = f"sandcastle-runner-check-{uuid.uuid4().hex[:8]}"
                subprocess.run(["docker", "volume", "create", "--label", "sandcastle.managed=true", self.volume],
                               check=True, capture_output=True)
                # A fresh named volume is root-owned; hand it to the sandbox user once.
                subprocess.run(["docker", "run", "--rm", "--label", "sandcastle.managed=true", "-v", f"{self.volume}:/workspace",
                                "--entrypoint", "/bin/chown", "sandcastle/bootstrap:bookworm", "1000:1000", "/workspace"],
                               check=True, capture_output=True)
            return Runner.docker(self.volume)
        if self.tmp is None:
            self.tmp = tempfile.mkdtemp(prefix="runner-check-")
        return Runner.local(cwd=self.tmp, env=env)

    @property
    def workspace(self):
        return "/workspace" if self.docker else self.tmp

    def cleanup(self):
        if self.volume:
            subprocess.run(["docker", "volume", "rm", "-f", self.volume], capture_output=True)
        if self.tmp:
            subprocess.run(["rm", "-rf", self.tmp])


# ---------------------------------------------------------------- shell

@check
def shell_basics(r, env):
    res = r.exec("echo hello")
    expect(res["output"] == b"hello\n", res)
    expect(res["result"]["exit"] == 0)
    res = r.exec("false")
    expect(res["result"]["exit"] == 1 and res["output"] == b"", res)
    res = r.exec("(exit 42)")
    expect(res["result"]["exit"] == 42, res)
    res = r.exec("echo out; echo err >&2")
    expect(res["output"] == b"out\nerr\n", res)
    res = r.exec("nosuchcommand_xyz")
    expect(res["result"]["exit"] == 127 and res["output"] == b"bash: nosuchcommand_xyz: command not found\n", res)


@check
def shell_state_persists(r, env):
    r.exec("cd /tmp && export SC_X=42 && f() { echo \"fn:$1:$SC_X\"; } && alias ll='echo aliased'")
    res = r.exec("f a; pwd; ll")
    expect(res["output"] == b"fn:a:42\n/tmp\naliased\n", res)
    expect(res["result"]["cwd"] == "/tmp", res)
    r.exec("declare -A m; m[k]=v; n=7")
    expect(r.exec('echo "${m[k]}$n"')["output"] == b"v7\n")
    r.exec(f"cd {env.workspace}")


@check
def shell_previous_status(r, env):
    r.exec("false")
    res = r.exec("echo $?")
    expect(res["output"] == b"1\n", res)


@check
def shell_output_is_clean(r, env):
    res = r.exec("printf 'a\\r\\nb\\r\\n'; printf 'progress\\rdone\\n'; printf 'no newline'")
    expect(res["output"] == b"a\nb\nprogress\rdone\nno newline", res)
    res = r.exec("printf 'x\\r\\n'", raw=True)
    expect(res["output"] == b"x\r\n", res)
    res = r.exec("printf 'ends with cr\\r'")
    expect(res["output"] == b"ends with cr\r", res)
    res = r.exec("echo $TERM; [ -t 1 ] && echo tty")
    expect(res["output"] == b"dumb\ntty\n", res)
    # Multi-line scripts, quoting, heredocs, a very long command.
    script = "cat <<'EOF'\n$HOME `x` \\n\nEOF\necho \"it's\" 'quoted'\n"
    expect(r.exec(script)["output"] == b"$HOME `x` \\n\nit's quoted\n")
    long_cmd = "x=" + "a" * 300000 + "; echo ${#x}"
    expect(r.exec(long_cmd)["output"] == b"300000\n")
    # Programs reading stdin see EOF at once instead of hanging.
    res = r.exec("cat; read line; echo rc=$?", timeout_ms=5000)
    expect(res["output"] == b"rc=1\n" and not res["result"]["timed_out"], res)
    # A prompt change (e.g. a virtualenv's activate) must not leak into output.
    r.exec("PS1='(venv) \\u$ '")
    expect(r.exec("echo clean")["output"] == b"clean\n")
    r.exec("PS1=")
    # Job-control noise: none for background jobs started or finished.
    res = r.exec("sleep 0.1 & sleep 0.3; echo after; wait")
    expect(res["output"] == b"after\n", res)
    expect(b"\x1b" not in r.exec("ls / >/dev/null; echo ok")["output"])


@check
def shell_cwd_any_bytes(r, env):
    res = r.exec("d=$'" + env.workspace + "/we ird;dir\\nline\\x01 é'; mkdir -p \"$d\" && cd \"$d\" && echo ok")
    expect(res["output"] == b"ok\n", res)
    expect(res["result"]["cwd"] == env.workspace + "/we ird;dir\nline\x01 é", repr(res["result"]["cwd"]))
    r.exec(f"cd {env.workspace}")


@check
def shell_streaming(r, env):
    fid = r.exec_start("for i in 1 2 3; do echo $i; sleep 0.3; done")
    t0 = time.monotonic()
    arrivals = []
    out = b""
    for kind, payload, at in r.until_final(fid, 10):
        if kind == "output":
            arrivals.append(at - t0)
            out += payload[1]
    expect(out == b"1\n2\n3\n", out)
    expect(len(arrivals) >= 3 and arrivals[0] < 0.2 and arrivals[-1] > 0.5, arrivals)


@check
def shell_timeout_sleep(r, env):
    t0 = time.monotonic()
    res = r.exec("sleep 100", timeout_ms=1000)
    took = time.monotonic() - t0
    expect(res["result"]["timed_out"] and res["result"]["exit"] == 124, res)
    expect(took < 2.0, took)
    MEASURE["timeout sleep 100 (1 s limit) returned after"] = f"{took:.2f} s"
    expect(r.exec("echo next")["output"] == b"next\n")


@check
def shell_timeout_multi_line(r, env):
    t0 = time.monotonic()
    res = r.exec("sleep 100\necho not-reached\nsleep 100", timeout_ms=500)
    took = time.monotonic() - t0
    expect(res["result"]["timed_out"] and b"not-reached" not in res["output"] and took < 1.5, res, took)
    expect(r.exec("echo next")["output"] == b"next\n")


@check
def shell_timeout_busy_loop(r, env):
    t0 = time.monotonic()
    res = r.exec("while :; do :; done", timeout_ms=500)
    took = time.monotonic() - t0
    expect(res["result"]["timed_out"] and took < 1.5, res, took)
    expect(r.exec("echo next")["output"] == b"next\n")


@check
def shell_timeout_sigint_catcher(r, env):
    # Programs that catch SIGINT and carry on are SIGKILLed ~500 ms into the interrupt.
    catchers = ["sh -c 'trap \"echo caught\" INT; while :; do sleep 1; done'; echo continued"]
    if not env.docker:
        prog = "import signal,time\nsignal.signal(signal.SIGINT, lambda *a: print('caught', flush=True))\nwhile True: time.sleep(1)\n"
        r.write_file("catcher.py", prog.encode())
        catchers.append("python3 catcher.py; echo continued")
    for cmd in catchers:
        t0 = time.monotonic()
        res = r.exec(cmd, timeout_ms=500)
        took = time.monotonic() - t0
        expect(res["result"]["timed_out"] and took < 1.6, res, took)
        expect(r.exec("echo next")["output"] == b"next\n")


@check
def shell_timeout_yes_capped(r, env):
    t0 = time.monotonic()
    res = r.exec("yes", timeout_ms=2000, max_output=1 << 20)
    took = time.monotonic() - t0
    rr = res["result"]
    expect(rr["timed_out"] and rr["truncated"] and len(res["output"]) == 1 << 20, rr, len(res["output"]))
    expect(rr["output_bytes"] > 1 << 20 and took < 3.0, rr, took)
    MEASURE["yes for 2 s through the PTY"] = f"{rr['output_bytes'] / 2 / 1e6:.0f} MB/s drained"
    expect(r.exec("echo next")["output"] == b"next\n")


@check
def shell_output_cap(r, env):
    res = r.exec("head -c 10485760 /dev/zero | tr '\\0' a; echo", max_output=1 << 20)
    rr = res["result"]
    expect(rr["truncated"] and rr["output_bytes"] == 10485761 and len(res["output"]) == 1 << 20, rr)
    expect(rr["exit"] == 0 and not rr["timed_out"])
    res = r.exec("head -c 9000000 /dev/zero | tr '\\0' b")  # default cap 8 MiB
    expect(res["result"]["truncated"] and len(res["output"]) == 8 << 20, res["result"])


@check
def shell_cancel(r, env):
    fid = r.exec_start("sleep 100")
    time.sleep(0.3)
    r.cancel(fid)
    t0 = time.monotonic()
    res = r.collect_exec(fid, 5)
    expect(res["result"]["cancelled"] and res["result"]["exit"] == 130 and time.monotonic() - t0 < 1.5, res)
    # A queued exec cancelled before it starts fails with `cancelled`.
    a = r.exec_start("sleep 0.5")
    b = r.exec_start("echo never")
    r.cancel(b)
    try:
        r.collect_exec(b, 5)
        expect(False, "queued exec ran")
    except RunnerError as e:
        expect(e.failure["code"] == 11, e.failure)
    expect(r.collect_exec(a, 5)["result"]["exit"] == 0)


@check
def shell_queued_timeout(r, env):
    # A queued exec's timeout counts from its arrival: it answers as timed out while the shell is
    # still busy, and never runs afterwards.
    busy = r.exec_start("sleep 30")
    t0 = time.monotonic()
    queued = r.exec_start("echo ran-after-all", timeout_ms=300)
    res = r.collect_exec(queued, 5)
    expect(res["result"]["timed_out"] and res["result"]["exit"] == 124 and res["output"] == b"", res)
    expect(time.monotonic() - t0 < 3, "answered while the shell was busy", time.monotonic() - t0)
    r.cancel(busy)
    expect(r.collect_exec(busy, 5)["result"]["cancelled"])
    expect(r.exec("echo next")["output"] == b"next\n")


@check
def hello_ends_previous_host(r, env):
    # A hello while operations are in flight comes from a new host: the old one's are ended.
    shell = r.exec_start("sleep 30")
    spawned = r.spawn_start(["sleep", "30"])
    queued = r.exec_start("echo orphan")
    r.ready = r.hello()
    expect(r.collect_exec(shell, 5)["result"]["cancelled"])
    expect(r.collect_exec(spawned, 5)["result"]["cancelled"])
    try:
        r.collect_exec(queued, 5)
        expect(False, "the previous host's queued exec ran")
    except RunnerError as e:
        expect(e.failure["code"] == 11, e.failure)
    t0 = time.monotonic()
    expect(r.exec("echo free", timeout_ms=5000)["output"] == b"free\n")
    expect(time.monotonic() - t0 < 3, "the shell was free at once")


@check
def shell_signal(r, env):
    fid = r.exec_start("sleep 100; echo $?")
    time.sleep(0.3)
    r.signal(fid, signal.SIGTERM)
    res = r.collect_exec(fid, 5)
    expect(res["output"].endswith(b"143\n"), res)


@check
def shell_fifo_order_and_pipelining(r, env):
    ids = [r.exec_start(f"echo {i}") for i in range(100)]
    outs = [r.collect_exec(i, 10)["output"] for i in ids]
    expect(outs == [f"{i}\n".encode() for i in range(100)], outs[:5])


@check
def shell_background_job_survives(r, env):
    r.exec("sleep 300 & echo $! > /tmp/.bgpid")
    pid = r.exec("cat /tmp/.bgpid")["output"].strip().decode()
    r.exec("sleep 100", timeout_ms=300)
    res = r.exec(f"kill -0 {pid} && echo alive; jobs")
    expect(res["output"].startswith(b"alive\n"), res)
    r.exec(f"kill {pid}; wait {pid} 2>/dev/null; true")


@check
def shell_background_server_with_sigint_handler_survives(r, env):
    # A background job that re-enables SIGINT (Go's signal.Notify, uvicorn, ...) must not
    # be hit when a later exec is interrupted.
    r.exec("perl -e '$SIG{INT} = sub { print qq(got-int\\n); exit 3 }; sleep 1 while 1' > /tmp/.bgint 2>&1 & echo $! > /tmp/.bgint.pid")
    pid = r.exec("cat /tmp/.bgint.pid")["output"].strip().decode()
    res = r.exec("sleep 100", timeout_ms=300)
    expect(res["result"]["timed_out"], res)
    res = r.exec("while :; do :; done", timeout_ms=300)
    fid = r.exec_start("sleep 100")
    time.sleep(0.2)
    r.signal(fid, signal.SIGINT)
    r.collect_exec(fid, 5)
    res = r.exec(f"kill -0 {pid} && echo alive; cat /tmp/.bgint")
    expect(res["output"] == b"alive\n", res)
    r.exec(f"kill {pid}")


@check
def shell_user_job_control(r, env):
    r.exec("set -m")
    t0 = time.monotonic()
    res = r.exec("sleep 100", timeout_ms=400)
    expect(res["result"]["timed_out"] and time.monotonic() - t0 < 1.5, res)
    expect(r.exec("echo ok")["output"] == b"ok\n")
    r.exec("set +m")


@check
def shell_redirected_stdout(r, env):
    r.exec("exec 3>&1 >/dev/null")
    res = r.exec("echo hidden; echo visible >&3")
    expect(res["output"] == b"visible\n" and res["result"]["exit"] == 0, res)
    r.exec("exec >&3 3>&-")
    expect(r.exec("echo back")["output"] == b"back\n")


@check
def shell_exit_restarts(r, env):
    r.exec("cd /tmp")
    try:
        r.exec("echo bye; exit 3")
        expect(False, "exit should fail the exec")
    except RunnerError as e:
        expect(e.failure["code"] == 14, e.failure)
    res = r.exec("echo fresh; pwd")
    expect(res["output"] == f"fresh\n{env.workspace}\n".encode(), res)


@check
def shell_stubborn_restart(r, env):
    # The shell itself ignores SIGINT and the foreground job does too: only a restart helps.
    t0 = time.monotonic()
    res = r.exec("trap '' INT; sleep 100", timeout_ms=300)
    expect(res["result"]["timed_out"] and time.monotonic() - t0 < 1.5, res)
    res = r.exec("echo recovered", timeout=20)
    expect(res["output"] == b"recovered\n", res)
    MEASURE["wedged shell (trap '' INT) recovered after"] = f"{time.monotonic() - t0:.1f} s"


@check
def shell_no_zombies(r, env):
    r.exec("for i in $(seq 50); do (sleep 0.1 &) ; done")
    time.sleep(1.0)
    if env.docker:
        # The container's pid namespace holds only the runner's descendants.
        res = r.exec("grep -l '^State:.*Z' /proc/[0-9]*/status 2>/dev/null | wc -l")
        expect(res["output"].strip() == b"0", res)
        return
    zombies = []
    for p in os.listdir("/proc"):
        try:
            fields = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] == "Z" and int(fields[1]) == r.ready["pid"]:
            zombies.append(p)
    expect(not zombies, zombies)


@check
def shell_binary_exact_and_marker_lookalikes(r, env):
    # Raw output through the PTY is byte-exact, including ESC, NUL and fragments of the
    # marker introducer split at every possible chunk boundary.
    import random
    rnd = random.Random(7)
    pieces = [b"\x1b", b"\x1b_", b"\x1b_S", b"\x1b_SC", b"\x1b_SC0123;", b"\x00", b"\r", b"\n", b"\r\n", b"x" * 100]
    for size in (1, 4095, 4096, 4097, 70000, 1 << 20):
        blob = bytearray()
        while len(blob) < size:
            blob += rnd.choice(pieces) if rnd.random() < 0.7 else bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 64)))
        blob = bytes(blob[:size])
        r.write_file("blob.bin", blob)
        res = r.exec("cat blob.bin", raw=True)
        expect(res["output"] == blob, size, len(res["output"]), res["result"])
        res = r.exec("cat blob.bin")
        expect(res["output"] == blob.replace(b"\r\n", b"\n"), "normalised", size)
    r.remove("blob.bin")


@check
def concurrency_many_spawns(r, env):
    ids = [r.spawn_start(["sh", "-c", f"sleep 0.2; echo {i}; echo e{i} >&2"]) for i in range(40)]
    shell = r.exec_start("for i in $(seq 5); do echo s$i; sleep 0.05; done")
    for i, fid in enumerate(ids):
        res = r.collect_exec(fid, 10)
        expect(res["output"] == f"{i}\n".encode() and res["stderr"] == f"e{i}\n".encode(), i, res)
    expect(r.collect_exec(shell, 10)["output"] == b"".join(f"s{i}\n".encode() for i in range(1, 6)))


@check
def protocol_frame_limits(r, env):
    fid = r.next_id()
    big = b"y" * (4 * 1024 * 1024 - 9)  # exactly the largest legal frame
    r.send(fid, "writeFile", s("max-frame.bin") + struct.pack(">I??", 0o644, False, True))
    r.send(fid, "data", big)
    r.send(fid, "endOfData")
    kind, payload, _ = r.recv(fid, 30)
    expect(kind == "fileInfo" and payload["size"] == len(big), kind, payload)
    r.remove("max-frame.bin")
    # A download can be cancelled midway.
    r.write_file("dl.bin", b"z" * (8 << 20))
    fid = r.next_id()
    r.send(fid, "readFile", s("dl.bin") + struct.pack(">QQ", 0, 0))
    r.cancel(fid)
    kinds = []
    while not kinds or kinds[-1] not in ("failure", "endOfData"):
        kinds.append(r.recv(fid, 10)[0])
    expect(kinds[0] == "fileInfo" and kinds[-1] == "failure" and len(kinds) < 66, kinds)
    r.remove("dl.bin")


# ---------------------------------------------------------------- spawn / pty

@check
def spawn_streams(r, env):
    res = r.spawn(["sh", "-c", "echo out; echo err >&2; exit 3"])
    expect(res["output"] == b"out\n" and res["stderr"] == b"err\n" and res["result"]["exit"] == 3, res)
    res = r.spawn(["sh", "-c", "echo $FOO; pwd"], env=["FOO=bar"], cwd="/tmp")
    expect(res["output"] == b"bar\n/tmp\n", res)
    res = r.spawn(["pwd"])
    expect(res["output"] == f"{env.workspace}\n".encode(), res)


@check
def spawn_errors(r, env):
    for argv, cwd, errno_ in ((["/no/such/binary"], "", 2), (["no-such-command-xyz"], "", 2), (["true"], "/no/such/dir", 2),
                              (["/etc/passwd"], "", 13)):
        try:
            r.spawn(argv, cwd=cwd)
            expect(False, "spawn should fail", argv)
        except RunnerError as e:
            expect(e.failure["code"] == 10 and e.failure["errno"] == errno_, e.failure)
    try:
        r.spawn(["no-such-command-xyz"])
    except RunnerError as e:
        expect(e.failure["message"] == "exec no-such-command-xyz: No such file or directory", e.failure)


@check
def spawn_timeout_signal_cancel(r, env):
    t0 = time.monotonic()
    res = r.spawn(["sleep", "100"], timeout_ms=500)
    rr = res["result"]
    expect(rr["timed_out"] and rr["signal"] == 15 and rr["exit"] == 143 and time.monotonic() - t0 < 1.5, rr)
    res = r.spawn(["sh", "-c", "trap '' TERM; sleep 100"], timeout_ms=300)
    expect(res["result"]["signal"] == 9 and res["result"]["timed_out"], res)
    fid = r.spawn_start(["sleep", "100"])
    expect(r.recv(fid)[0] == "started")
    r.signal(fid, 9)
    rr = r.collect_exec(fid, 5)["result"]
    expect(rr["signal"] == 9 and rr["exit"] == 137, rr)
    fid = r.spawn_start(["sleep", "100"])
    time.sleep(0.1)
    r.cancel(fid)
    expect(r.collect_exec(fid, 5)["result"]["cancelled"])


@check
def spawn_stdin(r, env):
    fid = r.spawn_start(["cat"], open_stdin=True)
    r.input(fid, b"hello ")
    r.input(fid, b"world")
    r.input(fid, b"")
    res = r.collect_exec(fid, 5)
    expect(res["output"] == b"hello world" and res["result"]["exit"] == 0, res)
    res = r.spawn(["cat"])  # stdin is /dev/null
    expect(res["output"] == b"" and res["result"]["exit"] == 0, res)


@check
def spawn_output_cap_and_grandchild(r, env):
    res = r.spawn(["sh", "-c", "head -c 3000000 /dev/zero"], max_output=1000)
    expect(res["result"]["truncated"] and res["result"]["output_bytes"] == 3000000 and len(res["output"]) == 1000, res["result"])
    t0 = time.monotonic()
    res = r.spawn(["sh", "-c", "sleep 30 & echo started"])
    expect(res["output"] == b"started\n" and time.monotonic() - t0 < 1.0, res, time.monotonic() - t0)
    r.spawn(["pkill", "-f", "sleep 30"]) if not env.docker else r.spawn(["sh", "-c", "kill $(pidof sleep) 2>/dev/null; true"])


@check
def pty_session(r, env):
    fid = r.pty_open(["bash", "--norc", "--noprofile"], rows=30, cols=100)
    expect(r.recv(fid)[0] == "started")
    r.input(fid, b"stty size; echo $TERM; exit 7\n")
    out = b""
    result = None
    for kind, payload, _ in r.until_final(fid, 10):
        if kind == "output":
            out += payload[1]
        elif kind == "execFinished":
            result = payload
    expect(b"30 100" in out and b"xterm-256color" in out and b"\r\n" in out, out)
    expect(result and result["exit"] == 7, result)
    fid = r.pty_open(["sh", "-c", "stty size; read x; stty size"], rows=10, cols=20)
    time.sleep(0.3)
    r.send(fid, "resize", struct.pack(">HH", 40, 132))
    r.input(fid, b"go\n")
    out = b"".join(p[1] for k, p, _ in r.until_final(fid, 10) if k == "output")
    expect(b"10 20" in out and b"40 132" in out, out)


# ---------------------------------------------------------------- files

@check
def files_roundtrip_100mib(r, env):
    size = 100 * 1024 * 1024
    digest = hashlib.sha256()

    def chunks():
        block = os.urandom(CHUNK)
        for i in range(size // CHUNK):
            chunk = bytes([i & 0xFF]) + block[1:]
            digest.update(chunk)
            yield chunk

    t0 = time.monotonic()
    info = r.write_file("big.bin", chunks())
    t1 = time.monotonic()
    expect(info["size"] == size and info["path"] == f"{env.workspace}/big.bin", info)
    back = hashlib.sha256()
    info2, total = r.read_file("big.bin", sink=back.update)
    t2 = time.monotonic()
    expect(total == size and back.hexdigest() == digest.hexdigest(), total)
    MEASURE["100 MiB upload / download"] = f"{size / (t1 - t0) / 1e6:.0f} MB/s / {size / (t2 - t1) / 1e6:.0f} MB/s"
    _, part = r.read_file("big.bin", offset=CHUNK + 5, length=10)
    expect(len(part) == 10)
    rss = r.exec(f"grep -E 'VmHWM|VmRSS' /proc/{r.ready['pid']}/status")["output"].decode()
    MEASURE["runner memory after 100 MiB round trip + 10 MiB capped output"] = " ".join(rss.split())
    r.remove("big.bin")


@check
def files_write_modes(r, env):
    info = r.write_file("sub/dir/a.txt", b"one\n", mode=0o600)
    expect(info["mode"] == 0o600 and info["size"] == 4, info)
    info = r.write_file("sub/dir/a.txt", b"two\n", append=True)
    expect(info["size"] == 8 and info["mode"] == 0o600, info)
    expect(r.read_file("sub/dir/a.txt")[1] == b"one\ntwo\n")
    info = r.write_file("sub/dir/a.txt", b"")
    expect(info["size"] == 0)
    try:
        r.write_file("nodir/x.txt", b"x", parents=False)
        expect(False)
    except RunnerError as e:
        expect(e.failure["code"] == 1, e.failure)
    try:
        r.write_file("sub", b"x")
        expect(False)
    except RunnerError as e:
        expect(e.failure["code"] == 2, e.failure)
    if env.docker:
        try:
            r.write_file("/etc/x", b"x")
            expect(False)
        except RunnerError as e:
            expect(e.failure["code"] == 5 and e.failure["message"] == "open /etc/x: Read-only file system", e.failure)


@check
def files_metadata_ops(r, env):
    r.mkdir("m/a/b", parents=True)
    r.write_file("m/z.txt", b"z")
    r.write_file("m/a/b/f.txt", b"f")
    r.exec("ln -s /etc m/link; ln -s a m/dirlink")
    entries = r.list("m")
    expect([e["name"] for e in entries] == ["a", "dirlink", "link", "z.txt"], entries)
    link = [e for e in entries if e["name"] == "link"][0]
    expect(link["kind"] == 3 and link["target"] == "/etc", link)
    st = r.stat("m/z.txt")
    expect(st["kind"] == 1 and st["size"] == 1 and st["path"] == f"{env.workspace}/m/z.txt", st)
    for fn, args, code in ((r.stat, ("missing",), 1), (r.list, ("m/z.txt",), 3), (r.mkdir, ("m/a",), 6),
                           (r.remove, ("m/a",), 8), (r.move, ("m/z.txt", "m/a/b/f.txt"), 6)):
        try:
            fn(*args)
            expect(False, fn.__name__, args)
        except RunnerError as e:
            expect(e.failure["code"] == code, fn.__name__, e.failure)
    r.move("m/z.txt", "m/a/b/f.txt", overwrite=True)
    expect(r.read_file("m/a/b/f.txt")[1] == b"z")
    r.move("m/a/b/f.txt", "/tmp/moved-across.txt")  # /tmp is another file system in Docker
    expect(r.read_file("/tmp/moved-across.txt")[1] == b"z")
    r.remove("/tmp/moved-across.txt")
    r.remove("m", recursive=True)
    expect(r.exec("test -d /etc && echo etc-intact")["output"] == b"etc-intact\n")
    try:
        r.stat("m")
        expect(False)
    except RunnerError as e:
        expect(e.failure["code"] == 1)


@check
def files_cancel_and_concurrency(r, env):
    fid = r.exec_start("sleep 1; echo done")
    t0 = time.monotonic()
    r.write_file("c.txt", b"x" * 100000)
    expect(len(r.read_file("c.txt")[1]) == 100000)
    r.stat("c.txt")
    spawned = r.spawn(["echo", "hi"])
    expect(spawned["output"] == b"hi\n")
    expect(time.monotonic() - t0 < 0.5, "file ops waited for the exec")
    expect(r.collect_exec(fid, 5)["output"] == b"done\n")
    # Cancel an upload midway.
    fid = r.next_id()
    r.send(fid, "writeFile", s("cancelled.bin") + struct.pack(">I??", 0o644, False, True))
    r.send(fid, "data", b"x" * 1000)
    r.cancel(fid)
    kind, payload, _ = r.recv(fid)
    expect(kind == "failure" and payload["code"] == 11, kind, payload)
    r.remove("c.txt")
    r.remove("cancelled.bin")


@check
def protocol_errors(r, env):
    # Unknown tag with a valid frame length.
    r.send_raw(struct.pack(">IBI", 5, 0x7F, 900) )
    kind, payload, _ = r.recv(900)
    expect(kind == "failure" and payload["code"] == 9, kind, payload)
    # Truncated body for shellExec.
    r.send_raw(struct.pack(">IBI", 7, 0x10, 901) + b"\x00\x00")
    kind, payload, _ = r.recv(901)
    expect(kind == "failure" and payload["code"] == 9, kind, payload)
    # Reused id while in flight.
    fid = r.exec_start("sleep 0.3")
    r.send(fid, "shellExec", s("echo dup") + struct.pack(">IQ?", 0, 0, False))
    kinds = [k for k, _, _ in r.until_final(fid, 5)]
    expect("failure" in kinds, kinds)
    expect(r.exec("echo alive")["output"] == b"alive\n")


# ---------------------------------------------------------------- measurements

@check
def measure_round_trip(r, env):
    for _ in range(50):
        r.exec("true")
    samples = []
    for _ in range(1000):
        t0 = time.perf_counter()
        r.exec("true")
        samples.append((time.perf_counter() - t0) * 1e3)
    samples.sort()
    MEASURE["shell exec `true` round trip p50/p95/p99"] = \
        f"{samples[500]:.3f} / {samples[950]:.3f} / {samples[990]:.3f} ms"
    spawns = []
    for _ in range(300):
        t0 = time.perf_counter()
        r.spawn(["true"])
        spawns.append((time.perf_counter() - t0) * 1e3)
    spawns.sort()
    MEASURE["spawn `true` round trip p50/p95"] = f"{spawns[150]:.3f} / {spawns[285]:.3f} ms"
    stats = []
    for _ in range(1000):
        t0 = time.perf_counter()
        r.stat(".")
        stats.append((time.perf_counter() - t0) * 1e3)
    stats.sort()
    MEASURE["stat round trip p50/p95"] = f"{stats[500]:.3f} / {stats[950]:.3f} ms"


def idle_rss(env):
    r = env.start()
    r.ready = r.hello()
    time.sleep(0.5)
    status = r.exec(f"grep -E 'VmRSS|VmHWM' /proc/{r.ready['pid']}/status")["output"].decode()
    r.close()
    return " ".join(status.split())


def sigterm_exit(env):
    r = env.start()
    r.ready = r.hello()
    r.exec("sleep 300 &")
    fid = r.spawn_start(["sleep", "300"])
    r.recv(fid)
    sleeper = r.exec("pgrep -n sleep")["output"].strip() if not env.docker else None
    t0 = time.monotonic()
    if env.docker:
        name = r.proc.args[r.proc.args.index("--name") + 1] if "--name" in r.proc.args else None
        cid = subprocess.run(["docker", "ps", "-q", "--filter", f"volume={env.volume}"], capture_output=True, text=True).stdout.split()
        subprocess.run(["docker", "kill", "-s", "TERM"] + cid, capture_output=True)
    else:
        os.kill(r.proc.pid, signal.SIGTERM)
    code = r.proc.wait(10)
    took = time.monotonic() - t0
    expect(code == 0, "exit code", code)
    if sleeper:
        expect(not os.path.exists(f"/proc/{int(sleeper)}"), "child survived")
    return f"exit {code} after {took:.2f} s"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--docker", action="store_true")
    ap.add_argument("-k", default="")
    args = ap.parse_args()
    env = Env(args.docker)
    failed = 0
    try:
        r = env.start()
        t0 = time.monotonic()
        r.ready = r.hello()
        MEASURE["start → ready"] = f"{(time.monotonic() - t0) * 1e3:.1f} ms"
        for fn in CHECKS:
            if args.k not in fn.__name__:
                continue
            t0 = time.monotonic()
            try:
                fn(r, env)
                print(f"ok    {fn.__name__} ({time.monotonic() - t0:.2f} s)", flush=True)
            except Exception:
                failed += 1
                print(f"FAIL  {fn.__name__}", flush=True)
                traceback.print_exc()
                if r.proc.poll() is not None:
                    print("runner died; restarting", flush=True)
                    r = env.start()
                    r.ready = r.hello()
        r.close()
        expect(r.proc.returncode == 0, "runner exit code on stdin EOF", r.proc.returncode)
        if not args.k or "rss" in args.k:
            MEASURE["idle runner memory"] = idle_rss(env)
        if not args.k or "sigterm" in args.k:
            try:
                MEASURE["SIGTERM with a shell job and a spawn running"] = sigterm_exit(env)
                print("ok    sigterm_exit", flush=True)
            except Exception:
                failed += 1
                print("FAIL  sigterm_exit", flush=True)
                traceback.print_exc()
    finally:
        env.cleanup()
    print()
    for k, v in MEASURE.items():
        print(f"{k}: {v}")
    print(f"\n{'FAILED ' + str(failed) if failed else 'all passed'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

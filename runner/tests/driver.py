"""A small client for the runner's frame protocol, for manual and scripted testing.

Frames: u32 BE length | u8 tag | u32 BE id | body (see Sources/RunnerProtocol/Frame.swift).

    from driver import Runner
    with Runner.local() as r:          # or Runner.docker(...)
        r.hello()
        print(r.exec("echo hi; pwd"))
"""
import hashlib
import itertools
import os
import queue
import struct
import subprocess
import threading
import time

TAGS = dict(hello=0x01, shellExec=0x10, spawn=0x11, ptyOpen=0x12, input=0x13, resize=0x14, signal=0x15, cancel=0x16,
            writeFile=0x20, readFile=0x21, stat=0x22, list=0x23, makeDirectory=0x24, remove=0x25, move=0x26,
            data=0x40, endOfData=0x41, ready=0x81, started=0x82, output=0x83, execFinished=0x84, fileInfo=0x85,
            entries=0x86, ok=0x87, failure=0x88)
NAMES = {v: k for k, v in TAGS.items()}
CHUNK = 128 * 1024
HERE = os.path.dirname(os.path.abspath(__file__))
# $SANDCASTLE_RUNNER (set by scripts/test), else the release build of this checkout.
DEFAULT_BINARY = os.environ.get("SANDCASTLE_RUNNER") or os.path.join(HERE, "..", "..", ".build", "release", "sandcastle-runner")


def s(text):
    raw = text.encode() if isinstance(text, str) else text
    return struct.pack(">I", len(raw)) + raw


def strings(items):
    return struct.pack(">I", len(items)) + b"".join(s(x) for x in items)


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        size = struct.calcsize(fmt)
        value = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return value[0] if len(value) == 1 else value

    def string(self):
        n = self.take(">I")
        raw = self.data[self.pos:self.pos + n]
        self.pos += n
        return raw.decode("utf-8", "replace")

    def remaining(self):
        return len(self.data) - self.pos

    def rest(self):
        raw = self.data[self.pos:]
        self.pos = len(self.data)
        return raw

    def file_info(self):
        return dict(name=self.string(), path=self.string(), kind=self.take(">B"), size=self.take(">Q"), mode=self.take(">I"),
                    mtime=self.take(">q"), target=self.string())


def decode(tag, body):
    r = Reader(body)
    name = NAMES.get(tag, hex(tag))
    if name == "ready":
        return dict(version=r.take(">H"), shell=r.string(), pid=r.take(">i"), uid=r.take(">I"))
    if name == "started":
        return r.take(">i")
    if name == "output":
        return (r.take(">B"), r.rest())
    if name == "execFinished":
        return dict(exit=r.take(">i"), signal=r.take(">i"), cwd=r.string(), duration_ns=r.take(">Q"), output_bytes=r.take(">Q"),
                    truncated=bool(r.take(">B")), timed_out=bool(r.take(">B")), cancelled=bool(r.take(">B")),
                    oom_killed=bool(r.take(">B")) if r.remaining() else False)
    if name == "fileInfo":
        return r.file_info()
    if name == "entries":
        return [r.file_info() for _ in range(r.take(">I"))]
    if name == "failure":
        return dict(code=r.take(">H"), errno=r.take(">i"), message=r.string())
    if name == "data":
        return r.rest()
    return None


class RunnerError(Exception):
    def __init__(self, failure):
        super().__init__(f"{failure['code']}/{failure['errno']}: {failure['message']}")
        self.failure = failure


class Runner:
    def __init__(self, argv, env=None, cwd=None):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=cwd, bufsize=0)
        self.ids = itertools.count(1)
        self.queues = {}
        self.handlers = {}
        self.lock = threading.Lock()
        self.write_lock = threading.Lock()
        self.closed = False
        self.thread = threading.Thread(target=self._read_loop, daemon=True)
        self.thread.start()

    @classmethod
    def local(cls, binary=DEFAULT_BINARY, env=None, cwd=None):
        return cls([binary], env=env, cwd=cwd)

    @classmethod
    def docker(cls, volume, binary=DEFAULT_BINARY, image="sandcastle/bootstrap:bookworm", name=None, extra=()):
        argv = ["docker", "run", "--rm", "-i", "--label", "sandcastle.managed=true", "--user", "1000:1000", "--read-only",
                "--tmpfs", "/run:uid=1000,gid=1000", "--tmpfs", "/tmp", "--cap-drop", "ALL",
                "--security-opt", "no-new-privileges", "--network", "none", "--log-driver", "none",
                # volume-nocopy: with -w /workspace Docker would otherwise copy the root-owned
                # workdir it creates onto an empty volume's root, making it unwritable for uid 1000.
                "--mount", f"type=volume,src={volume},dst=/workspace,volume-nocopy",
                "-e", "HOME=/workspace", "-w", "/workspace",
                "-v", f"{os.path.abspath(binary)}:/usr/local/bin/sandcastle-runner:ro",
                "--entrypoint", "/usr/local/bin/sandcastle-runner"]
        if name:
            argv += ["--name", name]
        argv += list(extra) + [image]
        return cls(argv)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self, timeout=5):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.closed = True

    # -- plumbing

    def _read_exact(self, n):
        buf = bytearray()
        while len(buf) < n:
            chunk = self.proc.stdout.read(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return bytes(buf)

    def _read_loop(self):
        while True:
            header = self._read_exact(4)
            if header is None:
                break
            (length,) = struct.unpack(">I", header)
            body = self._read_exact(length)
            if body is None:
                break
            tag, fid = body[0], struct.unpack(">I", body[1:5])[0]
            kind = NAMES.get(tag, hex(tag))
            payload = decode(tag, body[5:])
            event = (kind, payload, time.monotonic())
            with self.lock:
                handler = self.handlers.get(fid)
                q = self.queues.setdefault(fid, queue.Queue()) if handler is None else None
            if handler is not None:
                handler(event)
            else:
                q.put(event)
        with self.lock:
            for q in self.queues.values():
                q.put(("closed", None, time.monotonic()))
            handlers = list(self.handlers.values())
        for h in handlers:
            h(("closed", None, time.monotonic()))

    def queue_for(self, fid):
        with self.lock:
            return self.queues.setdefault(fid, queue.Queue())

    def send(self, fid, kind, body=b""):
        frame = bytes([TAGS[kind]]) + struct.pack(">I", fid) + body
        with self.write_lock:
            self.proc.stdin.write(struct.pack(">I", len(frame)) + frame)

    def send_raw(self, raw):
        with self.write_lock:
            self.proc.stdin.write(raw)

    def next_id(self):
        return next(self.ids)

    def recv(self, fid, timeout=30):
        return self.queue_for(fid).get(timeout=timeout)

    def until_final(self, fid, timeout=30, on_event=None):
        """Collects events for an id until a final frame (execFinished/failure/ok/...)."""
        deadline = time.monotonic() + timeout
        events = []
        while True:
            event = self.recv(fid, max(0.01, deadline - time.monotonic()))
            events.append(event)
            if on_event:
                on_event(event)
            if event[0] in ("execFinished", "failure", "ok", "entries", "closed", "ready", "endOfData") or \
                    (event[0] == "fileInfo" and not getattr(self, "_reading", False)):
                return events

    # -- API

    def hello(self, timeout=15):
        self.send(0, "hello", struct.pack(">H", 1))
        kind, payload, _ = self.recv(0, timeout)
        assert kind == "ready", (kind, payload)
        return payload

    def exec_start(self, command, timeout_ms=0, max_output=0, raw=False):
        fid = self.next_id()
        self.send(fid, "shellExec", s(command) + struct.pack(">IQ?", timeout_ms, max_output, raw))
        return fid

    def collect_exec(self, fid, timeout=60):
        out = bytearray()
        stderr = bytearray()
        result = None
        first_output_at = None
        for kind, payload, at in self.until_final(fid, timeout):
            if kind == "output":
                (out if payload[0] == 1 else stderr).extend(payload[1])
                first_output_at = first_output_at or at
            elif kind == "execFinished":
                result = payload
            elif kind == "failure":
                raise RunnerError(payload)
            elif kind == "closed":
                raise RuntimeError("runner closed")
        return dict(output=bytes(out), stderr=bytes(stderr), result=result, first_output_at=first_output_at)

    def exec(self, command, timeout_ms=0, max_output=0, raw=False, timeout=60):
        return self.collect_exec(self.exec_start(command, timeout_ms, max_output, raw), timeout)

    def spawn_start(self, argv, env=(), cwd="", timeout_ms=0, max_output=0, open_stdin=False):
        fid = self.next_id()
        self.send(fid, "spawn", strings(list(argv)) + strings(list(env)) + s(cwd) + struct.pack(">IQ?", timeout_ms, max_output, open_stdin))
        return fid

    def spawn(self, argv, **kw):
        timeout = kw.pop("timeout", 60)
        return self.collect_exec(self.spawn_start(argv, **kw), timeout)

    def pty_open(self, argv=(), env=(), cwd="", rows=24, cols=80):
        fid = self.next_id()
        self.send(fid, "ptyOpen", strings(list(argv)) + strings(list(env)) + s(cwd) + struct.pack(">HH", rows, cols))
        return fid

    def input(self, fid, data):
        self.send(fid, "input", data)

    def signal(self, fid, sig):
        self.send(fid, "signal", struct.pack(">i", sig))

    def cancel(self, fid):
        self.send(fid, "cancel")

    def _simple(self, kind, body):
        fid = self.next_id()
        self.send(fid, kind, body)
        k, payload, _ = self.recv(fid)
        if k == "failure":
            raise RunnerError(payload)
        return payload if k != "ok" else True

    def stat(self, path):
        return self._simple("stat", s(path))

    def list(self, path):
        return self._simple("list", s(path))

    def mkdir(self, path, parents=False, mode=0o755):
        return self._simple("makeDirectory", s(path) + struct.pack(">?I", parents, mode))

    def remove(self, path, recursive=False):
        return self._simple("remove", s(path) + struct.pack(">?", recursive))

    def move(self, src, dst, overwrite=False):
        return self._simple("move", s(src) + s(dst) + struct.pack(">?", overwrite))

    def write_file(self, path, chunks, mode=0o644, append=False, parents=True):
        """chunks: bytes or an iterable of bytes."""
        if isinstance(chunks, (bytes, bytearray)):
            data = bytes(chunks)
            chunks = (data[i:i + CHUNK] for i in range(0, len(data), CHUNK))
        fid = self.next_id()
        self.send(fid, "writeFile", s(path) + struct.pack(">I??", mode, append, parents))
        for chunk in chunks:
            self.send(fid, "data", bytes(chunk))
        self.send(fid, "endOfData")
        kind, payload, _ = self.recv(fid, 120)
        if kind == "failure":
            raise RunnerError(payload)
        return payload

    def read_file(self, path, offset=0, length=0, sink=None, timeout=120):
        """Returns (info, bytes) or, with a sink(chunk) callable, (info, total)."""
        fid = self.next_id()
        done = threading.Event()
        state = dict(info=None, data=bytearray(), total=0, failure=None)

        def handle(event):
            kind, payload, _ = event
            if kind == "fileInfo":
                state["info"] = payload
            elif kind == "data":
                state["total"] += len(payload)
                if sink:
                    sink(payload)
                else:
                    state["data"].extend(payload)
            elif kind == "failure":
                state["failure"] = payload
                done.set()
            elif kind in ("endOfData", "closed"):
                done.set()

        with self.lock:
            self.handlers[fid] = handle
        self.send(fid, "readFile", s(path) + struct.pack(">QQ", offset, length))
        if not done.wait(timeout):
            raise TimeoutError("read_file")
        with self.lock:
            del self.handlers[fid]
        if state["failure"]:
            raise RunnerError(state["failure"])
        return state["info"], (state["total"] if sink else bytes(state["data"]))


def sha256_stream(size, seed=b"sandcastle"):
    """Deterministic pseudo-random chunks of `size` bytes total, and their digest."""
    digest = hashlib.sha256()
    block = hashlib.sha256(seed).digest() * (CHUNK // 32)
    chunks = []
    produced = 0
    counter = 0
    while produced < size:
        n = min(CHUNK, size - produced)
        chunk = bytes((b + counter) & 0xFF for b in block[:256]) * (n // 256) + block[:n % 256]
        chunk = chunk[:n]
        digest.update(chunk)
        chunks.append(chunk)
        produced += n
        counter += 1
    return chunks, digest.hexdigest()

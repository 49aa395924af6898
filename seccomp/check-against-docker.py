#!/usr/bin/env python3
"""Compare a Sandcastle seccomp profile with Docker's default profile.

Usage:
    check-against-docker.py DOCKER_DEFAULT_JSON [--profile PATH] [--arch amd64|arm64]
                            [--caps CAP,CAP,...] [--kernel X.Y]

Both profiles are first *expanded* the way the Docker daemon expands them for one
container (moby/profiles seccomp_linux.go): a rule is kept only if its
includes/excludes match the architecture, the container's bounding capability set
and the kernel version. The default evaluation is the one Sandcastle uses:
amd64, no capabilities at all (CapDrop ALL), kernel 6.x.

It then prints
  (a) syscalls our profile lets through that Docker's expanded default does not,
      or lets through with looser argument filters. This must be empty; the exit
      status is 1 otherwise;
  (b) for every argument-filtered syscall (clone, socket, personality, ...) a
      semantic comparison: each filter is evaluated on a set of witness values
      built from the constants of both profiles (each value, its neighbours, each
      single bit, masks, 0 and the extremes). Comparison operators and masked
      equality are piecewise-constant between those points, so the witnesses
      cover every distinct case;
  (c) what we block that Docker allows, so a reviewer can see each tightening.

Docker's default profile is not shipped with Sandcastle; fetch
moby/profiles:seccomp/default.json (or `docker run`-time equivalent) to check.
Standard library only.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

U64 = (1 << 64) - 1

# Anything that lets the call reach the kernel counts as "allowing" it. LOG and
# TRACE/NOTIFY are conservative choices: they do not stop the call either.
DENY_ACTIONS = {"SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP"}


def parse_kernel(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".")[:2])


def expand(profile: dict, arch: str, caps: set[str], kernel: tuple[int, ...]) -> list[dict]:
    """Return the rules Docker would pass to runc for one container."""
    out = []
    for rule in profile.get("syscalls", []):
        names = rule.get("names") or ([rule["name"]] if rule.get("name") else [])
        exc = rule.get("excludes") or {}
        inc = rule.get("includes") or {}
        if exc.get("arches") and arch in exc["arches"]:
            continue
        if exc.get("caps") and any(c in caps for c in exc["caps"]):
            continue
        if exc.get("minKernel") and kernel >= parse_kernel(exc["minKernel"]):
            continue
        if inc.get("arches") and arch not in inc["arches"]:
            continue
        if inc.get("caps") and not all(c in caps for c in inc["caps"]):
            continue
        if inc.get("minKernel") and kernel < parse_kernel(inc["minKernel"]):
            continue
        out.append({"names": names, "action": rule["action"], "args": rule.get("args") or [],
                    "errnoRet": rule.get("errnoRet")})
    return out


def cond_holds(cond: dict, args: dict[int, int]) -> bool:
    v = args.get(cond["index"], 0)
    a = cond.get("value", 0) & U64
    b = cond.get("valueTwo", 0) & U64
    op = cond["op"]
    if op == "SCMP_CMP_EQ":
        return v == a
    if op == "SCMP_CMP_NE":
        return v != a
    if op == "SCMP_CMP_LT":
        return v < a
    if op == "SCMP_CMP_LE":
        return v <= a
    if op == "SCMP_CMP_GT":
        return v > a
    if op == "SCMP_CMP_GE":
        return v >= a
    if op == "SCMP_CMP_MASKED_EQ":
        return (v & a) == b
    raise ValueError(f"unknown operator {op}")


class Filter:
    """What one expanded profile decides for every syscall name."""

    def __init__(self, rules: list[dict], default_action: str):
        self.default_allows = default_action not in DENY_ACTIONS
        self.by_name: dict[str, list[dict]] = {}
        for r in rules:
            for n in r["names"]:
                self.by_name.setdefault(n, []).append(r)

    def names(self) -> set[str]:
        return set(self.by_name)

    def allows(self, name: str, args: dict[int, int]) -> bool:
        """A call is allowed when an allow rule matches it and no deny rule does.
        Neither profile mixes conditional allows and denies for one syscall, so the
        kernel-side ordering libseccomp picks for overlapping rules does not matter here."""
        rules = self.by_name.get(name)
        if not rules:
            return self.default_allows
        matched = [r for r in rules if all(cond_holds(c, args) for c in r["args"])]
        if not matched:
            return self.default_allows
        if any(r["action"] in DENY_ACTIONS for r in matched):
            return False
        return True

    def unconditional_allow(self, name: str) -> bool:
        return any(r["action"] not in DENY_ACTIONS and not r["args"] for r in self.by_name.get(name, []))

    def conditional(self, name: str) -> bool:
        rules = self.by_name.get(name, [])
        return any(r["args"] for r in rules) and not self.unconditional_allow(name)

    def ever_allows(self, name: str) -> bool:
        return any(r["action"] not in DENY_ACTIONS for r in self.by_name.get(name, []))

    def errno_of(self, name: str) -> int | None:
        for r in self.by_name.get(name, []):
            if r["action"] == "SCMP_ACT_ERRNO" and not r["args"]:
                return r["errnoRet"]
        return None


def witnesses(conds: list[dict]) -> dict[int, set[int]]:
    """Values per argument index where any of these conditions can change its outcome."""
    per_index: dict[int, set[int]] = {}
    for c in conds:
        s = per_index.setdefault(c["index"], {0, 1, 0xFFFFFFFF, 1 << 32, U64, U64 - 1})
        for x in (c.get("value", 0), c.get("valueTwo", 0)):
            x &= U64
            s.update({x, (x - 1) & U64, (x + 1) & U64, x ^ U64})
        s.update(1 << bit for bit in range(64))
        if c["op"] == "SCMP_CMP_MASKED_EQ":
            mask = c.get("value", 0) & U64
            s.update((1 << bit) | 0x11 for bit in range(64) if mask >> bit & 1)
            s.add(U64 & ~mask)
    return per_index


def compare_args(ours: Filter, docker: Filter, name: str) -> tuple[list[str], int]:
    """Return (looser cases, number of witness tuples checked)."""
    conds = [c for r in ours.by_name.get(name, []) + docker.by_name.get(name, []) for c in r["args"]]
    w = witnesses(conds)
    if not w:
        w = {0: {0}}
    indices = sorted(w)
    looser = []
    count = 0
    for combo in itertools.product(*(sorted(w[i]) for i in indices)):
        args = dict(zip(indices, combo))
        count += 1
        if ours.allows(name, args) and not docker.allows(name, args):
            looser.append(", ".join(f"arg{i}={v:#x}" for i, v in args.items()))
    return looser, count


def describe(f: Filter, name: str) -> str:
    parts = []
    for r in f.by_name.get(name, []):
        act = r["action"].replace("SCMP_ACT_", "")
        if r["action"] == "SCMP_ACT_ERRNO" and r["errnoRet"] is not None:
            act += f"({r['errnoRet']})"
        if not r["args"]:
            parts.append(act)
            continue
        conds = []
        for c in r["args"]:
            op = c["op"].replace("SCMP_CMP_", "")
            if op == "MASKED_EQ":
                conds.append(f"arg{c['index']} & {c.get('value', 0):#x} == {c.get('valueTwo', 0):#x}")
            else:
                sym = {"EQ": "==", "NE": "!=", "LT": "<", "LE": "<=", "GT": ">", "GE": ">="}[op]
                conds.append(f"arg{c['index']} {sym} {c.get('value', 0):#x}")
        parts.append(f"{act} if " + " && ".join(conds))
    return "; ".join(parts) if parts else "default"


def wrap(names: list[str], width: int = 96, indent: str = "    ") -> str:
    lines, line = [], ""
    for n in names:
        if line and len(line) + 1 + len(n) > width:
            lines.append(line)
            line = n
        else:
            line = f"{line} {n}" if line else n
    if line:
        lines.append(line)
    return "\n".join(indent + l for l in lines) if lines else indent + "(none)"


def main() -> int:
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("docker_profile", help="Docker's default seccomp profile (moby/profiles seccomp/default.json)")
    ap.add_argument("--profile", default=str(here / "default.json"), help="our profile (default: %(default)s)")
    ap.add_argument("--arch", default="amd64", help="Docker arch name used for includes/excludes (amd64, arm64)")
    ap.add_argument("--caps", default="", help="comma-separated bounding capabilities, e.g. CAP_CHOWN (default: none)")
    ap.add_argument("--kernel", default="6.1", help="kernel version for minKernel (default: %(default)s)")
    opts = ap.parse_args()

    ours_raw = json.loads(Path(opts.profile).read_text())
    docker_raw = json.loads(Path(opts.docker_profile).read_text())
    caps = {c.strip() for c in opts.caps.split(",") if c.strip()}
    kernel = parse_kernel(opts.kernel)

    problems = 0
    for label, raw in (("ours", ours_raw), ("docker", docker_raw)):
        if raw.get("defaultAction") not in DENY_ACTIONS:
            print(f"!! {label}: defaultAction {raw.get('defaultAction')} is not a deny action")
            problems += 1
        if raw.get("architectures") and raw.get("archMap"):
            print(f"!! {label}: both architectures and archMap set; Docker rejects that")
            problems += 1

    ours = Filter(expand(ours_raw, opts.arch, caps, kernel), ours_raw["defaultAction"])
    docker = Filter(expand(docker_raw, opts.arch, caps, kernel), docker_raw["defaultAction"])
    docker_default_caps = Filter(expand(docker_raw, opts.arch, {
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
        "CAP_AUDIT_WRITE"}, kernel), docker_raw["defaultAction"])

    def counts(f: Filter) -> tuple[int, int]:
        allowed = [n for n in f.names() if f.ever_allows(n)]
        cond = [n for n in allowed if f.conditional(n)]
        return len(allowed) - len(cond), len(cond)

    cap_label = ",".join(sorted(caps)) or "none"
    ou, oc = counts(ours)
    du, dc = counts(docker)
    xu, xc = counts(docker_default_caps)
    print(f"Evaluated for arch={opts.arch}, capabilities={cap_label}, kernel={opts.kernel}")
    print(f"  ours:                         {ou} unconditional + {oc} argument-filtered = {ou + oc} syscall names allowed")
    print(f"  Docker default, these caps:   {du} unconditional + {dc} argument-filtered = {du + dc}")
    print(f"  Docker default, default caps: {xu} unconditional + {xc} argument-filtered = {xu + xc} (for reference)")

    # (a) allowed by us, not by Docker (or only with arguments there)
    extra = []
    for n in sorted(ours.names()):
        if not ours.ever_allows(n):
            continue
        if not docker.ever_allows(n):
            extra.append(f"{n}: ours={describe(ours, n)}; Docker blocks it")
        elif ours.unconditional_allow(n) and not docker.unconditional_allow(n):
            extra.append(f"{n}: ours allows unconditionally; Docker only {describe(docker, n)}")
    print(f"\n(a) allowed by ours but not by Docker's default for these capabilities: {len(extra)}")
    for line in extra:
        print(f"    !! {line}")
    problems += len(extra)

    # (b) argument filters
    filtered = sorted({n for n in ours.names() | docker.names()
                       if any(r["args"] for r in ours.by_name.get(n, []) + docker.by_name.get(n, []))})
    print(f"\n(b) argument-filtered syscalls: {len(filtered)}")
    for n in filtered:
        looser, checked = compare_args(ours, docker, n)
        stricter, _ = compare_args(docker, ours, n)
        if looser:
            verdict = f"LOOSER than Docker on {len(looser)} of {checked} witnesses, e.g. {looser[0]}"
            problems += 1
        elif stricter:
            verdict = f"stricter than Docker ({len(stricter)} of {checked} witnesses Docker allows are denied)"
        else:
            verdict = f"identical on all {checked} witnesses"
        print(f"    {n}: {verdict}")
        print(f"        ours:   {describe(ours, n)}")
        print(f"        Docker: {describe(docker, n)}")

    # errno differences for explicitly denied calls
    errs = [n for n in sorted(ours.names() | docker.names()) if ours.errno_of(n) is not None or docker.errno_of(n) is not None]
    if errs:
        print("\n    explicit errno rules (a deny with a specific errno; default is "
              f"{ours_raw.get('defaultErrnoRet')} ours / {docker_raw.get('defaultErrnoRet')} Docker):")
        for n in errs:
            print(f"        {n}: ours={describe(ours, n)}; Docker={describe(docker, n)}")

    # (c) blocked by us, allowed by Docker
    tighter = sorted(n for n in docker.names() if docker.ever_allows(n) and not ours.ever_allows(n))
    print(f"\n(c) allowed by Docker's default for these capabilities but blocked by ours: {len(tighter)}")
    print(wrap(tighter))

    print(f"\nresult: {'FAIL' if problems else 'OK'} ({problems} problem(s))")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

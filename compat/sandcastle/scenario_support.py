"""What the Sandcastle compat scenarios share: the live server's coordinates, checks that never
stop a scenario, waiting on a condition with a deadline, and the peer's CLI as a child process.

The scenarios (sdk_scenario.py, sdk_stream_scenario.py) are run by scripts/compat-sandcastle,
which sets the environment read here:

    SANDCASTLE_URL        the live `sandcastle serve`
    SANDCASTLE_API_KEY    one of its API keys
    SANDCASTLE_CLI        the venv's `sandcastle` (Sandcastle's CLI; ours has the same name)
    WORKFLOWS_DIR         the server's --workflows-dir
    DATA_DIR              the server's --data-dir
    WORK                  a scratch folder (YAML files for the CLI, its HOME and working folder)
"""

import asyncio
import inspect
import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime

from sandcastle.sdk import SandcastleError

URL = os.environ["SANDCASTLE_URL"]
KEY = os.environ["SANDCASTLE_API_KEY"]
CLI = os.environ["SANDCASTLE_CLI"]
WORKFLOWS_DIR = os.environ["WORKFLOWS_DIR"]
DATA_DIR = os.environ["DATA_DIR"]
WORK = os.environ["WORK"]

# Sandcastle 0.47's lowercase statuses (its RunStatus, StepStatus), plus ours that it lacks:
# a step of a cancelled run that never started is `cancelled`.
RUN_STATUSES = {"queued", "running", "completed", "failed", "partial", "cancelled", "budget_exceeded", "awaiting_approval"}
STEP_STATUSES = {"pending", "running", "completed", "failed", "skipped", "awaiting_approval", "cancelled"}
TERMINAL = {"completed", "failed", "partial", "cancelled", "budget_exceeded", "awaiting_approval"}

failures = []
passed = []


def check(name, condition, detail=""):
    """Records one check; a failure never stops the scenario, so one run shows every problem."""
    if condition:
        passed.append(name)
        print(f"PASS {name}", flush=True)
    else:
        failures.append(name)
        detail = str(detail)
        if len(detail) > 1200:  # a page of wrong output helps nobody
            detail = detail[:600] + f" …[{len(detail) - 1200} characters]… " + detail[-600:]
        print(f"FAIL {name}: {detail}", flush=True)
    return condition


def scenario(fn):
    """Runs one scenario (a function or a coroutine function); an unexpected exception fails it, and only it."""
    try:
        if inspect.iscoroutinefunction(fn):
            asyncio.run(fn())
        else:
            fn()
    except Exception as e:  # noqa: BLE001 - the suite reports every failure and goes on
        failures.append(fn.__name__)
        print(f"FAIL {fn.__name__}: unexpected {type(e).__name__}: {e}", flush=True)
    return fn


def expect_error(name, fn, status, code, message_part=None):
    """`fn()` raises SandcastleError with this HTTP status and our error code (and message part)."""
    try:
        result = fn()
    except SandcastleError as error:
        return _judge_error(name, error, status, code, message_part)
    except Exception as e:  # noqa: BLE001
        return check(name, False, f"raised {type(e).__name__}: {e}, expected SandcastleError {status} {code}")
    return check(name, False, f"no error; returned {result!r}")


async def expect_error_async(name, coroutine, status, code, message_part=None):
    try:
        result = await coroutine
    except SandcastleError as error:
        return _judge_error(name, error, status, code, message_part)
    except Exception as e:  # noqa: BLE001
        return check(name, False, f"raised {type(e).__name__}: {e}, expected SandcastleError {status} {code}")
    return check(name, False, f"no error; returned {result!r}")


def _judge_error(name, error, status, code, message_part):
    ok = error.status_code == status and error.code == code and (message_part is None or message_part in error.message)
    return check(name, ok, f"got [{error.status_code}] {error.code}: {error.message}")


def wait_until(probe, seconds=120, interval=0.1):
    """Calls `probe` until it returns something truthy (returned) or `seconds` pass (None)."""
    deadline = time.monotonic() + seconds
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


async def wait_until_async(probe, seconds=120, interval=0.1):
    deadline = time.monotonic() + seconds
    while True:
        value = await probe()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        await asyncio.sleep(interval)


def aware(value):
    """A datetime the SDK parsed from our timestamp, with its offset (never naive)."""
    return isinstance(value, datetime) and value.tzinfo is not None


def parses_as_iso(text):
    """Python's own reading of a timestamp, as the SDK reads it (`datetime.fromisoformat`)."""
    try:
        return isinstance(text, str) and datetime.fromisoformat(text).tzinfo is not None
    except ValueError:
        return False


def step_sandbox_exists(run_id, step_id):
    """Whether the step's sandbox exists yet (a container labelled with the run and the step).

    A step is `running` from the moment its start is recorded, a moment before its sandbox is
    created. The scenarios cancel a running step only once its sandbox exists: a cancel that
    comes in between is not stopped today (see docs/api.md, "Cancelling"), and a suite that
    sometimes hits that window would fail at random rather than name the problem.
    """
    filters = ["--filter", f"label=sandcastle.run={run_id}", "--filter", f"label=sandcastle.step={step_id}"]
    listed = subprocess.run(["docker", "ps", "-q", *filters], capture_output=True, text=True, check=True).stdout
    return bool(listed.split())


ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def cli(*arguments, flags=True, env_connection=False, key=None, timeout=120):
    """Runs Sandcastle's CLI: connection by `--url`/`--api-key` (flags) or by SANDCASTLE_URL /
    SANDCASTLE_API_KEY (env_connection). Returns (exit status, stdout, stderr), colours removed."""
    env = {k: v for k, v in os.environ.items() if k not in ("SANDCASTLE_URL", "SANDCASTLE_API_KEY")}
    env.update({"HOME": WORK, "NO_COLOR": "1", "AUTO_UPDATE_CHECK": "false"})
    command = [CLI, *arguments]
    if flags:
        command += ["--url", URL, "--api-key", key or KEY]
    if env_connection:
        env.update({"SANDCASTLE_URL": URL, "SANDCASTLE_API_KEY": key or KEY})
    # Its working folder is the scratch folder: the CLI reads a .env from there, and there is none.
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, cwd=WORK)
    return done.returncode, ANSI.sub("", done.stdout), ANSI.sub("", done.stderr)


def json_from(text):
    """The JSON document a CLI printed (after any spinner line such as "[running]"), or None."""
    decoder = json.JSONDecoder()
    for index, character in enumerate(text):
        if character in "{[":
            try:
                return decoder.raw_decode(text, index)[0]
            except json.JSONDecodeError:
                continue
    return None


def finish():
    if failures:
        print(f"{len(failures)} of {len(passed) + len(failures)} checks failed: {', '.join(failures)}", flush=True)
    else:
        print(f"all {len(passed)} checks passed", flush=True)
    sys.exit(1 if failures else 0)

#!/usr/bin/env python3
"""Sandcastle's SDK and CLI (`sandcastle-ai==0.47.0`, unmodified) on the live run stream,
`GET /api/runs/{id}/stream` (SSE): `SandcastleClient.stream`, `AsyncSandcastleClient.stream`,
and the CLI's `logs` and `logs --follow`.

Not run by scripts/compat-sandcastle yet: it joins the script's SCENARIOS once the stream is
served; until then every check here fails (the endpoint answers 404). To run it by hand:

    ./scripts/compat-sandcastle compat/sandcastle/sdk_stream_scenario.py

Same server, workflows and environment as sdk_scenario.py (scenario_support.py). What a stream
must carry, as Sandcastle's SDK reads it: `event:`/`data:` lines, one JSON object per `data:`;
the first frame a `status` with the run's current status, then `step` frames as steps change,
and a `result` frame (status, outputs, error) at the end, after which the server closes the
stream (the SDK's iterator ends only then).
"""

import asyncio
import threading
import time

from sandcastle.sdk import AsyncSandcastleClient, SandcastleClient

from scenario_support import KEY, URL, check, cli, expect_error, finish, scenario, step_sandbox_exists, wait_until

client = SandcastleClient(base_url=URL, api_key=KEY)


def start_stream(run_id):
    """Reads the run's stream on a thread: the events as they come, and an Event set when the
    server closes it (an exception ends it too, recorded as an `exception` event)."""
    events = []
    done = threading.Event()

    def read():
        try:
            for event in client.stream(run_id):
                events.append(event)
        except Exception as e:  # noqa: BLE001 - judged by the checks
            events.append({"_event": "exception", "message": f"{type(e).__name__}: {e}"})
        finally:
            done.set()

    threading.Thread(target=read, daemon=True).start()
    return events, done


def collect(run_id, seconds=120):
    """Every event of the run's stream until the server closes it (or `seconds` pass: then the
    events so far and False)."""
    events, done = start_stream(run_id)
    return events, done.wait(seconds)


def kinds(events):
    return [e.get("_event") for e in events]


@scenario
def a_live_run_streams_status_steps_and_result():
    run = client.run("greet", input={"who": "stream"})
    events, closed = collect(run.run_id)
    check("stream: the server closes it after the result", closed and kinds(events)[-1:] == ["result"], kinds(events))
    check("stream: the first frame is a status for this run",
          bool(events) and events[0].get("_event") == "status" and events[0].get("run_id") == run.run_id
          and events[0].get("status") in {"queued", "running", "completed"}, events[:1])
    check("stream: the last frame is the result", bool(events) and events[-1].get("_event") == "result", kinds(events))
    result = events[-1] if events else {}
    check("stream: result carries status, outputs, cost and error",
          (result.get("status"), result.get("outputs"), result.get("total_cost_usd"), result.get("error"))
          == ("completed", {"hello": "hello, stream", "shout": "HELLO, STREAM"}, 0.0, None), result)
    steps = [e for e in events if e.get("_event") == "step"]
    check("stream: step frames name their step and status",
          {(e.get("step_id"), e.get("status")) for e in steps} >= {("hello", "completed"), ("shout", "completed")}, steps)
    check("stream: step frames carry cost_usd and duration_seconds as numbers",
          bool(steps) and all(isinstance(e.get("cost_usd"), (int, float)) and isinstance(e.get("duration_seconds"), (int, float)) for e in steps),
          steps)
    order = [(e.get("step_id"), e.get("status")) for e in steps]
    check("stream: hello completes before shout starts",
          ("hello", "completed") in order and all(order.index(("hello", "completed")) < i for i, s in enumerate(order) if s[0] == "shout"), order)
    check("stream: only status, step and result frames", set(kinds(events)) <= {"status", "step", "result"}, kinds(events))


@scenario
def a_finished_run_streams_its_status_and_result_at_once():
    run = client.run("greet", input={"who": "done"}, wait=True, poll_interval=0.2)
    events, closed = collect(run.run_id, 30)
    check("finished run: the stream ends by itself", closed and kinds(events)[-1:] == ["result"], kinds(events))
    check("finished run: status then result", kinds(events)[:1] == ["status"] and kinds(events)[-1:] == ["result"], kinds(events))
    check("finished run: the result's outputs", events[-1].get("outputs") == run.outputs if events else False, events)


@scenario
def a_failing_run_streams_its_error():
    run = client.run("fails")
    events, closed = collect(run.run_id)
    result = events[-1] if events else {}
    check("failing run: result failed with its error", closed and result.get("_event") == "result" and result.get("status") == "failed"
          and bool(result.get("error")), events)
    check("failing run: the failed step's frame", any(e.get("step_id") == "break" and e.get("status") == "failed" for e in events), events)


@scenario
def a_cancelled_run_ends_its_stream():
    run = client.run("slow", input={"seconds": 600})
    try:
        events, done = start_stream(run.run_id)

        def saw_running():
            return any(e.get("_event") == "step" and e.get("step_id") == "wait" and e.get("status") == "running" for e in list(events))

        # Waits for the step's frame, or for the stream to end without it (the check then fails at once).
        wait_until(lambda: done.is_set() or (saw_running() and step_sandbox_exists(run.run_id, "wait")), 120)
        check("cancel: the stream shows the step running", saw_running(), kinds(events))
        client.cancel_run(run.run_id)
        check("cancel: the stream ends with a cancelled result",
              done.wait(60) and events[-1].get("_event") == "result" and events[-1].get("status") == "cancelled", events[-3:])
    finally:
        if client.get_run(run.run_id).status in ("queued", "running"):
            client.cancel_run(run.run_id)


@scenario
def an_unknown_run_is_an_error_before_streaming():
    expect_error("stream of an unknown run: 404 RUN_NOT_FOUND", lambda: list(client.stream("0000000000000000")), 404, "RUN_NOT_FOUND")
    expect_error("stream with a wrong key: 401 UNAUTHORIZED",
                 lambda: list(SandcastleClient(base_url=URL, api_key="sc_" + "0" * 43).stream("0000000000000000")), 401, "UNAUTHORIZED")


@scenario
async def the_async_client_streams():
    async with AsyncSandcastleClient(base_url=URL, api_key=KEY) as aclient:
        run = await aclient.run("sum", input={"a": 20, "b": 22})
        events = []

        async def read():
            async for event in aclient.stream(run.run_id):
                events.append(event)

        try:
            await asyncio.wait_for(read(), 120)
            closed = True
        except asyncio.TimeoutError:
            closed = False
        check("async stream: closed after the result", closed, kinds(events))
        check("async stream: status first, result last, its outputs",
              kinds(events)[:1] == ["status"] and kinds(events)[-1:] == ["result"] and events[-1].get("outputs") == {"add": 42}, events)


@scenario
def the_cli_logs():
    run = client.run("greet", input={"who": "logs"}, wait=True, poll_interval=0.2)
    started = time.monotonic()
    status, out, err = cli("logs", run.run_id, timeout=60)
    check("cli logs of a finished run: exit 0, stops at its terminal status", status == 0 and "[status]" in out and "completed" in out,
          (status, out + err))
    check("cli logs returns promptly", status == 0 and time.monotonic() - started < 30, time.monotonic() - started)
    live = client.run("greet", input={"who": "follow"})
    status, out, err = cli("logs", live.run_id, "--follow", timeout=120)
    check("cli logs --follow of a live run: exit 0 when the stream ends", status == 0, (status, out + err))
    check("cli logs --follow: step frames and the result with the outputs",
          "[step]" in out and "[result]" in out and "HELLO, FOLLOW" in out, out + err)
    status, out, err = cli("logs", "0000000000000000", timeout=60)
    check("cli logs of an unknown run: exit 1, not found", status == 1 and "HTTP 404" in err, (status, out + err))


finish()

#!/usr/bin/env python3
"""Sandcastle's own SDK and CLI (`sandcastle-ai==0.47.0` from PyPI, unmodified) against our `/api`.

Run by scripts/compat-sandcastle against a live `sandcastle serve` (real engine, real Docker)
whose workflows folder holds compat/sandcastle/workflows (greet, sum, fails, slow, dead_letter, gated) and which
runs at most 2 runs at once. It drives `SandcastleClient` and `AsyncSandcastleClient` as their
users do, through every SDK method whose endpoint our server has (health, runtime,
list_workflows, save_workflow, run, run_yaml, get_run, list_runs, cancel_run, replay, fork,
list_approvals, approve, reject, list/create/update/delete_schedule, stats, publish_workflow,
call_api, get_workflow_api_spec, get_workflow_api_usage), then the peer's
CLI (`health`, `run`, `status`, `ls runs|workflows|schedules`, `runs list`, `cancel`, `replay`, `fork`,
`approve`, `reject`, `schedule create|delete`, `keys …`, `dlq list|retry|resolve`). `httpx`
(the SDK's own dependency) only looks at raw answers the SDK hides. The live stream (`stream`,
`logs`) is sdk_stream_scenario.py. Prints "PASS name" / "FAIL name: why" per check and exits
non-zero if any failed.
"""

import asyncio
import json
import os
import secrets

import httpx
from sandcastle.sdk import AsyncSandcastleClient, HealthStatus, PaginatedList, Run, RunListItem, SandcastleClient, Workflow

from scenario_support import (
    DATA_DIR,
    KEY,
    RUN_STATUSES,
    STEP_STATUSES,
    TERMINAL,
    URL,
    WORK,
    WORKFLOWS_DIR,
    aware,
    check,
    cli,
    expect_error,
    expect_error_async,
    finish,
    json_from,
    parses_as_iso,
    scenario,
    step_sandbox_exists,
    wait_until,
    wait_until_async,
)

client = SandcastleClient(base_url=URL, api_key=KEY)
POLL = 0.2  # the SDK's wait=True polls every 2 s by default; the suite has no time to spare
INLINE = """name: inline_echo
inputs:
  word: {type: string}
steps:
  - id: say
    run: echo "inline {input.word}"
"""


def raw_run(run_id):
    """`GET /api/runs/{id}` as the server sends it (the SDK turns timestamps into datetimes)."""
    return httpx.get(f"{URL}/api/runs/{run_id}", headers={"X-API-Key": KEY}, timeout=30).json()["data"]


def finished(run_id, seconds=120):
    """The run once it reaches a status where the SDK stops polling, or None."""
    return wait_until(lambda: (lambda run: run if run.status in TERMINAL else None)(client.get_run(run_id)), seconds)


def step(run, step_id):
    return next((s for s in run.steps or [] if s.step_id == step_id), None)


def step_status(run_id, step_id):
    found = step(client.get_run(run_id), step_id)
    return found.status if found else None


async def status_is(aclient, run_id, status):
    return (await aclient.get_run(run_id)).status == status


def total_runs(**filters):
    return client.list_runs(limit=1, **filters).total


@scenario
def health_and_runtime():
    health = client.health()
    check("health: HealthStatus ok, database and runtime up, no redis", isinstance(health, HealthStatus)
          and (health.status, health.database, health.runtime, health.redis) == ("ok", True, True, None), health)
    check("health needs no key (Sandcastle's public path)", SandcastleClient(base_url=URL).health().status == "ok")
    runtime = client.runtime()
    check("runtime: local mode, sqlite, in-process queue, docker sandboxes",
          (runtime.mode, runtime.database, runtime.queue, runtime.sandbox_backend) == ("local", "sqlite", "in-process", "docker"), runtime)
    check("runtime: data_dir is the server's data folder", os.path.realpath(runtime.data_dir or "") == os.path.realpath(DATA_DIR), runtime.data_dir)


@scenario
def workflows_listed_and_saved():
    listed = {w.name: w for w in client.list_workflows()}
    check("list_workflows: the folder's five workflows", {"greet", "sum", "fails", "slow", "dead_letter"} <= set(listed), sorted(listed))
    greet = listed.get("greet")
    check("list_workflows: name, description, steps_count, file_name",
          isinstance(greet, Workflow) and (greet.description, greet.steps_count, greet.file_name)
          == ("Greets someone, then shouts it", 2, "greet.yaml"), greet)
    slow = listed.get("slow")
    check("list_workflows: no description is an empty string, not None", slow is not None and slow.description == "", slow)

    name = f"saved_{secrets.token_hex(3)}"
    text = "name: draft_name  # Sandcastle renames it to the saved name\nsteps:\n  - id: only\n    run: echo saved\n"
    saved = client.save_workflow(name, text)
    check("save_workflow: the Workflow it saved", isinstance(saved, Workflow) and (saved.name, saved.steps_count, saved.file_name)
          == (name, 1, f"{name}.yaml"), saved)
    check("save_workflow: listed afterwards", name in {w.name for w in client.list_workflows()})
    on_disk = os.path.join(WORKFLOWS_DIR, f"{name}.yaml")
    content = open(on_disk, encoding="utf-8").read() if os.path.exists(on_disk) else ""
    check("save_workflow: written to the workflows folder, its name: set to the saved name",
          f'name: "{name}"' in content and "steps:" in content, content)
    run = client.run(name, wait=True, poll_interval=POLL)
    check("a saved workflow runs by its saved name, recorded under it",
          (run.status, run.workflow_name, run.outputs) == ("completed", name, {"only": "saved"}), run)
    page = client.list_runs(workflow=name)
    check("list_runs(workflow=saved name) finds its run", [item.run_id for item in page.items] == [run.run_id], page)
    client.save_workflow(name, text.replace("echo saved", "echo second"))
    info = httpx.get(f"{URL}/api/workflows/{name}", headers={"X-API-Key": KEY}, timeout=30).json()["data"]
    check("saving again makes version 2", (info.get("version"), info.get("total_versions")) == (2, 2), info)
    check("a run by name runs the newest version", client.run(name, wait=True, poll_interval=POLL).outputs == {"only": "second"})

    expect_error("save_workflow of invalid YAML: 400 INVALID_WORKFLOW with the reason",
                 lambda: client.save_workflow("broken", "name: broken\nsteps:\n  - id: a\n    runn: echo\n"),
                 400, "INVALID_WORKFLOW", "did you mean `run`?")
    expect_error("save_workflow under a path: 400 INVALID_NAME",
                 lambda: client.save_workflow("..%2Fescape", "name: x\nsteps:\n  - id: a\n    run: echo\n"), 400, "INVALID_NAME")
    check("nothing was written for the refused saves",
          not any(f.startswith(("broken", "..", "escape")) for f in os.listdir(WORKFLOWS_DIR)), os.listdir(WORKFLOWS_DIR))


@scenario
def run_by_name_and_wait():
    run = client.run("greet", input={"who": "ada"}, wait=True, poll_interval=POLL)
    check("run(wait=True): completed", isinstance(run, Run) and run.status == "completed", run)
    check("run: outputs by step", run.outputs == {"hello": "hello, ada", "shout": "HELLO, ADA"}, run.outputs)
    check("run: input_data echoes the input", run.input_data == {"who": "ada"}, run.input_data)
    check("run: workflow_name, no error, cost 0.0", (run.workflow_name, run.error, run.total_cost_usd) == ("greet", None, 0.0), run)
    check("run: started_at and completed_at parsed with their offset",
          aware(run.started_at) and aware(run.completed_at) and run.started_at <= run.completed_at, (run.started_at, run.completed_at))
    steps = run.steps or []
    check("get_run: steps in the order they ran", [s.step_id for s in steps] == ["hello", "shout"], steps)
    check("get_run: steps completed on their first attempt, with their outputs",
          [(s.status, s.attempt, s.output, s.error) for s in steps]
          == [("completed", 1, "hello, ada", None), ("completed", 1, "HELLO, ADA", None)], steps)
    check("get_run: step durations are numbers > 0", all(isinstance(s.duration_seconds, float) and s.duration_seconds > 0 for s in steps),
          [s.duration_seconds for s in steps])
    check("get_run: step costs are numbers", all(s.cost_usd == 0.0 for s in steps), [s.cost_usd for s in steps])
    raw = raw_run(run.run_id)
    stamps = [raw.get("started_at"), raw.get("completed_at"), raw.get("created_at")] + [s.get("started_at") for s in raw.get("steps", [])]
    check("every timestamp is ISO 8601 with an offset (datetime.fromisoformat)", all(parses_as_iso(t) for t in stamps), stamps)
    check("statuses are lowercase Sandcastle statuses", raw.get("status") in RUN_STATUSES
          and all(s.get("status") in STEP_STATUSES for s in raw.get("steps", [])), raw)

    queued = client.run("greet")
    check("run(wait=False): answers at once, queued, with a run_id", queued.status == "queued" and len(queued.run_id) > 0, queued)
    done = finished(queued.run_id)
    check("get_run until done: the default input", done is not None and (done.status, done.outputs.get("hello")) == ("completed", "hello, world"), done)

    total = client.run("sum", input={"a": 2, "b": 40}, wait=True, poll_interval=POLL)
    # A step's output that reads as JSON is kept as JSON: `echo 42` outputs the number 42.
    check("run: JSON numbers reach integer inputs", (total.status, total.outputs) == ("completed", {"add": 42}), total)
    budget = client.run("sum", input={"a": 1}, max_cost_usd=1.5, wait=True, poll_interval=POLL)
    check("run(max_cost_usd=1.5): recorded on the run", (budget.status, budget.max_cost_usd, budget.outputs) == ("completed", 1.5, {"add": 1}), budget)


@scenario
def run_inline_yaml():
    run = client.run_yaml(INLINE, input={"word": "yaml"}, wait=True, poll_interval=POLL)
    check("run_yaml(wait=True): completed under the YAML's name",
          (run.status, run.workflow_name, run.outputs) == ("completed", "inline_echo", {"say": "inline yaml"}), run)
    queued = client.run_yaml(INLINE, input={"word": "later"})
    check("run_yaml(wait=False): queued", queued.status == "queued", queued)
    done = finished(queued.run_id)
    check("run_yaml: its run completes", done is not None and done.outputs == {"say": "inline later"}, done)
    check("inline YAML is not saved as a workflow", "inline_echo" not in {w.name for w in client.list_workflows()})


@scenario
def a_failing_run():
    run = client.run("fails", wait=True, poll_interval=POLL)
    check("run(wait=True) of a failing workflow: failed, with an error", run.status == "failed" and bool(run.error), run)
    broken = step(run, "break")
    check("the failed step: status failed, its error, attempt 1",
          broken is not None and (broken.status, broken.attempt) == ("failed", 1) and bool(broken.error), broken)
    check("the step before it completed, with its output", run.outputs.get("prepare") == "ready", run.outputs)
    never = step(run, "never")
    check("the step after it never ran", never is not None and never.status in {"pending", "skipped", "cancelled"} and never.output is None, never)


@scenario
def list_runs_filters_and_pages():
    for who in ("p1", "p2", "p3"):
        client.run("greet", input={"who": who}, wait=True, poll_interval=POLL)
    page = client.list_runs(workflow="greet", status="completed")
    check("list_runs: a PaginatedList of RunListItems", isinstance(page, PaginatedList) and all(isinstance(i, RunListItem) for i in page.items), page)
    check("list_runs(workflow, status): only those", len(page.items) >= 3 and all((i.workflow_name, i.status) == ("greet", "completed") for i in page.items),
          [(i.workflow_name, i.status) for i in page.items])
    check("list_runs: meta total, limit 50, offset 0", (page.total, page.limit, page.offset) == (len(page.items), 50, 0), page)
    check("list_runs: timestamps parsed", all(aware(i.started_at) and aware(i.completed_at) for i in page.items))
    check("list_runs: costs are numbers", all(i.total_cost_usd == 0.0 for i in page.items))
    first = client.list_runs(workflow="greet", status="completed", limit=2, offset=0)
    second = client.list_runs(workflow="greet", status="completed", limit=2, offset=2)
    check("pagination: limit 2 gives 2, meta echoes limit and offset",
          (len(first.items), first.limit, first.offset, second.limit, second.offset) == (2, 2, 0, 2, 2), (first, second))
    check("pagination: pages do not overlap and add up to the total",
          not {i.run_id for i in first.items} & {i.run_id for i in second.items}
          and [i.run_id for i in first.items + second.items] == [i.run_id for i in page.items][:len(first.items) + len(second.items)]
          and first.total == page.total, (first, second))
    check("list_runs: newest first", [i.run_id for i in page.items][:3] == [
        r.run_id for r in client.list_runs(workflow="greet", limit=3).items], page.items[:3])
    failed = client.list_runs(status="failed")
    check("list_runs(status=failed): the failed run only", failed.total >= 1 and all(i.status == "failed" and i.workflow_name == "fails" for i in failed.items), failed)
    check("list_runs of an unknown workflow: empty", client.list_runs(workflow="no_such_workflow").total == 0)
    expect_error("list_runs(status=unknown): 400 INVALID_STATUS", lambda: client.list_runs(status="bogus"), 400, "INVALID_STATUS")


@scenario
def cancel_running_and_queued_runs():
    # The server runs 2 at once: two slow runs take both slots, so a third waits in the queue.
    first = client.run("slow", input={"seconds": 600})
    second = client.run("slow", input={"seconds": 600})
    started = []
    try:
        started = [first.run_id, second.run_id]
        both = wait_until(lambda: all(step_status(i, "wait") == "running" and step_sandbox_exists(i, "wait") for i in started), 120)
        check("two slow runs are running (their first step too)", both is not None, [client.get_run(i).status for i in started])
        third = client.run("slow", input={"seconds": 600})
        started.append(third.run_id)
        waiting = client.get_run(third.run_id)
        check("a third waits: queued, its steps pending, attempt 1, duration 0, not started",
              waiting.status == "queued" and all((s.status, s.attempt, s.duration_seconds) == ("pending", 1, 0.0) for s in waiting.steps or [])
              and waiting.started_at is None, waiting)
        running = client.get_run(first.run_id)
        check("a running step's duration grows: a number > 0", isinstance(step(running, "wait").duration_seconds, float)
              and step(running, "wait").duration_seconds > 0, running.steps)
        check("a running run: started_at set, completed_at None", aware(running.started_at) and running.completed_at is None, running)

        answer = client.cancel_run(third.run_id)
        check("cancel_run(queued): {cancelled: True, run_id}", answer == {"cancelled": True, "run_id": third.run_id}, answer)
        check("the queued run is cancelled without running", (lambda r: r.status == "cancelled" and all(s.status != "completed" for s in r.steps))(
            client.get_run(third.run_id)), client.get_run(third.run_id))
        answer = client.cancel_run(first.run_id)
        check("cancel_run(running): {cancelled: True, run_id}", answer == {"cancelled": True, "run_id": first.run_id}, answer)
        cancelled = finished(first.run_id, 60)
        check("the running run ends cancelled, with completed_at", cancelled is not None and cancelled.status == "cancelled"
              and aware(cancelled.completed_at), cancelled)
        check("its second step never ran", cancelled is not None and step(cancelled, "after").status in {"pending", "cancelled", "skipped"}, cancelled)
        expect_error("cancel_run of a cancelled run: 400 INVALID_STATUS", lambda: client.cancel_run(first.run_id), 400, "INVALID_STATUS")
        expect_error("cancel_run of an unknown run: 404 RUN_NOT_FOUND", lambda: client.cancel_run("0000000000000000"), 404, "RUN_NOT_FOUND")
    finally:
        for run_id in started:
            if client.get_run(run_id).status in ("queued", "running"):
                client.cancel_run(run_id)
        check("every slow run is over", wait_until(lambda: all(client.get_run(i).status == "cancelled" for i in started), 60) is not None,
              [client.get_run(i).status for i in started])


@scenario
def idempotency_keys():
    key = f"compat-{secrets.token_hex(8)}"
    before = total_runs(workflow="greet")
    first = client.run("greet", input={"who": "once"}, idempotency_key=key)
    again = client.run("greet", input={"who": "twice"}, idempotency_key=key)
    check("same key: the same run", again.run_id == first.run_id, (first, again))
    check("first answer queued, the repeat existing", (first.status, again.status) == ("queued", "existing"), (first.status, again.status))
    waited = client.run("greet", input={"who": "thrice"}, idempotency_key=key, wait=True, poll_interval=POLL)
    check("wait=True on a repeat polls the first run to its end",
          (waited.run_id, waited.status, waited.input_data) == (first.run_id, "completed", {"who": "once"}), waited)
    check("three submissions, one run", total_runs(workflow="greet") == before + 1, total_runs(workflow="greet") - before)
    other = client.run("greet", idempotency_key=key + "-other")
    check("another key: another run", other.run_id != first.run_id and other.status == "queued", other)
    finished(other.run_id)


@scenario
def errors_carry_our_codes():
    expect_error("run of an unknown workflow: 404 WORKFLOW_NOT_FOUND", lambda: client.run("no_such_workflow"), 404, "WORKFLOW_NOT_FOUND")
    expect_error("run_yaml of broken YAML: 400 INVALID_WORKFLOW", lambda: client.run_yaml("name: broken\nsteps: [\n"), 400, "INVALID_WORKFLOW")
    expect_error("run_yaml of an invalid workflow: the reason in the message",
                 lambda: client.run_yaml("name: typo\nstepz:\n  - id: a\n    run: echo\n"), 400, "INVALID_WORKFLOW", "stepz")
    expect_error("run with an unknown input: 400 INVALID_INPUT", lambda: client.run("greet", input={"nobody": 1}), 400, "INVALID_INPUT", "nobody")
    expect_error("run without a required input: 400 INVALID_INPUT", lambda: client.run("sum", input={"b": 1}), 400, "INVALID_INPUT")
    expect_error("run with a wrongly typed input: 400 INVALID_INPUT", lambda: client.run("sum", input={"a": "two"}), 400, "INVALID_INPUT")
    expect_error("run with a negative budget: 422 VALIDATION_ERROR", lambda: client.run("greet", max_cost_usd=-1), 422, "VALIDATION_ERROR")
    expect_error("get_run of an unknown run: 404 RUN_NOT_FOUND", lambda: client.get_run("0000000000000000"), 404, "RUN_NOT_FOUND")
    expect_error("a wrong key: 401 UNAUTHORIZED", lambda: SandcastleClient(base_url=URL, api_key="sc_" + "0" * 43).list_runs(), 401, "UNAUTHORIZED")
    expect_error("no key: 401 UNAUTHORIZED", lambda: SandcastleClient(base_url=URL).list_workflows(), 401, "UNAUTHORIZED")
    bearer = httpx.get(f"{URL}/api/runs", params={"limit": 1}, headers={"Authorization": f"Bearer {KEY}"}, timeout=30)
    check("Authorization: Bearer is accepted as well (the CLI's direct calls)", bearer.status_code == 200 and "meta" in bearer.json(), bearer.text)
    refused = httpx.post(f"{URL}/api/workflows/run", content=b"{not json", headers={"X-API-Key": KEY, "Content-Type": "application/json"}, timeout=30)
    body = refused.json()
    check("a malformed body: 422 in Sandcastle's nested error shape",
          refused.status_code == 422 and body.get("detail", {}).get("error", {}).get("code") == "VALIDATION_ERROR", refused.text)


@scenario
async def the_async_client():
    async with AsyncSandcastleClient(base_url=URL, api_key=KEY) as aclient:
        check("async health", (await aclient.health()).status == "ok")
        check("async runtime", (await aclient.runtime()).mode == "local")
        check("async list_workflows", {"greet", "sum"} <= {w.name for w in await aclient.list_workflows()})
        name = f"async_{secrets.token_hex(3)}"
        saved = await aclient.save_workflow(name, f"name: {name}\ndescription: saved async\nsteps:\n  - id: one\n    run: echo async\n")
        check("async save_workflow", (saved.name, saved.description, saved.steps_count) == (name, "saved async", 1), saved)
        run = await aclient.run(name, wait=True, poll_interval=POLL)
        check("async run(wait=True)", (run.status, run.outputs) == ("completed", {"one": "async"}), run)
        runs = await asyncio.gather(*(aclient.run("sum", input={"a": n, "b": 100}, wait=True, poll_interval=POLL) for n in range(3)))
        check("three async runs at once, each its own result",
              [(r.status, r.outputs) for r in runs] == [("completed", {"add": 100 + n}) for n in range(3)], runs)
        check("three async runs, three run ids", len({r.run_id for r in runs}) == 3)
        inline = await aclient.run_yaml(INLINE, input={"word": "async"}, wait=True, poll_interval=POLL)
        check("async run_yaml", inline.outputs == {"say": "inline async"}, inline)
        fetched = await aclient.get_run(inline.run_id)
        check("async get_run: steps and parsed timestamps", [s.attempt for s in fetched.steps] == [1] and aware(fetched.completed_at), fetched)
        page = await aclient.list_runs(workflow="sum", limit=2, offset=1)
        check("async list_runs: meta", (len(page.items), page.limit, page.offset) == (2, 2, 1) and page.total >= 3, page)
        key = f"async-{secrets.token_hex(8)}"
        a, b = await asyncio.gather(aclient.run("greet", idempotency_key=key), aclient.run("greet", idempotency_key=key))
        check("one key submitted twice at once: one run", a.run_id == b.run_id and sorted([a.status, b.status]) == ["existing", "queued"], (a, b))
        slow = await aclient.run("slow", input={"seconds": 600})
        try:
            running = await wait_until_async(lambda: status_is(aclient, slow.run_id, "running"), 120)
            running = running and await wait_until_async(lambda: asyncio.to_thread(step_sandbox_exists, slow.run_id, "wait"), 120)
            check("async: the slow run runs", running is not None)
            check("async cancel_run", await aclient.cancel_run(slow.run_id) == {"cancelled": True, "run_id": slow.run_id})
            over = await wait_until_async(lambda: status_is(aclient, slow.run_id, "cancelled"), 60)
            check("async: the slow run ends cancelled", over is not None)
        finally:
            if (await aclient.get_run(slow.run_id)).status in ("queued", "running"):
                await aclient.cancel_run(slow.run_id)
        await expect_error_async("async: unknown workflow, 404 WORKFLOW_NOT_FOUND", aclient.run("no_such_workflow"), 404, "WORKFLOW_NOT_FOUND")
        await expect_error_async("async: invalid YAML, 400 INVALID_WORKFLOW", aclient.run_yaml("steps: 3\n"), 400, "INVALID_WORKFLOW")
        check("async: the idempotent run completes", await wait_until_async(lambda: status_is(aclient, a.run_id, "completed"), 120) is not None)



@scenario
def the_cli():
    status, out, err = cli("health")
    check("cli health --url --api-key: exit 0, Status ok", status == 0 and "Status:" in out and "ok" in out and "Database:  ok" in out, out + err)
    status, out, err = cli("health", flags=False, env_connection=True)
    check("cli health with SANDCASTLE_URL / SANDCASTLE_API_KEY", status == 0 and "ok" in out, out + err)

    path = os.path.join(WORK, "from-file.yaml")
    with open(path, "w", encoding="utf-8") as f:
        f.write("name: from_file\ninputs:\n  who: {type: string}\nsteps:\n  - id: hi\n    run: echo \"file {input.who}\"\n")
    status, out, err = cli("run", path, "-i", "who=cli", flags=False, env_connection=True)
    submitted = json_from(out) or {}
    check("cli run FILE.yaml (env connection): exit 0, prints {run_id}", status == 0 and bool(submitted.get("run_id")), out + err)
    file_run = finished(submitted.get("run_id", "0000000000000000"))
    check("cli run FILE.yaml: the inline run completes", file_run is not None and (file_run.workflow_name, file_run.outputs)
          == ("from_file", {"hi": "file cli"}), file_run)

    status, out, err = cli("run", "greet", "-i", "who=cli", "--wait")
    check("cli run NAME --wait: exit 0, completed", status == 0 and "completed" in out, out + err)
    check("cli run --wait: the step table and outputs", all(part in out for part in ("hello", "shout", "HELLO, CLI", "ATTEMPT")), out)
    status, out, err = cli("run", "sum", "-i", "a=2", "-i", "b=3", "--wait", "--json")
    shown = json_from(out) or {}
    check("cli run --wait --json: values typed as JSON reach integer inputs", status == 0 and shown.get("outputs") == {"add": 5}, out + err)
    status, out, err = cli("run", "fails", "--wait")
    check("cli run --wait of a failing workflow: exit 2, failed", status == 2 and "failed" in out, (status, out + err))
    status, out, err = cli("run", "no_such_workflow")
    check("cli run of an unknown workflow: exit 1, not found", status == 1 and "HTTP 404" in err, (status, out + err))

    if file_run is not None:
        status, out, err = cli("status", file_run.run_id)
        check("cli status ID: exit 0, its status, steps and outputs",
              status == 0 and all(part in out for part in (file_run.run_id, "completed", "hi", "file cli")), out + err)
        status, out, err = cli("status", file_run.run_id, "--json")
        shown = json_from(out) or {}
        check("cli status ID --json", status == 0 and (shown.get("status"), shown.get("outputs")) == ("completed", {"hi": "file cli"}), out + err)
    status, out, err = cli("status", "0000000000000000")
    check("cli status of an unknown run: exit 1, not found", status == 1 and "HTTP 404" in err, (status, out + err))

    status, out, err = cli("ls", "runs")
    recent = client.list_runs(limit=20).items
    check("cli ls runs: exit 0, the newest runs by id prefix", status == 0 and all(r.run_id[:12] in out for r in recent[:5]), out + err)
    status, out, err = cli("ls", "runs", "--status", "failed", "--limit", "5")
    check("cli ls runs --status failed: only failed runs", status == 0 and "fails" in out and "completed" not in out, out + err)
    status, out, err = cli("ls", "workflows")
    check("cli ls workflows: names, descriptions, step counts",
          status == 0 and all(part in out for part in ("greet", "Greets someone", "slow", "sum", "Adds two integers")), out + err)
    status, out, err = cli("runs", "list", "--limit", "3", "--json")
    listed = json_from(out) or {}
    check("cli runs list --json (Authorization: Bearer): the envelope with meta",
          status == 0 and len(listed.get("data", [])) == 3 and listed.get("meta", {}).get("limit") == 3 and listed["meta"].get("total", 0) >= 3,
          out + err)
    status, out, err = cli("runs", "list", key="sc_wrong")
    check("cli runs list with a wrong key: exit 1, authentication failed", status == 1 and "401" in err, (status, out + err))
    status, out, err = cli("ls", "workflows", key="sc_wrong")
    check("cli ls workflows with a wrong key: exit 1, UNAUTHORIZED", status == 1 and "UNAUTHORIZED" in err, (status, out + err))

    status, out, err = cli("run", "slow", "-i", "seconds=600")
    slow_id = (json_from(out) or {}).get("run_id", "0000000000000000")
    try:
        check("cli run slow: submitted", status == 0 and slow_id != "0000000000000000", out + err)
        check("cli: the slow run runs", wait_until(lambda: step_status(slow_id, "wait") == "running" and step_sandbox_exists(slow_id, "wait"), 120)
              is not None)
        status, out, err = cli("cancel", slow_id, flags=False, env_connection=True)
        check("cli cancel ID: exit 0, Cancelled run ID", status == 0 and f"Cancelled run {slow_id}" in out, out + err)
        over = wait_until(lambda: (lambda s: s if s[0] == 0 and (json_from(s[1]) or {}).get("status") == "cancelled" else None)(
            cli("status", slow_id, "--json")), 60)
        check("cli status after cancel: cancelled", over is not None)
        status, out, err = cli("cancel", slow_id)
        check("cli cancel of a cancelled run: exit 1, INVALID_STATUS", status == 1 and "INVALID_STATUS" in err, (status, out + err))
    finally:
        if client.get_run(slow_id).status in ("queued", "running"):
            client.cancel_run(slow_id)


def dead_letter_items(resolved=False):
    """`GET /api/dead-letter` as the server sends it: the CLI's table cuts ids to 12 characters."""
    params = {"resolved": "true"} if resolved else {}
    return httpx.get(f"{URL}/api/dead-letter", params=params, headers={"Authorization": f"Bearer {KEY}"}, timeout=30).json()["data"]


@scenario
def dead_letters():
    run = client.run("dead_letter", input={"who": "dlq"}, wait=True, poll_interval=POLL)
    check("a dead_letter workflow whose step fails for good: the run goes on and completes", run.status == "completed", run)
    flaky, after = step(run, "flaky"), step(run, "after")
    check("the given-up step: failed after its 2 attempts, null output; its dependent ran",
          flaky is not None and (flaky.status, flaky.attempt, flaky.output) == ("failed", 2, None)
          and after is not None and after.status == "completed", run.steps)
    items = [item for item in dead_letter_items() if item["run_id"] == run.run_id]
    check("one open dead-letter item for the run, in Sandcastle's fields",
          len(items) == 1 and {"id", "run_id", "step_id", "parallel_index", "error", "input_data", "attempts", "created_at",
                               "resolved_at", "resolved_by"} <= set(items[0]), items)
    item = items[0] if items else {"id": "0000000000000000"}
    item_id = item["id"]
    check("the item: step, the step's error, attempts, the run's input, not resolved",
          (item.get("step_id"), item.get("error"), item.get("attempts"), item.get("input_data"), item.get("resolved_at"))
          == ("flaky", flaky.error if flaky else "?", 2, {"who": "dlq"}, None) and "3" in (item.get("error") or ""), item)

    status, out, err = cli("dlq", "list")
    check("cli dlq list (Authorization: Bearer): exit 0, the item's id prefix, step, error, attempts",
          status == 0 and all(part in out for part in (item_id[:12], run.run_id[:12], "flaky", (item.get("error") or "?")[:30], "ATTEMPTS")),
          out + err)
    status, out, err = cli("dlq", "list", "--json")
    listed = json_from(out) or {}
    check("cli dlq list --json: the envelope with meta", status == 0 and item_id in [i.get("id") for i in listed.get("data", [])]
          and listed.get("meta", {}).get("total", 0) >= 1 and listed["meta"].get("limit") == 50, out + err)

    status, out, err = cli("dlq", "retry", item_id)
    new_run_id = next((line.split(":", 1)[1].strip() for line in out.splitlines() if line.strip().startswith("New run:")), "0000000000000000")
    check("cli dlq retry ID: exit 0, DLQ item retried, the new run's id", status == 0 and f"DLQ item retried: {item_id}" in out
          and new_run_id != "0000000000000000", out + err)
    retried = finished(new_run_id)
    check("the retry is a new run of the whole workflow, with the same input and its parent",
          retried is not None and (retried.status, retried.input_data, raw_run(new_run_id).get("parent_run_id"))
          == ("completed", {"who": "dlq"}, run.run_id), retried)
    status, out, err = cli("dlq", "retry", item_id)
    check("cli dlq retry of a retried item: exit 1, 409 (ALREADY_RESOLVED)", status == 1 and "409" in err, (status, out + err))
    retried_item = next((i for i in dead_letter_items(resolved=True) if i["id"] == item_id), {})
    check("the retried item: resolved_by retry", (retried_item.get("resolved_by"), bool(retried_item.get("resolved_at"))) == ("retry", True),
          retried_item)

    second = next((i for i in dead_letter_items() if i["run_id"] == new_run_id), {"id": "0000000000000000"})
    check("the retry's run failed the same step: a new item", second.get("step_id") == "flaky", second)
    status, out, err = cli("dlq", "resolve", second["id"])
    check("cli dlq resolve ID: exit 0, resolved, by manual", status == 0 and f"DLQ item resolved: {second['id']}" in out
          and "Resolved by: manual" in out, out + err)
    status, out, err = cli("dlq", "resolve", second["id"])
    check("cli dlq resolve of a resolved item: exit 1, 409 (ALREADY_RESOLVED)", status == 1 and "409" in err, (status, out + err))
    status, out, err = cli("dlq", "resolve", "0123456789abcdef")
    check("cli dlq resolve of an unknown item: exit 1, 404", status == 1 and "404" in err, (status, out + err))
    status, out, err = cli("dlq", "list")
    check("cli dlq list: no open item left", status == 0 and "No dead letter queue items found." in out, out + err)
    status, out, err = cli("dlq", "list", "--resolved")
    check("cli dlq list --resolved: both items, resolved", status == 0 and item_id[:12] in out and second["id"][:12] in out, out + err)
    status, out, err = cli("dlq", "list", key="sc_wrong")
    check("cli dlq list with a wrong key: exit 1, 401", status == 1 and "401" in err, (status, out + err))


@scenario
def keys_and_tenants():
    """The CLI's `keys create|list|rotate|delete` (direct httpx, `Authorization: Bearer`), and a
    tenant key through the SDK: it runs, sees its own runs only, and not the admin's."""
    status, out, err = cli("keys", "create", "--name", "scenario-tenant", "--tenant", "acme", "--cost-limit", "2.5", "--json")
    made = (json_from(out) or {}).get("data", {})
    tenant_key, tenant_id = made.get("key", ""), made.get("id", "")
    check("cli keys create --tenant --cost-limit --json: a key shown once", status == 0 and tenant_key.startswith("sc_")
          and made.get("tenant_id") == "acme" and made.get("key_prefix") == tenant_key[:8], out + err)
    status, out, err = cli("keys", "create", "--name", "scenario-plain")
    check("cli keys create: prints the key once", status == 0 and "API key created: key_" in out and "sc_" in out, out + err)
    plain_id = out.split("API key created: ", 1)[-1].split()[0] if "API key created: " in out else ""

    tenant = SandcastleClient(base_url=URL, api_key=tenant_key)
    own = tenant.run("greet", input={"who": "tenant"})
    done = wait_until(lambda: (lambda run: run if run.status in TERMINAL else None)(tenant.get_run(own.run_id)), 120)
    check("sdk with a tenant key: run(greet) completes", done is not None and done.status == "completed", done)
    check("sdk with a tenant key: the key's budget applies", raw_run(own.run_id).get("max_cost_usd") == 2.5, raw_run(own.run_id))
    listed = tenant.list_runs(limit=200)
    check("sdk with a tenant key: list_runs holds its runs only", [r.run_id for r in listed.items] == [own.run_id] and listed.total == 1,
          [r.run_id for r in listed.items])
    admin_run = client.list_runs(limit=200).items[-1].run_id
    expect_error("sdk with a tenant key: an admin's run is not found", lambda: tenant.get_run(admin_run), 404, "RUN_NOT_FOUND")
    expect_error("sdk with a tenant key: cancelling an admin's run is not found", lambda: tenant.cancel_run(admin_run), 404, "RUN_NOT_FOUND")
    check("sdk as admin: the tenant's run is visible", client.get_run(own.run_id).status == "completed")
    status, out, err = cli("keys", "create", "--name", "nope", key=tenant_key)
    check("cli keys create with a tenant key: refused, admin only", status != 0 and "403" in err + out, (status, out + err))

    status, out, err = cli("keys", "list")
    check("cli keys list: the new keys by prefix and tenant", status == 0 and all(part in out for part in (tenant_key[:8], "acme", "scenario-plain", "$2.50")),
          out + err)
    status, out, err = cli("keys", "list", key=tenant_key)
    check("cli keys list with a tenant key: its tenant's keys only", status == 0 and tenant_key[:8] in out and "scenario-plain" not in out, out + err)

    status, out, err = cli("keys", "rotate", tenant_id)
    check("cli keys rotate (no body): exit 0, Key rotated", status == 0 and f"Key rotated: {tenant_id} -> key_" in out, out + err)
    new_key = next((word for word in out.split() if word.startswith("sc_")), "")
    check("cli keys rotate: the new key is shown", new_key.startswith("sc_") and new_key != tenant_key, out)
    check("after rotating: the old key works through its grace", tenant.get_run(own.run_id).status == "completed")
    check("after rotating: the new key sees the tenant's run",
          SandcastleClient(base_url=URL, api_key=new_key).get_run(own.run_id).status == "completed")

    for key_id in (plain_id, tenant_id):
        status, out, err = cli("keys", "delete", key_id, "--force")
        check(f"cli keys delete {key_id[:12]}: deactivated", status == 0 and f"API key deactivated: {key_id}" in out, out + err)
    expect_error("a deleted key: 401 UNAUTHORIZED", lambda: tenant.list_runs(), 401, "UNAUTHORIZED")
    status, out, err = cli("keys", "list")
    check("cli keys list: deleted keys are gone", status == 0 and "scenario-plain" not in out and tenant_key[:8] not in out, out + err)

    leaked = []
    for folder, _, files in os.walk(DATA_DIR):
        for name in files:
            with open(os.path.join(folder, name), "rb") as f:
                content = f.read()
            leaked += [name for secret in (tenant_key, new_key) if secret.encode() in content]
    check("the keys made are not in the data folder", not leaked, leaked)
    log = os.path.join(os.path.dirname(WORK), "server.log")
    with open(log, encoding="utf-8", errors="replace") as f:
        text = f.read()
    check("the keys made are not in the server log", tenant_key not in text and new_key not in text)


def ended(run_id, seconds=120):
    """The run once it is over for good (a decided gate's run passes through awaiting_approval first)."""
    return wait_until(lambda: (lambda r: r if r.status in ("completed", "failed", "cancelled", "budget_exceeded") else None)(
        client.get_run(run_id)), seconds)


def paused(run_id):
    """Waits until the run pauses at its gate; the SDK's wait=True also stops there."""
    return wait_until(lambda: (lambda r: r if r.status == "awaiting_approval" else None)(client.get_run(run_id)), 120)


@scenario
def approvals():
    first = client.run("gated", wait=True, poll_interval=POLL)
    check("run(wait=True) of a gated workflow stops at awaiting_approval", first.status == "awaiting_approval", first)
    page = client.list_approvals(status="pending")
    mine = [a for a in page.items if a.run_id == first.run_id]
    check("list_approvals(status=pending): the run's gate with its message and data",
          len(mine) == 1 and (mine[0].step_id, mine[0].status, mine[0].message, mine[0].request_data, mine[0].allow_edit)
          == ("gate", "pending", "Ship abc?", {"sha": "abc"}, True) and page.total >= 1, page)
    approval_id = mine[0].id if mine else f"{first.run_id}.gate"
    decided = client.approve(approval_id, output_data={"sha": "edited"}, comment="looks good")
    check("approve(output_data, comment): approved, the run's id", decided.get("approved") is True and decided.get("run_id") == first.run_id, decided)
    done = ended(first.run_id)
    check("the approved run goes on and completes; the edited data is the gate's output",
          done is not None and done.status == "completed" and (done.outputs or {}).get("gate") == {"sha": "edited"}, done)
    expect_error("approve twice: 409 ALREADY_RESOLVED", lambda: client.approve(approval_id), 409, "ALREADY_RESOLVED")
    after = [a for a in client.list_approvals(status="approved").items if a.id == approval_id]
    check("list_approvals(status=approved): the decision, its comment", len(after) == 1 and after[0].reviewer_comment == "looks good", after)

    second = client.run("gated", wait=False)
    check("a second gated run pauses", paused(second.run_id) is not None)
    rejected = client.reject(f"{second.run_id}.gate", reason="not today")
    check("reject(reason): rejected", rejected.get("rejected") is True and rejected.get("run_id") == second.run_id, rejected)
    done = ended(second.run_id)
    check("a rejected gate fails the run", done is not None and done.status == "failed", done)

    third = client.run("gated", wait=False)
    status, out, err = (1, "", "never paused")
    if paused(third.run_id) is not None:
        status, out, err = cli("approve", third.run_id, "--data", '{"sha": "from-cli"}')
    check("cli approve RUN --data (finds the pending gate, Bearer): exit 0", status == 0 and f"Approved run {third.run_id}" in out, out + err)
    done = ended(third.run_id)
    check("cli approve: the run completes with the CLI's data", done is not None and (done.status, (done.outputs or {}).get("gate"))
          == ("completed", {"sha": "from-cli"}), done)
    fourth = client.run("gated", wait=False)
    status, out, err = (1, "", "never paused")
    if paused(fourth.run_id) is not None:
        status, out, err = cli("reject", fourth.run_id, "--reason", "no")
    check("cli reject RUN --reason: exit 0", status == 0 and f"Rejected run {fourth.run_id}" in out and "Reason: no" in out, out + err)
    done = ended(fourth.run_id)
    check("cli reject: the run fails", done is not None and done.status == "failed", done)
    status, out, err = cli("approve", fourth.run_id)
    check("cli approve of a run without a pending gate: exit 1, says so", status == 1 and "no pending approval" in err, (status, out + err))


@scenario
def replay_and_fork():
    parent = client.run("greet", input={"who": "lineage"}, wait=True, poll_interval=POLL)
    check("a run to replay completes", parent.status == "completed", parent)
    replay = client.replay(parent.run_id, "shout")
    check("replay(run, step): a new run id", bool(replay.run_id) and replay.run_id != parent.run_id, replay)
    done = ended(replay.run_id)
    check("the replay completes with the parent's recorded upstream and its parent named",
          done is not None and done.status == "completed" and done.parent_run_id == parent.run_id and done.replay_from_step == "shout"
          and (done.outputs or {}).get("shout") == "HELLO, LINEAGE", done)
    fork = client.fork(parent.run_id, "shout", changes={"run": "echo forked"})
    check("fork(run, step, changes): a new run id", bool(fork.run_id) and fork.run_id not in (parent.run_id, replay.run_id), fork)
    done = ended(fork.run_id)
    check("the fork runs the changed step; fork_changes recorded",
          done is not None and done.status == "completed" and (done.outputs or {}).get("shout") == "forked"
          and (done.fork_changes or {}).get("run") == "echo forked", done)
    expect_error("replay from an unknown step: 400 INVALID_STEP", lambda: client.replay(parent.run_id, "nope"), 400, "INVALID_STEP")

    status, out, err = cli("replay", parent.run_id, "--from-step", "shout")
    new_id = next((line.split()[2] for line in out.splitlines() if line.startswith("Replay started:")), "")
    check("cli replay RUN --from-step: exit 0, the new run, its parent and step",
          status == 0 and new_id and f"Parent: {parent.run_id}" in out and "From step: shout" in out, out + err)
    replayed = ended(new_id) if new_id else None
    check("cli replay: the new run completes", replayed is not None and replayed.status == "completed", replayed)
    status, out, err = cli("fork", parent.run_id, "--from-step", "shout", "--change", "run=echo cli-fork")
    new_id = next((line.split()[2] for line in out.splitlines() if line.startswith("Fork started:")), "")
    check("cli fork RUN --from-step --change: exit 0, the new run and its changes",
          status == 0 and new_id and "From step: shout" in out and "cli-fork" in out, out + err)
    forked = ended(new_id) if new_id else None
    check("cli fork: the fork runs the changed command", forked is not None and (forked.outputs or {}).get("shout") == "cli-fork", forked)


@scenario
def schedules_and_stats():
    made = client.create_schedule("greet", "0 3 * * *", input={"who": "cron"}, enabled=False)
    check("create_schedule: a Schedule with its id, cron, input and enabled",
          bool(made.id) and (made.workflow_name, made.cron_expression, made.input_data, made.enabled) == ("greet", "0 3 * * *", {"who": "cron"}, False),
          made)
    check("create_schedule: created_at parsed", aware(made.created_at), made)
    listed = client.list_schedules()
    check("list_schedules: the schedule, with meta", any(s.id == made.id for s in listed.items) and listed.total >= 1, listed)
    changed = client.update_schedule(made.id, enabled=True, cron="30 4 * * 1")
    check("update_schedule(enabled, cron)", (changed.enabled, changed.cron_expression) == (True, "30 4 * * 1"), changed)
    expect_error("create_schedule with an invalid cron: 422 INVALID_CRON", lambda: client.create_schedule("greet", "61 * * * *"), 422, "INVALID_CRON")
    expect_error("create_schedule of an unknown workflow: 404", lambda: client.create_schedule("no_such_workflow", "0 3 * * *"), 404, "WORKFLOW_NOT_FOUND")
    deleted = client.delete_schedule(made.id)
    check("delete_schedule: deleted", deleted.get("deleted") is True and deleted.get("id") == made.id, deleted)
    check("delete_schedule: gone from the list", all(s.id != made.id for s in client.list_schedules(limit=200).items))

    status, out, err = cli("schedule", "create", "sum", "15 2 * * *", "-i", "a=4")
    created = next((line.split(": ", 1)[1].strip() for line in out.splitlines() if line.startswith("Schedule created:")), "")
    check("cli schedule create WORKFLOW CRON -i: exit 0, its id", status == 0 and bool(created), out + err)
    status, out, err = cli("ls", "schedules")
    check("cli ls schedules: the schedule with its workflow and cron", status == 0 and created[:8] in out and "sum" in out and "15 2 * * *" in out,
          out + err)
    status, out, err = cli("schedule", "delete", created or "missing")
    check("cli schedule delete ID: exit 0", status == 0 and f"Schedule deleted: {created}" in out, out + err)
    status, out, err = cli("schedule", "delete", created or "missing")
    check("cli schedule delete of a deleted schedule: exit 1, 404", status == 1 and "404" in err, (status, out + err))

    stats = client.stats()
    check("stats: today's runs, success rate, by day and by workflow",
          stats.total_runs_today > 0 and 0 <= stats.success_rate <= 1 and len(stats.runs_by_day) >= 1
          and any(row.get("workflow") == "greet" for row in stats.cost_by_workflow), stats)


@scenario
def workflows_as_apis():
    anonymous = SandcastleClient(base_url=URL)
    expect_error("call_api before publishing: 404, not published", lambda: client.call_api("sum", {"a": 1}), 404, "WORKFLOW_NOT_FOUND",
                 "not published")
    expect_error("get_workflow_api_spec before publishing: 404", lambda: anonymous.get_workflow_api_spec("sum"), 404, "WORKFLOW_NOT_FOUND")
    expect_error("publish_workflow of an unknown workflow: 404", lambda: client.publish_workflow("no_such_workflow"), 404, "WORKFLOW_NOT_FOUND")
    published = client.publish_workflow("sum")
    check("publish_workflow: its name, version, endpoint and spec URLs, examples, is_public",
          published.get("workflow_name") == "sum" and isinstance(published.get("version"), int) and published.get("is_public") is True
          and str(published.get("endpoint_url", "")).endswith("/api/v1/sum") and str(published.get("spec_url", "")).endswith("/api/v1/sum/spec")
          and "curl" in published.get("example_curl", "") and "call_api" in published.get("example_sdk", ""), published)
    spec = anonymous.get_workflow_api_spec("sum")
    schema = spec.get("input_schema") or {}
    properties = schema.get("properties") or {}
    check("get_workflow_api_spec (no key): POST, its version, the inputs as JSON Schema",
          (spec.get("workflow_name"), spec.get("method"), spec.get("version"), spec.get("description")) == ("sum", "POST", published.get("version"), "Adds two integers")
          and properties.get("a", {}).get("type") == "integer" and properties.get("b", {}).get("default") == 0 and schema.get("required") == ["a"], spec)
    check("get_workflow_api_spec: never the workflow's text", "echo" not in json.dumps(spec), spec)
    answer = client.call_api("sum", {"a": 40, "b": 2})
    check("call_api (sync): the finished run with its outputs", (answer.get("status"), answer.get("outputs")) == ("completed", {"add": 42}), answer)
    queued = client.call_api("sum", {"a": 5}, async_mode=True)
    check("call_api(async_mode=True): queued, with a run_id", queued.get("status") == "queued" and bool(queued.get("run_id")), queued)
    done = ended(queued.get("run_id", "missing"))
    check("call_api(async_mode=True): the run completes", done is not None and (done.status, done.outputs) == ("completed", {"add": 5}), done)
    expect_error("call_api without a required input: 400 INVALID_INPUT", lambda: client.call_api("sum", {"b": 1}), 400, "INVALID_INPUT")
    expect_error("call_api(callback_url=file://…): 400 INVALID_CALLBACK_URL",
                 lambda: client.call_api("sum", {"a": 1}, callback_url="file:///etc/passwd"), 400, "INVALID_CALLBACK_URL")
    client.run("sum", input={"a": 1}, wait=True, poll_interval=POLL)
    usage = client.get_workflow_api_usage("sum", days=7)
    check("get_workflow_api_usage(days=7): the endpoint's two calls, completed, by day (a run by name does not count)",
          (usage.get("workflow_name"), usage.get("days"), usage.get("total_calls"), usage.get("completed"), usage.get("failed")) == ("sum", 7, 2, 2, 0)
          and [day.get("calls") for day in usage.get("by_day", [])] == [2] and usage.get("total_cost_usd") == 0, usage)
    expect_error("get_workflow_api_usage(days=0): 422", lambda: client.get_workflow_api_usage("sum", days=0), 422, "VALIDATION_ERROR")


@scenario
def nothing_left_running():
    busy = client.list_runs(status="running").total + client.list_runs(status="queued").total
    check("no run of the scenario is left queued or running", busy == 0, busy)


finish()

"""The official anthropic and openai Python SDKs, unmodified, against `sandcastle provider-double`.

Usage: sdk_fidelity.py BASE_URL   (the double runs with fidelity_script.yaml)

Each check uses its own API key, which the double treats as its own conversation. One line per
check: PASS or FAIL with what differed. Exits non-zero on any failure, so the double cannot drift
from what the SDKs accept.
"""

import json
import sys
import time
import traceback
import urllib.request

import anthropic
import openai

BASE = sys.argv[1].rstrip("/")
results = []


def check(name):
    def run(function):
        try:
            function()
            results.append((name, None))
            print(f"PASS {name}", flush=True)
        except Exception as error:  # noqa: BLE001 - every failure is reported, none stops the run
            detail = "".join(traceback.format_exception_only(type(error), error)).strip()
            results.append((name, detail))
            print(f"FAIL {name}: {detail}", flush=True)
        return function

    return run


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def raises(kinds, function):
    """Runs function, which must raise one of kinds; returns the error."""
    try:
        function()
    except kinds as error:
        return error
    raise AssertionError(f"expected {kinds} to be raised")


def recorded(key):
    with urllib.request.urlopen(f"{BASE}/_double/requests?conversation={key}", timeout=10) as response:
        return json.loads(response.read())


def ant(key, **options):
    return anthropic.Anthropic(api_key=key, base_url=BASE, **options)


def oai(key, **options):
    return openai.OpenAI(api_key=key, base_url=f"{BASE}/v1", **options)


USER = [{"role": "user", "content": "Hello"}]
MODEL = "claude-test"
TOOLS = [
    {"name": name, "description": f"The {name} tool", "input_schema": {"type": "object", "properties": {}}}
    for name in ("Bash", "Read", "Grep", "Write")
]
OAI_TOOLS = [
    {"type": "function", "function": {"name": t["name"], "description": t["description"], "parameters": t["input_schema"]}}
    for t in TOOLS
]


# ---------------------------------------------------------------- Anthropic


@check("anthropic: non-streaming text")
def _():
    message = ant("ant-text").messages.create(model=MODEL, max_tokens=100, messages=USER)
    expect(message.content[0].type == "text" and message.content[0].text == "Hello from the double.", message.content)
    expect(message.stop_reason == "end_turn", message.stop_reason)
    expect((message.usage.input_tokens, message.usage.output_tokens) == (11, 5), message.usage)
    expect(message.id.startswith("msg_"), message.id)
    expect(message.model == MODEL, message.model)


@check("anthropic: streaming text and thinking with messages.stream")
def _():
    with ant("ant-stream").messages.stream(model=MODEL, max_tokens=100, messages=USER) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    expect(text == "Streaming works, word by word.", text)
    expect([block.type for block in final.content] == ["thinking", "text"], final.content)
    expect(final.content[0].thinking == "First I think, then I answer.", final.content[0])
    expect(final.content[0].signature, "the signature_delta set the signature")
    expect(final.usage.input_tokens == 21 and final.usage.output_tokens == 7, final.usage)
    expect(final.usage.cache_read_input_tokens == 4, final.usage)
    expect(final.stop_reason == "end_turn", final.stop_reason)


@check("anthropic: several tool calls in one turn, streamed, then non-streamed, then the results sent back")
def _():
    client = ant("ant-tools")
    expected = [
        ("Bash", {"command": 'ls -la /workspace && echo "done"'}),
        ("Read", {"file_path": "/workspace/README.md", "offset": 1, "limit": 40}),
        ("Grep", {"pattern": "TODO|FIXME", "path": "/workspace", "-i": True, "output_mode": "content"}),
    ]
    with client.messages.stream(model=MODEL, max_tokens=500, messages=USER, tools=TOOLS) as stream:
        events = [event.type for event in stream]
        final = stream.get_final_message()
    calls = [(block.name, block.input) for block in final.content if block.type == "tool_use"]
    expect(calls == expected, calls)
    expect(final.stop_reason == "tool_use", final.stop_reason)
    expect(events.count("input_json") > 3, f"tool input arrives in fragments: {events}")
    created = client.messages.create(model=MODEL, max_tokens=500, messages=USER, tools=TOOLS)
    expect([(b.name, b.input) for b in created.content if b.type == "tool_use"] == expected, created.content)
    # The turn after: every result in one user message, as the API (and the double) require.
    results = [{"type": "tool_result", "tool_use_id": b.id, "content": "ok"} for b in created.content if b.type == "tool_use"]
    history = USER + [{"role": "assistant", "content": created.content}, {"role": "user", "content": results}]
    after = client.messages.create(model=MODEL, max_tokens=500, messages=history, tools=TOOLS)
    expect(after.content[0].text == "All three ran.", after.content)


@check("anthropic: auth_token is sent as a bearer token and accepted")
def _():
    client = anthropic.Anthropic(auth_token="ant-bearer", base_url=BASE)
    message = client.messages.create(model=MODEL, max_tokens=10, messages=USER)
    expect(message.content[0].text == "Bearer accepted.", message.content)
    sent = recorded("ant-bearer")
    expect(sent[0]["credential_scheme"] == "bearer", sent[0]["credential_scheme"])
    headers = dict(sent[0]["headers"])
    expect("anthropic-version" in headers, headers)
    expect("authorization" not in headers and "ant-bearer" not in json.dumps(sent), "credentials are not recorded")


@check("anthropic: 429 with retry-after is retried after the wait, then succeeds")
def _():
    started = time.monotonic()
    message = ant("ant-429").messages.create(model=MODEL, max_tokens=10, messages=USER)
    waited = time.monotonic() - started
    expect(message.content[0].text == "After the wait.", message.content)
    expect(len(recorded("ant-429")) == 2, "one retry")
    expect(waited >= 0.9, f"retry-after: 1 honoured, waited {waited:.2f}s")


@check("anthropic: 529 raises OverloadedError after the retries")
def _():
    error = raises(anthropic.OverloadedError, lambda: ant("ant-529", max_retries=2).messages.create(model=MODEL, max_tokens=10, messages=USER))
    expect(error.status_code == 529, error.status_code)
    expect(error.body["error"]["type"] == "overloaded_error", error.body)
    expect(len(recorded("ant-529")) == 3, "three attempts")


@check("anthropic: 500 raises InternalServerError")
def _():
    error = raises(anthropic.InternalServerError, lambda: ant("ant-500", max_retries=0).messages.create(model=MODEL, max_tokens=10, messages=USER))
    expect(error.status_code == 500 and error.body["error"]["type"] == "api_error", error.body)


@check("anthropic: a stream cut in the middle raises")
def _():
    seen = []

    def consume():
        with ant("ant-cut", max_retries=0).messages.stream(model=MODEL, max_tokens=100, messages=USER) as stream:
            for text in stream.text_stream:
                seen.append(text)

    # The connection closes inside the chunked body: httpx reports an incomplete read.
    raises(anthropic.APIConnectionError, consume)
    expect(0 < len("".join(seen)) < len("This answer is cut off"), f"part of the text came first: {seen}")


@check("anthropic: malformed JSON raises, streamed and not")
def _():
    client = ant("ant-malformed", max_retries=0)
    raises(json.JSONDecodeError, lambda: client.messages.create(model=MODEL, max_tokens=10, messages=USER))

    def consume():
        with client.messages.stream(model=MODEL, max_tokens=10, messages=USER) as stream:
            stream.until_done()

    raises(json.JSONDecodeError, consume)


@check("anthropic: max_tokens inside a tool call surfaces as stop_reason max_tokens")
def _():
    with ant("ant-maxtok").messages.stream(model=MODEL, max_tokens=30, messages=USER, tools=TOOLS) as stream:
        final = stream.get_final_message()
    expect(final.stop_reason == "max_tokens", final.stop_reason)
    expect(final.content[-1].type == "tool_use" and final.content[-1].name == "Write", final.content)


@check("anthropic: an overloaded_error event mid-stream raises")
def _():
    def consume():
        with ant("ant-overloaded-event", max_retries=0).messages.stream(model=MODEL, max_tokens=10, messages=USER) as stream:
            stream.until_done()

    error = raises(anthropic.APIStatusError, consume)
    expect("overloaded_error" in str(error), str(error))


# ---------------------------------------------------------------- OpenAI


@check("openai: non-streaming text")
def _():
    completion = oai("oai-text").chat.completions.create(model="gpt-test", messages=USER)
    choice = completion.choices[0]
    expect(choice.message.content == "Hello from the double.", choice.message)
    expect(choice.finish_reason == "stop", choice.finish_reason)
    expect((completion.usage.prompt_tokens, completion.usage.completion_tokens) == (13, 5), completion.usage)
    expect(completion.object == "chat.completion", completion.object)


@check("openai: streaming with include_usage, the usage chunk last")
def _():
    chunks = list(
        oai("oai-stream").chat.completions.create(
            model="gpt-test", messages=USER, stream=True, stream_options={"include_usage": True}
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    expect(text == "Streaming works, chunk by chunk.", text)
    expect(chunks[-1].choices == [] and chunks[-1].usage is not None, chunks[-1])
    expect(chunks[-1].usage.prompt_tokens == 20 and chunks[-1].usage.completion_tokens == 8, chunks[-1].usage)
    expect(chunks[-1].usage.prompt_tokens_details.cached_tokens == 3, chunks[-1].usage)
    expect(all(c.usage is None for c in chunks[:-1]), "usage only on the last chunk")
    expect([c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop", "finish_reason stop")


@check("openai: several tool calls, with chat.completions.stream and with stream=True, then the results sent back")
def _():
    client = oai("oai-tools")
    expected = [("Bash", {"command": 'grep -rn "TODO" src | head -n 20'}), ("Read", {"file_path": "/workspace/main.py"})]
    with client.chat.completions.stream(model="gpt-test", messages=USER, tools=OAI_TOOLS) as stream:
        final = stream.get_final_completion()
    calls = [(c.function.name, json.loads(c.function.arguments)) for c in final.choices[0].message.tool_calls]
    expect(calls == expected, calls)
    expect(final.choices[0].finish_reason == "tool_calls", final.choices[0].finish_reason)

    merged = {}
    fragments = 0
    for chunk in client.chat.completions.create(model="gpt-test", messages=USER, tools=OAI_TOOLS, stream=True):
        for call in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            fragments += 1
            entry = merged.setdefault(call.index, {"id": None, "name": "", "arguments": ""})
            entry["id"] = call.id or entry["id"]
            entry["name"] += (call.function.name or "") if call.function else ""
            entry["arguments"] += (call.function.arguments or "") if call.function else ""
    expect([(m["name"], json.loads(m["arguments"])) for _, m in sorted(merged.items())] == expected, merged)
    expect(fragments > 4, f"fragments split across chunks: {fragments}")

    created = client.chat.completions.create(model="gpt-test", messages=USER, tools=OAI_TOOLS)
    message = created.choices[0].message
    history = USER + [message.model_dump(exclude_none=True)] + [
        {"role": "tool", "tool_call_id": call.id, "content": "ok"} for call in message.tool_calls
    ]
    after = client.chat.completions.create(model="gpt-test", messages=history, tools=OAI_TOOLS)
    expect(after.choices[0].message.content == "Both ran.", after.choices[0].message)


@check("openai: 429 with retry-after is retried after the wait, then succeeds")
def _():
    started = time.monotonic()
    completion = oai("oai-429").chat.completions.create(model="gpt-test", messages=USER)
    waited = time.monotonic() - started
    expect(completion.choices[0].message.content == "After the wait.", completion)
    expect(len(recorded("oai-429")) == 2, "one retry")
    expect(waited >= 0.9, f"retry-after: 1 honoured, waited {waited:.2f}s")


@check("openai: 500 raises InternalServerError")
def _():
    error = raises(openai.InternalServerError, lambda: oai("oai-500", max_retries=0).chat.completions.create(model="gpt-test", messages=USER))
    expect(error.status_code == 500, error.status_code)


@check("openai: a stream cut in the middle raises")
def _():
    seen = []

    def consume():
        for chunk in oai("oai-cut", max_retries=0).chat.completions.create(model="gpt-test", messages=USER, stream=True):
            if chunk.choices and chunk.choices[0].delta.content:
                seen.append(chunk.choices[0].delta.content)

    raises(openai.APIConnectionError, consume)
    expect(len(seen) > 0, "part of the text came first")


@check("openai: malformed JSON raises, streamed and not")
def _():
    client = oai("oai-malformed", max_retries=0)
    raises(json.JSONDecodeError, lambda: client.chat.completions.create(model="gpt-test", messages=USER))
    raises(json.JSONDecodeError, lambda: list(client.chat.completions.create(model="gpt-test", messages=USER, stream=True)))


@check("openai: max_tokens inside a tool call surfaces as finish_reason length")
def _():
    client = oai("oai-length")
    chunks = list(client.chat.completions.create(model="gpt-test", messages=USER, tools=OAI_TOOLS, stream=True))
    expect([c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length", "finish_reason length")
    completion = client.chat.completions.create(model="gpt-test", messages=USER, tools=OAI_TOOLS)
    expect(completion.choices[0].finish_reason == "length", completion.choices[0])
    arguments = completion.choices[0].message.tool_calls[0].function.arguments
    raises(json.JSONDecodeError, lambda: json.loads(arguments))


@check("openai: an error chunk mid-stream raises APIError")
def _():
    error = raises(
        openai.APIError,
        lambda: list(oai("oai-error-chunk", max_retries=0).chat.completions.create(model="gpt-test", messages=USER, stream=True)),
    )
    expect("Upstream provider failed" in str(error), str(error))


failed = [name for name, detail in results if detail]
if failed:
    print(f"{len(failed)} of {len(results)} checks failed: {', '.join(failed)}")
    sys.exit(1)
print(f"all {len(results)} checks passed (anthropic {anthropic.__version__}, openai {openai.__version__})")

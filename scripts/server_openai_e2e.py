"""End-to-end checks of `refinery serve` with the official openai client (run by
scripts/test-server-openai). Prints one line per check and 'N passed, N failed'."""
import argparse
import json
import os
import sys
import time

import urllib.error
import urllib.request
import openai

parser = argparse.ArgumentParser()
parser.add_argument("--base-url", required=True)
parser.add_argument("--model", required=True)
parser.add_argument("--tools-model", help="a model that makes several tool calls in one reply (checked to)")
args = parser.parse_args()

key = os.environ["REFINERY_E2E_KEY"]
client = openai.OpenAI(base_url=args.base_url, api_key=key, max_retries=0, timeout=120)
messages = [{"role": "user", "content": "Name three colors."}]
results = []


def check(name):
    def wrap(fn):
        start = time.monotonic()
        try:
            note = fn()
            results.append(True)
            print(f"ok   {name} ({time.monotonic() - start:.2f}s){': ' + note if note else ''}")
        except Exception as error:  # noqa: BLE001 - report every failure and go on
            results.append(False)
            print(f"FAIL {name}: {type(error).__name__}: {error}")
        return fn
    return wrap


state = {}


def raw(method, url, body=None, headers=None):
    """(status, body text) of a plain HTTP request."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@check("models list includes the model and agent:writer")
def _():
    ids = [m.id for m in client.models.list()]
    assert args.model in ids and "agent:writer" in ids, ids


@check("non-streaming greedy completion with usage")
def _():
    r = client.chat.completions.create(model=args.model, messages=messages, max_tokens=24, temperature=0)
    text = r.choices[0].message.content
    assert text, r
    assert r.usage.completion_tokens > 0 and r.usage.prompt_tokens > 0, r.usage
    assert r.choices[0].finish_reason in ("stop", "length")
    state["text"] = text
    return repr(text[:60])


@check("streaming gives the same greedy text, then usage")
def _():
    stream = client.chat.completions.create(model=args.model, messages=messages, max_tokens=24, temperature=0, stream=True,
                                            stream_options={"include_usage": True})
    parts, usage, finish = [], None, None
    for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        for choice in chunk.choices:
            if choice.delta.content:
                parts.append(choice.delta.content)
            finish = choice.finish_reason or finish
    text = "".join(parts)
    assert text == state.get("text"), (text, state.get("text"))
    assert usage and usage.completion_tokens > 0
    assert finish in ("stop", "length")
    return f"{len(parts)} deltas"


@check("n=2 returns two choices")
def _():
    r = client.chat.completions.create(model=args.model, messages=messages, max_tokens=8, temperature=0.8, seed=7, n=2)
    assert len(r.choices) == 2 and [c.index for c in r.choices] == [0, 1]


@check("tools are accepted; any tool call is well formed")
def _():
    tools = [{"type": "function", "function": {"name": "get_weather", "description": "Current weather in a city",
              "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
    r = client.chat.completions.create(model=args.model, messages=[{"role": "user", "content": "Weather in Paris?"}],
                                       tools=tools, max_tokens=48, temperature=0)
    choice = r.choices[0]
    if choice.message.tool_calls:
        for call in choice.message.tool_calls:
            json.loads(call.function.arguments)
        assert choice.finish_reason == "tool_calls"
        return f"tool call {choice.message.tool_calls[0].function.name}"
    assert choice.message.content is not None
    return "answered in text (the model made no tool call)"


@check("a named tool_choice gives a tool call whose arguments parse")
def _():
    tools = [{"type": "function", "function": {"name": "get_weather", "description": "Current weather in a city",
              "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
    r = client.chat.completions.create(model=args.model, messages=[{"role": "user", "content": "Weather in Paris?"}],
                                       tools=tools, tool_choice={"type": "function", "function": {"name": "get_weather"}},
                                       max_tokens=48, temperature=0)
    calls = r.choices[0].message.tool_calls
    assert calls and calls[0].function.name == "get_weather", r.choices[0].message
    assert isinstance(json.loads(calls[0].function.arguments).get("city"), str)
    return f"get_weather({calls[0].function.arguments})"


@check("response_format json_schema: valid JSON, or 400 naming response_format")
def _():
    schema = {"type": "object", "properties": {"color": {"type": "string"}}, "required": ["color"]}
    try:
        r = client.chat.completions.create(model=args.model, messages=[{"role": "user", "content": "A color as JSON."}],
                                           response_format={"type": "json_schema", "json_schema": {"name": "c", "schema": schema}},
                                           max_tokens=32, temperature=0)
    except openai.BadRequestError as error:
        assert error.status_code == 400 and error.body.get("param") == "response_format", error.body
        return "refused: " + error.body.get("message", "")
    value = json.loads(r.choices[0].message.content)
    assert isinstance(value.get("color"), str), value
    return "constrained"


@check("agent:writer with X-Refinery-Deadline-Ms answers by the deadline with an outcome")
def _():
    start = time.monotonic()
    r = client.chat.completions.create(model="agent:writer", messages=[{"role": "user", "content": "One sentence about the sea."}],
                                       extra_headers={"X-Refinery-Deadline-Ms": "3000"}, extra_body={"refinery": {"trace": True}})
    elapsed = time.monotonic() - start
    ext = r.model_extra["refinery"]
    assert ext["outcome"] in ("complete", "refined_partially", "draft_only", "truncated", "failed"), ext
    assert ext["deadline_ms"] == 3000 and "trace" in ext, ext
    assert elapsed < 3.0 + 0.25, elapsed
    return f"outcome {ext['outcome']}, {ext['elapsed_ms']} ms, {len(ext['trace']['steps'])} steps"


@check("agent streaming ends with the outcome")
def _():
    stream = client.chat.completions.create(model="agent:writer", messages=[{"role": "user", "content": "A short greeting."}],
                                            stream=True, extra_headers={"X-Refinery-Deadline-Ms": "1500"})
    last = None
    for chunk in stream:
        last = chunk
    assert last is not None and last.model_extra["refinery"]["outcome"], last


@check("agent:writer streamed with include_usage: reasoning_content chunks before the answer, then usage")
def _():
    stream = client.chat.completions.create(model="agent:writer", messages=[{"role": "user", "content": "Two sentences about the sea."}],
                                            stream=True, stream_options={"include_usage": True},
                                            extra_headers={"X-Refinery-Deadline-Ms": "3000"})
    reasoning, content, usage, order = 0, "", None, []
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            delta = choice.delta
            if (delta.model_extra or {}).get("reasoning_content"):
                reasoning += 1
                order.append("r")
            if delta.content:
                content += delta.content
                order.append("c")
    assert reasoning >= 2, f"{reasoning} reasoning chunks"
    assert content and "c" not in order[:reasoning], order
    assert usage is not None and usage.prompt_tokens > 0 and usage.completion_tokens > 0, usage
    return f"{reasoning} reasoning chunks before the answer; usage {usage.prompt_tokens}+{usage.completion_tokens} tokens"


@check("client.completions.create: a legacy text completion with usage, whole and streamed")
def _():
    r = client.completions.create(model=args.model, prompt="The capital of France is", max_tokens=8, temperature=0)
    assert r.object == "text_completion" and r.choices[0].text, r
    assert r.usage.prompt_tokens > 0 and 0 < r.usage.completion_tokens <= 8, r.usage
    pieces = [c.choices[0].text for c in client.completions.create(model=args.model, prompt="The capital of France is",
                                                                     max_tokens=8, temperature=0, stream=True) if c.choices]
    assert "".join(pieces) == r.choices[0].text, (pieces, r.choices[0].text)
    return repr(r.choices[0].text)


@check("tool-call ids are unique across replies, and within a reply when the model makes several calls")
def _():
    tools = [{"type": "function", "function": {"name": "get_weather", "description": "Current weather in a city",
              "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
    ask = [{"role": "user", "content": "What is the weather in Paris and in Rome? Call get_weather once for each city."}]
    ids, most = [], 0
    for _ in range(2):
        r = client.chat.completions.create(model=args.tools_model or args.model, messages=ask, tools=tools, tool_choice="required",
                                           max_tokens=96, temperature=0)
        calls = r.choices[0].message.tool_calls or []
        assert calls, r.choices[0].message
        most = max(most, len(calls))
        ids += [call.id for call in calls]
    assert len(set(ids)) == len(ids), ids
    assert all(i.startswith("call_") for i in ids), ids
    if args.tools_model:
        assert most >= 2, f"{args.tools_model} made {most} call(s) in a reply"
    return f"{args.tools_model or args.model}: {most} calls in one reply; ids {ids}"


@check("a wrong API key is a 401 AuthenticationError")
def _():
    bad = openai.OpenAI(base_url=args.base_url, api_key="wrong", max_retries=0)
    try:
        bad.chat.completions.create(model=args.model, messages=messages, max_tokens=4)
    except openai.AuthenticationError as error:
        assert error.status_code == 401 and error.body.get("code") == "invalid_api_key", error.body
        return None
    raise AssertionError("no 401")


@check("an oversized body is a 413")
def _():
    try:
        client.chat.completions.create(model=args.model, messages=[{"role": "user", "content": "x" * 100_000}], max_tokens=4)
    except openai.APIStatusError as error:
        assert error.status_code == 413, error.status_code
        return None
    raise AssertionError("no 413")


@check("malformed JSON is a 400 invalid_json")
def _():
    status, text = raw("POST", args.base_url + "/chat/completions", b'{"model": "x", "messages": [',
                       {"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    assert status == 400, status
    assert json.loads(text)["error"]["code"] == "invalid_json", text


@check("an unknown model is a 404 NotFoundError naming the model field")
def _():
    try:
        client.chat.completions.create(model="no-such-model", messages=messages, max_tokens=4)
    except openai.NotFoundError as error:
        assert error.body.get("param") == "model", error.body
        return None
    raise AssertionError("no 404")


@check("/health needs no key; /metrics does")
def _():
    root = args.base_url.rsplit("/v1", 1)[0]
    assert raw("GET", root + "/health")[0] == 200
    assert raw("GET", root + "/metrics")[0] == 401
    status, text = raw("GET", root + "/metrics", headers={"Authorization": f"Bearer {key}"})
    assert status == 200 and "refinery_completion_tokens_total" in text


passed = sum(results)
failed = len(results) - passed
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)

"""Load test client for scripts/load-test-server (loopback only, bounded)."""
import argparse
import asyncio
import re
import sys
import time
import urllib.request

import openai

parser = argparse.ArgumentParser()
parser.add_argument("--base-url", required=True)
parser.add_argument("--model", required=True)
parser.add_argument("--server-pid", type=int, required=True)
parser.add_argument("--clients", type=int, default=32)
parser.add_argument("--requests", type=int, default=10)
parser.add_argument("--max-tokens", type=int, default=64)
parser.add_argument("--deadline-ms", type=int, default=2000)
args = parser.parse_args()
assert args.base_url.startswith("http://127.0.0.1:"), "loopback only"

TOPICS = ["the sea", "a city at night", "bread", "mountains", "a red bicycle", "rain", "libraries", "coffee"]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def metrics_text():
    with urllib.request.urlopen(args.base_url.rsplit("/v1", 1)[0] + "/metrics", timeout=30) as r:
        return r.read().decode()


# When each request actually left the client (an httpx request hook, after the openai client
# built it): agent overshoot is measured from there, as the server cannot answer for the
# client's own time spent building requests. The overshoot from the call is printed too.
SENT = {}


async def note_sent(request):
    key = request.headers.get("x-load-test-request")
    if key:
        SENT[key] = time.monotonic()


async def one(client, n, agent):
    """(generated tokens, seconds, agent: (overshoot from the send, overshoot from the call, server
    elapsed_ms, outcome) or None); raises on any error."""
    prompt = f"Write a short paragraph about {TOPICS[n % len(TOPICS)]} (note {n})."
    key = f"{n}-{time.monotonic_ns()}"
    start = time.monotonic()
    if agent:
        stream = await client.chat.completions.create(
            model="agent:writer", messages=[{"role": "user", "content": prompt}], stream=True,
            stream_options={"include_usage": True},
            extra_headers={"X-Refinery-Deadline-Ms": str(args.deadline_ms), "X-Load-Test-Request": key})
    else:
        stream = await client.chat.completions.create(
            model=args.model, messages=[{"role": "user", "content": prompt}], stream=True, temperature=0,
            max_tokens=args.max_tokens, stream_options={"include_usage": True}, extra_headers={"X-Load-Test-Request": key})
    tokens, extension = 0, None
    async for chunk in stream:
        if chunk.usage:
            tokens = chunk.usage.completion_tokens
        if chunk.model_extra and "refinery" in chunk.model_extra:
            extension = chunk.model_extra["refinery"]
    end = time.monotonic()
    sent = SENT.pop(key, start)
    if agent and extension is None:
        raise RuntimeError("agent reply without its outcome")
    overshoot = None
    if agent:
        deadline = args.deadline_ms / 1000
        overshoot = (max(0.0, end - sent - deadline), max(0.0, end - start - deadline), extension.get("elapsed_ms"),
                     extension.get("outcome"))
    return tokens, end - start, overshoot


async def single_client(client, count=6):
    tokens = seconds = 0
    for i in range(count):
        t, s, _ = await one(client, 1000 + i, agent=False)
        tokens += t
        seconds += s
    return tokens / seconds


async def load_run(client, label):
    errors, tokens, overshoots = [], 0, []

    async def worker(c):
        nonlocal tokens
        for i in range(args.requests):
            n = c * args.requests + i
            agent = n % 4 == 0
            try:
                t, _, o = await one(client, n, agent)
                tokens += t
                if o is not None:
                    overshoots.append(o)
            except Exception as error:  # noqa: BLE001 - counted and reported
                errors.append(f"{type(error).__name__}: {error}")

    start = time.monotonic()
    await asyncio.gather(*(worker(c) for c in range(args.clients)))
    wall = time.monotonic() - start
    # The latest agent answers: how late the client saw them, and when the server had them
    # (elapsed_ms from arrival to the agent's answer, before it was written).
    worst = sorted(overshoots, reverse=True)[:3]
    from_call = sorted(o[1] for o in overshoots)
    overshoots = sorted(o[0] for o in overshoots)

    def p(values, q):
        return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else 0.0

    p99 = p(overshoots, 0.99) / 1000
    print(f"{label}: {args.clients}x{args.requests} requests in {wall:.1f} s, {len(errors)} errors, "
          f"{tokens} tokens ({tokens / wall:.1f} tok/s), agent requests {len(overshoots)}, "
          f"overshoot from the send p50 {p(overshoots, 0.5):.1f} ms, p99 {p(overshoots, 0.99):.1f} ms, "
          f"max {p(overshoots, 1):.1f} ms (from the call: p50 {p(from_call, 0.5):.1f}, p99 {p(from_call, 0.99):.1f} ms)")
    print("  latest agent answers: " + ", ".join(
        f"{o * 1000:.0f} ms late ({c * 1000:.0f} ms from the call; server answer ready after {ms} ms, {outcome})"
        for o, c, ms, outcome in worst))
    for e in errors[:5]:
        print("  error:", e)
    return len(errors), tokens / wall, p99


async def main():
    http = openai.DefaultAsyncHttpxClient(event_hooks={"request": [note_sent]})
    client = openai.AsyncOpenAI(base_url=args.base_url, api_key="unused", max_retries=0, timeout=180, http_client=http)
    await one(client, 0, agent=False)  # warm-up
    # The single-client rate is measured before and after the load runs, and the faster of the
    # two is the baseline (the machine's other load changes over minutes).
    single1 = await single_client(client)
    print(f"single client: {single1:.1f} tok/s")
    errors1, rate1, p99_1 = await load_run(client, "load run 1")
    rss1 = rss_kib(args.server_pid)
    errors2, rate2, p99_2 = await load_run(client, "load run 2")
    rss2 = rss_kib(args.server_pid)
    single2 = await single_client(client)
    single = max(single1, single2)
    print(f"single client again: {single2:.1f} tok/s; baseline {single:.1f} tok/s")
    growth = (rss2 - rss1) / rss1
    print(f"resident memory: {rss1 / 1024:.1f} MiB after run 1, {rss2 / 1024:.1f} MiB after run 2 ({growth * 100:+.1f}%)")
    cached = re.search(r"^refinery_prompt_cached_tokens_total (\S+)", metrics_text(), re.M)
    print(f"prompt tokens served from cache: {cached.group(1) if cached else 'n/a'}")
    speedup = min(rate1, rate2) / single
    print(f"aggregate: {rate1:.1f} and {rate2:.1f} tok/s = {rate1 / single:.2f}× and {rate2 / single:.2f}× the single client")
    checks = [
        ("0 errors", errors1 + errors2 == 0),
        (f"aggregate ≥ 2.5× single client ({speedup:.2f}×)", speedup >= 2.5),
        (f"agent overshoot p99 ≤ 50 ms ({max(p99_1, p99_2) * 1000:.1f} ms)", max(p99_1, p99_2) <= 0.050),
        (f"resident memory within 10% ({growth * 100:+.1f}%)", abs(growth) <= 0.10),
    ]
    for name, ok in checks:
        print(("ok   " if ok else "FAIL ") + name)
    passed = sum(ok for _, ok in checks)
    print(f"{passed} passed, {len(checks) - passed} failed")
    return 0 if passed == len(checks) else 1


sys.exit(asyncio.run(main()))

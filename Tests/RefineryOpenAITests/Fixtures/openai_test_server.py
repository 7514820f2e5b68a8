#!/usr/bin/env python3
"""A loopback OpenAI-compatible server with scripted replies, and a fault-injecting proxy.

Started by RefineryOpenAITests (and scripts/test-remote-llamacpp) as a subprocess:

    python3 openai_test_server.py [--upstream URL] [--port N]

It prints `PORT <n>` on its first stdout line and exits when its standard input closes, so
it never outlives the test process.

Scripted mode (no --upstream), `POST /s/<scenario>/<key>/v1/chat/completions`:
  ok, echo, tools, unknown-fields, crlf, mid-error, malformed, html, html200, badjson,
  status400, auth, auth-padded:<n>, truncate, truncate-mid-event, slow, stall-head, stall, big, drop-mid, done-open,
  flaky:<status>:<n>:<retry-after or ->  (first n attempts of <key> fail with <status>),
  drop:<n>  (first n attempts of <key> are closed without a reply),
  stats  (the reply's content is the JSON of what the server saw for <key>).

Proxy mode (--upstream URL), `POST /p/<fault>/<key>/<path on the upstream>`:
  pass, drop:<n>, status:<code>:<n>:<retry-after or ->, stall:<bytes>, cut:<bytes>,
  truncate:<bytes>  (bytes = how much of the upstream body to forward first);
  and `POST /p/stats/<key>/...` as above.
"""
import argparse
import http.client
import json
import os
import select
import socket
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATS = {}  # key -> {"attempts": n, "disconnects": n, "disconnect_wait_ms": [..]}
UPSTREAM = None


def stat(key):
    with LOCK:
        return STATS.setdefault(key, {"attempts": 0, "disconnects": 0, "completed": 0})


def bump(key, field, amount=1):
    with LOCK:
        STATS.setdefault(key, {"attempts": 0, "disconnects": 0, "completed": 0})[field] += amount
        return STATS[key][field]


def chunk_json(content=None, finish=None, tool_calls=None, role=None, extra=None):
    delta = {}
    if role:
        delta["role"] = role
    if content is not None:
        delta["content"] = content
    if tool_calls is not None:
        delta["tool_calls"] = tool_calls
    body = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 1700000000, "model": "scripted",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    if extra:
        body.update(extra)
    return body


USAGE = {"prompt_tokens": 12, "completion_tokens": 4, "total_tokens": 16, "prompt_tokens_details": {"cached_tokens": 3}}
TOOL_CALLS = [
    {"id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}},
    {"id": "call_b", "type": "function", "function": {"name": "get_time", "arguments": "{\"tz\":\"CET\"}"}},
]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    # -- low-level helpers -------------------------------------------------------------
    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def send_json(self, status, obj, headers=None):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def send_raw(self, status, content_type, data, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def start_stream(self, status=200, content_type="text/event-stream"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.wfile.flush()

    def write_chunk(self, data):
        if not data:
            return
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def end_stream(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def event(self, obj):
        self.write_chunk(b"data: " + json.dumps(obj).encode() + b"\n\n")

    def done(self):
        self.write_chunk(b"data: [DONE]\n\n")

    def abort(self):
        """Closes the connection abruptly (RST), mid-reply."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def wait_for_disconnect(self, key, limit=30.0):
        """Holds the connection open, sending nothing, until the client goes away."""
        start = time.monotonic()
        while time.monotonic() - start < limit:
            r, _, _ = select.select([self.connection], [], [], 0.005)
            if r:
                try:
                    if self.connection.recv(1, socket.MSG_PEEK) == b"":
                        break
                except OSError:
                    break
        bump(key, "disconnects")
        self.close_connection = True

    def stats_reply(self, key, stream):
        content = json.dumps(stat(key))
        if stream:
            self.start_stream()
            self.event(chunk_json(content=content, role="assistant"))
            self.event(chunk_json(finish="stop"))
            self.done()
            self.end_stream()
        else:
            self.send_json(200, {"id": "x", "object": "chat.completion", "created": 0, "model": "scripted",
                                 "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                              "finish_reason": "stop"}]})

    # -- routing -------------------------------------------------------------------------
    def do_GET(self):
        self.send_json(200, {"object": "list", "data": [{"id": "scripted", "object": "model"}]})

    def do_POST(self):
        parts = self.path.split("/")
        # ['', 's' or 'p', scenario, key, ...rest]
        if len(parts) < 5 or parts[1] not in ("s", "p"):
            self.send_json(404, {"error": {"message": "unknown path " + self.path, "type": "not_found"}})
            return
        scenario, key = urllib.parse.unquote(parts[2]), parts[3]
        body = self.read_body()
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            self.send_json(400, {"error": {"message": "invalid JSON body", "type": "invalid_request_error"}})
            return
        stream = bool(request.get("stream"))
        if scenario == "stats":
            self.stats_reply(key, stream)
            return
        attempt = bump(key, "attempts")
        if parts[1] == "p":
            self.proxy(scenario, key, attempt, "/" + "/".join(parts[4:]), body)
        else:
            self.scripted(scenario, key, attempt, request, body, stream)

    # -- scripted replies ------------------------------------------------------------------
    def ok(self, key, stream, content=("Hello", ", world", "!"), extra=None):
        if stream:
            self.start_stream()
            self.event(chunk_json(role="assistant", content="", extra=extra))
            for piece in content:
                self.event(chunk_json(content=piece, extra=extra))
            self.event(chunk_json(finish="stop", extra=extra))
            self.event({"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 1700000000,
                        "model": "scripted", "choices": [], "usage": USAGE})
            self.done()
            self.end_stream()
        else:
            reply = {"id": "chatcmpl-test", "object": "chat.completion", "created": 1700000000, "model": "scripted",
                     "choices": [{"index": 0, "message": {"role": "assistant", "content": "".join(content)},
                                  "finish_reason": "stop", "logprobs": None}], "usage": USAGE}
            if extra:
                reply.update(extra)
            self.send_json(200, reply)
        bump(key, "completed")

    def scripted(self, scenario, key, attempt, request, body, stream):
        name, _, arg = scenario.partition(":")
        if name == "ok":
            self.ok(key, stream)
        elif name == "echo":
            self.ok(key, stream, content=(body.decode(),))
        elif name == "flaky":
            status, n, retry_after = arg.split(":")
            if attempt <= int(n):
                headers = {} if retry_after == "-" else {"Retry-After": retry_after}
                self.send_json(int(status), {"error": {"message": "try again later", "type": "server_error",
                                                       "code": "rate_limit_exceeded" if status == "429" else None}},
                               headers)
            else:
                self.ok(key, stream)
        elif name == "drop":
            if attempt <= int(arg):
                self.abort()
            else:
                self.ok(key, stream)
        elif name == "tools":
            if stream:
                self.start_stream()
                self.event(chunk_json(role="assistant", content=None))
                self.event(chunk_json(tool_calls=[{"index": 0, "id": "call_a", "type": "function",
                                                   "function": {"name": "get_weather", "arguments": ""}}]))
                self.event(chunk_json(tool_calls=[{"index": 1, "id": "call_b", "type": "function",
                                                   "function": {"name": "get_time", "arguments": "{\"tz\""}}]))
                self.event(chunk_json(tool_calls=[{"index": 0, "function": {"arguments": "{\"city\": "}}]))
                self.event(chunk_json(tool_calls=[{"index": 1, "function": {"arguments": ":\"CET\"}"}}]))
                self.event(chunk_json(tool_calls=[{"index": 0, "function": {"arguments": "\"Paris\"}"}}]))
                self.event(chunk_json(finish="tool_calls"))
                self.done()
                self.end_stream()
            else:
                self.send_json(200, {"id": "x", "object": "chat.completion", "created": 0, "model": "scripted",
                                     "choices": [{"index": 0, "message": {"role": "assistant", "content": None,
                                                                          "tool_calls": TOOL_CALLS},
                                                  "finish_reason": "tool_calls"}], "usage": USAGE})
        elif name == "unknown-fields":
            self.ok(key, stream, extra={"x_vendor": {"nested": [1, 2, {"deep": True}]}, "system_fingerprint": "fp_1",
                                        "service_tier": "default"})
        elif name == "crlf":
            text = (b": keep-alive comment\r\n\r\n"
                    + b"data: " + json.dumps(chunk_json(content="Hel")).encode() + b"\r\n\r\n"
                    + b"event: message\r\ndata: " + json.dumps(chunk_json(content="lo")).encode() + b"\r\n\r\n"
                    + b"data: " + json.dumps(chunk_json(finish="stop")).encode() + b"\r\r"
                    + b"data: [DONE]\r\n\r\n")
            self.start_stream()
            for i in range(len(text)):  # one byte per chunk
                self.write_chunk(text[i:i + 1])
            self.end_stream()
        elif name == "mid-error":
            self.start_stream()
            self.event(chunk_json(content="partial "))
            self.event({"error": {"message": "The model is overloaded", "type": "server_error", "code": "overloaded"}})
            self.end_stream()
        elif name == "malformed":
            self.start_stream()
            self.write_chunk(b"data: {\"choices\": [{\"delta\": {\"content\": \"x\"}\n\n")
            self.done()
            self.end_stream()
        elif name == "html":
            page = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>" + b"x" * 4000 + b"</body></html>"
            self.send_raw(502, "text/html", page)
        elif name == "html200":
            self.send_raw(200, "text/html; charset=utf-8", b"<!DOCTYPE html><html><body>Please log in</body></html>")
        elif name == "badjson":
            self.send_raw(200, "application/json", b"{\"id\": \"x\", \"choices\": [")
        elif name == "status400":
            self.send_json(400, {"error": {"message": "Invalid 'messages': empty array", "type": "invalid_request_error",
                                           "param": "messages", "code": "invalid_value"}})
        elif name == "auth":
            auth = self.headers.get("Authorization", "")
            given = auth[len("Bearer "):] if auth.startswith("Bearer ") else auth
            self.send_json(401, {"error": {"message": "Incorrect API key provided: " + given, "type": "invalid_request_error",
                                           "code": "invalid_api_key"}})
        elif name == "auth-padded":  # the key echoed after <arg> bytes of padding, as a plain-text body
            auth = self.headers.get("Authorization", "")
            self.send_raw(401, "text/plain", b"x" * int(arg) + auth.encode() + b"y" * 100)
        elif name == "truncate":
            self.start_stream()
            self.event(chunk_json(role="assistant", content="Hel"))
            self.event(chunk_json(content="lo"))
            self.end_stream()
        elif name == "truncate-mid-event":
            self.start_stream()
            self.event(chunk_json(content="Hel"))
            self.write_chunk(b"data: {\"choices\": [{\"index\": 0, \"delta\": {\"content\": \"lo\"}}]}\n")
            self.end_stream()
        elif name == "drop-mid":
            self.start_stream()
            self.event(chunk_json(content="Hel"))
            time.sleep(0.05)
            self.abort()
        elif name == "slow":
            self.start_stream()
            try:
                start = time.monotonic()
                while time.monotonic() - start < 60:
                    self.event(chunk_json(content="tick "))
                    time.sleep(0.02)
            except OSError:
                pass
            bump(key, "disconnects")
            self.close_connection = True
        elif name == "done-open":
            self.start_stream()
            self.event(chunk_json(content="Hello"))
            self.event(chunk_json(finish="stop"))
            self.done()
            self.wait_for_disconnect(key)
        elif name == "stall-head":
            self.wait_for_disconnect(key)
        elif name == "stall":
            self.start_stream()
            self.event(chunk_json(content="Hel"))
            self.wait_for_disconnect(key)
        elif name == "big":
            count = int(arg or "4000")
            self.start_stream()
            piece = "y" * 100
            batch = b"".join(b"data: " + json.dumps(chunk_json(content=piece)).encode() + b"\n\n" for _ in range(100))
            for _ in range(count // 100):
                self.write_chunk(batch)
            self.event(chunk_json(finish="length"))
            self.done()
            self.end_stream()
            bump(key, "completed")
        else:
            self.send_json(404, {"error": {"message": "unknown scenario " + scenario, "type": "not_found"}})

    # -- the fault-injecting proxy -------------------------------------------------------------
    def proxy(self, fault, key, attempt, path, body):
        name, _, arg = fault.partition(":")
        if name == "drop" and attempt <= int(arg):
            self.abort()
            return
        if name == "status":
            code, n, retry_after = arg.split(":")
            if attempt <= int(n):
                headers = {} if retry_after == "-" else {"Retry-After": retry_after}
                self.send_json(int(code), {"error": {"message": "injected %s" % code, "type": "server_error"}}, headers)
                return
        up = urllib.parse.urlsplit(UPSTREAM)
        conn = http.client.HTTPConnection(up.hostname, up.port, timeout=120)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
        conn.request("POST", up.path.rstrip("/") + path, body=body, headers=headers)
        resp = conn.getresponse()
        limit = int(arg) if name in ("stall", "cut", "truncate") else None
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                self.send_header(k, v)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        sent = 0
        try:
            while True:
                data = resp.read1(65536)
                if not data:
                    break
                if limit is not None and sent + len(data) >= limit:
                    self.write_chunk(data[:limit - sent])
                    sent = limit
                    break
                self.write_chunk(data)
                sent += len(data)
            if limit is not None and sent >= limit:
                if name == "stall":
                    self.wait_for_disconnect(key)
                elif name == "cut":
                    self.abort()
                else:
                    self.end_stream()
                    self.close_connection = True
            else:
                self.end_stream()
        except OSError:
            self.close_connection = True
        finally:
            conn.close()


def main():
    global UPSTREAM
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--upstream")
    args = parser.parse_args()
    UPSTREAM = args.upstream
    ThreadingHTTPServer.daemon_threads = True
    # Clients that hang up mid-request are part of the tests, not errors to print.
    ThreadingHTTPServer.handle_error = lambda self, request, address: None
    ThreadingHTTPServer.request_queue_size = 256
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print("PORT %d" % server.server_address[1], flush=True)

    def watch_stdin():
        try:
            while sys.stdin.buffer.read(1):
                pass
        except OSError:
            pass
        os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A fake Lambda Runtime API (2018-06-01) for the bootstrap's integration tests.

Serves a queue of events on GET /2018-06-01/runtime/invocation/next, records
every POST .../response, .../error and /runtime/init/error, and when the queue
is empty answers `next` with 500 (a Runtime API that wants the runtime gone),
writes what it recorded to --results as JSON and exits.

Events file: one JSON object per line:
  {"payload": "<the event body, any bytes as a string>", "deadline_in_ms": 60000}
Results: a JSON array, one entry per request the runtime answered:
  {"request_id", "kind": "response"|"error"|"init_error", "body": str,
   "error_type": header or null, "content_type": header or null}
Port: binds 127.0.0.1:0 and writes the port to --port-file once listening.
Test code only.
"""
import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"


class State:
    def __init__(self, events):
        self.events = list(events)
        self.next_index = 0
        self.results = []
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.pending = {}


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # quiet: the test prints what matters
            pass

        def _send(self, code, body=b"", headers=None):
            self.send_response(code)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path != PREFIX + "/invocation/next":
                self._send(404, b'{"errorType":"NotFound"}')
                return
            with state.lock:
                if state.next_index >= len(state.events):
                    ev = None
                else:
                    ev = state.events[state.next_index]
                    rid = "req-%04d" % state.next_index
                    state.next_index += 1
            if ev is None:
                self._send(500, b'{"errorType":"Fake.Shutdown","errorMessage":"no more events"}',
                           {"Content-Type": "application/json"})
                state.done.set()
                return
            body = ev["payload"].encode("utf-8", "surrogateescape")
            deadline = int(time.time() * 1000) + int(ev.get("deadline_in_ms", 60000))
            self._send(200, body, {
                "Content-Type": "application/json",
                "Lambda-Runtime-Aws-Request-Id": rid,
                "Lambda-Runtime-Deadline-Ms": str(deadline),
                "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:000000000000:function:wren",
            })

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n).decode("utf-8", "replace")
            path = self.path
            entry = {
                "body": body,
                "error_type": self.headers.get("Lambda-Runtime-Function-Error-Type"),
                "content_type": self.headers.get("Content-Type"),
            }
            if path == PREFIX + "/init/error":
                entry.update(kind="init_error", request_id=None)
                with state.lock:
                    state.results.append(entry)
                self._send(202, b'{"status":"OK"}', {"Content-Type": "application/json"})
                state.done.set()
                return
            parts = path[len(PREFIX):].split("/")  # ['', 'invocation', id, verb]
            if len(parts) != 4 or parts[1] != "invocation" or parts[3] not in ("response", "error"):
                self._send(404, b'{"errorType":"NotFound"}')
                return
            entry.update(kind=parts[3], request_id=parts[2])
            with state.lock:
                if any(r["request_id"] == parts[2] for r in state.results):
                    self._send(400, b'{"errorType":"InvalidStateTransition"}')
                    return
                state.results.append(entry)
            self._send(202, b'{"status":"OK"}', {"Content-Type": "application/json"})

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()
    with open(a.events) as f:
        events = [json.loads(line) for line in f if line.strip()]
    state = State(events)
    srv = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, a.port_file)
    ok = state.done.wait(a.timeout)
    time.sleep(0.05)  # let a last in-flight POST land
    srv.shutdown()
    with state.lock:
        results = list(state.results)
    with open(a.results + ".tmp", "w") as f:
        json.dump(results, f, indent=1)
    os.rename(a.results + ".tmp", a.results)
    if not ok:
        print("fake_runtime_api: timed out after %.0f s with %d results" % (a.timeout, len(results)),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""A minimal Lambda Runtime API (2018-06-01) for the layer tests.

Serves the events of EVENTS_FILE (one JSON document per line) to whoever asks
for /runtime/invocation/next, in order, and appends one JSON line per answer
to RESULTS_FILE:
    {"request_id": "...", "ok": true, "body": <response, parsed if JSON>}
    {"request_id": "...", "ok": false, "error_type": "...", "body": {...}}
    {"init_error": true, "error_type": "...", "body": {...}}
Once every event is served, `next` blocks (as Lambda's does) until the server
is killed. Binds 127.0.0.1:0 and writes the port it got to PORT_FILE.

Usage: fake_runtime_api.py EVENTS_FILE RESULTS_FILE PORT_FILE
Used until (and beside) wren's own emulator; it checks nothing but the paths.
"""
import http.server
import json
import os
import sys
import threading
import time


def main():
    events_path, results_path, port_path = sys.argv[1:4]
    with open(events_path) as f:
        events = [line.strip() for line in f if line.strip()]
    lock = threading.Lock()
    state = {"next": 0}
    forever = threading.Event()

    def record(entry):
        with lock, open(results_path, "a") as out:
            out.write(json.dumps(entry) + "\n")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # quiet: the test prints what matters
            pass

        def reply(self, status, body=b"", headers=()):
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path != "/2018-06-01/runtime/invocation/next":
                return self.reply(404, b'{"errorMessage":"no such path"}')
            with lock:
                i = state["next"]
                state["next"] += 1
            if i >= len(events):
                forever.wait()
                return
            body = events[i].encode()
            self.reply(200, body, [
                ("Content-Type", "application/json"),
                ("Lambda-Runtime-Aws-Request-Id", "req-%04d" % i),
                ("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 60000)),
                ("Lambda-Runtime-Invoked-Function-Arn",
                 "arn:aws:lambda:us-east-1:123456789012:function:wren"),
                ("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0"),
            ])

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(n)
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
            parts = self.path.split("/")
            # /2018-06-01/runtime/invocation/{id}/{response|error}
            if len(parts) == 6 and parts[2:4] == ["runtime", "invocation"] and parts[5] in ("response", "error"):
                entry = {"request_id": parts[4], "ok": parts[5] == "response", "body": body}
                if parts[5] == "error":
                    entry["error_type"] = self.headers.get("Lambda-Runtime-Function-Error-Type", "")
                record(entry)
                return self.reply(202, b'{"status":"OK"}')
            if self.path == "/2018-06-01/runtime/init/error":
                record({"init_error": True, "body": body,
                        "error_type": self.headers.get("Lambda-Runtime-Function-Error-Type", "")})
                return self.reply(202, b'{"status":"OK"}')
            return self.reply(404, b'{"errorMessage":"no such path"}')

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    tmp = port_path + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, port_path)
    server.serve_forever()


if __name__ == "__main__":
    main()

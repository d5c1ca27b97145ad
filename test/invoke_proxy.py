#!/usr/bin/env python3
"""A misbehaving Invoke API for the fault matrix (test/integration/faults_endpoint.sh):
an HTTP proxy in front of a real `wren emulator` that, by option,
  --throttle-s S   answers every invoke 429 TooManyRequestsException for the first S seconds
                   after the first invoke it sees, then forwards;
  --drop N         closes the connection of the first N invokes after reading half their body
                   (a dropped connection mid-upload), without answering;
  --duplicate      forwards every Event invoke twice (Lambda delivers async events at least once);
  --lose N         forwards the first N invokes, then closes their connection without answering
                   (the event was accepted, its 202 lost: the client's retry delivers it again).
Prints its URL (http://127.0.0.1:PORT) as the first line on stdout, and after every invoke
writes its counts as JSON to --counts FILE. Stops on SIGTERM.
usage: invoke_proxy.py --upstream URL --counts FILE [--throttle-s S] [--drop N] [--duplicate] [--lose N]"""
import argparse
import http.client
import json
import os
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
COUNTS = {"invokes": 0, "throttled": 0, "dropped": 0, "forwarded": 0, "duplicated": 0, "lost": 0}
STATE = {"first": None}
OPTS = None


def save():
    tmp = OPTS.counts + ".tmp"
    with open(tmp, "w") as f:
        json.dump(COUNTS, f)
    os.replace(tmp, OPTS.counts)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def _answer(self, code, headers, body):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _forward(self, body):
        u = urllib.parse.urlsplit(OPTS.upstream)
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
        hdrs = {k: v for k, v in self.headers.items()
                if k.lower() not in ("host", "connection", "content-length")}
        c.request(self.command, self.path, body=body, headers=hdrs)
        r = c.getresponse()
        data = r.read()
        keep = [(k, v) for k, v in r.getheaders()
                if k.lower() not in ("content-length", "connection", "transfer-encoding", "date")]
        c.close()
        return r.status, keep, data

    def do_GET(self):
        code, hdrs, data = self._forward(None)
        self._answer(code, hdrs, data)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        now = time.monotonic()
        with LOCK:
            COUNTS["invokes"] += 1
            if STATE["first"] is None:
                STATE["first"] = now
            throttle = now - STATE["first"] < OPTS.throttle_s
            drop = not throttle and COUNTS["dropped"] < OPTS.drop
            lose = not throttle and not drop and COUNTS["lost"] < OPTS.lose
            if throttle:
                COUNTS["throttled"] += 1
            elif drop:
                COUNTS["dropped"] += 1
            elif lose:
                COUNTS["lost"] += 1
            save()
        if drop:
            self.rfile.read(length // 2)
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        body = self.rfile.read(length)
        if throttle:
            msg = json.dumps({"Type": "User", "message": "Rate exceeded"}).encode()
            self._answer(429, [("Content-Type", "application/json"),
                               ("X-Amzn-ErrorType", "TooManyRequestsException")], msg)
            return
        code, hdrs, data = self._forward(body)
        event = self.headers.get("X-Amz-Invocation-Type", "") == "Event"
        if OPTS.duplicate and event and code == 202:
            code2, _, _ = self._forward(body)
            with LOCK:
                COUNTS["duplicated"] += code2 == 202
        with LOCK:
            COUNTS["forwarded"] += 1
            save()
        if lose:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self._answer(code, hdrs, data)


def main():
    global OPTS
    p = argparse.ArgumentParser()
    p.add_argument("--upstream", required=True)
    p.add_argument("--counts", required=True)
    p.add_argument("--throttle-s", type=float, default=0.0)
    p.add_argument("--drop", type=int, default=0)
    p.add_argument("--duplicate", action="store_true")
    p.add_argument("--lose", type=int, default=0)
    OPTS = p.parse_args()
    save()
    # socketserver's default backlog of 5 drops the SYNs of the invoker's 64
    # connections opened at once; each then waits out TCP's 1, 3, 7, 15 s resends.
    ThreadingHTTPServer.request_queue_size = 256
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    print("http://127.0.0.1:%d" % srv.server_address[1], flush=True)
    import signal
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    srv.serve_forever()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A misbehaving S3 for the AWS-backend fault matrix (test/integration/faults_aws_*.sh):
an HTTP proxy in front of moto_server that forwards requests untouched (Host included,
so SigV4 signatures still verify upstream) and, by option, breaks some of them:
  --fail-file PATH   while PATH exists, every request is answered with an S3 error without
                     being forwarded: 503 SlowDown and 500 InternalError in turn;
  --rule METHOD:REGEX:ACTION:N
                     the first N requests (0: all) of METHOD whose path matches REGEX
                     (re.search) get ACTION; with N > 0 each path at most once, so the
                     client's retry of that request goes through:
                       drop     read half the request body, close without an answer
                                (a connection dropped mid-upload; nothing reaches S3);
                       cut      forward, answer with the full Content-Length but only half
                                the body, close (a download cut short);
                       garbage  forward, answer 200 with garbage of the same length instead
                                of the object (a corrupted object);
                       short    forward, answer 200 with the first half of the object and a
                                matching Content-Length (a truncated object).
                     Repeatable; the first matching rule with tries left applies.
Prints its URL (http://127.0.0.1:PORT) as the first line on stdout and keeps its counts
as JSON in --counts FILE (forwarded, failed, and one count per action). Stops on SIGTERM.
usage: s3_fault_proxy.py --upstream URL --counts FILE [--fail-file PATH] [--rule R ...]"""
import argparse
import http.client
import json
import os
import re
import signal
import socket
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
COUNTS = {"requests": 0, "forwarded": 0, "failed": 0, "drop": 0, "cut": 0, "garbage": 0, "short": 0, "client_gone": 0}
RULES = []
OPTS = None
ERRORS = [(503, "SlowDown", "Please reduce your request rate."),
          (500, "InternalError", "We encountered an internal error. Please try again.")]


def save():
    tmp = OPTS.counts + ".tmp"
    with open(tmp, "w") as f:
        json.dump(COUNTS, f)
    os.replace(tmp, OPTS.counts)


def parse_rule(text):
    method, rest = text.split(":", 1)
    pattern, action, n = rest.rsplit(":", 2)
    if action not in ("drop", "cut", "garbage", "short"):
        raise argparse.ArgumentTypeError("unknown action " + action)
    return {"method": method.upper(), "re": re.compile(pattern), "action": action, "left": int(n) or -1,
            "hit": set()}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def _answer(self, code, headers, body, length=None, head=False):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _forward(self, body):
        u = urllib.parse.urlsplit(OPTS.upstream)
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
        # Everything as the client sent it, Host too: the signature covers it.
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "expect")}
        c.request(self.command, self.path, body=body, headers=hdrs)
        r = c.getresponse()
        data = r.read()
        keep = [(k, v) for k, v in r.getheaders()
                if k.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server")]
        length = r.getheader("Content-Length")
        c.close()
        return r.status, keep, data, length

    def _rule(self):
        for rule in RULES:
            if rule["left"] != 0 and rule["method"] == self.command and rule["re"].search(self.path):
                if rule["left"] > 0:
                    if self.path in rule["hit"]:
                        continue
                    rule["hit"].add(self.path)
                    rule["left"] -= 1
                return rule["action"]
        return None

    def _close(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _handle(self):
        length = int(self.headers.get("Content-Length", "0"))
        with LOCK:
            COUNTS["requests"] += 1
            failing = OPTS.fail_file and os.path.exists(OPTS.fail_file)
            action = None if failing else self._rule()
            if failing:
                COUNTS["failed"] += 1
                err = ERRORS[COUNTS["failed"] % 2]
            elif action:
                COUNTS[action] += 1
            save()
        if action == "drop":
            self.rfile.read(length // 2)
            self._close()
            return
        body = self.rfile.read(length) if length else None
        head = self.command == "HEAD"
        if failing:
            xml = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message>"
                   "<RequestId>fault-proxy</RequestId></Error>" % (err[1], err[2])).encode()
            self._answer(err[0], [("Content-Type", "application/xml")], xml, head=head)
            return
        code, hdrs, data, up_length = self._forward(body)
        with LOCK:
            COUNTS["forwarded"] += 1
            save()
        if head:
            self._answer(code, hdrs, b"", length=int(up_length or 0), head=True)
        elif action == "cut" and code == 200 and len(data) > 1:
            self._answer(code, hdrs, data[: len(data) // 2], length=len(data))
            self.wfile.flush()
            self._close()
        elif action == "garbage" and code == 200:
            junk = (b"\xc1\x93\xff not what was stored " * (len(data) // 24 + 1))[: max(len(data), 8)]
            self._answer(code, [(k, v) for k, v in hdrs if k.lower() not in ("etag", "content-md5")], junk)
        elif action == "short" and code == 200:
            self._answer(code, [(k, v) for k, v in hdrs if k.lower() not in ("etag", "content-md5")],
                         data[: len(data) // 2])
        else:
            self._answer(code, hdrs, data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 drops the SYNs of many clients
    # connecting at once, and each then waits out TCP's 1, 3, 7, 15 s resends.
    request_queue_size = 256

    def handle_error(self, request, client_address):
        # A client that went away mid-answer (a worker killed at its deadline):
        # counted, not printed.
        with LOCK:
            COUNTS["client_gone"] += 1
            save()


def main():
    global OPTS
    p = argparse.ArgumentParser()
    p.add_argument("--upstream", required=True)
    p.add_argument("--counts", required=True)
    p.add_argument("--fail-file")
    p.add_argument("--rule", action="append", type=parse_rule, default=[])
    OPTS = p.parse_args()
    RULES.extend(OPTS.rule)
    save()
    srv = Server(("127.0.0.1", 0), Handler)
    print("http://127.0.0.1:%d" % srv.server_address[1], flush=True)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    srv.serve_forever()


if __name__ == "__main__":
    main()

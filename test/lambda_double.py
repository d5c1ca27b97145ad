#!/usr/bin/env python3
"""A test double of the Lambda Invoke API for check_lambda_invoke.

POST /2015-03-31/functions/NAME/invocations with a JSON body
{"id": N, "mode": M}. Every request's SigV4 signature is checked with
botocore against the one secret given on the command line (service
"lambda"); a bad one gets 403 InvalidSignatureException, as Lambda answers.
Modes (attempt counted per id, from 1):
  ok          202
  throttle    429 TooManyRequestsException {"retryAfterSeconds": "1"} on
              attempt 1, then 202
  retryafter  429 with a "Retry-After: 1" header (no body field) on
              attempt 1, then 202
  err500x2    500 on attempts 1 and 2, then 202
  err500      500 always
Each request is logged as one JSON line to LOG (flushed at once):
{"id", "attempt", "t_ms" (monotonic), "code", "sig_ok", "token",
 "signed_headers"}.
Prints the port on stdout once listening on 127.0.0.1 (port 0: the OS picks).
Usage: lambda_double.py ACCESS_KEY SECRET REGION LOG
"""
import datetime
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AKID, SECRET, REGION, LOG = sys.argv[1:5]
LOCK = threading.Lock()
ATTEMPTS = {}
LOG_F = open(LOG, "a", buffering=1)
AUTH_RE = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                     r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$")


def check_signature(handler, body):
    """Re-signs the request with botocore from the headers it says it signed."""
    auth = handler.headers.get("Authorization", "")
    m = AUTH_RE.match(auth)
    if not m or m.group(1) != AKID or m.group(3) != REGION or m.group(4) != "lambda":
        return False, ""
    signed = m.group(5).split(";")
    amz_date = handler.headers.get("X-Amz-Date", "")
    t = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
    token = handler.headers.get("X-Amz-Security-Token")
    url = "http://" + handler.headers["Host"] + handler.path
    req = AWSRequest(method="POST", url=url, data=body)
    for name in signed:
        if name in ("host", "x-amz-date", "x-amz-security-token"):
            continue  # botocore sets these itself
        req.headers[name] = handler.headers.get(name, "")
    with LOCK:  # get_current_datetime is module state
        botocore.auth.get_current_datetime = lambda: t
        botocore.auth.SigV4Auth(Credentials(AKID, SECRET, token), "lambda", REGION).add_auth(req)
    return req.headers["Authorization"] == auth, m.group(5)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        sig_ok, signed = check_signature(self, body)
        try:
            ev = json.loads(body)
            cid, mode = ev["id"], ev["mode"]
        except (ValueError, KeyError):
            cid, mode = -1, "bad"
        with LOCK:
            attempt = ATTEMPTS.get(cid, 0) + 1
            ATTEMPTS[cid] = attempt
        hdrs = [("Content-Type", "application/json")]
        if not sig_ok:
            code = 403
            out = {"message": "The request signature we calculated does not match the signature you provided."}
            hdrs.append(("x-amzn-ErrorType", "InvalidSignatureException"))
        elif mode == "throttle" and attempt == 1:
            code = 429
            out = {"Reason": "ReservedFunctionConcurrentInvocationLimitExceeded", "Type": "User",
                   "message": "Rate Exceeded.", "retryAfterSeconds": "1"}
            hdrs.append(("x-amzn-ErrorType", "TooManyRequestsException"))
        elif mode == "retryafter" and attempt == 1:
            code = 429
            out = {"Type": "User", "message": "Rate Exceeded."}
            hdrs.append(("Retry-After", "1"))
        elif (mode == "err500x2" and attempt <= 2) or mode == "err500":
            code = 500
            out = {"Type": "Service", "message": "internal"}
            hdrs.append(("x-amzn-ErrorType", "ServiceException"))
        elif mode == "bad":
            code = 400
            out = {"message": "bad body"}
        else:
            code, out = 202, None
        LOG_F.write(json.dumps({"id": cid, "attempt": attempt, "t_ms": time.monotonic() * 1000, "code": code,
                                "sig_ok": sig_ok, "token": self.headers.get("X-Amz-Security-Token"),
                                "signed_headers": signed}) + "\n")
        self.answer(code, json.dumps(out).encode() if out is not None else b"", hdrs)


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()

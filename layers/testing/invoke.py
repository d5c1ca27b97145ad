#!/usr/bin/env python3
"""Invokes FUNCTION on a Lambda Invoke API (wren's emulator) once per line of
EVENTS_FILE, in order and synchronously, and writes one JSON line per answer
to RESULTS_FILE in the fake Runtime API's format:
    {"request_id": "req-0000", "ok": true, "body": {...}}
    {"request_id": "req-0001", "ok": false, "error_type": "...", "body": {...}}
(request ids count the events, so both sources are checked the same way).

Usage: invoke.py URL FUNCTION EVENTS_FILE RESULTS_FILE
"""
import json
import sys
import urllib.request


def main():
    url, function, events_path, results_path = sys.argv[1:5]
    with open(events_path) as f:
        events = [line.strip() for line in f if line.strip()]
    with open(results_path, "w") as out:
        for i, event in enumerate(events):
            req = urllib.request.Request("%s/2015-03-31/functions/%s/invocations" % (url, function),
                                         data=event.encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=120) as resp:
                raw = resp.read()
                error = resp.headers.get("X-Amz-Function-Error")
            body = json.loads(raw)
            entry = {"request_id": "req-%04d" % i, "ok": not error, "body": body}
            if error:
                entry["error_type"] = body.get("errorType", "") if isinstance(body, dict) else ""
            out.write(json.dumps(entry) + "\n")
            out.flush()


if __name__ == "__main__":
    main()

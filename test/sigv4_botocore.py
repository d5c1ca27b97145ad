#!/usr/bin/env python3
"""Reference signer for check_sigv4's differential test.

Reads one JSON request description per line on stdin and prints, per line,
the Authorization header botocore computes for it (or "ERROR <text>").
Fields: method, url (scheme://host/path as sent, no query), headers [[n, v]],
params [[k, v]] (decoded), body_b64, access_key, secret_key, token, region,
service, s3 (bool: S3 rules), unsigned (bool: UNSIGNED-PAYLOAD), time (epoch s).
"""
import base64
import datetime
import json
import sys

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials


def sign(d):
    t = datetime.datetime.fromtimestamp(d["time"], tz=datetime.timezone.utc).replace(tzinfo=None)
    botocore.auth.get_current_datetime = lambda: t
    creds = Credentials(d["access_key"], d["secret_key"], d.get("token") or None)
    body = base64.b64decode(d.get("body_b64", ""))
    req = AWSRequest(method=d["method"], url=d["url"], data=body,
                     params=[tuple(p) for p in d.get("params", [])])
    for name, value in d.get("headers", []):
        # HTTPHeaders is an email.message map: assigning appends, so repeated
        # names are kept in order, as on the wire.
        req.headers[name] = value
    if d.get("s3"):
        if d.get("unsigned"):
            req.context["client_config"] = Config(s3={"payload_signing_enabled": False})
        signer = botocore.auth.S3SigV4Auth(creds, d["service"], d["region"])
    else:
        signer = botocore.auth.SigV4Auth(creds, d["service"], d["region"])
    signer.add_auth(req)
    return req.headers["Authorization"]


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            print(sign(json.loads(line)))
        except Exception as e:  # report, keep going: one line out per line in
            print("ERROR " + repr(e).replace("\n", " "))
        sys.stdout.flush()


if __name__ == "__main__":
    main()

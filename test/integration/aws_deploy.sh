#!/usr/bin/env bash
# wren deploy against moto_server's IAM, S3, CloudWatch Logs and Lambda APIs
# with signature checking on for every call: the first run creates everything,
# the second changes nothing, later runs update only what differs (and repair
# drift); boto3 reads every resource back; a wrong secret is refused; usage
# errors are clear.
source "$(dirname "$0")/lib.sh"
W="$WREN_BIN_DIR/wren"
command -v moto_server >/dev/null || { echo "SKIP: moto_server is not on PATH (pip install 'moto[server]')"; exit 77; }
python3 -c 'import boto3' 2>/dev/null || { echo "SKIP: python3 has no boto3"; exit 77; }

"$W" deploy --help | grep -q "usage: wren deploy --bucket NAME" || fail "deploy --help"
usage() { # usage EXPECTED-STDERR-LINE ARGS...: exit 2 with that line
  local want=$1 rc
  shift
  set +e
  "$W" deploy "$@" 2>"$WREN_TMP/e"; rc=$?
  set -e
  [ $rc = 2 ] && grep -qxF "$want" "$WREN_TMP/e" || fail "deploy $*: exit $rc: $(cat "$WREN_TMP/e")"
}
usage "wren deploy: --bucket is required"
usage "wren deploy: bad value '5' for --memory" --bucket b --memory 5
usage "wren deploy: bad value '13' for --log-retention-days" --bucket b --log-retention-days 13
usage "wren deploy: bad value 's3,ec2' for --steps" --bucket b --steps s3,ec2
# --help documents every option the parser takes.
opts=$(grep -o 'strcmp(a, "--[a-z-]*")' "$WREN_SOURCE_DIR/cli/cmd_deploy.c" | grep -o -- '--[a-z-]*')
[ "$(echo "$opts" | wc -l)" -ge 15 ] || fail "options not found in cmd_deploy.c: $opts"
for opt in $opts; do
  "$W" deploy --help | grep -q -- "^  $opt\\b" || fail "deploy --help does not document $opt"
done

budget=30
mport=$(wren_free_port)
INITIAL_NO_AUTH_ACTION_COUNT=$budget moto_server -H 127.0.0.1 -p "$mport" >"$WREN_TMP/moto.log" 2>&1 &
WREN_PIDS+=($!)
wren_wait_port "$mport" 30
EP="http://127.0.0.1:$mport"
# In the unauthenticated budget: a deploying user allowed everything, and its key.
read -r akid secret < <(python3 - "$EP" "$budget" <<'EOF'
import json, sys
import boto3
ep, budget = sys.argv[1], int(sys.argv[2])
iam = boto3.client("iam", endpoint_url=ep, region_name="us-east-1",
                   aws_access_key_id="setup", aws_secret_access_key="setup")
used = 0
iam.create_user(UserName="deployer"); used += 1
iam.put_user_policy(UserName="deployer", PolicyName="all", PolicyDocument=json.dumps({
    "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})); used += 1
key = None
while used + 2 <= budget:
    k = iam.create_access_key(UserName="deployer")["AccessKey"]; used += 1
    if "+" not in k["SecretAccessKey"] and "=" not in k["SecretAccessKey"]:  # moto miscomputes those
        key = k
        break
    iam.delete_access_key(UserName="deployer", AccessKeyId=k["AccessKeyId"]); used += 1
assert key, "no usable key within the budget"
while used < budget:
    iam.list_users(); used += 1
print(key["AccessKeyId"], key["SecretAccessKey"])
EOF
)
[ -n "$secret" ] || fail "moto set-up"
export AWS_ACCESS_KEY_ID=$akid AWS_SECRET_ACCESS_KEY=$secret AWS_REGION=eu-west-1
export AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
export AWS_ENDPOINT_URL_IAM=$EP AWS_ENDPOINT_URL_S3=$EP AWS_ENDPOINT_URL_LAMBDA=$EP AWS_ENDPOINT_URL_CLOUDWATCH_LOGS=$EP
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL AWS_DEFAULT_REGION || true

# moto 5's limitation, asserted with botocore itself: a Lambda request with
# no body (GetFunction, ListLayerVersions, ...) is checked against the hash
# of a body moto makes up from the request's own headers, so botocore's
# correct signature is refused. With X-Amz-Content-SHA256 signed (the AWS SDK
# for JavaScript v3 sends it to every service; wren deploy sends it on every
# Lambda call) moto takes the hash from that header and the same GET passes,
# while a wrong secret still fails. See docs/aws.md.
python3 - "$EP" <<'EOF' || fail "moto's Lambda GET check is not as documented"
import sys, boto3, botocore.exceptions
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
def client(secret_suffix="", with_sha=False):
    c = boto3.client("lambda", endpoint_url=sys.argv[1], region_name="eu-west-1")
    if secret_suffix:
        cr = c._request_signer._credentials
        c = boto3.client("lambda", endpoint_url=sys.argv[1], region_name="eu-west-1",
                         aws_access_key_id=cr.access_key, aws_secret_access_key=cr.secret_key + secret_suffix)
    if with_sha:
        c.meta.events.register("before-sign.lambda.*", lambda request, **_: request.headers.__setitem__(
            "X-Amz-Content-SHA256", EMPTY_SHA256))
    return c
def refused(c):
    try:
        c.list_functions()
        return False
    except botocore.exceptions.ClientError as e:
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 403 and "SignatureDoesNotMatch" in str(e), e
        return True
if not refused(client()):
    sys.exit("moto now accepts botocore's plain signed Lambda GET: update this check and docs/aws.md")
assert client(with_sha=True).list_functions()["Functions"] == []
assert refused(client("x", with_sha=True)), "moto accepted a wrong secret on a Lambda GET"
EOF

# A small stand-in layer (the real one is 30 MB; deploy reads any zip).
mklayer() { python3 -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("bootstrap", "#!/bin/sh\n# " + sys.argv[2] + "\n")' "$1" "$2"; }
mklayer "$WREN_TMP/layer1.zip" one
mklayer "$WREN_TMP/layer2.zip" two
D=("$W" deploy --bucket wren-jobs --function wren-fn --layer-zip "$WREN_TMP/layer1.zip")

# moto takes the payload hash from X-Amz-Content-SHA256 when it is signed and
# never compares it with the body (botocore's canonical_request does the
# same); AWS does. So the first run's Lambda calls go through a proxy that
# checks each one: the header present, signed, and the body's real SHA-256.
cat >"$WREN_TMP/shaproxy.py" <<'EOF'
import hashlib, http.client, http.server, sys
up_port, log = int(sys.argv[1]), open(sys.argv[2], "a", buffering=1)
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def handle_one(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        sha = self.headers.get("X-Amz-Content-SHA256")
        signed = self.headers.get("Authorization", "").partition("SignedHeaders=")[2].partition(",")[0].split(";")
        ok = sha == hashlib.sha256(body).hexdigest() and "x-amz-content-sha256" in signed
        log.write("%s %s %s\n" % (self.command, self.path.split("?")[0], "ok" if ok else "BAD %r %r" % (sha, signed)))
        c = http.client.HTTPConnection("127.0.0.1", up_port, timeout=60)
        c.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for k, v in self.headers.items():
            c.putheader(k, v)
        c.endheaders(body)
        r = c.getresponse()
        data = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        c.close()
    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_one
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
EOF
coproc SHAPROXY { exec python3 "$WREN_TMP/shaproxy.py" "$mport" "$WREN_TMP/sha.log"; }
WREN_PIDS+=($SHAPROXY_PID)
read -r pport <&"${SHAPROXY[0]}"
[ -n "$pport" ] || fail "sha proxy"

# 1. Every step, every call signed and checked: created, then unchanged.
AWS_ENDPOINT_URL_LAMBDA="http://127.0.0.1:$pport" "${D[@]}" >"$WREN_TMP/run1" 2>"$WREN_TMP/err1" \
    || fail "first deploy: $(cat "$WREN_TMP/err1")"
kill "$SHAPROXY_PID"
# ListLayerVersions, PublishLayerVersion, GetFunction, CreateFunction,
# GetFunctionConfiguration, Get/PutFunctionEventInvokeConfig.
sort -u "$WREN_TMP/sha.log" >"$WREN_TMP/sha.got"
cat >"$WREN_TMP/sha.want" <<'EOF'
GET /2015-03-31/functions/wren-fn ok
GET /2015-03-31/functions/wren-fn/configuration ok
GET /2018-10-31/layers/wren-fn/versions ok
GET /2019-09-25/functions/wren-fn/event-invoke-config ok
POST /2015-03-31/functions ok
POST /2018-10-31/layers/wren-fn/versions ok
PUT /2019-09-25/functions/wren-fn/event-invoke-config ok
EOF
diff "$WREN_TMP/sha.want" "$WREN_TMP/sha.got" || fail "Lambda calls' X-Amz-Content-SHA256"
cat >"$WREN_TMP/want1" <<'EOF'
role wren-fn-role                        created
role policy wren-job-bucket              created
bucket wren-jobs                         created
public access block (all four on)        created
default encryption SSE-S3                created
lifecycle jobs/ after 7 days             created
log group /aws/lambda/wren-fn (14 days)  created
layer wren-fn:1                          published
function wren-fn                         created
async invoke config (0 retries)          created
store: s3://wren-jobs/jobs
run:   WREN_BACKEND=aws WREN_STORE=s3://wren-jobs/jobs WREN_FUNCTION=wren-fn wren map ...
EOF
diff "$WREN_TMP/want1" "$WREN_TMP/run1" || fail "first deploy output"
sed -e 's/  created$/  unchanged/' -e 's/  published$/  unchanged/' "$WREN_TMP/want1" >"$WREN_TMP/want2"
"${D[@]}" >"$WREN_TMP/run2" 2>&1 || fail "second deploy: $(cat "$WREN_TMP/run2")"
diff "$WREN_TMP/want2" "$WREN_TMP/run2" || fail "second deploy should change nothing"
# --steps: only the steps named, in deploy's order.
"${D[@]}" --steps logs,s3 >"$WREN_TMP/run2b" 2>&1 || fail "steps deploy: $(cat "$WREN_TMP/run2b")"
sed -n -e '3,7p' -e '11,$p' "$WREN_TMP/want2" | diff - "$WREN_TMP/run2b" || fail "--steps logs,s3"

# A wrong secret: refused by moto's signature check, said clearly, exit 1.
badrun() { # badrun EXPECTED-STDERR-PREFIX ARGS...
  local want=$1 rc
  shift
  set +e
  AWS_SECRET_ACCESS_KEY="${secret}x" "${D[@]}" "$@" >"$WREN_TMP/bad.out" 2>"$WREN_TMP/bad.err"; rc=$?
  set -e
  [ $rc = 1 ] && grep -q "^wren deploy: $want" "$WREN_TMP/bad.err" || fail "wrong secret $*: $rc $(cat "$WREN_TMP/bad.err")"
  [ ! -s "$WREN_TMP/bad.out" ] || fail "wrong secret $*: printed $(cat "$WREN_TMP/bad.out")"
  ! grep -q -- "$secret" "$WREN_TMP/bad.err" || fail "the secret was printed"
}
badrun "GetRole: HTTP 403 SignatureDoesNotMatch: The request signature we calculated does not match"
badrun "HeadBucket wren-jobs: HTTP 403; GetBucketLocation: HTTP 403 SignatureDoesNotMatch" --steps s3
badrun "DescribeLogGroups: HTTP 403 SignatureDoesNotMatch" --steps logs

# A new memory size: the function's configuration only.
"${D[@]}" --memory 2048 >"$WREN_TMP/run5" 2>&1 || fail "memory deploy: $(cat "$WREN_TMP/run5")"
grep -qx "function wren-fn  *updated (configuration)" "$WREN_TMP/run5" || fail "memory change: $(cat "$WREN_TMP/run5")"
[ "$(grep -c ' unchanged$' "$WREN_TMP/run5")" = 9 ] || fail "memory change touched more: $(cat "$WREN_TMP/run5")"
# A new layer: version 2, and the function moves to it; a new expiry and retention.
"$W" deploy --bucket wren-jobs --function wren-fn --layer-zip "$WREN_TMP/layer2.zip" --memory 2048 \
    --expire-days 3 --log-retention-days 30 >"$WREN_TMP/run6" 2>&1 || fail "layer deploy: $(cat "$WREN_TMP/run6")"
grep -qx "layer wren-fn:2  *published" "$WREN_TMP/run6" || fail "new layer: $(cat "$WREN_TMP/run6")"
grep -qx "function wren-fn  *updated (configuration)" "$WREN_TMP/run6" || fail "function to layer 2"
grep -qx "lifecycle jobs/ after 3 days  *updated" "$WREN_TMP/run6" || fail "lifecycle update"
grep -qx "log group /aws/lambda/wren-fn (30 days)  *updated" "$WREN_TMP/run6" || fail "retention update"
[ "$(grep -c ' unchanged$' "$WREN_TMP/run6")" = 6 ] || fail "layer change touched more: $(cat "$WREN_TMP/run6")"

# Read everything back with boto3 (signed with the same key).
python3 - "$EP" <<'EOF' || fail "resources read back"
import json, sys, urllib.parse
import boto3
kw = dict(endpoint_url=sys.argv[1], region_name="eu-west-1")
lam, iam, s3 = boto3.client("lambda", **kw), boto3.client("iam", **kw), boto3.client("s3", **kw)
logs = boto3.client("logs", **kw)
# moto's Lambda GETs need X-Amz-Content-SHA256 signed (see above).
lam.meta.events.register("before-sign.lambda.*", lambda request, **_: request.headers.__setitem__(
    "X-Amz-Content-SHA256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))
c = lam.get_function(FunctionName="wren-fn")["Configuration"]
role = iam.get_role(RoleName="wren-fn-role")["Role"]
assert c["Runtime"] == "provided.al2023" and c["Handler"] == "wren", c
assert c["MemorySize"] == 2048 and c["Timeout"] == 300 and c["Role"] == role["Arn"], c
assert [l["Arn"] for l in c["Layers"]] == [lam.get_layer_version(LayerName="wren-fn", VersionNumber=2)["LayerVersionArn"]], c
trust = role["AssumeRolePolicyDocument"]
trust = json.loads(urllib.parse.unquote(trust)) if isinstance(trust, str) else trust
assert trust["Statement"] == [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                               "Action": "sts:AssumeRole"}], trust
pol = iam.get_role_policy(RoleName="wren-fn-role", PolicyName="wren-job-bucket")["PolicyDocument"]
one = lambda v: [v] if isinstance(v, str) else v
grants = sorted((a, r) for s in pol["Statement"] for a in one(s["Action"]) for r in one(s["Resource"]))
lg, obj = "arn:aws:logs:*:*:log-group:/aws/lambda/wren-fn:*", "arn:aws:s3:::wren-jobs/*"
assert grants == [("logs:CreateLogStream", lg), ("logs:PutLogEvents", lg), ("s3:AbortMultipartUpload", obj),
                  ("s3:DeleteObject", obj), ("s3:GetObject", obj), ("s3:ListBucket", "arn:aws:s3:::wren-jobs"),
                  ("s3:PutObject", obj)], grants
e = lam.get_function_event_invoke_config(FunctionName="wren-fn")
assert e["MaximumRetryAttempts"] == 0 and e["MaximumEventAgeInSeconds"] == 21600, e
rules = s3.get_bucket_lifecycle_configuration(Bucket="wren-jobs")["Rules"]
assert len(rules) == 1 and rules[0]["ID"] == "wren-expire-jobs" and rules[0]["Status"] == "Enabled", rules
assert rules[0]["Filter"]["Prefix"] == "jobs/" and rules[0]["Expiration"]["Days"] == 3, rules
assert rules[0]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 1, rules
assert s3.get_bucket_location(Bucket="wren-jobs")["LocationConstraint"] == "eu-west-1"
pab = s3.get_public_access_block(Bucket="wren-jobs")["PublicAccessBlockConfiguration"]
assert pab == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
               "RestrictPublicBuckets": True}, pab
enc = s3.get_bucket_encryption(Bucket="wren-jobs")["ServerSideEncryptionConfiguration"]["Rules"]
assert [r["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] for r in enc] == ["AES256"], enc
groups = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/wren-fn")["logGroups"]
assert [(g["logGroupName"], g.get("retentionInDays")) for g in groups] == [("/aws/lambda/wren-fn", 30)], groups
EOF

# Drift, repaired: a public access block half off, a retention removed, a
# neighbour log group sharing the name as a prefix; a KMS default encryption
# is kept (stronger than SSE-S3, not wren's to undo).
python3 - "$EP" <<'EOF' || fail "drift set-up"
import sys, boto3
kw = dict(endpoint_url=sys.argv[1], region_name="eu-west-1")
s3, logs = boto3.client("s3", **kw), boto3.client("logs", **kw)
s3.put_public_access_block(Bucket="wren-jobs", PublicAccessBlockConfiguration={
    "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": True})
s3.put_bucket_encryption(Bucket="wren-jobs", ServerSideEncryptionConfiguration={"Rules": [
    {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})
logs.delete_retention_policy(logGroupName="/aws/lambda/wren-fn")
logs.create_log_group(logGroupName="/aws/lambda/wren-fn-other")
EOF
"${D[@]}" --expire-days 3 --steps s3,logs >"$WREN_TMP/run7" 2>&1 || fail "drift deploy: $(cat "$WREN_TMP/run7")"
cat >"$WREN_TMP/want7" <<'EOF'
bucket wren-jobs                         unchanged
public access block (all four on)        updated
default encryption aws:kms               unchanged (kept)
lifecycle jobs/ after 3 days             unchanged
log group /aws/lambda/wren-fn (14 days)  updated
store: s3://wren-jobs/jobs
run:   WREN_BACKEND=aws WREN_STORE=s3://wren-jobs/jobs WREN_FUNCTION=wren-fn wren map ...
EOF
diff "$WREN_TMP/want7" "$WREN_TMP/run7" || fail "drift deploy output"
python3 - "$EP" <<'EOF' || fail "drift read back"
import sys, boto3
kw = dict(endpoint_url=sys.argv[1], region_name="eu-west-1")
s3, logs = boto3.client("s3", **kw), boto3.client("logs", **kw)
pab = s3.get_public_access_block(Bucket="wren-jobs")["PublicAccessBlockConfiguration"]
assert list(pab.values()) == [True] * 4, pab
groups = {g["logGroupName"]: g.get("retentionInDays")
          for g in logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/wren-fn")["logGroups"]}
assert groups == {"/aws/lambda/wren-fn": 14, "/aws/lambda/wren-fn-other": None}, groups
EOF

# A function package (UpdateFunctionCode), and an async config someone
# deleted (made again); then nothing to do. (A config that differs can't be
# shown fixed here: moto's PutFunctionEventInvokeConfig appends and its Get
# answers the first one, so a replaced config never reads back.)
python3 -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("libuser.so", "not really a shared object")' "$WREN_TMP/fn.zip"
python3 - "$EP" <<'EOF' || fail "async drift set-up"
import sys, boto3
lam = boto3.client("lambda", endpoint_url=sys.argv[1], region_name="eu-west-1")
lam.meta.events.register("before-sign.lambda.*", lambda request, **_: request.headers.__setitem__(
    "X-Amz-Content-SHA256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))  # a bodiless DELETE
lam.delete_function_event_invoke_config(FunctionName="wren-fn")
EOF
F=("$W" deploy --bucket wren-jobs --function wren-fn --layer-zip "$WREN_TMP/layer2.zip" --memory 2048
   --expire-days 3 --function-zip "$WREN_TMP/fn.zip" --steps lambda)
"${F[@]}" >"$WREN_TMP/run8" 2>&1 || fail "code deploy: $(cat "$WREN_TMP/run8")"
cat >"$WREN_TMP/want8" <<'EOF'
role wren-fn-role                        unchanged
role policy wren-job-bucket              unchanged
layer wren-fn:2                          unchanged
function wren-fn                         updated (code)
async invoke config (0 retries)          created
store: s3://wren-jobs/jobs
run:   WREN_BACKEND=aws WREN_STORE=s3://wren-jobs/jobs WREN_FUNCTION=wren-fn wren map ...
EOF
diff "$WREN_TMP/want8" "$WREN_TMP/run8" || fail "code deploy output"
"${F[@]}" >"$WREN_TMP/run9" 2>&1 || fail "code deploy again: $(cat "$WREN_TMP/run9")"
sed -e 's/  updated.*$/  unchanged/' -e 's/  created$/  unchanged/' "$WREN_TMP/want8" | diff - "$WREN_TMP/run9" || fail "code deploy again should change nothing"
python3 - "$EP" "$WREN_TMP/fn.zip" <<'EOF' || fail "code read back"
import base64, hashlib, sys, boto3
lam = boto3.client("lambda", endpoint_url=sys.argv[1], region_name="eu-west-1")
lam.meta.events.register("before-sign.lambda.*", lambda request, **_: request.headers.__setitem__(
    "X-Amz-Content-SHA256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))
c = lam.get_function(FunctionName="wren-fn")["Configuration"]
assert c["CodeSha256"] == base64.b64encode(hashlib.sha256(open(sys.argv[2], "rb").read()).digest()).decode(), c
assert lam.get_function_event_invoke_config(FunctionName="wren-fn")["MaximumRetryAttempts"] == 0
EOF

# A missing layer zip.
set +e
"$W" deploy --bucket wren-jobs --function wren-fn --layer-zip "$WREN_TMP/none.zip" >/dev/null 2>"$WREN_TMP/e"; rc=$?
set -e
[ $rc = 1 ] && grep -q "cannot read the layer zip $WREN_TMP/none.zip" "$WREN_TMP/e" || fail "missing zip: $(cat "$WREN_TMP/e")"
echo "aws_deploy: ok"

#!/usr/bin/env bash
# layers/template.yaml: cfn-lint passes on it, cfn-lint does fail on a broken
# copy (so the pass means something), and the template says what the design
# promises: provided.al2023, 0 async retries, a role that reaches only the job
# bucket (and its own log group), job data that expires, a private encrypted
# bucket, logs kept for a set time (as `wren deploy` makes them).
source "$(dirname "$0")/lib.sh"
template=$WREN_SOURCE_DIR/layers/template.yaml

if command -v cfn-lint >/dev/null 2>&1 && cfn-lint --version >/dev/null 2>&1; then
  lint=(cfn-lint)
elif python3 -c 'import cfnlint' 2>/dev/null; then
  lint=(python3 -c 'import sys; from cfnlint.runner import main; sys.exit(main())')
else
  echo "SKIP: cfn-lint is not installed (pip install cfn-lint)"
  exit 77
fi
echo "cfn-lint $("${lint[@]}" --version 2>&1 | tail -1)"

"${lint[@]}" -- "$template" || fail "cfn-lint reports problems in $template"

# A template cfn-lint must refuse: an unknown runtime, a retry count out of
# range, a log retention CloudWatch does not offer.
sed -e 's/Runtime: provided.al2023/Runtime: provided.al9/' \
    -e 's/MaximumRetryAttempts: 0/MaximumRetryAttempts: 7/' \
    -e 's/RetentionInDays: !Ref LogRetentionDays/RetentionInDays: 13/' "$template" >"$WREN_TMP/broken.yaml"
if "${lint[@]}" -- "$WREN_TMP/broken.yaml" >"$WREN_TMP/broken.out" 2>&1; then
  fail "cfn-lint accepted a broken template"
fi
grep -q 'provided.al9' "$WREN_TMP/broken.out" || fail "cfn-lint did not name the bad runtime: $(cat "$WREN_TMP/broken.out")"
# cfn-lint's list of valid retentions is the one `wren deploy --log-retention-days` takes.
lint_days=$(grep -o '^E3030 13 is not one of \[[0-9, ]*\]' "$WREN_TMP/broken.out" | grep -o '\[.*\]' | tr -d '[] ')
cli_days=$(python3 -c 'import re, sys
src = open(sys.argv[1]).read()
print(re.search(r"s_is_retention.*?ok\[\] = \{([0-9, \n]*)\}", src, re.S).group(1).replace(" ", "").replace("\n", ""))' \
    "$WREN_SOURCE_DIR/cli/cmd_deploy.c")
[ -n "$lint_days" ] && [ "$lint_days" = "$cli_days" ] || fail "retentions: cfn-lint [$lint_days], wren deploy [$cli_days]"

python3 - "$template" <<'EOF'
import sys
from cfnlint.decode import cfn_yaml

t = cfn_yaml.load(sys.argv[1])
r = t["Resources"]
p = t["Parameters"]

def check(cond, what):
    if not cond:
        sys.exit("FAIL: " + what)

fn = r["Function"]["Properties"]
check(fn["Runtime"] == "provided.al2023", "function runtime is provided.al2023")
check(fn["Architectures"] == [{"Ref": "Architecture"}], "architecture comes from the parameter")
check(sorted(p["Architecture"]["AllowedValues"]) == ["arm64", "x86_64"], "x86_64 or arm64")
check(p["Architecture"]["Default"] == "x86_64", "x86_64 by default")
check(fn["MemorySize"] == {"Ref": "MemorySize"} and fn["Timeout"] == {"Ref": "Timeout"}, "memory/timeout parameters")
check(p["Handler"]["Default"] == "wren" and fn["Handler"] == {"Ref": "Handler"}, "handler defaults to wren")
check(fn["Layers"] == [{"Ref": "Layer"}], "the function uses the layer")
check(fn["Role"] == {"Fn::GetAtt": ["FunctionRole", "Arn"]}, "the function uses the role")

layer = r["Layer"]["Properties"]
check(layer["CompatibleRuntimes"] == ["provided.al2023", "provided.al2"], "layer runtimes")

aic = r["AsyncConfig"]["Properties"]
check(aic["MaximumRetryAttempts"] == 0 and aic["FunctionName"] == {"Ref": "Function"}, "0 async retries")

bucket = r["JobBucket"]["Properties"]
check(bucket["PublicAccessBlockConfiguration"] == {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                                   "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
      "public access blocked, all four settings")
check(bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"] ==
      [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}], "default encryption SSE-S3")
lg = r["LogGroup"]["Properties"]
check(lg["LogGroupName"] == {"Fn::Sub": "/aws/lambda/${FunctionName}"}, "the function's log group")
check(lg["RetentionInDays"] == {"Ref": "LogRetentionDays"} and p["LogRetentionDays"]["Default"] == 14,
      "log retention from the parameter, 14 days by default")
check(p["LogRetentionDays"]["AllowedValues"] == [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
                                                  1827, 2192, 2557, 2922, 3288, 3653], "every retention CloudWatch has")
check(r["Function"].get("DependsOn") == "LogGroup", "the log group exists before the function logs")

rules = r["JobBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
check(len(rules) == 1 and rules[0]["Status"] == "Enabled", "one lifecycle rule, enabled")
check(rules[0]["ExpirationInDays"] == {"Ref": "JobDataExpirationDays"}, "expiry from the parameter")
check(rules[0]["Prefix"] == {"Ref": "JobPrefix"}, "the rule covers the job prefix")

role = r["FunctionRole"]["Properties"]
check("ManagedPolicyArns" not in role, "no managed policy: nothing beyond bucket and logs")
check(role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"},
      "assumed by Lambda only")
grants = []
for pol in role["Policies"]:
    for st in pol["PolicyDocument"]["Statement"]:
        check(st["Effect"] == "Allow", "allow statements only")
        acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        for a in acts:
            grants.append((a, str(st["Resource"])))
s3 = sorted(a for a, _ in grants if a.startswith("s3:"))
check(s3 == ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:ListBucket", "s3:PutObject"],
      "S3 actions: %r" % s3)
for a, res in grants:
    check("*" not in a, "no wildcard action (%s)" % a)
    if a == "s3:ListBucket":
        check(res == str({"Fn::GetAtt": ["JobBucket", "Arn"]}), "ListBucket on the bucket only")
    elif a.startswith("s3:"):
        check(res == str({"Fn::Sub": "${JobBucket.Arn}/*"}), "%s on the bucket's objects only" % a)
    else:
        check(a in ("logs:CreateLogStream", "logs:PutLogEvents"), "unexpected action %s" % a)
        check(res == str({"Fn::Sub": "${LogGroup.Arn}:*"}), "logs on the function's group only")
print("template: runtime, architecture, role, bucket, lifecycle, log group and async retries as designed")
EOF
echo "PASS: cfn-lint clean on layers/template.yaml"

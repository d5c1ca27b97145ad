#!/usr/bin/env python3
"""Set-up step for check_s3 against moto_server started with
INITIAL_NO_AUTH_ACTION_COUNT=N: in those first N unauthenticated requests,
create an IAM user allowed s3:* and an access key for it, then spend the
rest of the N so signature checking is on; then, signed with the key, create
the test buckets. moto miscomputes signatures for secrets holding '+' or
'=' (real S3 and botocore agree on them; check_sigv4 covers such keys), so
keys with those are replaced while the budget lasts.
Prints "ACCESS_KEY_ID SECRET_ACCESS_KEY" on stdout.
Usage: s3_moto_setup.py ENDPOINT_URL N BUCKET [BUCKET...]"""
import json
import sys

import boto3


def main():
    endpoint, budget, buckets = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="setup", aws_secret_access_key="setup")
    used = 0
    iam.create_user(UserName="wren-test")
    used += 1
    iam.put_user_policy(UserName="wren-test", PolicyName="s3-all", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    used += 1
    key = None
    while used + 2 <= budget:
        k = iam.create_access_key(UserName="wren-test")["AccessKey"]
        used += 1
        if "+" not in k["SecretAccessKey"] and "=" not in k["SecretAccessKey"]:
            key = k
            break
        iam.delete_access_key(UserName="wren-test", AccessKeyId=k["AccessKeyId"])
        used += 1
    if key is None:
        sys.exit("no access key without '+' or '=' within the no-auth budget")
    while used < budget:  # spend the rest: from here on moto checks signatures
        iam.list_users()
        used += 1
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    for b in buckets:
        s3.create_bucket(Bucket=b)
    print(key["AccessKeyId"], key["SecretAccessKey"])


if __name__ == "__main__":
    main()

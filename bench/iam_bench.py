"""Benchmark: the IAM evaluator on production-shaped questions.

    python bench/iam_bench.py              # 2,000 questions
    python bench/iam_bench.py --n 20000

Each question is a role with five inline or managed policies (one with conditions on
aws:PrincipalTag, aws:ResourceTag and kms:ViaService, one with a policy variable), a permissions
boundary, a secret resource policy with a data-perimeter Deny, and the Secrets Manager read plus the
KMS Decrypt behind it, in the contexts App Runner sends. Prints questions per second and the verdict
mix (so a change that makes everything "undecidable" shows up here too).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from preflight.iam import Policy, Principal, Request, evaluate
from preflight.iam import requests as rq

ACCT = "111122223333"


def question(i: int) -> list[Request]:
    role = f"arn:aws:iam::{ACCT}:role/team{i % 7}/svc-{i}"
    secret = f"arn:aws:secretsmanager:us-east-1:{ACCT}:secret:team{i % 7}/svc-{i}/db-AbC{i % 10}eF"
    key = f"arn:aws:kms:us-east-1:{ACCT}:key/{i:08x}-0000-4000-8000-000000000000"
    v = "2012-10-17"
    identity = (
        Policy("inline policy read", {"Version": v, "Statement": [
            {"Sid": "Read", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "secretsmanager:Describe*"],
             "Resource": "arn:aws:secretsmanager:*:*:secret:${aws:PrincipalTag/team}/*"}]}),
        Policy("inline policy decrypt", {"Version": v, "Statement": [
            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
             "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}}]}),
        Policy("managed policy tags", {"Version": v, "Statement": [
            {"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*",
             "Condition": {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}}]}),
        Policy("managed policy s3", {"Version": v, "Statement": [
            {"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"}]}),
        Policy("managed policy guard", {"Version": v, "Statement": [
            {"Effect": "Deny", "Action": "secretsmanager:DeleteSecret", "Resource": "*"}]}),
    )
    boundary = Policy("permissions boundary", {"Version": v, "Statement": [
        {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}]})
    p = Principal(role, identity, boundary, None, {"team": f"team{i % 7}"})
    rp = Policy("resource policy", {"Version": v, "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}}}]})
    kp = Policy("key policy", {"Version": v, "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ACCT}, "Action": "kms:*", "Resource": "*"}]})
    org = rq.Org(True, "o-abc123" if i % 5 else "o-other")
    return [Request(p, "secretsmanager:GetSecretValue", secret,
                    rq.secret_fetch(p, secret, tags={"team": f"team{i % 7}"}, org=org), rp),
            Request(p, "kms:Decrypt", key, rq.secrets_manager_decrypt(p, key, secret, org=org), kp, key_policy=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="questions (each a read and a decrypt)")
    args = parser.parse_args()
    started = time.perf_counter()
    requests = [r for i in range(args.n) for r in question(i)]
    built = time.perf_counter()
    verdicts = Counter(evaluate(r).decision.value for r in requests)
    done = time.perf_counter()
    print(f"{len(requests)} requests: contexts built in {built - started:.2f} s, evaluated in {done - built:.2f} s "
          f"({len(requests) / (done - built):,.0f} per second)")
    print("verdicts: " + ", ".join(f"{k} {v}" for k, v in sorted(verdicts.items())))


if __name__ == "__main__":
    main()

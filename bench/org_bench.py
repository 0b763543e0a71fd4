"""Benchmark: an organization scan of many small accounts, moto on 127.0.0.1.

    python bench/org_bench.py                      # 50 accounts x 2 regions
    python bench/org_bench.py --accounts 200 --regions 1

The organization is tests.doubles.org_world's (a management account, a shared-services account
with the database, secret and key, a workload account with an ECS service that reads them across
accounts), plus member accounts that each hold a VPC with two subnets and a security group in
every region. moto's server runs in this process behind the gate that refuses requests outside
the service model (as AWS does); the scan runs in a child process: it lists the accounts, reads
the SCP and RCP layers from the management account, assumes the role in each member, collects
every region, then judges every account's view. The child's peak memory (its VmHWM) is the
scan's own; moto's state of every account is the parent's and is printed apart. Nothing leaves
127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/doubles

REGIONS = ("ap-northeast-1", "ap-northeast-2", "us-east-1")


def peak_mb() -> float:
    """This process's own high-water mark (ru_maxrss survives exec: a child would report the
    parent's)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _env(endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION=REGIONS[0],
               AWS_EC2_METADATA_DISABLED="true", AWS_ENDPOINT_URL=endpoint)
    return env


def seed(accounts: int, regions: tuple[str, ...]) -> None:
    from tests.doubles.org_world import build_org, session_of

    org = build_org(accepter_route=False, extra_accounts=max(0, accounts - 3))
    for n, account in enumerate(org.others):
        for region in regions:
            ec2 = session_of(account, region).client("ec2", region)
            vpc = ec2.create_vpc(CidrBlock=f"10.{100 + n % 100}.0.0/16")["Vpc"]["VpcId"]
            for i, az in enumerate("ac"):
                ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{100 + n % 100}.{i}.0/24",
                                  AvailabilityZone=f"{region}{az}")
            ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)


def child(regions: tuple[str, ...], workers: int) -> None:
    """The scan, in its own process: one JSON line on stdout."""
    import boto3

    from preflight import fleet, rulepacks
    from preflight.collect import accounts as acc
    from preflight.collect import collect
    from preflight.collect.aws import Settings
    from tests.doubles import strict
    from tests.doubles.apprunner_fake import FakeServiceQuotas

    strict.install()  # every request checked against the service model here too
    quotas = FakeServiceQuotas(applied=dict.fromkeys(regions, 100.0))  # moto has no Service Quotas
    session = boto3.Session(region_name=regions[0])
    quotas.attach(session)
    settings = Settings(platforms=frozenset({"ecs"}), workers=workers)
    t1 = time.monotonic()
    listed = acc.organization_accounts(acc.Clients(session, acc.ALLOWED, settings), regions[0])
    doc = acc.collect_accounts(
        session, regions[0], listed, acc.AccountRun(parallel=max(1, workers // 2), prepare=quotas.attach),
        lambda member, policies: collect(member, list(regions), frozenset(), settings, None, organization=policies,
                                         require_services=False),
        settings, listed_from_org=True, others=[a["id"] for a in listed])
    read = time.monotonic() - t1
    rulepacks.load()
    t2 = time.monotonic()
    result = fleet.run(doc)
    judged = time.monotonic() - t2
    print(json.dumps({
        "accounts": len(doc["accounts"]), "unread": len(doc["unread_accounts"]), "collect_s": read,
        "judge_s": judged, "api_calls": doc["api_calls"], "findings": len(result.findings),
        "rules": len(result.selected), "snapshot_mb": len(json.dumps(doc)) / 1e6, "peak_mb": peak_mb(),
        "refused": sorted({str(v) for v in strict.take()}),
        "by_operation": _by_operation(doc)}))


def _by_operation(doc: dict[str, Any]) -> dict[str, int]:
    """The calls of the whole scan: the organization's own and every account's."""
    out = dict(doc["api_calls_by_operation"])
    for d in doc["accounts"]:
        for op, n in d.get("api_calls_by_operation", {}).items():
            out[op] = out.get(op, 0) + n
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--regions", type=int, default=2, choices=(1, 2, 3))
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    regions = REGIONS[: args.regions]
    if args.child:
        child(regions, args.workers)
        return
    from tests.doubles.model_gate import ModelGatedMoto

    with ModelGatedMoto() as moto:
        os.environ.update(_env(moto.url))
        t0 = time.monotonic()
        seed(args.accounts, regions)
        seeded = time.monotonic() - t0
        out = subprocess.run([sys.executable, __file__, "--child", "--regions", str(args.regions),
                              "--workers", str(args.workers)], env=_env(moto.url), capture_output=True,
                             text=True, check=False, timeout=3600)
        refused = moto.refused
    if out.returncode != 0:
        raise SystemExit(f"the scan failed:\n{out.stderr[-3000:]}")
    row: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    if refused or row["refused"]:
        raise SystemExit("requests AWS would refuse:\n  " + "\n  ".join(refused + row["refused"]))
    print(f"accounts: {row['accounts']} read, {row['unread']} unread; regions: {len(regions)}")
    print(f"seed {seeded:.1f} s; collect {row['collect_s']:.2f} s; judge {row['judge_s']:.2f} s; "
          f"total {row['collect_s'] + row['judge_s']:.2f} s wall")
    print(f"api calls: {row['api_calls']} ({row['api_calls'] / max(1, row['accounts']):.1f} per account)")
    top = sorted(row["by_operation"].items(), key=lambda kv: -kv[1])[:6]
    print("most called: " + ", ".join(f"{k} {v}" for k, v in top))
    print(f"findings: {row['findings']}; rules {row['rules']}; organization snapshot {row['snapshot_mb']:.1f} MB")
    print(f"peak memory: scan {row['peak_mb']:.0f} MB (its own VmHWM); moto server {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()

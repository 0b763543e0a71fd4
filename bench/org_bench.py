"""Benchmark: an organization scan of many small accounts in moto, in process.

    python bench/org_bench.py                      # 50 accounts x 2 regions
    python bench/org_bench.py --accounts 200 --regions 1

The organization is tests.doubles.org_world's (a management account, a shared-services account
with the database, secret and key, a workload account with an ECS service that reads them across
accounts), plus member accounts that each hold a VPC with two subnets and a security group in
every region. The scan lists the accounts, reads the SCP and RCP layers from the management
account, assumes the role in each member and collects every region, then the checks judge every
account's view. moto runs in the same process (mock_aws), so the wall time includes moto's own
work and the peak memory (the process's VmHWM) includes moto's state of every account. Nothing
leaves the process.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/doubles


def peak_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--regions", type=int, default=2, choices=(1, 2, 3))
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="ap-northeast-1",
                      AWS_EC2_METADATA_DISABLED="true")
    for k in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        os.environ.pop(k, None)
    import boto3
    from moto import mock_aws

    from preflight import fleet, rulepacks
    from preflight.collect import accounts as acc
    from preflight.collect import collect
    from preflight.collect.aws import Settings
    from tests.doubles import strict
    from tests.doubles.apprunner_fake import FakeServiceQuotas
    from tests.doubles.org_world import REGION, build_org, session_of

    regions = [REGION, "ap-northeast-2", "us-east-1"][: args.regions]
    strict.install()  # every request checked against the service model, as AWS checks it
    with mock_aws():
        t0 = time.monotonic()
        org = build_org(accepter_route=False, extra_accounts=max(0, args.accounts - 3))
        for n, account in enumerate(org.others):
            for region in regions:
                ec2 = session_of(account, region).client("ec2", region)
                vpc = ec2.create_vpc(CidrBlock=f"10.{100 + n % 100}.0.0/16")["Vpc"]["VpcId"]
                for i, az in enumerate("ac"):
                    ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{100 + n % 100}.{i}.0/24",
                                      AvailabilityZone=f"{region}{az}")
                ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)
        seeded = time.monotonic() - t0

        quotas = FakeServiceQuotas(applied={r: 100.0 for r in regions})
        session = boto3.Session(region_name=REGION)
        quotas.attach(session)
        settings = Settings(platforms=frozenset({"ecs"}), workers=args.workers)
        t1 = time.monotonic()
        listed = acc.organization_accounts(acc.Clients(session, acc.ALLOWED, settings), REGION)
        doc = acc.collect_accounts(
            session, REGION, listed, acc.AccountRun(parallel=max(1, args.workers // 2), prepare=quotas.attach),
            lambda member, policies: collect(member, regions, frozenset(), settings, None, organization=policies,
                                             require_services=False),
            settings, listed_from_org=True, others=[a["id"] for a in listed])
        read = time.monotonic() - t1
        rulepacks.load()
        t2 = time.monotonic()
        result = fleet.run(doc)
        judged = time.monotonic() - t2
    assert not strict.take(), "a request outside the service model"
    print(f"accounts: {len(doc['accounts'])} read, {len(doc['unread_accounts'])} unread; regions: {len(regions)}")
    print(f"seed {seeded:.1f} s; collect {read:.2f} s; judge {judged:.2f} s; "
          f"total {read + judged:.2f} s wall")
    print(f"api calls: {doc['api_calls']} ({doc['api_calls'] / max(1, len(doc['accounts'])):.1f} per account)")
    print(f"findings: {len(result.findings)}; rules {len(result.selected)}; peak memory {peak_mb():.0f} MB "
          "(VmHWM, moto's state included)")


if __name__ == "__main__":
    main()

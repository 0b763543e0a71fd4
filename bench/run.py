"""Benchmark: a full scan of synthetic accounts served by moto's server on 127.0.0.1.

    python bench/run.py                 # N = 10, 100, 500
    python bench/run.py --sizes 10 50   # other sizes

For each N it starts a fresh moto server on a free loopback port, seeds N VPCs across two
regions (each with two subnets, a route table with routes, a security group with rules, and a
cross-region peering to the previous VPC), then runs `preflight`'s collector and checks in a
child process, so that peak memory (ru_maxrss) is the scan's own and not the server's.
App Runner is served in the child by the model-validated in-process double (moto has no App
Runner), one service per ten VPCs, each with a VPC connector in a seeded subnet.
Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REGIONS = ("us-east-1", "us-west-2")
HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env_for(endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
               AWS_DEFAULT_REGION=REGIONS[0], AWS_ENDPOINT_URL=endpoint,
               AWS_EC2_METADATA_DISABLED="true")
    return env


def seed(endpoint: str, n: int) -> dict[str, Any]:
    import boto3

    os.environ.update(env_for(endpoint))
    clients = {r: boto3.client("ec2", r, endpoint_url=endpoint) for r in REGIONS}
    vpcs: list[tuple[str, str]] = []
    subnets: dict[str, list[str]] = {r: [] for r in REGIONS}
    for i in range(n):
        region = REGIONS[i % 2]
        ec2 = clients[region]
        cidr = f"10.{i // 256}.{i % 256}.0/24" if n > 250 else f"10.{i}.0.0/16"
        net = cidr.split("/")[0].rsplit(".", 2)[0] if n > 250 else f"10.{i}"
        vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
        if n > 250:
            parts = [f"10.{i // 256}.{i % 256}.0/25", f"10.{i // 256}.{i % 256}.128/25"]
        else:
            parts = [f"{net}.1.0/24", f"{net}.2.0/24"]
        sns = [ec2.create_subnet(VpcId=vpc, CidrBlock=c)["Subnet"]["SubnetId"] for c in parts]
        subnets[region] += sns
        rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        for sn in sns:
            ec2.associate_route_table(RouteTableId=rtb, SubnetId=sn)
        sg = ec2.create_security_group(GroupName=f"app-{i}", Description="bench", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": p, "ToPort": p,
             "IpRanges": [{"CidrIp": f"10.{(i + k) % 200}.0.0/16"} for k in range(3)]}
            for p in (443, 5432)])
        if vpcs:
            prev_vpc, prev_region = vpcs[-1]
            pcx = clients[prev_region].create_vpc_peering_connection(
                VpcId=prev_vpc, PeerVpcId=vpc, PeerRegion=region,
            )["VpcPeeringConnection"]["VpcPeeringConnectionId"]
            ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="192.168.0.0/16",
                             VpcPeeringConnectionId=pcx)
        vpcs.append((vpc, region))
    return {"subnets": subnets, "services": max(1, n // 10)}


def scan_child(endpoint: str, seed_file: str) -> None:
    """Runs in the child process: one full scan, result as JSON on stdout."""
    import resource

    import boto3

    from preflight import engine
    from preflight.collect import collect
    from preflight.testing import apprunner_fake as ar

    seeded = json.loads(Path(seed_file).read_text())
    session = boto3.Session(region_name=REGIONS[0])
    fake = ar.FakeAppRunner()
    account = "123456789012"
    for i in range(seeded["services"]):
        region = REGIONS[i % 2]
        subnet = seeded["subnets"][region][i // 2 % len(seeded["subnets"][region])]
        conn = ar.connector(f"conn-{i:04d}", region, account, [subnet], [])
        fake.connectors.append(conn)
        fake.services.append(ar.service(f"svc-{i:04d}", region, account,
                                        image="public.ecr.aws/x/y:1",
                                        connector_arn=conn["VpcConnectorArn"],
                                        service_id=f"{i:032x}"))
    fake.attach(session)
    ar.FakeServiceQuotas(applied=dict.fromkeys(REGIONS, 1000.0)).attach(session)  # moto serves only `vpc`
    start = time.perf_counter()
    doc = collect(session, list(REGIONS))
    collected = time.perf_counter()
    result = engine.run(doc)
    done = time.perf_counter()
    by_service: dict[str, int] = {}
    for op, count in doc["api_calls_by_operation"].items():
        svc = op.split(".")[0]
        by_service[svc] = by_service.get(svc, 0) + count
    print(json.dumps({
        "collect_s": collected - start, "checks_s": done - collected, "wall_s": done - start,
        "api_calls": doc["api_calls"], "by_service": by_service,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "findings": len(result.findings), "gaps": len(doc["gaps"]),
        "vpcs": len(doc["resources"]["vpcs"]), "subnets": len(doc["resources"]["subnets"]),
    }))


def bench(n: int) -> dict[str, Any]:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        t = time.perf_counter()
        seeded = seed(endpoint, n)
        seed_s = time.perf_counter() - t
        seed_file = HERE / f".seed-{n}.json"
        seed_file.write_text(json.dumps(seeded))
        out = subprocess.run(
            [sys.executable, __file__, "--child", endpoint, str(seed_file)],
            env=env_for(endpoint), capture_output=True, text=True, check=False, timeout=1800)
        seed_file.unlink()
        if out.returncode != 0:
            raise SystemExit(f"scan failed for N={n}:\n{out.stderr[-2000:]}")
        return {"n": n, "seed_s": seed_s, **json.loads(out.stdout)}
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 500])
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        scan_child(*args.child)
        return
    rows = [bench(n) for n in args.sizes]
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print("| N VPCs | subnets | wall (s) | collect (s) | checks (s) | API calls | by service | peak RSS (MB) |")
    print("|---:|---:|---:|---:|---:|---:|---|---:|")
    for r in rows:
        svc = ", ".join(f"{k} {v}" for k, v in sorted(r["by_service"].items()))
        print(f"| {r['n']} | {r['subnets']} | {r['wall_s']:.2f} | {r['collect_s']:.2f} | "
              f"{r['checks_s']:.3f} | {r['api_calls']} | {svc} | {r['peak_rss_mb']:.0f} |")


if __name__ == "__main__":
    main()

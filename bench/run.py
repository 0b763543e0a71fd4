"""Benchmark: full scans of synthetic accounts served on 127.0.0.1.

    python bench/run.py                          # N = 10, 100, 500 VPCs
    python bench/run.py --sizes 10 50 200 1000   # the sizes of the performance issue
    python bench/run.py --delay-ms 50            # add 50 ms to every request, like real AWS

For each N it starts a fresh moto server on a free loopback port, behind a gate that refuses
requests outside the service model as AWS does (tests.doubles.model_gate), and a stub server for App
Runner and Service Quotas (which moto lacks) on another, seeds N VPCs across two regions (two
subnets, a route table, an internet gateway, a security group with rules and a cross-region
peering each; every tenth VPC also a NAT gateway, a Postgres instance, a secret and an instance
role, and an App Runner service that reaches that database through a VPC connector), then runs
preflight's collector and checks in a child process, so that peak memory is the scan's own.
Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

REGIONS = ("us-east-1", "us-west-2")
ACCOUNT = "123456789012"
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the test doubles live in the repository (tests/doubles), not in the package


def env_for(endpoint: str, stub: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION=REGIONS[0],
               AWS_ENDPOINT_URL=endpoint, AWS_EC2_METADATA_DISABLED="true")
    if stub:
        env.update(AWS_ENDPOINT_URL_APPRUNNER=stub, AWS_ENDPOINT_URL_SERVICE_QUOTAS=stub,
                   AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API=stub)
    return env


def seed(endpoint: str, n: int) -> dict[str, Any]:
    """Builds the account; returns what the App Runner stub needs to describe the services."""
    import boto3

    os.environ.update(env_for(endpoint))
    session = boto3.Session(region_name=REGIONS[0])
    ec2 = {r: session.client("ec2", r, endpoint_url=endpoint) for r in REGIONS}
    rds = {r: session.client("rds", r, endpoint_url=endpoint) for r in REGIONS}
    sm = {r: session.client("secretsmanager", r, endpoint_url=endpoint) for r in REGIONS}
    iam = session.client("iam", endpoint_url=endpoint)
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "tasks.apprunner.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    vpcs: list[tuple[str, str]] = []
    services = []
    for i in range(n):
        region = REGIONS[i % 2]
        c = ec2[region]
        base = f"10.{i // 256}.{i % 256}"
        vpc = c.create_vpc(CidrBlock=f"{base}.0/24")["Vpc"]["VpcId"]
        sns = [c.create_subnet(VpcId=vpc, CidrBlock=f"{base}.{h}/25",
                               AvailabilityZone=f"{region}{az}")["Subnet"]["SubnetId"]
               for h, az in ((0, "a"), (128, "b"))]
        igw = c.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        c.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        rtb = c.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        for sn in sns:
            c.associate_route_table(RouteTableId=rtb, SubnetId=sn)
        sg = c.create_security_group(GroupName=f"app-{i}", Description="bench", VpcId=vpc)["GroupId"]
        c.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": p, "ToPort": p,
             "IpRanges": [{"CidrIp": f"10.{(i + k) // 256 % 256}.{(i + k) % 256}.0/24"} for k in range(-1, 3)]}
            for p in (443, 5432)])
        if vpcs:
            prev_vpc, prev_region = vpcs[-1]
            pcx = ec2[prev_region].create_vpc_peering_connection(
                VpcId=prev_vpc, PeerVpcId=vpc, PeerRegion=region)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
            c.create_route(RouteTableId=rtb, DestinationCidrBlock="192.168.0.0/16", VpcPeeringConnectionId=pcx)
        if i % 10 == 1:
            eip = c.allocate_address(Domain="vpc")["AllocationId"]
            nat = c.create_nat_gateway(SubnetId=sns[0], AllocationId=eip)["NatGateway"]["NatGatewayId"]
            c.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
            rds[region].create_db_subnet_group(DBSubnetGroupName=f"db-{i}", DBSubnetGroupDescription="b",
                                               SubnetIds=sns)
            db = rds[region].create_db_instance(
                DBInstanceIdentifier=f"db-{i}", Engine="postgres", DBInstanceClass="db.t3.micro",
                MasterUsername="bench", MasterUserPassword="bench-password-0", AllocatedStorage=20,
                DBSubnetGroupName=f"db-{i}", VpcSecurityGroupIds=[sg], PubliclyAccessible=False)["DBInstance"]
            secret = sm[region].create_secret(Name=f"svc-{i}/db", SecretString="never-read")["ARN"]
            role = iam.create_role(RoleName=f"svc-{i}-instance", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
            iam.put_role_policy(RoleName=f"svc-{i}-instance", PolicyName="secrets", PolicyDocument=json.dumps({
                "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                                                        "Resource": secret}]}))
            host = db["Endpoint"]["Address"] if db.get("Endpoint") else f"db-{i}.x.{region}.rds.amazonaws.com"
            services.append({"i": i, "region": region, "subnets": sns, "sg": sg, "secret": secret,
                             "role": role, "db_host": host})
        vpcs.append((vpc, region))
    return {"services": services}


def fakes(seeded: dict[str, Any]) -> tuple[Any, Any]:
    from tests.doubles import apprunner_fake as ar

    fake = ar.FakeAppRunner()
    for s in seeded["services"]:
        conn = ar.connector(f"conn-{s['i']:04d}", s["region"], ACCOUNT, s["subnets"], [s["sg"]])
        fake.connectors.append(conn)
        fake.services.append(ar.service(
            f"svc-{s['i']:04d}", s["region"], ACCOUNT, image="public.ecr.aws/x/y:1.0",
            connector_arn=conn["VpcConnectorArn"], instance_role=s["role"], service_id=f"{s['i']:032x}",
            env={"DB_HOST": s["db_host"]}, secrets={"DB_PASSWORD": s["secret"]}))
    return fake, ar.FakeServiceQuotas(applied=dict.fromkeys(REGIONS, 1000.0))


def peak_rss_mb(resource: Any) -> float:
    """This process's own peak resident memory. Linux's ru_maxrss survives fork and exec, so in
    a child it reports the parent's peak (here: moto's server and the seeded account); the
    kernel's high-water mark of the process's own address space (VmHWM) does not."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024


def scan_child() -> None:
    """Runs in the child process: one full scan, the result as JSON on stdout."""
    import resource

    import boto3

    from preflight import engine
    from preflight.collect import collect
    from tests.doubles import strict

    strict.install()  # requests outside the service model are refused here as AWS refuses them
    session = boto3.Session(region_name=REGIONS[0])
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
        "peak_rss_mb": peak_rss_mb(resource),
        "findings": len(result.findings), "gaps": len(doc["gaps"]),
        "refused": sorted({str(v) for v in strict.take()}),
        "vpcs": len(doc["resources"]["vpcs"]), "subnets": len(doc["resources"]["subnets"]),
        "services": len(doc["resources"]["services"]), "databases": len(doc["resources"]["db_instances"]),
    }))


def bench(n: int, delay_s: float) -> dict[str, Any]:
    from tests.doubles.model_gate import ModelGatedMoto
    from tests.doubles.stub_server import StubServer

    # moto behind a gate that refuses requests outside the service model, as AWS does; it
    # starts every size from an empty account (moto's backends live in this process)
    with ModelGatedMoto() as moto:
        t = time.perf_counter()
        seeded = seed(moto.url, n)
        seed_s = time.perf_counter() - t
        fake, quotas = fakes(seeded)
        with StubServer(fake, quotas, delay_s) as stub:
            endpoint = moto.url
            if delay_s:
                endpoint = _delayed_proxy(moto.url, delay_s)
            out = subprocess.run([sys.executable, __file__, "--child"], env=env_for(endpoint, stub.url),
                                 capture_output=True, text=True, check=False, timeout=3600)
        refused_on_wire = moto.refused
    if out.returncode != 0:
        raise SystemExit(f"scan failed for N={n}:\n{out.stderr[-3000:]}")
    if refused_on_wire:
        raise SystemExit(f"N={n}: the gate refused requests AWS would refuse:\n  " + "\n  ".join(refused_on_wire))
    row = json.loads(out.stdout)
    if row["refused"]:
        raise SystemExit(f"scan of N={n} sent requests that AWS would refuse:\n  " + "\n  ".join(row["refused"]))
    if row["gaps"]:
        raise SystemExit(f"scan of N={n} had gaps; the numbers would not be comparable:\n{out.stdout}")
    return {"n": n, "seed_s": seed_s, **row}


_PROXIES: list[Any] = []


def _delayed_proxy(target: str, delay_s: float) -> str:
    """A loopback HTTP proxy that waits `delay_s` before forwarding each request to `target`."""
    import http.client
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import urlparse

    dest = urlparse(target)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _forward(self) -> None:
            time.sleep(delay_s)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            conn = http.client.HTTPConnection(dest.hostname, dest.port, timeout=60)
            conn.request(self.command, self.path, body, dict(self.headers))
            resp = conn.getresponse()
            data = resp.read()
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            conn.close()

        do_GET = do_POST = _forward

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _PROXIES.append(server)
    return f"http://127.0.0.1:{server.server_address[1]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 500])
    parser.add_argument("--delay-ms", type=float, default=0.0, help="added to every request")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        scan_child()
        return
    from tests.doubles import strict

    strict.install()  # the seeding requests too
    rows = [bench(n, args.delay_ms / 1000) for n in args.sizes]
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; delay per request: "
          f"{args.delay_ms:g} ms")
    print("| N VPCs | subnets | services | databases | wall (s) | collect (s) | checks (s) | API calls | "
          "by service | peak RSS (MB) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for r in rows:
        svc = ", ".join(f"{k} {v}" for k, v in sorted(r["by_service"].items()))
        print(f"| {r['n']} | {r['subnets']} | {r['services']} | {r['databases']} | {r['wall_s']:.2f} | "
              f"{r['collect_s']:.2f} | {r['checks_s']:.3f} | {r['api_calls']} | {svc} | {r['peak_rss_mb']:.0f} |")


if __name__ == "__main__":
    main()

"""Regenerate the real Terraform plans in this folder, offline.

    python tests/plans/real/generate.py --modules DIR [--mirror /opt/tf-plugins] [--only NAME]

DIR holds exported trees of the public terraform-aws-modules repositories at the tags listed in
EXAMPLES (one folder per repository, named as on GitHub: `terraform-aws-vpc`, ...). Registry
sources in an example (`terraform-aws-modules/vpc/aws`) are rewritten to those local trees, the
hashicorp/aws provider comes from a filesystem mirror (`provider_installation`), and the
provider's few reads at plan time (availability zones, caller identity, partition) are answered
by a moto server on 127.0.0.1. Nothing leaves the machine: every AWS endpoint the provider knows
is pointed at loopback through AWS_ENDPOINT_URL, and the credentials are moto's dummies.

Each plan is written as `<repo>--<example>.json`, the output of `terraform show -json`, with the
temporary working directory scrubbed out of it. The plans are committed; this script is only
needed to refresh them (a newer provider, a newer module tag).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent

# repository -> (tag, examples). Tags are the newest that accept hashicorp/aws 5.x, the provider
# the mirror carries.
EXAMPLES: dict[str, tuple[str, list[str]]] = {
    "terraform-aws-vpc": ("v5.21.0", ["simple", "complete", "network-acls", "separate-route-tables"]),
    "terraform-aws-app-runner": ("d1f2fe7", ["complete"]),
    "terraform-aws-ecs": ("v5.12.1", ["fargate", "complete"]),
    # The RDS examples (terraform-aws-rds v6.13.1 complete-postgres, cross-region-replica-postgres)
    # are not here: they need the hashicorp/random provider, which the machine's mirror does not
    # carry, and `terraform init` would have to reach the registry for it.
}
# modules the examples above call, fetched at these tags into DIR beside them
CALLED = {"terraform-aws-security-group": "v5.3.1", "terraform-aws-alb": "v9.17.0", "terraform-aws-kms": "v3.1.1"}

_REGISTRY = re.compile(r'source\s*=\s*"terraform-aws-modules/([a-z0-9-]+)/aws(//[^"]*)?"')
_VERSION = re.compile(r'^\s*version\s*=\s*"[^"]*"\s*$', re.M)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _localise(example: Path, modules: Path) -> None:
    """Point registry module sources at the local trees; drop their version constraints (a
    local source takes none). Relative sources stay: the example runs inside a copy of its own
    repository, so `../../` is still the module itself."""
    for tf in example.glob("*.tf"):
        text = tf.read_text().replace('"/aws/service/', '"/stub/aws/service/')
        out = []
        for block in re.split(r"(?m)^(?=module\s)", text):
            m = _REGISTRY.search(block)
            if m:
                target = modules / f"terraform-aws-{m.group(1)}"
                sub = (m.group(2) or "").lstrip("/")
                block = _REGISTRY.sub(f'source = "{target / sub if sub else target}"', block, count=1)
                block = _VERSION.sub("", block, count=1)
            out.append(block)
        tf.write_text("".join(out))


def _seed(port: int) -> None:
    """Public values an example reads with a data source, as AWS publishes them. AWS's own
    parameters live under the reserved `/aws/` prefix, which moto will not let anyone write, so
    the examples' reads are pointed at a copy under `/stub/aws/` (see _localise)."""
    import boto3

    for region in ("us-east-1", "eu-west-1"):
        ssm = boto3.client("ssm", region_name=region, endpoint_url=f"http://127.0.0.1:{port}",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
        ssm.put_parameter(Name="/stub/aws/service/aws-for-fluent-bit/stable", Type="String",
                          Value="public.ecr.aws/aws-observability/aws-for-fluent-bit:stable")


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    p = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    if p.returncode:
        raise RuntimeError(f"{' '.join(args)} failed in {cwd}:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    return p.stdout


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--modules", type=Path, required=True)
    ap.add_argument("--mirror", type=Path, default=Path("/opt/tf-plugins"))
    ap.add_argument("--only")
    ap.add_argument("--out", type=Path, default=HERE)
    args = ap.parse_args()

    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        _seed(port)
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            rc = work / "terraformrc"
            rc.write_text(
                "provider_installation {\n"
                f'  filesystem_mirror {{\n    path = "{args.mirror}"\n    include = ["registry.terraform.io/*/*"]\n  }}\n'
                '  direct { exclude = ["registry.terraform.io/*/*"] }\n}\n'
            )
            env = {
                "PATH": os.environ["PATH"], "HOME": str(work), "TF_CLI_CONFIG_FILE": str(rc),
                "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1",
                "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_EC2_METADATA_DISABLED": "true",
                "NO_PROXY": "*", "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
            }
            for repo, (_tag, names) in EXAMPLES.items():
                for name in names:
                    label = f"{repo}--{name}"
                    if args.only and args.only not in label:
                        continue
                    if not (work / repo).exists():
                        shutil.copytree(args.modules / repo, work / repo)
                    dst = work / repo / "examples" / name
                    _localise(dst, args.modules)
                    _run(["terraform", "init", "-backend=false", "-input=false", "-no-color"], dst, env)
                    _run(["terraform", "plan", "-input=false", "-no-color", "-refresh=false",
                          "-lock=false", "-out=tfplan"], dst, env)
                    shown = _run(["terraform", "show", "-json", "tfplan"], dst, env)
                    # kept as terraform prints it (one line), scrubbed of this machine's paths
                    shown = shown.replace(str(work), "/work").replace(str(args.modules.resolve()), "/modules")
                    doc = json.loads(shown)
                    (args.out / f"{label}.json").write_text(shown)
                    print(f"{label}: {len(doc.get('resource_changes') or [])} resource changes")
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Real CDK synth output (tests/plans/cdk, see its README): the talk's backend as CDK users write
it, one variant per way it breaks. CDK names the cluster's secret by its SecretTargetAttachment,
whose Ref is the secret's ARN
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-secretsmanager-secrettargetattachment.html):
missing that made a role without the grant pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CliRun

CDK = Path(__file__).parent / "plans" / "cdk"

# (variant, exit code at --fail-on low, rules expected besides COST001, why)
CASES = [
    ("good", 0, set(), "grantRead, allowDefaultPortFrom and a NAT gateway: nothing breaks"),
    ("no-grant", 1, {"IAM003"}, "the instance role is never granted the secret"),
    ("no-ingress", 1, {"NET009"}, "the cluster's group admits nothing from the connector"),
    ("no-nat", 1, {"NET002"}, "isolated subnets and no NAT gateway: the service loses the internet"),
]


@pytest.mark.parametrize(("variant", "code", "expected", "why"), CASES, ids=[c[0] for c in CASES])
def test_a_cdk_synth_gives_the_verdict_written_down(cli: CliRun, variant: str, code: int, expected: set[str],
                                                   why: str) -> None:
    got, out, _ = cli(["scan", "--plan", str(CDK / f"{variant}.template.json"), "--format", "json",
                         "--fail-on", "low"])
    report = json.loads(out)
    # info notes (COST001's NAT cost, OPS003's App Runner closure on a plan) are not verdicts
    assert {f["rule"] for f in report["findings"] if f["severity"] != "info"} == expected, why
    assert got == code and report["scan"]["gaps"] == [] and report["scan"]["rules_not_evaluated"] == [], why


def test_a_secret_named_by_a_resource_preflight_cannot_derive_is_a_gap_not_a_pass(cli: CliRun,
                                                                                  tmp_path: Path) -> None:
    doc = json.loads((CDK / "no-grant.template.json").read_text())
    doc["Resources"]["Custom"] = {"Type": "Custom::SecretMaker", "Properties": {"ServiceToken": "arn:aws:lambda:x"}}
    config = doc["Resources"]["Backend"]["Properties"]["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"]
    config["RuntimeEnvironmentSecrets"][0]["Value"] = {"Ref": "Custom"}
    path = tmp_path / "t.json"
    path.write_text(json.dumps(doc))
    code, out, _ = cli(["scan", "--plan", str(path), "--format", "json"])
    report = json.loads(out)
    assert code == 3 and "IAM003" in {r["rule"] for r in report["scan"]["rules_not_evaluated"]}
    assert any("known only after deployment" in g["error"] for g in report["scan"]["gaps"])


def test_a_role_named_by_something_other_than_a_role_is_a_gap_not_a_pass(cli: CliRun, tmp_path: Path) -> None:
    doc = json.loads((CDK / "no-grant.template.json").read_text())
    doc["Resources"]["Custom"] = {"Type": "Custom::RoleMaker", "Properties": {"ServiceToken": "arn:aws:lambda:x"}}
    doc["Resources"]["Backend"]["Properties"]["InstanceConfiguration"]["InstanceRoleArn"] = {
        "Fn::GetAtt": ["Custom", "RoleArn"]}
    path = tmp_path / "t.json"
    path.write_text(json.dumps(doc))
    code, out, _ = cli(["scan", "--plan", str(path), "--format", "json"])
    report = json.loads(out)
    assert code == 3 and "IAM003" in {r["rule"] for r in report["scan"]["rules_not_evaluated"]}

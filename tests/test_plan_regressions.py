"""One regression test per reader failure found on real plans and templates (issue 18), each on the
smallest input that showed it, written the way the tool that makes such files writes them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from preflight.collect.plans.records import aws_managed_documents
from preflight.redact import credential_like
from tests.conftest import CliRun

PLANS = Path(__file__).parent / "plans"
ACCESS = "arn:aws:iam::aws:policy/service-role/AWSAppRunnerServicePolicyForECRAccess"
# a plan-only scan knows no account and takes the placeholder 000000000000 for the roles it plans:
# an image in that account is the same-account case
IMAGE = "000000000000.dkr.ecr.ap-northeast-1.amazonaws.com/talk-be:1"
OTHER = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/talk-be:1"


def _res(address: str, values: dict[str, Any], unknown: dict[str, Any], expressions: dict[str, Any]) -> tuple:
    return address, values, unknown, expressions


def _tf_plan(resources: list[tuple]) -> dict[str, Any]:
    """A plan as `terraform show -json` writes it: unknown values left out of `values` and
    marked in `after_unknown` (https://developer.hashicorp.com/terraform/internals/json-format)."""
    pv, rc, cfg = [], [], []
    for address, values, unknown, expressions in resources:
        rtype, name = address.split(".")
        base = {"address": address, "mode": "managed", "type": rtype, "name": name}
        pv.append({**base, "values": values})
        rc.append({**base, "change": {"actions": ["create"], "before": None, "after": values,
                                      "after_unknown": unknown}})
        cfg.append({**base, "expressions": expressions})
    return {"format_version": "1.2", "terraform_version": "1.11.4",
            "planned_values": {"root_module": {"resources": pv}}, "resource_changes": rc,
            "configuration": {"provider_config": {"aws": {"name": "aws", "expressions": {
                "region": {"constant_value": "ap-northeast-1"}}}}, "root_module": {"resources": cfg}}}


TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                              "Principal": {"Service": "build.apprunner.amazonaws.com"}}]})


def _private_ecr_service(attach: bool, auth: bool = True, image: str = IMAGE) -> dict[str, Any]:
    source: dict[str, Any] = {"image_repository": [{"image_identifier": image, "image_repository_type": "ECR",
                                                    "image_configuration": [{"port": "8080"}]}],
                              "auto_deployments_enabled": False}
    source_unknown: dict[str, Any] = {}
    source_expr: dict[str, Any] = {}
    if auth:
        source["authentication_configuration"] = [{}]
        source_unknown = {"authentication_configuration": [{"access_role_arn": True}]}
        source_expr = {"authentication_configuration": [{"access_role_arn": {
            "references": ["aws_iam_role.access.arn", "aws_iam_role.access"]}}]}
    resources = [
        _res("aws_iam_role.access", {"name": "talk-access", "assume_role_policy": TRUST}, {"arn": True, "id": True},
             {"name": {"constant_value": "talk-access"}, "assume_role_policy": {"constant_value": TRUST}}),
        _res("aws_apprunner_service.be", {"service_name": "talk-be", "source_configuration": [source]},
             {"arn": True, "source_configuration": [source_unknown]},
             {"service_name": {"constant_value": "talk-be"}, "source_configuration": [source_expr]}),
    ]
    if attach:
        resources.append(_res("aws_iam_role_policy_attachment.access", {"policy_arn": ACCESS, "role": "talk-access"},
                              {"id": True}, {"policy_arn": {"constant_value": ACCESS},
                                             "role": {"references": ["aws_iam_role.access.name", "aws_iam_role.access"]}}))
    return _tf_plan(resources)


def _scan(cli: CliRun, tmp_path: Path, doc: Any, *argv: str, name: str = "plan.json") -> tuple[int, dict[str, Any]]:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    out = tmp_path / "report.json"
    code, _, err = cli(["scan", "--plan", str(path), "--format", "json", "--output", str(out), *argv])
    assert out.exists(), err
    return code, json.loads(out.read_text())


def _rules(report: dict[str, Any]) -> set[str]:
    return {f["rule"] for f in report["findings"]}


def _unevaluated(report: dict[str, Any]) -> set[str]:
    return {r for g in report["scan"]["gaps"] for r in g.get("rules_not_evaluated") or []}


# --- IAM006: the access role of a private ECR image -------------------------------------------

def test_the_standard_access_role_of_a_terraform_app_runner_service_passes_iam006(cli: CliRun, tmp_path: Path) -> None:
    # `authentication_configuration.access_role_arn` was never read, so every such service was
    # IAM006 critical; the managed policy's document ships with preflight
    code, report = _scan(cli, tmp_path, _private_ecr_service(attach=True), "--select", "IAM006")
    assert "IAM006" not in _rules(report) and "IAM006" not in _unevaluated(report)
    assert code == 0


def test_an_image_in_another_account_is_undecided_not_critical(cli: CliRun, tmp_path: Path) -> None:
    # cross-account pulls need the repository's policy too, which a plan does not show
    # (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html)
    code, report = _scan(cli, tmp_path, _private_ecr_service(attach=True, image=OTHER), "--select", "IAM006")
    (f,) = report["findings"]
    assert f["rule"] == "IAM006" and f["severity"] == "medium" and "may not be able to pull" in f["message"]
    assert code == 0  # medium is below the default --fail-on high (CONTRACT.md, exit codes)


def test_an_access_role_without_ecr_read_is_iam006(cli: CliRun, tmp_path: Path) -> None:
    code, report = _scan(cli, tmp_path, _private_ecr_service(attach=False), "--select", "IAM006")
    assert "IAM006" in _rules(report) and code == 1


def test_a_private_ecr_image_without_an_access_role_is_iam006(cli: CliRun, tmp_path: Path) -> None:
    code, report = _scan(cli, tmp_path, _private_ecr_service(attach=False, auth=False), "--select", "IAM006")
    assert "IAM006" in _rules(report) and code == 1


def test_the_app_runner_ecr_access_policy_is_bundled_as_aws_publishes_it() -> None:
    # https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSAppRunnerServicePolicyForECRAccess.html
    doc = aws_managed_documents()[ACCESS]
    (stmt,) = doc["Statement"]
    assert stmt["Effect"] == "Allow" and stmt["Resource"] == "*"
    assert set(stmt["Action"]) == {"ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", "ecr:DescribeImages",
                                   "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability"}


# --- an environment unknown at plan time ------------------------------------------------------

def test_an_environment_map_known_only_after_apply_is_a_named_gap(cli: CliRun, tmp_path: Path) -> None:
    # `runtime_environment_variables = { DB_HOST = aws_db_instance.db.address }`: Terraform marks
    # the whole map unknown
    doc = _private_ecr_service(attach=True)
    svc = next(r for r in doc["resource_changes"] if r["address"] == "aws_apprunner_service.be")
    svc["change"]["after_unknown"]["source_configuration"][0]["image_repository"] = [
        {"image_configuration": [{"runtime_environment_variables": True}]}]
    cfg = next(r for r in doc["configuration"]["root_module"]["resources"] if r["address"] == "aws_apprunner_service.be")
    cfg["expressions"]["source_configuration"][0]["image_repository"] = [{"image_configuration": [{
        "runtime_environment_variables": {"references": ["aws_db_instance.db.address", "aws_db_instance.db"]}}]}]
    code, report = _scan(cli, tmp_path, doc)
    ops = [g["operation"] for g in report["scan"]["gaps"]]
    assert any(op.endswith("runtime_environment_variables") for op in ops), ops
    assert code == 3 or code == 1


# --- a reader's crash is that file's gap ----------------------------------------------------

def test_a_crash_reading_one_plan_keeps_the_rest_of_the_report(cli: CliRun, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import preflight.collect.plans as plan_mod

    real = plan_mod._load_plan

    def flaky(path: str, *a: Any) -> Any:
        if path.endswith("broken.json"):
            raise KeyError("a shape the reader did not expect")
        return real(path, *a)

    monkeypatch.setattr(plan_mod, "_load_plan", flaky)
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(_private_ecr_service(attach=True)))
    out = tmp_path / "r.json"
    code, _, err = cli(["scan", "--plan", str(broken), "--plan", str(PLANS / "talk-template.yaml"),
                        "--format", "json", "--output", str(out)])
    report = json.loads(out.read_text())
    # the template's findings still fail the scan; the broken file's gap covers every collection,
    # so the network rules say "not evaluated" rather than judge a VPC half read
    assert code == 1, err
    assert "BLD003" in _rules(report) and "NET003" in _unevaluated(report)
    gap = next(g for g in report["scan"]["gaps"] if "broken.json" in g["operation"])
    assert "nothing in it was checked" in gap["error"] and gap["rules_not_evaluated"]
    assert {i["file"].rsplit("/", 1)[-1]: i["format"] for i in report["scan"]["inputs"]}["broken.json"] == "unreadable"


# --- encodings ------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_plan_is_told_to_be_saved_as_utf8(cli: CliRun, tmp_path: Path, encoding: str) -> None:
    # Windows PowerShell 5's `>` writes UTF-16 LE with a byte-order mark
    path = tmp_path / "plan.json"
    path.write_bytes(json.dumps(_private_ecr_service(attach=True)).encode(encoding))
    code, out, err = cli(["scan", "--plan", str(path)])
    assert code == 2 and out == "" and "UTF-16" in err and "UTF-8" in err and err.count("\n") == 1


def test_a_utf8_byte_order_mark_is_accepted(cli: CliRun, tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_bytes(b"\xef\xbb\xbf" + (PLANS / "talk-plan.json").read_bytes())
    code, out, err = cli(["scan", "--plan", str(path), "--format", "json"])
    assert code == 1 and "NET003" in _rules(json.loads(out)), err


# --- credential names -------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "credential"), [
    ("DB_PASS", True), ("DB_PWD", True), ("MYSQL_PW", True), ("PASS", True), ("REDIS_PASSWD", True),
    ("DB_PASSWORD", True), ("PASS_PHRASE_X", True),
    ("BYPASS_CACHE", False), ("COMPASS_URL", False), ("PASSENGER_COUNT", False), ("DB_PASS_FILE", False),
    ("DB_PASS_ARN", False), ("NEXT_PUBLIC_PASS", False),
])
def test_short_password_names_are_credentials_and_words_that_contain_pass_are_not(name: str, credential: bool) -> None:
    assert credential_like(name, False) is credential


# --- ECS load balancers --------------------------------------------------------------------------

def test_a_planned_ecs_service_keeps_its_load_balancer(tmp_path: Path) -> None:
    """ECS003 needs to know tasks are behind a load balancer: a plan's load_balancer block (and a
    template's LoadBalancers) must survive into the record."""
    from preflight.collect.plans import load_plan_file

    doc = json.loads((PLANS / "ecs-plan.json").read_text())
    for r in doc["planned_values"]["root_module"]["resources"]:
        if r["type"] == "aws_ecs_service":
            r["values"]["load_balancer"] = [{"target_group_arn": "arn:aws:elasticloadbalancing:ap-northeast-1:"
                                             "123456789012:targetgroup/be/0123456789abcdef",
                                             "container_name": "be", "container_port": 8080}]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc))
    [svc] = [s for s in load_plan_file(str(path), {}, "ap-northeast-1", "123456789012")["services"]]
    assert svc["target_groups"] and len(svc["load_balancers"]) == 1 and svc["port"] == "8080"

"""`preflight iam-policy --org` and `--stackset`: the member role's documents, judged by the IAM
evaluator the way STS judges an AssumeRole across accounts (both the caller's policy and the
role's trust policy must allow; https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html),
with the external id of https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html;
the template linted by cfn-lint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from preflight.collect import OPERATIONS
from preflight.iam import Context, Decision, Policy, Principal, Request, evaluate
from tests.conftest import CliRun

SCANNER = "arn:aws:iam::111122223333:role/ci-preflight"
MEMBER_ROLE = "arn:aws:iam::444455556666:role/PreflightReadOnly"


def _documents(cli: CliRun, *extra: str) -> dict[str, Any]:
    code, out, err = cli(["iam-policy", "--org", "--trusted-account", "111122223333", *extra])
    assert code == 0, err
    return dict(json.loads(out))


def _assume(docs: dict[str, Any], caller: str, external_id: str | None) -> Decision:
    principal = Principal(caller, (Policy("caller policy", docs["caller_policy"]),))
    values = {"sts:externalid": (external_id,)} if external_id else {}
    ctx = Context(values=values, absent=frozenset() if external_id else frozenset({"sts:externalid"}))
    return evaluate(Request(principal, "sts:AssumeRole", MEMBER_ROLE, ctx,
                            Policy("trust policy", docs["trust_policy"]))).decision


@pytest.mark.parametrize(("caller", "external_id", "expected"), [
    (SCANNER, "preflight-7f3a", Decision.ALLOW),
    (SCANNER, None, Decision.IMPLICIT_DENY),
    (SCANNER, "someone-else", Decision.IMPLICIT_DENY),
    ("arn:aws:iam::999999999999:role/ci-preflight", "preflight-7f3a", Decision.IMPLICIT_DENY),
])
def test_the_trust_policy_admits_the_trusted_account_with_its_external_id(
        cli: CliRun, caller: str, external_id: str | None, expected: Decision) -> None:
    assert _assume(_documents(cli, "--external-id", "preflight-7f3a"), caller, external_id) is expected


def test_without_an_external_id_the_trusted_account_alone_decides(cli: CliRun) -> None:
    docs = _documents(cli)
    assert _assume(docs, SCANNER, None) is Decision.ALLOW
    assert _assume(docs, "arn:aws:iam::999999999999:role/x", None) is Decision.IMPLICIT_DENY


def test_the_role_policy_is_every_declared_read_and_nothing_else(cli: CliRun) -> None:
    docs = _documents(cli)
    assert docs["role_policy"]["Statement"][0]["Action"] == sorted({op.iam_action for op in OPERATIONS})
    caller = docs["caller_policy"]["Statement"]
    assert "organizations:ListAccounts" in caller[0]["Action"]
    assert caller[1] == {"Sid": "PreflightAssumeMemberRole", "Effect": "Allow", "Action": "sts:AssumeRole",
                         "Resource": "arn:aws:iam::*:role/PreflightReadOnly"}


def test_the_stackset_template_lints_clean(cli: CliRun, tmp_path: Path) -> None:
    code, out, _ = cli(["iam-policy", "--stackset", "--external-id", "preflight-7f3a"])
    assert code == 0
    template = tmp_path / "preflight-role.json"
    template.write_text(out)
    from cfnlint.api import lint_all  # cfn-lint comes with moto's CloudFormation support

    problems = [p for p in lint_all(out) if p.rule.id[0] in "EW"]  # errors and warnings, as its CLI reports
    assert not problems, [str(p) for p in problems]
    role = json.loads(out)["Resources"]["PreflightReadOnlyRole"]["Properties"]
    assert role["RoleName"] == "PreflightReadOnly"
    assert len(json.dumps(role["Policies"][0]["PolicyDocument"])) < 10240  # IAM's inline policy limit


@pytest.mark.parametrize(("argv", "message"), [
    (["iam-policy", "--external-id", "x1"], "add --org or --stackset"),
    (["iam-policy", "--org", "--stackset"], "choose one"),
    (["iam-policy", "--org", "--trusted-account", "12"], "12 digits"),
    (["iam-policy", "--org", "--external-id", "a b"], "--external-id"),
])
def test_bad_options_are_one_line(cli: CliRun, argv: list[str], message: str) -> None:
    code, _, err = cli(argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1

"""--verify-iam: the permission questions asked of iam:SimulatePrincipalPolicy (Stubber, shaped as the
service model says; moto has no simulator), and IAM007 reporting where the two engines disagree.
Reference: https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html"""

from __future__ import annotations

from typing import Any

import boto3
import botocore.session
from botocore.stub import Stubber

from preflight import engine
from preflight.checks.access import simulation_questions
from preflight.collect.aws import is_read_only
from preflight.collect.simulate import COLLECTION, ask, clients_for
from preflight.graph import ResourceGraph
from tests.builders import Snap

GET = "secretsmanager:GetSecretValue"


def world() -> tuple[Snap, str, str]:
    s = Snap()
    key = s.key()
    secret = s.secret("db", key=key)
    role = s.role("reader", statements=[
        {"Effect": "Allow", "Action": GET, "Resource": secret,
         "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key,
         "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}}])
    s.service("api", role=role, secrets={"DB": secret})
    return s, secret, key


def result(action: str, resource: str, decision: str, **extra: Any) -> dict[str, Any]:
    return {"EvaluationResults": [{"EvalActionName": action, "EvalResourceName": resource,
                                   "EvalDecision": decision, "MatchedStatements": [], **extra}]}


def stubbed(answers: list[tuple[str, str, str] | Exception]) -> tuple[Any, Stubber]:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    clients = clients_for(session)
    client = clients.get("iam", "us-east-1")
    stub = Stubber(client)
    for a in answers:
        if isinstance(a, Exception):
            stub.add_client_error("simulate_principal_policy", "AccessDenied", "not authorized", 403)
        else:
            stub.add_response("simulate_principal_policy", result(*a))
    stub.activate()
    return clients, stub


def test_every_simulator_decision_has_a_verdict() -> None:
    from preflight.checks.access import SIMULATOR_VERDICTS
    from preflight.enums import SIMULATOR_DECISION

    assert set(SIMULATOR_VERDICTS) == SIMULATOR_DECISION


def test_the_simulator_is_a_declared_read() -> None:
    assert is_read_only("iam", "SimulatePrincipalPolicy")
    assert not is_read_only("iam", "PutRolePolicy")


def test_questions_are_valid_against_the_model() -> None:
    s, secret, key = world()
    questions = simulation_questions(ResourceGraph.build(s.doc()))
    assert [(q["rule"], q["action"], q["resource"], q["local"]) for q in questions] == [
        ("IAM003", GET, secret, "allowed"), ("IAM004", "kms:Decrypt", key, "allowed")]
    model = botocore.session.get_session().get_service_model("iam")
    kinds = set(model.operation_model("SimulatePrincipalPolicy").input_shape.members["ContextEntries"]
                .member.members["ContextKeyType"].enum)
    for q in questions:
        assert {e["ContextKeyType"] for e in q["context"]} <= kinds
        names = {e["ContextKeyName"]: e for e in q["context"]}
        assert all(5 <= len(n) <= 256 for n in names)
    sm = {e["ContextKeyName"]: e for e in questions[1]["context"]}
    assert sm["kms:viaservice"]["ContextKeyValues"] == ["secretsmanager.us-east-1.amazonaws.com"]
    assert sm["aws:calledvia"]["ContextKeyType"] == "stringList"


def test_agreement_is_silent_and_disagreement_is_a_finding() -> None:
    s, secret, key = world()
    doc = s.doc()
    questions = simulation_questions(ResourceGraph.build(doc))
    clients, stub = stubbed([(GET, secret, "allowed"), ("kms:Decrypt", key, "implicitDeny")])
    answered, gaps = ask(None, "us-east-1", questions, clients=clients)  # type: ignore[arg-type]
    stub.assert_no_pending_responses()
    assert gaps == [] and [a["simulator"] for a in answered] == ["allowed", "implicitDeny"]
    doc["resources"][COLLECTION] = answered
    run = engine.run(doc, engine.select_rules(["IAM007"], verify_iam=True))
    assert [f.rule for f in run.findings] == ["IAM007"]
    msg = run.findings[0].message
    assert "kms:Decrypt" in msg and "preflight says allowed" in msg and "simulator says not allowed" in msg


def test_a_refused_simulator_leaves_iam007_not_evaluated() -> None:
    s, _secret, _key = world()
    doc = s.doc()
    clients, _stub = stubbed([PermissionError()])
    answered, gaps = ask(None, "us-east-1", simulation_questions(ResourceGraph.build(doc)),  # type: ignore[arg-type]
                         clients=clients)
    assert answered == [] and gaps[0]["iam_action"] == "iam:SimulatePrincipalPolicy"
    doc["resources"][COLLECTION] = answered
    doc["gaps"] = gaps
    run = engine.run(doc, engine.select_rules(["IAM007"], verify_iam=True))
    assert "IAM007" in run.not_evaluated and run.findings == ()


def test_iam007_runs_only_with_verify_iam() -> None:
    assert "IAM007" not in engine.select_rules()
    assert "IAM007" not in engine.select_rules(["IAM"])
    assert "IAM007" in engine.select_rules(verify_iam=True)


def test_verify_iam_needs_an_account(cli: Any, tmp_path: Any) -> None:
    (tmp_path / "x.yaml").write_text("Resources: {}\n")
    code, _out, err = cli(["scan", "--plan", str(tmp_path / "x.yaml"), "--verify-iam"])
    assert code == 2 and "--verify-iam" in err and "Traceback" not in err


def test_verify_iam_with_a_snapshot_without_answers(cli: Any, tmp_path: Any) -> None:
    import json

    s, _secret, _key = world()
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(s.doc()))
    code, _out, err = cli(["scan", "--snapshot", str(path), "--verify-iam"])
    assert code == 2 and "simulator" in err

"""Every AWS value preflight compares exists where AWS says it does.

The oracle is the installed botocore service model: an enum literal must be a member of its
shape's enum (https://smithy.io/2.0/spec/constraint-traits.html#enum-trait); a value AWS returns
beyond the model's enum, or of a member the model types as a free string, must name the API
reference page that lists it. And no collector or check compares a field with a bare literal
outside preflight's own vocabulary: it uses a declaration from preflight.enums, which is what the
first test checks.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import botocore.session
import pytest

import preflight
from preflight import enums

_SESSION = botocore.session.get_session()
ROOT = Path(preflight.__file__).resolve().parent


def _import_everything() -> None:
    for mod in pkgutil.walk_packages([str(ROOT)], "preflight."):
        if ".testing" not in mod.name and not mod.name.endswith("__main__"):
            importlib.import_module(mod.name)


_import_everything()


@pytest.mark.parametrize("declared", enums.DECLARED, ids=lambda d: f"{d.service}.{d.shape}")
def test_each_declared_value_is_in_the_model(declared: enums.Declared) -> None:
    model = _SESSION.get_service_model(declared.service)
    if "." in declared.shape:  # a member the model types as a plain string
        structure, member = declared.shape.split(".")
        shape = model.shape_for(structure).members[member]
        assert shape.type_name == "string" and not shape.enum, f"{declared.shape} has an enum now: use it"
        assert declared.source.startswith("https://docs.aws.amazon.com/")
        return
    shape = model.shape_for(declared.shape)
    assert shape.enum, f"{declared.service}.{declared.shape} is not an enum"
    missing = declared.values - set(shape.enum)
    assert not missing, f"{sorted(missing)} are not {declared.service}.{declared.shape} values {shape.enum}"
    if declared.beyond_model:
        assert not declared.beyond_model & set(shape.enum), "the model has it now: move it to values"
        assert declared.source.startswith("https://docs.aws.amazon.com/")


def test_a_failed_express_deployment_is_read_from_the_rollout_state() -> None:
    # ExpressGatewayServiceStatusCode has no FAILED; ECS reports a failed deployment of an Express
    # service as the primary deployment's rolloutState (DeploymentRolloutState)
    ecs = _SESSION.get_service_model("ecs")
    assert "FAILED" not in ecs.shape_for("ExpressGatewayServiceStatusCode").enum
    assert set(ecs.shape_for("DeploymentRolloutState").enum) >= enums.ROLLOUT_FAILED
    assert ecs.shape_for("Deployment").members["rolloutState"].name == "DeploymentRolloutState"


def test_the_custom_domain_waits_name_real_statuses() -> None:
    from preflight.checks.operations import _STATUS_WAITS

    enum = set(_SESSION.get_service_model("apprunner").shape_for("CustomDomainAssociationStatus").enum)
    assert set(_STATUS_WAITS) <= enum


# -- no bare literal against a field AWS returns ----------------------------------------------

# Fields of preflight's own records whose values preflight itself chooses, with why.
OWN_VOCABULARY = {
    "platform": "apprunner | ecs | ecs-express: preflight's workload kinds",
    "target_type": "preflight's route target kinds (collect.ec2.route_target)",
    "kind": "preflight's graph node and domain kinds",
    "type": "source type (image | code) of preflight's workload records",
    "source": "where a DNS record or quota value was read: preflight's own labels",
    "language": "preflight's reading of a source tree",
    "registry": "preflight's image origin (collect.ecs.image_origin)",
    "build": "preflight's build kinds",
    "rel": "graph edge relations",
    "operation": "gap records name operations, which are model operation names, not enums",
    "name": "the default security group's name is a fixed AWS name, not an enum",
    "destination": "a CIDR",
    "state": "preflight's answer for an ECR image (collect.ecr: present, missing-repository, failed)",
    "awslogs-create-group": "a log driver option the user writes (the string \"true\"), not an AWS response",
    "mode": "a Terraform resource's mode (managed | data) in `terraform show -json`, not an AWS enum",
    "protocol": "IpProtocol is a free string in the EC2 model: -1, a number or a name",
    "status": "only preflight's own statuses appear here (PLANNED, ok); AWS ones use preflight.enums",
    "Code": "an error code, checked against the operation's error shapes below",
}
OWN_STATUSES = {"PLANNED", "ok"}
# Readers of files the user wrote (IaC and source trees), not of AWS responses.
NOT_AWS_RESPONSES = {"collect/plans/__init__.py", "collect/plans/cloudformation.py", "collect/plans/terraform.py",
                     "collect/plans/tfplan.py", "collect/plans/records.py", "collect/plans/cli_input.py",
                     "collect/source.py"}


def _literals(node: ast.AST) -> list[str] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set) and node.elts and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
        return [e.value for e in node.elts]  # type: ignore[attr-defined]
    return None


def _field(node: ast.AST) -> str | None:
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        return node.slice.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr == "get" and node.args and isinstance(node.args[0], ast.Constant):
            return str(node.args[0].value)
        if node.func.attr in ("lower", "upper"):
            return _field(node.func.value)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str" and node.args:
        return _field(node.args[0])
    return None


def _comparisons() -> list[tuple[str, int, str, list[str]]]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("testing/") or rel in NOT_AWS_RESPONSES:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Compare) or len(node.ops) != 1:
                continue
            left, right = node.left, node.comparators[0]
            for f, lits in ((_field(left), _literals(right)), (_field(right), _literals(left))):
                if f is not None and lits is not None:
                    found.append((rel, node.lineno, f, lits))
    return found


def test_no_bare_literal_is_compared_with_a_field_aws_returns() -> None:
    bad = []
    for rel, line, field, lits in _comparisons():
        if field not in OWN_VOCABULARY:
            bad.append(f"{rel}:{line}: {field} compared with {lits}: declare it in preflight.enums")
        elif field == "status" and not set(lits) <= OWN_STATUSES:
            bad.append(f"{rel}:{line}: status compared with {lits}: declare it in preflight.enums")
    assert bad == []


def test_the_scan_finds_comparisons_at_all() -> None:
    # the scan above must see the code it judges (a refactor that hides every comparison behind
    # a helper would make it pass vacuously): these comparisons of preflight's own fields exist
    seen = {(rel, field) for rel, _, field, _ in _comparisons()}
    assert {("reach/trace.py", "target_type"), ("checks/operations.py", "platform"),
            ("collect/ecs.py", "platform")} <= seen


def _error_codes_compared() -> list[tuple[str, str]]:
    out = []
    for path in sorted((ROOT / "collect").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Compare) and len(node.ops) == 1:
                left = node.left
                is_code = (isinstance(left, ast.Call) and isinstance(left.func, ast.Name) and left.func.id == "_code") \
                    or _field(left) == "Code"
                lits = _literals(node.comparators[0])
                if is_code and lits:
                    out += [(path.name, lit) for lit in lits]
    return out


@pytest.mark.parametrize(("module", "code"), _error_codes_compared())
def test_each_error_code_compared_is_a_modelled_error(module: str, code: str) -> None:
    from preflight.collect import OPERATIONS

    errors = {e.name for op in OPERATIONS
              for e in _SESSION.get_service_model(op.service).operation_model(op.name).error_shapes}
    errors |= {e.error_code for op in OPERATIONS
               for e in _SESSION.get_service_model(op.service).operation_model(op.name).error_shapes
               if getattr(e, "error_code", None)}
    assert code in errors, f"{module} compares {code}, which no operation preflight calls can answer"


def test_the_fakes_answer_errors_the_operation_models() -> None:
    """The doubles answer only what AWS can: a non-Express ARN gets ResourceNotFoundException,
    which DescribeExpressGatewayService models (ServiceNotFoundException it does not)."""
    import json

    from tests.doubles.ecs_fake import FakeExpressMode

    fake = FakeExpressMode()
    model = _SESSION.get_service_model("ecs").operation_model("DescribeExpressGatewayService")
    body = json.dumps({"serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/c/s"}).encode()
    _, parsed = fake._describe(model, {"body": body})
    assert parsed["Error"]["Code"] in {e.name for e in model.error_shapes}

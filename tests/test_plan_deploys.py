"""The deploy-blocker rules on planned state: the task size, the circuit breaker and the runtime
platform as a CloudFormation template and a Terraform plan declare them, each finding pointing
at the line that declares the service."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import CliRun

PLANS = Path(__file__).parent / "plans"


def _scan(cli: CliRun, path: Path, *rules: str) -> dict:
    args = ["scan", "--plan", str(path), "--format", "json", "--fail-on", "low"]
    for r in rules:
        args += ["--select", r]
    _, out, err = cli(args)
    assert out, err
    return json.loads(out)


def _planned(cli: CliRun, path: Path, tmp_path: Path) -> list[dict]:
    """The workload records the plan reader made, as --save-snapshot keeps them."""
    saved = tmp_path / "saved.json"
    cli(["scan", "--plan", str(path), "--save-snapshot", str(saved), "--format", "json"])
    return json.loads(saved.read_text())["resources"]["services"]


def _found(report: dict) -> set[tuple[str, str]]:
    return {(f["rule"], f["resource"]["id"]) for f in report["findings"]}


def test_cloudformation_task_size_and_circuit_breaker(cli: CliRun, tmp_path: Path) -> None:
    text = (PLANS / "ecs-template.yaml").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace('Cpu: "1024"', 'Cpu: "256"').replace('Memory: "2048"', 'Memory: "4 GB"'))
    report = _scan(cli, bad, "ECS010", "ECS018")
    assert _found(report) == {("ECS010", "talk-be"), ("ECS018", "talk-be")}
    assert all(f["location"]["file"].endswith("bad.yaml") for f in report["findings"])
    good = tmp_path / "good.yaml"
    good.write_text(text.replace("      DesiredCount: 2\n", "      DesiredCount: 2\n      DeploymentConfiguration:\n"
                                 "        DeploymentCircuitBreaker: {Enable: true, Rollback: true}\n"))
    assert _found(_scan(cli, good, "ECS010", "ECS018")) == set()


def test_cloudformation_runtime_platform_reaches_the_architecture_check(cli: CliRun, tmp_path: Path) -> None:
    text = (PLANS / "ecs-template.yaml").read_text()
    arm = tmp_path / "arm.yaml"
    arm.write_text(text.replace("      NetworkMode: awsvpc\n", "      NetworkMode: awsvpc\n      RuntimePlatform:\n"
                                "        CpuArchitecture: ARM64\n        OperatingSystemFamily: LINUX\n"))
    [w] = [w for w in _planned(cli, arm, tmp_path) if w["name"] == "talk-be"]
    assert w["cpu_architecture"] == "ARM64" and w["requires_fargate"] and w["circuit_breaker"] is None


def test_terraform_circuit_breaker_and_grace_period(cli: CliRun, tmp_path: Path) -> None:
    plan = json.loads((PLANS / "ecs-plan.json").read_text())
    assert ("ECS018", "talk-be") in _found(_scan(cli, PLANS / "ecs-plan.json", "ECS018"))
    for r in plan["planned_values"]["root_module"]["resources"]:
        if r["type"] == "aws_ecs_service":
            r["values"]["deployment_circuit_breaker"] = [{"enable": True, "rollback": True}]
            r["values"]["health_check_grace_period_seconds"] = 30
        if r["type"] == "aws_ecs_task_definition":
            r["values"]["cpu"], r["values"]["memory"] = "512", "512"
            r["values"]["runtime_platform"] = [{"cpu_architecture": "ARM64", "operating_system_family": "LINUX"}]
    fixed = tmp_path / "plan.json"
    fixed.write_text(json.dumps(plan))
    report = _scan(cli, fixed, "ECS010", "ECS018")
    assert _found(report) == {("ECS010", "talk-be")}  # 512 CPU units take 1 to 4 GiB, not 512 MiB
    [w] = [w for w in _planned(cli, fixed, tmp_path) if w["name"] == "talk-be"]
    assert w["cpu_architecture"] == "ARM64" and w["health_check_grace"] == 30

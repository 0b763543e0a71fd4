"""Which workloads the ECS rules judge, and where their tasks run."""

from __future__ import annotations

from preflight.enums import ECS_SERVICE_INACTIVE, EXPRESS_INACTIVE, FARGATE
from preflight.graph import Rec, ResourceGraph, is_ecs


def ecs_workloads(g: ResourceGraph) -> list[Rec]:
    """The ECS and Express Mode services that still exist (not INACTIVE)."""
    return [w for w in g.workloads if is_ecs(w) and w.get("status") not in ECS_SERVICE_INACTIVE | EXPRESS_INACTIVE]


def on_fargate(w: Rec) -> bool:
    """Whether the service's tasks run on Fargate (Express Mode always does)."""
    return w["platform"] == "ecs-express" or w.get("launch_type") in FARGATE

"""Checks: pure functions of the resource graph, one module per failure family.

Importing this package registers every check. Checks import the graph, the finding types and
the registry only: never boto3, collectors or reporters.
"""

from preflight.checks import build, ecs, identity, migration, network, operations, paths  # noqa: F401

"""Checks: pure functions of the resource graph, one module per failure family.

Importing this package registers every check. Checks import the graph, the finding types and
the registry only: never boto3, collectors or reporters.
"""

from preflight.checks import (  # noqa: F401  (the explicit list of built-in check modules)
    access,
    build,
    connectivity,
    deploys,
    migration,
    network,
    operations,
    tasks,
)

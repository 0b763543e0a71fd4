"""Schema-valid but odd snapshot shapes (hand-written, older or partial) reach the permission
rules without crashing them: a crash would hide their verdicts."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from preflight import engine, snapshot
from preflight.demo import __file__ as demo_init

BASE = snapshot.load(str(Path(demo_init).with_name("talk.snapshot.json")))
Res = dict[str, Any]


def _each(collection: str, **values: Any) -> Callable[[Res], None]:
    def apply(r: Res) -> None:
        for x in r[collection]:
            x.update(values)
    return apply


MUTATIONS: dict[str, Callable[[Res], None]] = {
    "boundary without arn": _each("roles", boundary={"document": None}),
    "boundary unparsable": _each("roles", boundary={"arn": "arn:aws:iam::1:policy/b", "document": "{bad"}),
    "tags as AWS's list": _each("roles", tags=[{"Key": "a", "Value": "b"}]),
    "tags as junk": _each("secrets", tags="junk"),
    "resource policy a list": _each("secrets", resource_policy=[1, 2]),
    "resource policy JSON text": _each("secrets", resource_policy='{"Statement": {"Effect": "Deny", "Principal": "*", '
                                                                  '"Action": "*"}}'),
    "trust not a policy": _each("roles", trust="nope"),
    "secret without a name": _each("secrets", name=None),
    "role id not a string": _each("roles", id=5),
    "key policy unread": _each("kms_keys", policy=None),
    "organization levels odd": lambda r: r.update(organization=[{"in_organization": True, "scps": [[{"document": None}]],
                                                                 "rcps": [[]]}]),
    "simulation answers partial": lambda r: r.update(iam_simulations=[
        {"role": "x", "action": "a", "resource": "r", "local": "allowed", "simulator": "explicitDeny"}]),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_permission_rules_answer_odd_shapes(name: str) -> None:
    doc = copy.deepcopy(BASE)
    MUTATIONS[name](doc["resources"])
    result = engine.run(doc, engine.select_rules(["IAM", "SEC", "ECS"], verify_iam=True))
    assert result.crashed == {}

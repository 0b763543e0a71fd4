"""Documents and contexts as a broken or hostile snapshot may carry them: the evaluator answers
(often "undecidable"), never raises, and never allows on a document it could not read."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st

from preflight.iam import Decision, Policy, Principal, Request, evaluate, trusts
from preflight.iam import requests as rq
from preflight.iam.context import normal_tags

ROLE = "arn:aws:iam::111122223333:role/app"
SECRET = "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"

scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                   st.text(st.sampled_from("*?:/${}'a-, "), max_size=12),
                   st.sampled_from(["*", "Allow", "Deny", "secretsmanager:GetSecretValue", SECRET, ROLE,
                                    "111122223333", "${aws:PrincipalTag/x}", "StringEquals", "aws:SourceIp"]))
json_like = st.recursive(scalar, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                         st.dictionaries(st.one_of(scalar.map(str), st.sampled_from(
                                                             ["Effect", "Action", "NotAction", "Resource", "NotResource",
                                                              "Principal", "NotPrincipal", "Condition", "AWS",
                                                              "Service", "StringEquals", "ForAllValues:StringLike",
                                                              "IpAddress", "Null", "Version", "Statement"])),
                                                             inner, max_size=5)), max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(json_like, json_like, json_like, st.booleans(), st.one_of(st.none(), json_like))
def test_any_document_is_answered(identity: Any, boundary: Any, resource_policy: Any, key: bool, tags: Any) -> None:
    p = Principal(ROLE, (Policy("i", identity),), Policy("b", boundary), None, normal_tags(tags))
    ctx = rq.secret_fetch(p, SECRET, tags=tags)
    result = evaluate(Request(p, "secretsmanager:GetSecretValue", SECRET, ctx, Policy("r", resource_policy),
                              key_policy=key))
    assert isinstance(result.decision, Decision)
    assert isinstance(trusts(identity, "tasks.apprunner.amazonaws.com").decision, Decision)


def test_unreadable_identity_never_allows() -> None:
    for garbage in ("{", "[1, 2", "null", "\x00\x01", b"\xff\xfe"):
        p = Principal(ROLE, (Policy("i", garbage),))
        assert not evaluate(Request(p, "secretsmanager:GetSecretValue", SECRET)).allowed


def test_url_encoded_documents_as_the_iam_api_returns_them() -> None:
    """IAM's API returns policy documents URL-encoded (RFC 3986); a raw snapshot may keep them so."""
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                                                   "Resource": SECRET}]}
    p = Principal(ROLE, (Policy("i", quote(json.dumps(doc))),))
    assert evaluate(Request(p, "secretsmanager:GetSecretValue", SECRET)).allowed


def test_tags_in_either_shape() -> None:
    assert normal_tags([{"Key": "team", "Value": "web"}]) == {"team": "web"}
    assert normal_tags({"team": "web"}) == {"team": "web"}
    assert normal_tags([{"Value": "x"}]) is None and normal_tags("team=web") is None

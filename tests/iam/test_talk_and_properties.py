"""The evaluator on the talk's traps, then properties against brute-force references (moved from
the first evaluator's tests; the old call shapes are kept as small wrappers over the new API)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from preflight.iam import Context, Decision, Policy, Principal, Request, Result, evaluate, trusts
from preflight.iam.match import plain_glob as glob_match

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/apprunner-be-instance"
SECRET = f"arn:aws:secretsmanager:ap-northeast-1:{ACCOUNT}:secret:test/awstest-be/DB_PASSWORD-AbCdEf"
KEY = f"arn:aws:kms:ap-northeast-1:{ACCOUNT}:key/0b1c2d3e-aaaa-bbbb-cccc-1234567890ab"
GET = "secretsmanager:GetSecretValue"


def evaluate_identity(identity: list[Policy], boundary: Policy | None, action: str, resource: str,
                      resource_policy: Policy | None = None, principal: str | None = None) -> Result:
    p = Principal(principal or ROLE, tuple(identity), boundary)
    return evaluate(Request(p, action, resource, Context(), resource_policy))


def evaluate_kms(identity: list[Policy], boundary: Policy | None, key_policy: Policy, action: str, key: str,
                 principal: str) -> Result:
    p = Principal(principal, tuple(identity), boundary)
    return evaluate(Request(p, action, key, Context(), key_policy, key_policy=True))


def trusts_service(trust: object, service: str) -> bool | None:
    result = trusts(trust, service)
    return None if result.decision is Decision.UNKNOWN else result.allowed


def doc(*stmts: dict[str, object]) -> dict[str, object]:
    return {"Version": "2012-10-17", "Statement": list(stmts)}


def allow(action: object, resource: object, **extra: object) -> dict[str, object]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: object, resource: object, **extra: object) -> dict[str, object]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def ident(*stmts: dict[str, object]) -> list[Policy]:
    return [Policy("inline policy secrets", doc(*stmts))]


def test_the_talks_policy_allows_the_secret_and_the_key() -> None:
    talk = ident(allow([GET, "kms:Decrypt*"], [SECRET, KEY]))
    assert evaluate_identity(talk, None, GET, SECRET).decision is Decision.ALLOW
    key_policy = Policy("key policy", doc({"Sid": "Enable IAM User Permissions", "Effect": "Allow",
                                           "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                           "Action": "kms:*", "Resource": "*"}))
    assert evaluate_kms(talk, None, key_policy, "kms:Decrypt", KEY, ROLE).decision is Decision.ALLOW


def test_without_the_kms_statement_decrypt_is_not_allowed() -> None:
    talk = ident(allow([GET], [SECRET]))
    key_policy = Policy("key policy", doc({"Effect": "Allow", "Principal": {"AWS": ACCOUNT},
                                           "Action": "kms:*", "Resource": "*"}))
    assert evaluate_kms(talk, None, key_policy, "kms:Decrypt", KEY, ROLE).decision is Decision.IMPLICIT_DENY


def test_key_policy_that_does_not_trust_the_account_makes_identity_grants_useless() -> None:
    talk = ident(allow("kms:Decrypt", KEY))
    admins_only = Policy("key policy", doc({"Effect": "Allow",
                                            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/admin"},
                                            "Action": "kms:*", "Resource": "*"}))
    assert evaluate_kms(talk, None, admins_only, "kms:Decrypt", KEY, ROLE).decision is Decision.IMPLICIT_DENY
    names_role = Policy("key policy", doc({"Effect": "Allow", "Principal": {"AWS": ROLE},
                                           "Action": "kms:Decrypt", "Resource": "*"}))
    assert evaluate_kms([], None, names_role, "kms:Decrypt", KEY, ROLE).decision is Decision.ALLOW


def test_prefix_wildcard_and_suffixless_grants() -> None:
    for resource in ("arn:aws:secretsmanager:ap-northeast-1:*:secret:test/awstest-be/*",
                     "arn:aws:secretsmanager:*:*:secret:test/awstest-be/DB_PASSWORD-??????",
                     "*"):
        assert evaluate_identity(ident(allow(GET, resource)), None, GET, SECRET).allowed, resource
    exact_without_suffix = "arn:aws:secretsmanager:ap-northeast-1:111122223333:secret:test/awstest-be/DB_PASSWORD"
    assert not evaluate_identity(ident(allow(GET, exact_without_suffix)), None, GET, SECRET).allowed


def test_explicit_deny_under_allow_star() -> None:
    result = evaluate_identity(ident(allow("*", "*"), deny("secretsmanager:*", SECRET, Sid="NoProd")),
                               None, GET, SECRET)
    assert result.decision is Decision.EXPLICIT_DENY
    assert result.deny_by == ("inline policy secrets statement 'NoProd'",)


def test_actions_ignore_case_resources_do_not() -> None:
    assert evaluate_identity(ident(allow("SecretsManager:getsecretvalue", SECRET)), None, GET, SECRET).allowed
    assert not evaluate_identity(ident(allow(GET, SECRET.upper())), None, GET, SECRET).allowed


def test_not_action_and_not_resource() -> None:
    policy = ident({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
                   {"Effect": "Deny", "Action": "*", "NotResource": SECRET})
    assert evaluate_identity(policy, None, GET, SECRET).allowed
    assert evaluate_identity(policy, None, GET, SECRET + "x").decision is Decision.EXPLICIT_DENY


def test_conditions_make_the_answer_unknown_never_a_pass() -> None:
    cond = {"StringEquals": {"aws:RequestedRegion": "ap-northeast-1"}}
    assert evaluate_identity(ident(allow(GET, SECRET, Condition=cond)), None, GET, SECRET).decision \
        is Decision.UNKNOWN
    mixed = ident(allow(GET, SECRET), deny(GET, SECRET, Condition=cond))
    assert evaluate_identity(mixed, None, GET, SECRET).decision is Decision.UNKNOWN


def test_permissions_boundary_limits_identity_grants() -> None:
    boundary = Policy("boundary", doc(allow("s3:*", "*")))
    assert evaluate_identity(ident(allow(GET, SECRET)), boundary, GET, SECRET).decision \
        is Decision.IMPLICIT_DENY


def test_resource_policy_grants_and_denies() -> None:
    grant = Policy("secret policy", doc({"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": GET,
                                         "Resource": "*"}))
    assert evaluate_identity([], None, GET, SECRET, grant, ROLE).allowed
    block = Policy("secret policy", doc({"Effect": "Deny", "Principal": "*", "Action": "*",
                                         "Resource": "*"}))
    assert evaluate_identity(ident(allow(GET, SECRET)), None, GET, SECRET, block, ROLE).decision \
        is Decision.EXPLICIT_DENY


def test_trust_policies() -> None:
    good = doc({"Effect": "Allow", "Principal": {"Service": "tasks.apprunner.amazonaws.com"},
                "Action": "sts:AssumeRole"})
    wrong = doc({"Effect": "Allow", "Principal": {"Service": ["ssm.amazonaws.com"]},
                 "Action": "sts:AssumeRole"})
    assert trusts_service(good, "tasks.apprunner.amazonaws.com") is True
    assert trusts_service(wrong, "tasks.apprunner.amazonaws.com") is False
    assert trusts_service(good, "build.apprunner.amazonaws.com") is False


def test_documents_as_json_strings_and_garbage() -> None:
    import json

    text = json.dumps(doc(allow(GET, SECRET)))
    assert evaluate_identity([Policy("p", text)], None, GET, SECRET).allowed
    # a document preflight cannot parse could say anything: undecided, not a silent no
    assert evaluate_identity([Policy("p", "{not json")], None, GET, SECRET).decision is Decision.UNKNOWN
    assert not evaluate_identity([Policy("p", {"Statement": "nope"})], None, GET, SECRET).allowed


# --- properties ----------------------------------------------------------------------------------

def brute_glob(glob: str, value: str) -> bool:
    """Reference matcher: plain recursion, no regular expressions."""
    if not glob:
        return not value
    if glob[0] == "*":
        return any(brute_glob(glob[1:], value[i:]) for i in range(len(value) + 1))
    if value and (glob[0] == "?" or glob[0] == value[0]):
        return brute_glob(glob[1:], value[1:])
    return False


alphabet = st.sampled_from("ab:/-*?.")


@given(st.text(alphabet, max_size=8), st.text(st.sampled_from("ab:/-."), max_size=8))
def test_glob_agrees_with_a_recursive_reference(glob: str, value: str) -> None:
    assert glob_match(glob, value) == brute_glob(glob, value)


ACTIONS = ["secretsmanager:GetSecretValue", "kms:Decrypt", "s3:GetObject"]
RESOURCES = [SECRET, KEY, "*"]
statement = st.fixed_dictionaries({
    "Effect": st.sampled_from(["Allow", "Deny"]),
    "Action": st.sampled_from([*ACTIONS, "*", "secretsmanager:*", "kms:Decrypt*"]),
    "Resource": st.sampled_from([*RESOURCES, "arn:aws:secretsmanager:*"]),
})


def enumerate_reference(stmts: list[dict[str, str]], action: str, resource: str) -> Decision:
    """Reference: enumerate every statement, collect effects of those that match."""
    effects = {s["Effect"] for s in stmts
               if brute_glob(s["Action"].lower(), action.lower()) and brute_glob(s["Resource"], resource)}
    if "Deny" in effects:
        return Decision.EXPLICIT_DENY
    return Decision.ALLOW if "Allow" in effects else Decision.IMPLICIT_DENY


@settings(max_examples=300)
@given(st.lists(statement, max_size=6), st.sampled_from(ACTIONS), st.sampled_from([SECRET, KEY]),
       st.randoms(use_true_random=False))
def test_evaluation_agrees_with_enumeration_and_ignores_order(
        stmts: list[dict[str, str]], action: str, resource: str, rnd: random.Random) -> None:
    expected = enumerate_reference(stmts, action, resource)
    assert evaluate_identity(ident(*stmts), None, action, resource).decision is expected
    shuffled = list(stmts)
    rnd.shuffle(shuffled)
    split = [Policy(f"p{i}", doc(s)) for i, s in enumerate(shuffled)]
    assert evaluate_identity(split, None, action, resource).decision is expected

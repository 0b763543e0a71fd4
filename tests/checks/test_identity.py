"""Fixtures for IAM001-IAM006 and SEC001-SEC003, with the traps: a prefix-wildcard grant, a
JSON-key suffix on a granted secret, an explicit deny under Allow *, kms:Decrypt* as the talk
writes it, the AWS managed aws/secretsmanager key."""

from __future__ import annotations

from typing import Any

from preflight import engine
from preflight.findings import Severity
from tests.builders import ACCOUNT, Snap, fired

GET = "secretsmanager:GetSecretValue"


def allow(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def run(s: Snap, *rules: str) -> engine.RunResult:
    return engine.run(s.doc(), tuple(rules) or None)


# --- IAM001 ----------------------------------------------------------------------------------

def test_iam001_secrets_without_role() -> None:
    s = Snap()
    secret = s.secret("db")
    s.service("api", secrets={"DB_PASSWORD": secret})
    s.service("plain")
    s.service("ok", secrets={"DB_PASSWORD": secret}, role=s.role("r", statements=[allow(GET, secret)]))
    assert fired(run(s, "IAM001"), "IAM001") == {"api"}


def test_iam001_no_secrets_no_role_passes() -> None:
    s = Snap()
    s.service("plain", env={"MODE": "x"})
    assert fired(run(s, "IAM001"), "IAM001") == set()


# --- IAM002 ----------------------------------------------------------------------------------

def test_iam002_wrong_principal_and_missing_role() -> None:
    s = Snap()
    s.service("a", role=s.role("ssm-role", trust="ssm.amazonaws.com"))
    s.service("b", role=s.role("gone", exists=False))
    s.service("c", role=s.role("good"))
    assert fired(run(s, "IAM002"), "IAM002") == {"ssm-role", "gone"}


def test_iam002_conditions_decided_or_named() -> None:
    """aws:SourceAccount is the account the service acts for (decided); aws:SourceArn is not known
    to preflight, so a trust that depends on it is medium and names the key."""
    s = Snap()
    arn = s.role("cond")
    s.find("roles", arn)["trust"]["Statement"][0]["Condition"] = {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    s.service("a", role=arn)
    other = s.role("other-account")
    s.find("roles", other)["trust"]["Statement"][0]["Condition"] = {"StringEquals": {"aws:SourceAccount": "999988887777"}}
    s.service("b", role=other)
    by_arn = s.role("by-arn")
    s.find("roles", by_arn)["trust"]["Statement"][0]["Condition"] = {
        "ArnLike": {"aws:SourceArn": f"arn:aws:apprunner:*:{ACCOUNT}:service/*"}}
    s.service("c", role=by_arn)
    result = run(s, "IAM002")
    assert fired(result, "IAM002") == {"other-account", "by-arn"}
    medium = [f for f in result.findings if f.severity == Severity.MEDIUM]
    assert len(medium) == 1 and "by-arn" in medium[0].message


def test_iam002_correct_trust_passes() -> None:
    s = Snap()
    s.service("a", role=s.role("good"))
    assert fired(run(s, "IAM002"), "IAM002") == set()


# --- IAM003 ----------------------------------------------------------------------------------

def test_iam003_traps_that_must_pass() -> None:
    s = Snap()
    secret = s.secret("test/awstest-be/DB_PASSWORD")
    prefix = s.role("prefix", statements=[allow(GET, f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:test/*")])
    s.service("prefix-svc", role=prefix, secrets={"P": secret})
    s.service("json-key-svc", role=prefix, secrets={"P": secret + ":username::"})
    suffixless = s.role("suffixless", statements=[allow(GET, secret[:-7] + "-??????")])
    s.service("suffixless-svc", role=suffixless, secrets={"P": secret[:-7]})
    param = s.parameter("/app/db/url")
    reader = s.role("ssm", statements=[allow("ssm:GetParameters", param)])
    s.service("ssm-svc", role=reader, secrets={"URL": param})
    by_name = s.parameter("plainname", kind="String", key=None)
    s.service("name-svc", role=s.role("ssm2", statements=[allow("ssm:GetParameter*", by_name)]),
              secrets={"X": "plainname"})
    assert fired(run(s, "IAM003"), "IAM003") == set()


def test_iam003_explicit_deny_under_allow_star() -> None:
    s = Snap()
    secret = s.secret("prod/db")
    role = s.role("r", statements=[allow("*", "*"),
                                   {"Sid": "NoProdSecrets", "Effect": "Deny", "Action": "secretsmanager:*",
                                    "Resource": "arn:aws:secretsmanager:*:*:secret:prod/*"}])
    s.service("api", role=role, secrets={"DB": secret})
    result = run(s, "IAM003")
    assert fired(result, "IAM003") == {"r"}
    assert "'NoProdSecrets'" in result.findings[0].message and result.findings[0].severity == Severity.CRITICAL


def test_iam003_grant_for_another_secret_and_boundary() -> None:
    s = Snap()
    secret = s.secret("db")
    other = s.secret("other")
    s.service("a", role=s.role("wrong", statements=[allow(GET, other)]), secrets={"DB": secret})
    s.service("b", role=s.role("bounded", statements=[allow(GET, "*")], boundary=[allow("s3:*", "*")]),
              secrets={"DB": secret})
    result = run(s, "IAM003")
    assert fired(result, "IAM003") == {"wrong", "bounded"}
    by_role = {f.resource.id: f.message for f in result.findings}
    assert f"no statement allows {GET} on {secret}" in by_role["wrong"]
    # the boundary caps what the identity policy grants
    # (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html)
    assert f"its identity policies allow {GET} on {secret}, but the permissions boundary does not" \
        in by_role["bounded"]


def test_iam003_resource_policy_grant_and_condition() -> None:
    s = Snap()
    role = s.role("none", statements=[])
    granted = s.secret("granted", policy={"Statement": [{"Effect": "Allow", "Principal": {"AWS": role},
                                                          "Action": GET, "Resource": "*"}]})
    s.service("a", role=role, secrets={"G": granted})
    cond = s.secret("cond")
    # decided: App Runner calls over TLS
    secure = allow(GET, cond, Condition={"Bool": {"aws:SecureTransport": "true"}})
    s.service("b", role=s.role("secure", statements=[secure]), secrets={"C": cond})
    # undecided: the source IP of App Runner's fleet is not known
    conditional = allow(GET, cond, Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})
    s.service("c", role=s.role("conditional", statements=[conditional]), secrets={"C": cond})
    result = run(s, "IAM003")
    assert fired(result, "IAM003") == {"conditional"}
    assert result.findings[0].severity == Severity.MEDIUM and "aws:SourceIp" in result.findings[0].message
    assert "inline policy" in result.findings[0].message  # the statement that left it undecided
    assert "role conditional may not secretsmanager:GetSecretValue" in result.findings[0].message


# --- IAM004 ----------------------------------------------------------------------------------

def test_iam004_customer_key_without_decrypt() -> None:
    s = Snap()
    key = s.key()
    secret = s.secret("db", key=key)
    s.service("api", role=s.role("r", statements=[allow(GET, secret)]), secrets={"DB": secret})
    result = run(s, "IAM004")
    assert fired(result, "IAM004") == {key.rsplit("/", 1)[-1]}


def test_iam004_key_policy_that_ignores_the_account() -> None:
    s = Snap()
    key = s.key(trusts_account=False)
    secret = s.secret("db", key=key)
    s.service("api", role=s.role("r", statements=[allow([GET, "kms:Decrypt*"], [secret, key])]),
              secrets={"DB": secret})
    result = run(s, "IAM004")
    assert fired(result, "IAM004") == {key.rsplit("/", 1)[-1]}
    assert "must trust the account" in result.findings[0].message


def test_iam004_passes_with_decrypt_star_aws_managed_key_or_direct_key_grant() -> None:
    s = Snap()
    key = s.key()
    secret = s.secret("db", key=key)
    s.service("talk", role=s.role("talk", statements=[allow([GET, "kms:Decrypt*"], [secret, key])]),
              secrets={"DB": secret})
    aws_key = s.key(manager="AWS")
    managed = s.secret("managed", key=aws_key)
    s.service("managed", role=s.role("m", statements=[allow(GET, managed)]), secrets={"DB": managed})
    default = s.secret("default-key")  # no KmsKeyId: aws/secretsmanager
    s.service("default", role=s.role("d", statements=[allow(GET, default)]), secrets={"DB": default})
    direct_role = f"arn:aws:iam::{ACCOUNT}:role/direct"
    direct_key = s.key(trusts_account=False, extra=[{"Effect": "Allow", "Principal": {"AWS": direct_role},
                                                     "Action": "kms:Decrypt", "Resource": "*"}])
    direct_secret = s.secret("direct", key=direct_key)
    s.service("direct", role=s.role("direct", statements=[allow(GET, direct_secret)]),
              secrets={"DB": direct_secret})
    assert fired(run(s, "IAM004"), "IAM004") == set()


# --- IAM005 ----------------------------------------------------------------------------------

def test_iam005_role_and_secret_shared_between_prod_and_staging() -> None:
    s = Snap()
    secret = s.secret("db")
    role = s.role("shared", statements=[allow(GET, secret)])
    s.service("api-prod", role=role, secrets={"DB": secret})
    s.service("api", role=role, secrets={"DB": secret}, tags={"Environment": "staging"})
    assert fired(run(s, "IAM005"), "IAM005") == {"shared", "db-AbCdEf"}


def test_iam005_one_role_per_environment_passes() -> None:
    s = Snap()
    s.service("api-prod", role=s.role("prod-role"))
    s.service("api-dev", role=s.role("dev-role"))
    s.service("worker-prod", role=f"arn:aws:iam::{ACCOUNT}:role/prod-role")
    s.service("untagged", role=f"arn:aws:iam::{ACCOUNT}:role/dev-role")
    assert fired(run(s, "IAM005"), "IAM005") == set()


# --- IAM006 ----------------------------------------------------------------------------------

ECR_IMAGE = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/api:1.2.3"
ECR_POLICY = [allow(["ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", "ecr:DescribeImages",
                     "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability"], "*")]


def test_iam006_missing_role_wrong_trust_missing_actions() -> None:
    s = Snap()
    s.service("no-role", image=ECR_IMAGE)
    s.service("wrong-trust", image=ECR_IMAGE,
              access_role=s.role("tasks-trust", statements=ECR_POLICY))
    s.service("no-actions", image=ECR_IMAGE,
              access_role=s.role("empty", trust="build.apprunner.amazonaws.com"))
    result = run(s, "IAM006")
    assert fired(result, "IAM006") == {"no-role", "tasks-trust", "empty"}
    empty = next(f for f in result.findings if f.resource.id == "empty")
    assert "ecr:BatchGetImage" in empty.message and "repository/api" in empty.message


def test_iam006_public_ecr_or_correct_role_passes() -> None:
    s = Snap()
    s.service("public", image="public.ecr.aws/nginx/nginx:1")
    s.service("good", image=ECR_IMAGE,
              access_role=s.role("access", trust="build.apprunner.amazonaws.com", statements=ECR_POLICY))
    assert fired(run(s, "IAM006"), "IAM006") == set()


# --- SEC001 ----------------------------------------------------------------------------------

def test_sec001_broken_references() -> None:
    s = Snap()
    deleted = s.secret("old", deleted=True)
    disabled_key = s.key(state="PendingDeletion")
    on_dead_key = s.secret("dead-key", key=disabled_key)
    s.service("api", secrets={
        "MISSING": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:nope-XyZ123",
        "DELETED": deleted, "DEAD_KEY": on_dead_key,
        "FOREIGN": "arn:aws:ssm:us-east-1:999999999999:parameter/shared/db",
        "NO_PARAM": "not-there",
    })
    assert fired(run(s, "SEC001"), "SEC001") == {"nope-XyZ123", "old-AbCdEf", "dead-key-AbCdEf",
                                                   "shared/db", "not-there"}


def test_sec001_valid_references_pass() -> None:
    s = Snap()
    secret = s.secret("db")
    s.parameter("/app/x")
    s.service("api", secrets={"A": secret, "B": secret + ":password::", "C": "/app/x",
                              "D": "arn:aws:secretsmanager:us-east-1:999999999999:secret:shared-AbCdEf"})
    assert fired(run(s, "SEC001"), "SEC001") == set()


# --- SEC002 ----------------------------------------------------------------------------------

def test_sec002_credential_names_and_url_passwords_by_name_only() -> None:
    s = Snap()
    s.service("api", env={"DB_PASSWORD": "hunter2", "STRIPE_API_KEY": "sk_live_x", "JWT_SECRET": "x",
                          "DATABASE_URL": "postgres://u:pw@db.example.com/app", "GITHUB_TOKEN": "ghp_x"})
    result = run(s, "SEC002")
    assert fired(result, "SEC002") == {"api/DB_PASSWORD", "api/STRIPE_API_KEY", "api/JWT_SECRET",
                                       "api/DATABASE_URL", "api/GITHUB_TOKEN"}
    text = " ".join(f.message + " ".join(f.fix.commands) for f in result.findings)
    assert "hunter2" not in text and "sk_live" not in text and ":pw@" not in text


def test_sec002_references_and_public_values_pass() -> None:
    s = Snap()
    s.service("api", env={"DB_SECRET_ARN": "arn:aws:secretsmanager:x", "TOKEN_URL": "https://x/token",
                          "NEXT_PUBLIC_API_KEY": "pk", "JWT_PUBLIC_KEY": "x", "PORT_X": "1",
                          "DATABASE_URL": "postgres://db.example.com/app", "SECRET_NAME": "prod/db"})
    assert fired(run(s, "SEC002"), "SEC002") == set()


# --- SEC003 ----------------------------------------------------------------------------------

def deploy(kind: str, status: str, ended: str) -> dict[str, Any]:
    return {"type": kind, "status": status, "started_at": ended, "ended_at": ended}


def test_sec003_rotated_after_the_last_successful_deployment() -> None:
    s = Snap()
    secret = s.secret("db", rotated="2026-11-20T10:00:00Z")
    s.service("api", secrets={"DB": secret}, operations=[
        deploy("START_DEPLOYMENT", "FAILED", "2026-11-21T00:00:00Z"),
        deploy("START_DEPLOYMENT", "SUCCEEDED", "2026-11-19T00:00:00+00:00")])
    assert fired(run(s, "SEC003"), "SEC003") == {"db-AbCdEf"}


def test_sec003_redeployed_after_rotation_passes() -> None:
    s = Snap()
    secret = s.secret("db", rotated="2026-11-20T10:00:00Z")
    s.service("api", secrets={"DB": secret},
              operations=[deploy("UPDATE_SERVICE", "SUCCEEDED", "2026-11-20T11:00:00Z")])
    s.service("never-deployed", secrets={"DB": secret})
    assert fired(run(s, "SEC003"), "SEC003") == set()


# --- the evaluator's verdicts as the checks report them (issue 16) ------------------------------

def test_iam003_names_the_deciding_statement_and_applies_resource_policy_denies() -> None:
    """sm-rp: a Deny for the account (or *) in the secret's policy applies to its roles."""
    s = Snap()
    for i, principal in enumerate(({"AWS": ACCOUNT}, {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "*")):
        secret = s.secret(f"db{i}", policy={"Version": "2012-10-17", "Statement": [
            {"Sid": "NoOne", "Effect": "Deny", "Principal": principal, "Action": GET, "Resource": "*"}]})
        s.service(f"svc{i}", role=s.role(f"reader{i}", statements=[allow(GET, "*")]), secrets={"DB": secret})
    result = run(s, "IAM003")
    assert fired(result, "IAM003") == {"reader0", "reader1", "reader2"}
    assert all("resource policy of secret" in f.message and "'NoOne'" in f.message for f in result.findings)
    assert all(f.severity == Severity.CRITICAL for f in result.findings)


def test_iam003_boundary_limits_a_resource_policy_grant_to_the_role() -> None:
    """boundary: in the same account a grant to the role ARN stays inside the boundary."""
    s = Snap()
    role = s.role("bounded", statements=[], boundary=[allow("s3:*", "*")])
    secret = s.secret("db", policy={"Statement": [{"Effect": "Allow", "Principal": {"AWS": role},
                                                    "Action": GET, "Resource": "*"}]})
    s.service("a", role=role, secrets={"DB": secret})
    assert fired(run(s, "IAM003"), "IAM003") == {"bounded"}


def test_iam003_principal_tag_variables_are_resolved() -> None:
    """variables: ${aws:PrincipalTag/team} is the role's tag, not the literal text."""
    s = Snap()
    web = s.secret("web/db")
    api = s.secret("api/db")
    stmt = allow(GET, f"arn:aws:secretsmanager:*:{ACCOUNT}:secret:${{aws:PrincipalTag/team}}/*")
    role = s.role("tagged", statements=[stmt])
    s.find("roles", role)["tags"] = {"team": "web"}
    s.service("ok", role=role, secrets={"DB": web})
    s.service("wrong", role=role, secrets={"DB": api})
    result = run(s, "IAM003")
    assert [f.path[0] for f in result.findings] == ["wrong"]


def test_iam003_a_secret_of_another_account_is_undecided_not_passed() -> None:
    """xacct: the other account's secret policy and key must allow too; preflight cannot read them."""
    s = Snap()
    foreign = "arn:aws:secretsmanager:us-east-1:444455556666:secret:shared/db-AbCdEf"
    s.service("open", role=s.role("reader", statements=[allow(GET, "*")]), secrets={"DB": foreign})
    s.service("closed", role=s.role("nothing", statements=[]), secrets={"DB": foreign})
    result = run(s, "IAM003")
    by_role = {f.path[1]: f for f in result.findings}
    assert set(by_role) == {"reader", "nothing"}
    assert by_role["reader"].severity == Severity.MEDIUM and "444455556666" in by_role["reader"].message
    assert by_role["nothing"].severity == Severity.CRITICAL


def test_iam003_unread_resource_policy_is_not_a_pass() -> None:
    s = Snap()
    secret = s.secret("db")
    s.find("secrets", secret)["resource_policy_read"] = False
    s.service("a", role=s.role("reader", statements=[allow(GET, secret)]), secrets={"DB": secret})
    result = run(s, "IAM003")
    # the identity policy grants, but the unread policy could hold a Deny that wins (eval-deny)
    assert fired(result, "IAM003") == {"reader"}
    assert result.findings[0].severity == Severity.MEDIUM and "could not read" in result.findings[0].message


def test_secret_name_with_a_hyphen_is_not_its_prefix() -> None:
    """sm-arn: the reference prod-db-master (no suffix) is not the secret prod-db."""
    s = Snap()
    s.secret("prod-db")
    partial = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:prod-db-master"
    s.service("a", role=s.role("reader", statements=[allow(GET, "*")]), secrets={"DB": partial})
    result = run(s, "SEC001")
    assert fired(result, "SEC001") and "does not exist" in result.findings[0].message


def test_iam004_bare_account_id_and_via_service_conditions() -> None:
    """kms-policy / kms-cond: a key policy trusting the bare account id is the root principal, and
    kms:ViaService / kms:CallerAccount / kms:EncryptionContext:SecretARN hold for the fetch."""
    s = Snap()
    key = s.key(trusts_account=False, extra=[{"Effect": "Allow", "Principal": {"AWS": ACCOUNT},
                                              "Action": "kms:*", "Resource": "*"}])
    secret = s.secret("db", key=key)
    scoped = allow("kms:Decrypt", key, Condition={
        "StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com", "kms:CallerAccount": ACCOUNT},
        "StringLike": {"kms:EncryptionContext:SecretARN": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:db-*"}})
    s.service("a", role=s.role("reader", statements=[allow(GET, secret), scoped]), secrets={"DB": secret})
    other = allow("kms:Decrypt", key, Condition={"StringEquals": {"kms:ViaService": "ssm.us-east-1.amazonaws.com"}})
    s.service("b", role=s.role("ssm-only", statements=[allow(GET, secret), other]), secrets={"DB": secret})
    result = run(s, "IAM004")
    assert {f.path[1] for f in result.findings} == {"ssm-only"}
    assert all(f.severity == Severity.CRITICAL for f in result.findings)


# --- IAM007 (--verify-iam) -----------------------------------------------------------------------

def test_iam007_reports_only_decided_disagreements() -> None:
    from preflight.checks.access import simulation_questions
    from preflight.graph import ResourceGraph

    s = Snap()
    secret = s.secret("db")
    agree = s.role("agree", statements=[allow(GET, secret)])
    differ = s.role("differ", statements=[allow(GET, secret)])
    unsure = s.role("unsure", statements=[allow(GET, secret, Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})])
    for name, role in (("a", agree), ("b", differ), ("c", unsure)):
        s.service(name, role=role, secrets={"DB": secret})
    doc = s.doc()
    questions = simulation_questions(ResourceGraph.build(doc))
    assert {q["role"].rsplit("/", 1)[-1]: q["local"] for q in questions} == {
        "agree": "allowed", "differ": "allowed", "unsure": "undecidable"}
    answers = {"agree": "allowed", "differ": "explicitDeny", "unsure": "implicitDeny"}
    doc["resources"]["iam_simulations"] = [{**q, "simulator": answers[q["role"].rsplit("/", 1)[-1]],
                                            "matched": [], "missing_context": []} for q in questions]
    result = engine.run(doc, engine.select_rules(["IAM007"], verify_iam=True))
    assert fired(result, "IAM007") == {"differ"}
    assert "simulator says explicitly denied" in result.findings[0].message
    doc["resources"]["iam_simulations"] = [{**q, "simulator": "allowed"} for q in questions]
    assert fired(engine.run(doc, engine.select_rules(["IAM007"], verify_iam=True)), "IAM007") == set()


def test_iam004_a_key_of_another_account_is_undecided_not_skipped() -> None:
    """kms-xacct: the other account's key policy must allow the role; it cannot be read from here."""
    s = Snap()
    foreign_key = "arn:aws:kms:us-east-1:444455556666:key/1111aaaa-2222-bbbb-3333-cccc4444dddd"
    secret = s.secret("db", key=foreign_key)
    s.service("a", role=s.role("reader", statements=[allow(GET, secret), allow("kms:Decrypt", foreign_key)]),
              secrets={"DB": secret})
    s.service("b", role=s.role("no-kms", statements=[allow(GET, secret)]), secrets={"DB": secret})
    result = run(s, "IAM004")
    by_role = {f.path[1]: f for f in result.findings}
    assert set(by_role) == {"reader", "no-kms"}
    assert by_role["reader"].severity == Severity.MEDIUM and "444455556666" in by_role["reader"].message
    assert by_role["no-kms"].severity == Severity.CRITICAL


def test_iam003_organization_id_decides_a_data_perimeter() -> None:
    """keys: aws:PrincipalOrgID is the organization's id when preflight read it, absent outside one."""
    perimeter = {"Version": "2012-10-17", "Statement": [{
        "Sid": "OnlyOurOrg", "Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}}}]}
    outcomes = {}
    for org in (None, {"in_organization": True, "id": "o-abc123", "scps": [], "rcps": []},
                {"in_organization": True, "id": "o-other", "scps": [], "rcps": []},
                {"in_organization": False, "scps": [], "rcps": []}):
        s = Snap()
        secret = s.secret("db", policy=perimeter)
        s.service("a", role=s.role("reader", statements=[allow(GET, secret)]), secrets={"DB": secret})
        doc = s.doc()
        if org is not None:
            doc["resources"]["organization"] = [org]
        found = engine.run(doc, ("IAM003",)).findings
        outcomes[(org or {}).get("id", (org or {}).get("in_organization"))] = found[0].severity if found else None
    assert outcomes == {None: Severity.MEDIUM, "o-abc123": None, "o-other": Severity.CRITICAL,
                        False: Severity.CRITICAL}


def test_iam003_fargate_reads_through_the_vpc_endpoint_app_runner_does_not() -> None:
    """ecs-secrets / apprunner-env: a secret restricted to a VPC endpoint can be read by a Fargate
    task whose VPC has that (available, interface) endpoint, never by App Runner, which reads
    secrets on its own side."""
    s = Snap()
    vpc = s.vpc("10.0.0.0/16")
    subnet = s.subnet(vpc, "10.0.1.0/24")
    vpce = s.endpoint(vpc, "com.amazonaws.us-east-1.secretsmanager")
    secret = s.secret("db", policy={"Version": "2012-10-17", "Statement": [{
        "Sid": "OnlyThroughOurEndpoint", "Effect": "Deny", "Principal": "*", "Action": GET, "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:SourceVpce": vpce}}}]})
    reader = [allow(GET, secret)]
    s.ecs_service("task", [subnet], execution_role=s.role("exec", trust="ecs-tasks.amazonaws.com", statements=reader),
                  secrets={"DB": secret})
    s.service("runner", role=s.role("instance", statements=reader), secrets={"DB": secret})
    result = run(s, "IAM003")
    assert fired(result, "IAM003") == {"instance"}
    assert "'OnlyThroughOurEndpoint'" in result.findings[0].message
    s.find("vpc_endpoints", vpce)["state"] = "pending"  # not yet carrying traffic
    assert fired(run(s, "IAM003"), "IAM003") == {"instance", "exec"}

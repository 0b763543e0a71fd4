"""The views an organization scan judges each account in (preflight.fleet): which other accounts'
records an account borrows, and how findings are attributed to their owners."""

from __future__ import annotations

from typing import Any

from preflight import fleet
from preflight.findings import Finding, Fix, Ref, Severity, fingerprint
from preflight.redact import endpoint_digest
from preflight.snapshot import empty_resources

A, B, C, D = "111111111111", "222222222222", "333333333333", "444444444444"


def doc(account: str, **collections: list[dict[str, Any]]) -> dict[str, Any]:
    return {"account": account, "regions": ["us-east-1"], "gaps": [], "resources": {**empty_resources(), **collections}}


def test_an_account_borrows_what_its_records_name_transitively() -> None:
    docs = {
        A: doc(A, peerings=[{"id": "pcx-1", "requester": {"owner": A}, "accepter": {"owner": B}}]),
        B: doc(B, transit_gateway_attachments=[{"id": "tgw-attach-1", "owner": C}]),
        C: doc(C),
        D: doc(D),
    }
    refs = {a: fleet.referenced_accounts(d) for a, d in docs.items()}
    assert refs[A] == {B} and refs[B] == {C}
    assert fleet.related(A, docs, refs, {}) == [A, B, C]
    assert fleet.related(D, docs, refs, {}) == [D]


def test_an_arn_names_its_account_and_the_database_a_service_names_is_borrowed() -> None:
    address = "db.abc.us-east-1.rds.amazonaws.com"
    docs = {
        A: doc(A, services=[{"name": "api", "env": [{"endpoint_digests": [endpoint_digest(address)]}],
                             "secrets": [{"name": "P", "ref": f"arn:aws:secretsmanager:us-east-1:{C}:secret:x"}]}]),
        B: doc(B, db_instances=[{"id": "db", "region": "us-east-1", "address": address}]),
        C: doc(C),
    }
    refs = {a: fleet.referenced_accounts(d) for a, d in docs.items()}
    assert refs[A] == {C}
    assert fleet.related(A, docs, refs, fleet._database_owners(docs)) == [A, B, C]


def test_a_view_keeps_the_account_s_own_workloads_quotas_and_logs() -> None:
    own = doc(A, services=[{"name": "api"}], quotas=[{"region": "us-east-1", "value": 6}],
              organization=[{"in_organization": True, "scps": [], "rcps": []}])
    other = doc(B, services=[{"name": "theirs"}], quotas=[{"region": "us-east-1", "value": 100}],
                log_groups=[{"name": "/ecs/x"}], vpcs=[{"id": "vpc-b", "region": "us-east-1"}],
                organization=[{"in_organization": True, "scps": [], "rcps": [], "account": B}])
    v = fleet.view(own, [other])
    assert [w["name"] for w in v["resources"]["services"]] == ["api"]
    assert v["resources"]["quotas"] == own["resources"]["quotas"]
    assert not v["resources"].get("log_groups")
    assert v["resources"]["vpcs"] == [{"id": "vpc-b", "region": "us-east-1"}]
    assert [o["account"] for o in v["resources"]["organization"]] == [A, B]


def test_a_record_both_accounts_read_is_kept_once_their_own_first() -> None:
    mine = {"id": "pcx-1", "region": "us-east-1", "status": "active", "seen_by": A}
    theirs = {**mine, "seen_by": B}
    v = fleet.view(doc(A, peerings=[mine]), [doc(B, peerings=[theirs])])
    assert v["resources"]["peerings"] == [mine]


def _finding(resource: Ref) -> Finding:
    return Finding(rule="NET005", name="no-return-route", severity=Severity.CRITICAL, title="t", message="m",
                   resource=resource, fix=Fix("f"), fingerprint=fingerprint("NET005", resource, ()))


def test_findings_name_the_owner_and_nameless_resources_keep_accounts_apart() -> None:
    owned = fleet.owners({B: doc(B, route_tables=[{"id": "rtb-1", "region": "us-east-1"}])})
    on_table = fleet._attributed(_finding(Ref("rtb-1", "route_table", "us-east-1")), owned, A)
    assert on_table.resource.account == B
    with_arn = Ref("r", "iam_role", None, f"arn:aws:iam::{C}:role/r")
    assert fleet._attributed(_finding(with_arn), owned, A).resource.account == C
    # an ARN keeps its fingerprint; a resource known by name only gets the account in it
    assert fleet._attributed(_finding(with_arn), owned, A).fingerprint == _finding(with_arn).fingerprint
    same_name = Ref("api", "workload", "us-east-1")
    assert fleet._attributed(_finding(same_name), {}, A).fingerprint != \
        fleet._attributed(_finding(same_name), {}, B).fingerprint


def test_an_unread_account_leaves_every_rule_unevaluated_there() -> None:
    org = {"accounts": [doc(A)], "unread_accounts": [
        {"account": B, "name": "prod", "service": "sts", "operation": "AssumeRole", "iam_action": "sts:AssumeRole",
         "error": "AccessDenied: not authorized"}]}
    from preflight import rulepacks

    rulepacks.load()
    result = fleet.run(org)
    assert result.exit_code(None) == 3
    gap = result.gaps[-1]
    assert gap["account"] == B and "prod" in gap["error"] and set(gap["collections"]) >= {"services", "roles"}


def test_an_attachment_to_a_shared_gateway_is_taken_from_the_gateway_owner() -> None:
    """A VPC attachment to a transit gateway shared through AWS RAM is listed in both accounts;
    the route tables, and which one the attachment is associated with, are the gateway owner's
    (https://docs.aws.amazon.com/vpc/latest/tgw/working-with-transit-gateways.html), so the
    owner's record of the attachment is the one a view keeps, whichever account is judged."""
    mine = {"id": "tgw-attach-1", "region": "us-east-1", "tgw": "tgw-1", "owner": A, "tgw_owner": C,
            "route_table": None, "association_state": None, "subnets": ["subnet-a"]}
    theirs = {**mine, "route_table": "tgw-rtb-1", "association_state": "associated", "subnets": []}
    table = {"id": "tgw-rtb-1", "region": "us-east-1", "tgw": "tgw-1", "complete": True, "routes": []}
    a = doc(A, transit_gateway_attachments=[mine])
    c = doc(C, transit_gateway_attachments=[theirs], transit_gateway_route_tables=[table])
    v = fleet.view(a, [c])
    assert v["resources"]["transit_gateway_attachments"] == [
        {**mine, "route_table": "tgw-rtb-1", "association_state": "associated"}]  # its subnets kept
    assert v["resources"]["transit_gateway_route_tables"] == [table]
    # without the gateway owner's snapshot the account's own record stays (and the walk says
    # whose route tables are missing: tests/reach/test_conformance.py, "shared TGW" cases)
    assert fleet.view(a, [doc(B)])["resources"]["transit_gateway_attachments"] == [mine]


def test_a_participant_of_a_shared_vpc_is_routed_with_the_owner_s_tables() -> None:
    """VPC sharing: the workload account's tasks sit in subnets the network account owns and
    shares through AWS RAM (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-sharing.html);
    the route tables, NAT gateway and network ACLs of that VPC are the owner's. Alone, the
    participant's routes are undecided and the reason names the owner; judged with the owner's
    snapshot, the flow to the database is routed and reachable."""
    from preflight.graph import ResourceGraph
    from preflight.reach import EPHEMERAL_ANY, REACHABLE, UNDECIDED, Source, to_subnet
    from tests.reach.test_conformance import DB_PORT, one_vpc

    network = one_vpc().res
    for rec in network["vpcs"] + network["subnets"]:
        rec["owner"] = D
    mine = doc(A, vpcs=network["vpcs"], subnets=network["subnets"], security_groups=network["security_groups"])
    theirs = doc(D, **{k: v for k, v in network.items() if k != "security_groups"})
    assert fleet.referenced_accounts(mine) == {D}

    def ask(snapshot: dict[str, Any]) -> Any:
        g = ResourceGraph.build(snapshot)
        app, db = g.subnet("us-east-1", "subnet-app"), g.subnet("us-east-1", "subnet-db")
        sg_app, sg_db = g.security_group("us-east-1", "sg-app"), g.security_group("us-east-1", "sg-db")
        assert app and db and sg_app and sg_db
        return to_subnet(g, Source(app, (sg_app,), EPHEMERAL_ANY), db, (sg_db,), DB_PORT)

    alone = ask(mine)
    assert alone.verdict == UNDECIDED
    assert f"shared from account {D}" in alone.first.reason and f"--account {D}" in alone.first.reason
    assert ask(fleet.view(mine, [theirs])).verdict == REACHABLE

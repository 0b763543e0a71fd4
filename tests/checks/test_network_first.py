"""Fixtures for NET001, NET003 and NET012: each asserts the exact resources that fail."""

from __future__ import annotations

from preflight import engine
from preflight.findings import Severity
from tests.builders import Snap, fired, rule


def run(s: Snap, *rules: str) -> engine.RunResult:
    return engine.run(s.doc(), tuple(rules) or None)


# --- NET001 peered-cidr-overlap -------------------------------------------------------------

def test_net001_default_vpcs_peered_across_regions_fail_in_every_state() -> None:
    s = Snap()
    a = s.vpc("172.31.0.0/16", "ap-northeast-1", default=True)
    b = s.vpc("172.31.0.0/16", "ap-northeast-2", default=True)
    failed = s.peering(a, b, status="failed")
    c = s.vpc("172.31.128.0/20", "ap-northeast-2")
    pending = s.peering(a, c, status="pending-acceptance")
    assert fired(run(s, "NET001"), "NET001") == {failed, pending}


def test_net001_secondary_cidr_overlap_counts() -> None:
    s = Snap()
    a = s.vpc(["10.0.0.0/16", "100.64.0.0/16"])
    b = s.vpc(["10.1.0.0/16", "100.64.8.0/24"])
    pcx = s.peering(a, b)
    result = run(s, "NET001")
    assert fired(result, "NET001") == {pcx}
    assert "100.64.0.0/16 ~ 100.64.8.0/24" in result.findings[0].message


def test_net001_disjoint_and_adjacent_ranges_pass() -> None:
    s = Snap()
    a = s.vpc("10.0.0.0/16")
    b = s.vpc("10.1.0.0/16")  # adjacent, not overlapping
    s.peering(a, b)
    assert fired(run(s, "NET001"), "NET001") == set()


def test_net001_uses_peering_cidrs_when_a_side_vpc_is_not_in_the_snapshot() -> None:
    s = Snap()
    a = s.vpc("172.31.0.0/16")
    b = s.vpc("172.31.0.0/16", "eu-west-1")
    pcx = s.peering(a, b)
    s.res["vpcs"] = [v for v in s.res["vpcs"] if v["id"] != b]  # the other account's VPC
    assert fired(run(s, "NET001"), "NET001") == {pcx}


def test_net001_flow_between_overlapping_vpcs_without_a_peering() -> None:
    s = Snap(("ap-northeast-1", "ap-northeast-2"))
    app = s.vpc("172.31.0.0/16", "ap-northeast-1", default=True)
    dbv = s.vpc("172.31.0.0/16", "ap-northeast-2", default=True)
    app_sn = s.subnet(app, "172.31.0.0/20")
    db_sn = s.subnet(dbv, "172.31.0.0/20")
    host = s.db("pg", [db_sn], [s.sg(dbv)])
    conn = s.connector("c", [app_sn], [], region="ap-northeast-1")
    s.service("api", connector=conn, env={"DB_HOST": host}, region="ap-northeast-1")
    s.service("other", env={"DB_HOST": host}, region="ap-northeast-1")  # no connector: no flow pair
    assert fired(run(s, "NET001"), "NET001") == {dbv}


def test_net001_flow_in_the_same_vpc_passes() -> None:
    s = Snap()
    v = s.vpc("10.0.0.0/16")
    sn = s.subnet(v, "10.0.1.0/24")
    host = s.db("pg", [sn], [s.sg(v)])
    s.service("api", connector=s.connector("c", [sn], []), env={"DATABASE_URL": f"postgres://u@{host}/db"})
    assert fired(run(s, "NET001"), "NET001") == set()


# --- NET003 connector-in-public-subnet ------------------------------------------------------

def _connector_world() -> tuple[Snap, dict[str, str]]:
    s = Snap()
    v = s.vpc("10.0.0.0/16")
    igw = s.igw(v)
    ids = {"vpc": v, "igw": igw}
    ids["main_public"] = s.subnet(v, "10.0.0.0/24")  # no explicit table: main table
    s.route(s.main_table(v), "0.0.0.0/0", igw)
    ids["nat_subnet"] = s.subnet(v, "10.0.1.0/24")
    nat = s.nat(ids["nat_subnet"])
    ids["private"] = s.subnet(v, "10.0.2.0/24")
    s.route_table(v, subnets=[ids["private"]], routes=[("0.0.0.0/0", nat)])
    ids["isolated"] = s.subnet(v, "10.0.3.0/24")
    s.route_table(v, subnets=[ids["isolated"]])
    ids["dead_igw"] = s.subnet(v, "10.0.4.0/24")
    s.route_table(v, subnets=[ids["dead_igw"]], routes=[("0.0.0.0/0", igw, "blackhole")])
    ids["specific_only"] = s.subnet(v, "10.0.5.0/24")  # igw only for one prefix, no default
    s.route_table(v, subnets=[ids["specific_only"]], routes=[("52.0.0.0/8", igw)])
    return s, ids


def test_net003_fires_on_public_subnets_only() -> None:
    s, ids = _connector_world()
    subnets = [ids[k] for k in ("main_public", "private", "isolated", "dead_igw", "specific_only")]
    conn = s.connector("c", subnets, [])
    s.service("api", connector=conn)
    result = run(s, "NET003")
    assert fired(result, "NET003") == {ids["main_public"]}
    f = result.findings[0]
    assert f.path[-1] == ids["igw"] and f.path[0] == "api"
    assert any("update-service" in c for c in f.fix.commands)


def test_net003_connector_without_a_service_still_fires_without_update_command() -> None:
    s, ids = _connector_world()
    s.connector("unused", [ids["main_public"]], [])
    result = run(s, "NET003")
    assert fired(result, "NET003") == {ids["main_public"]}
    assert not any("update-service" in c for c in result.findings[0].fix.commands)


def test_net003_private_connector_passes() -> None:
    s, ids = _connector_world()
    s.service("api", connector=s.connector("c", [ids["private"]], []))
    assert fired(run(s, "NET003"), "NET003") == set()


# --- NET012 database-publicly-exposed -------------------------------------------------------

def test_net012_severity_depends_on_public_flag_and_open_rule() -> None:
    s = Snap()
    v = s.vpc("10.0.0.0/16")
    sn = s.subnet(v, "10.0.0.0/24")
    open_sg = s.sg(v, [rule("tcp", 5432, 5432, ["0.0.0.0/0"])])
    all_open_v6 = s.sg(v, [rule("-1", None, None, ipv6=["::/0"])])
    narrow = s.sg(v, [rule("tcp", 5432, 5432, ["10.0.0.0/16"])])
    other_port = s.sg(v, [rule("tcp", 22, 22, ["0.0.0.0/0"])])
    s.db("both", [sn], [open_sg], public=True)
    s.db("public-only", [sn], [narrow], public=True)
    s.db("open-only", [sn], [all_open_v6], public=False)
    s.db("unknown-flag", [sn], [open_sg], public=None)
    s.db("closed", [sn], [narrow, other_port], public=False)
    s.db("range", [sn], [s.sg(v, [rule("tcp", 5000, 6000, ["0.0.0.0/0"])])], port=5439)
    result = run(s, "NET012")
    assert fired(result, "NET012") == {"both", "public-only", "open-only", "unknown-flag", "range"}
    sev = {f.resource.id: f.severity for f in result.findings}
    assert sev == {"both": Severity.CRITICAL, "public-only": Severity.HIGH,
                   "open-only": Severity.HIGH, "unknown-flag": Severity.HIGH,
                   "range": Severity.HIGH}
    unknown = next(f for f in result.findings if f.resource.id == "unknown-flag")
    assert "unknown" in unknown.message


def test_net012_cluster_with_instances_is_reported_per_instance() -> None:
    s = Snap()
    v = s.vpc("10.0.0.0/16")
    sn = s.subnet(v, "10.0.0.0/24")
    open_sg = s.sg(v, [rule("tcp", 5432, 5432, ["0.0.0.0/0"])])
    s.db("aurora", [sn], [open_sg], kind="cluster", public=None)
    s.db("aurora-1", [sn], [open_sg], cluster="aurora", public=True)
    s.db("lonely", [sn], [open_sg], kind="cluster", public=None)
    assert fired(run(s, "NET012"), "NET012") == {"aurora-1", "lonely"}


def test_a_gap_in_needed_data_makes_the_rule_not_evaluated_not_passing() -> None:
    s = Snap()
    v = s.vpc("10.0.0.0/16")
    sn = s.subnet(v, "10.0.0.0/24")
    s.db("pg", [sn], [], public=True)
    s.gap("security_groups", "DescribeSecurityGroups")
    result = run(s)
    assert "NET012" in result.not_evaluated and fired(result, "NET012") == set()
    assert "NET001" not in result.not_evaluated
    assert result.exit_code(Severity.HIGH) == 3

"""`preflight scan --org / --account / --shard` and `preflight merge` of their reports and
snapshots, end to end through the command line over the moto organization of
tests.doubles.org_world (see tests/collect/test_org_scan.py for the AWS pages the verdicts follow)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from preflight.collect import accounts as acc
from tests.conftest import CliRun
from tests.doubles.apprunner_fake import FakeServiceQuotas
from tests.doubles.org_world import REGION, Org, build_org, resource_perimeter_scp


@pytest.fixture
def org_world(aws: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Builds an organization and makes the command line's sessions see Service Quotas (which
    moto does not serve) through the double, in the caller's account and in every assumed one."""
    quotas = FakeServiceQuotas(applied={REGION: 100.0})
    caller = boto3.Session(region_name=REGION)
    quotas.attach(caller)
    monkeypatch.setattr("preflight.collect.aws.make_session", lambda profile: caller)
    original = acc.assume

    def assume(*args: Any) -> Any:
        session = original(*args)
        quotas.attach(session)
        return session
    monkeypatch.setattr(acc, "assume", assume)

    def build(**knobs: Any) -> Org:
        return build_org(**knobs)
    build.caller = caller  # type: ignore[attr-defined]
    return build


ARGS = ["scan", "--org", "--region", REGION, "--platform", "ecs", "--format", "json", "--fail-on", "critical"]


def test_org_scan_reports_every_account_and_the_owner_of_each_finding(org_world: Any, cli: CliRun) -> None:
    org = org_world(accepter_route=False, secret_admits_workload=False)
    code, out, err = cli(ARGS)
    assert code == 1, err
    report = json.loads(out)
    assert report["scan"]["accounts"] == sorted([org.management, org.shared, org.workload])
    owners = {f["rule"]: f["resource"]["account"] for f in report["findings"]}
    assert owners["IAM003"] == org.workload
    assert owners["NET005"] == org.shared
    assert all("account" in f["resource"] for f in report["findings"])


def test_an_unassumable_account_is_a_named_gap_and_exit_3(org_world: Any, cli: CliRun) -> None:
    org = org_world()
    from tests.collect.test_org_scan import _deny_assume

    _deny_assume(org_world.caller, org.shared)
    code, out, err = cli(ARGS)
    report = json.loads(out)
    assert code == 3, err
    gap = next(g for g in report["scan"]["gaps"] if g.get("account") == org.shared)
    assert gap["operation"] == "AssumeRole" and org.shared in gap["error"]
    assert gap["rules_not_evaluated"]
    assert report["scan"]["unread_accounts"] == [org.shared]
    assert report["scan"]["complete"] is False


def test_three_shards_merged_equal_the_single_run(org_world: Any, cli: CliRun, tmp_path: Path) -> None:
    org_world(accepter_route=False, secret_admits_workload=False, extra_accounts=3)
    code, _out, _ = cli([*ARGS, "--output", str(tmp_path / "all.json")])
    single = json.loads((tmp_path / "all.json").read_text())
    reports, snapshots = [], []
    for k in (1, 2, 3):
        report, snapshot = tmp_path / f"shard{k}.json", tmp_path / f"shard{k}.snapshot.json"
        cli([*ARGS, "--shard", f"{k}/3", "--output", str(report), "--save-snapshot", str(snapshot)])
        reports.append(str(report))
        snapshots.append(str(snapshot))
    held = [json.loads(Path(r).read_text())["scan"].get("accounts", []) for r in reports]
    assert sorted(a for part in held for a in part) == single["scan"]["accounts"]
    # joined from the snapshots, the edges between shards are judged with both sides: the same
    # findings as one run, finding for finding
    m_code, m_out, m_err = cli(["merge", *snapshots, "--format", "json", "--fail-on", "critical"])
    merged = json.loads(m_out)
    assert m_code == code, m_err
    assert [(f["rule"], f["fingerprint"], f["resource"].get("account")) for f in merged["findings"]] == \
        [(f["rule"], f["fingerprint"], f["resource"].get("account")) for f in single["findings"]]
    assert merged["summary"] == single["summary"]
    assert merged["scan"]["accounts"] == single["scan"]["accounts"]
    # joined from the reports, every finding of a shard is kept and the threshold applies again
    r_code, r_out, _ = cli(["merge", *reports, "--format", "json", "--fail-on", "critical"])
    by_report = json.loads(r_out)
    assert {f["fingerprint"] for f in by_report["findings"]} <= {f["fingerprint"] for f in single["findings"]} | {
        f["fingerprint"] for r in reports for f in json.loads(Path(r).read_text())["findings"]}
    assert r_code in (1, 3)


def test_an_organization_snapshot_replays_with_snapshot_alone(org_world: Any, cli: CliRun, tmp_path: Path) -> None:
    org_world(secret_admits_workload=False)
    saved = tmp_path / "org.json"
    code, out, _ = cli([*ARGS, "--save-snapshot", str(saved)])
    again_code, again, _ = cli(["scan", "--snapshot", str(saved), "--format", "json", "--fail-on", "critical"])
    assert again_code == code
    assert [f["fingerprint"] for f in json.loads(again)["findings"]] == [
        f["fingerprint"] for f in json.loads(out)["findings"]]


def test_text_report_groups_findings_by_account(org_world: Any, cli: CliRun) -> None:
    org = org_world(accepter_route=False, secret_admits_workload=False)
    _, out, _ = cli(["scan", "--org", "--region", REGION, "--platform", "ecs", "--fail-on", "never"])
    assert f"Account {org.workload} (payments-prod)" in out
    assert f"Account {org.shared} (shared-services)" in out
    assert out.index(f"Account {org.shared}") < out.index("NET005")


def test_account_names_accounts_without_org(org_world: Any, cli: CliRun) -> None:
    org = org_world(secret_admits_workload=False)
    _code, out, err = cli(["scan", "--account", org.workload, "--account", org.shared, "--region", REGION,
                          "--platform", "ecs", "--format", "json", "--fail-on", "critical"])
    report = json.loads(out)
    assert report["scan"]["accounts"] == sorted([org.workload, org.shared]), err
    assert any(f["rule"] == "IAM003" for f in report["findings"])


@pytest.mark.parametrize(("argv", "message"), [
    (["scan", "--org", "--plan", "x.json"], "--plan and --source"),
    (["scan", "--shard", "1/2"], "--shard applies to a scan of several accounts"),
    (["scan", "--exclude-account", "111111111111"], "--exclude-account applies"),
    (["scan", "--role-name", "Other"], "--role-name applies"),
    (["scan", "--org", "--shard", "3/2"], "--shard '3/2'"),
    (["scan", "--account", "12345"], "--account '12345': an AWS account id is 12 digits"),
    (["scan", "--org", "--role-name", "bad name!"], "--role-name 'bad name!'"),
    (["scan", "--org", "--external-id", "x"], "--external-id"),
    (["scan", "--org", "--snapshot", "s.json"], "--snapshot replays a saved scan"),
])
def test_account_options_misused_are_one_line_and_exit_2(cli: CliRun, argv: list[str], message: str,
                                                         tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.json").write_text("{}")
    code, _out, err = cli(argv)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_merge_refuses_reports_and_snapshots_together(cli: CliRun, tmp_path: Path, demo_snapshot: str) -> None:
    report = tmp_path / "r.json"
    cli(["scan", "--snapshot", demo_snapshot, "--format", "json", "--output", str(report)])
    code, _, err = cli(["merge", str(report), demo_snapshot])
    assert code == 2 and "not both" in err


def test_merge_refuses_one_account_twice(cli: CliRun, demo_snapshot: str, tmp_path: Path) -> None:
    copy = tmp_path / "copy.json"
    copy.write_text(Path(demo_snapshot).read_text())
    code, _, err = cli(["merge", demo_snapshot, str(copy)])
    assert code == 2 and "is also in" in err


def _fail(session: boto3.Session, event: str, error: Exception) -> None:
    def handler(**_: Any) -> None:
        raise error
    session._session.register(event, handler)


def _unreachable(url: str = "https://organizations.us-east-1.amazonaws.com/") -> Exception:
    from botocore.exceptions import EndpointConnectionError

    return EndpointConnectionError(endpoint_url=url)


@pytest.mark.parametrize(("event", "error", "message"), [
    # no way to STS: the same line as a one-account scan gives
    ("before-call.sts.GetCallerIdentity", _unreachable("https://sts.amazonaws.com/"), "cannot reach AWS STS"),
    # the account list cannot be had: without it no account can be chosen
    ("before-call.organizations.ListAccounts", _unreachable(), "cannot reach AWS Organizations"),
    ("before-call.organizations.ListAccounts", "TooManyRequestsException",
     "organizations:ListAccounts failed (TooManyRequestsException"),
])
def test_an_organization_that_cannot_be_listed_is_one_line_and_exit_2(
        org_world: Any, cli: CliRun, event: str, error: Any, message: str) -> None:
    """Errors of ListAccounts as https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html
    lists them (TooManyRequestsException among them), and a connection that never opens."""
    from botocore.exceptions import ClientError

    org_world()
    if isinstance(error, str):
        error = ClientError({"Error": {"Code": error, "Message": "slow down"}}, "ListAccounts")
    _fail(org_world.caller, event, error)
    code, out, err = cli(ARGS)
    assert code == 2, (out, err)
    assert message in err and len(err.strip().splitlines()) == 1 and "internal error" not in err


def test_policies_unreadable_for_a_lost_connection_leave_each_account_to_read_its_own(
        org_world: Any, cli: CliRun) -> None:
    """A connection lost while the SCP layers are read from the management side is not a crash:
    every account is still read, one note says whose policies could not be read, and the
    workload account tries its own layers; a member may not read them (moto refuses it too), so
    that is a gap in the workload account leaving its permission rules not evaluated: exit 3."""
    org = org_world()
    _fail(org_world.caller, "before-call.organizations.ListParents", _unreachable())
    code, out, err = cli(ARGS)
    report = json.loads(out)
    assert report["scan"]["accounts"] == sorted([org.management, org.shared, org.workload])
    assert sum("policies could not be read" in n for n in report["scan"]["notes"]) == 1
    [gap] = report["scan"]["gaps"]
    assert (gap["account"], gap["operation"]) == (org.workload, "ListParents")
    assert "IAM003" in gap["rules_not_evaluated"] and code == 3, err


def test_merged_shards_decide_the_resource_perimeter_as_one_run_does(org_world: Any, cli: CliRun,
                                                                      tmp_path: Path) -> None:
    """Under the resource-perimeter SCP (aws:ResourceOrgID against ${aws:PrincipalOrgID},
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceorgid)
    the workload's read of the shared secret is allowed once the secret's account is known to be
    the organization's; the shards' snapshots, merged, decide it as the single run does."""
    org = org_world(extra_accounts=3)
    resource_perimeter_scp(org)
    cli([*ARGS, "--output", str(tmp_path / "all.json")])
    single = json.loads((tmp_path / "all.json").read_text())
    assert not [f for f in single["findings"] if f["rule"] == "IAM003"]
    snapshots = []
    for k in (1, 2, 3):
        snapshot = tmp_path / f"shard{k}.snapshot.json"
        cli([*ARGS, "--shard", f"{k}/3", "--output", str(tmp_path / f"{k}.json"), "--save-snapshot", str(snapshot)])
        snapshots.append(str(snapshot))
    _code, out, err = cli(["merge", *snapshots, "--format", "json", "--fail-on", "critical"])
    merged = json.loads(out)
    assert [f["fingerprint"] for f in merged["findings"]] == [f["fingerprint"] for f in single["findings"]], err


def test_merge_refuses_snapshots_of_two_organizations(cli: CliRun, tmp_path: Path, demo_snapshot: str) -> None:
    one = json.loads(Path(demo_snapshot).read_text())
    paths = []
    for n, (org_id, account) in enumerate((("o-aaaaaaaaaa", "111111111111"), ("o-bbbbbbbbbb", "222222222222"))):
        doc = {"snapshot_version": "1", "kind": "organization", "organization": {"id": org_id},
               "accounts": [{**one, "account": account}], "unread_accounts": []}
        path = tmp_path / f"org{n}.json"
        path.write_text(json.dumps(doc))
        paths.append(str(path))
    code, _, err = cli(["merge", *paths])
    assert code == 2 and "organization o-bbbbbbbbbb" in err and len(err.strip().splitlines()) == 1

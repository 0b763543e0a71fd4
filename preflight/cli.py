"""The command line. The only module that prints results or exits the process.

Every `preflight.errors.Error` becomes one line on stderr and its exit code (2 for anything a
user can fix: bad input, unknown rule, missing credentials). Anything else is a bug: one line
saying so, the traceback only with --debug, exit 4.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import click

from preflight import __version__
from preflight.errors import Error, UsageError
from preflight.findings import Severity
from preflight.redact import RedactingFilter

FAIL_ON = ("critical", "high", "medium", "low", "info", "never")
log = logging.getLogger("preflight")


def _fail_on(text: str) -> Severity | None:
    return None if text == "never" else Severity.parse(text)


def _use_color(output: str | None) -> bool:
    return output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _emit(result: Any, fmt: str, output: str | None, fail_on: str = "high",
          artifact: str = ".preflight.yaml") -> None:
    from preflight.report import Options, formats
    from preflight.snapshot import write_atomic

    text = formats()[fmt](result, Options(_use_color(output), _fail_on(fail_on), artifact))
    if output:
        write_atomic(output, text)
        log.info("report written to %s", output)
    else:
        click.echo(text, nl=False)


def _progress() -> Any:
    """A one-line progress display on stderr when stderr is a terminal; nothing otherwise."""
    if not sys.stderr.isatty() or logging.getLogger().level >= logging.ERROR:
        return None

    def show(what: str, done: int, total: int) -> None:
        sys.stderr.write(f"\r\x1b[Kpreflight: read {done}/{total}: {what}"[:200])
        sys.stderr.flush()
    return show


def _setup_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else logging.ERROR if quiet else logging.WARNING
    logging.basicConfig(stream=sys.stderr, level=level, format="preflight: %(message)s")
    for handler in logging.getLogger().handlers:  # botocore's debug log prints signed headers
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    if not verbose:
        for noisy in ("botocore", "boto3", "urllib3"):
            logging.getLogger(noisy).setLevel(logging.ERROR)


class SafePath(click.Path):
    """click's Path, with a path that the OS cannot even look up (a NUL byte) refused as a
    usage error: click lets the ValueError escape."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except ValueError as e:
            self.fail(f"{value!r} is not a usable path: {e}", param, ctx)


format_option = click.option("--format", "fmt",
                             type=click.Choice(["text", "json", "sarif", "junit", "markdown", "html"]),
                             default="text", show_default=True, help="Report format.")
output_option = click.option("--output", "-o", type=SafePath(dir_okay=False),
                             help="Write the report to FILE instead of stdout.")
select_option = click.option("--select", multiple=True, metavar="ID",
                             help="Run only these rules (id, id prefix such as NET, or name).")
ignore_option = click.option("--ignore", multiple=True, metavar="ID",
                             help="Skip these rules (id, id prefix or name).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="preflight")
@click.option("--verbose", "-v", is_flag=True, help="Log progress and AWS details to stderr.")
@click.option("--quiet", "-q", is_flag=True, help="Log only errors to stderr.")
@click.option("--debug", is_flag=True, hidden=True, help="Show tracebacks of internal errors.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool, quiet: bool, debug: bool) -> None:
    """Find why an AWS App Runner service will fail before you deploy it."""
    ctx.obj = {"debug": debug}
    _setup_logging(verbose, quiet)
    from preflight import rulepacks

    rulepacks.load()  # the built-in checks and any installed rule pack, before a rule id is read


def _refuse_contradictions(given: set[str], snapshot: str | None, output: str | None,
                           save_snapshot: str | None, inputs: list[str | None]) -> None:
    """Flags that would be silently ignored, or would destroy an input, are usage errors."""
    if snapshot:
        ignored = [f"--{name}" for name in ("region", "profile") if f"{name}s" in given or name in given]
        if ignored:
            raise UsageError(f"--snapshot replays a saved scan: {' and '.join(ignored)} would be ignored")
    for written, flag in ((output, "--output"), (save_snapshot, "--save-snapshot")):
        if not written:
            continue
        for read in inputs:
            if read and os.path.realpath(read) == os.path.realpath(written):
                raise UsageError(f"{flag} {written} is also an input: it would be overwritten")
    if output and save_snapshot and os.path.realpath(output) == os.path.realpath(save_snapshot):
        raise UsageError("--output and --save-snapshot name the same file")


@cli.command()
@click.option("--region", "regions", multiple=True, metavar="R",
              help="Region to scan (repeatable). Regions reached through peerings and "
                   "database endpoints are followed automatically. Default: the AWS chain's.")
@click.option("--profile", metavar="P", help="AWS profile (default: the standard AWS chain).")
@click.option("--service", "services", multiple=True, metavar="NAME|ARN",
              help="Check only these App Runner or ECS services (repeatable). Default: all.")
@click.option("--source", "source_dirs", multiple=True, metavar="DIR",
              help="Check an application's source as App Runner will build it (repeatable). "
                   "Alone, it needs no AWS access at all.")
@click.option("--plan", "plan_files", multiple=True, metavar="FILE",
              help="A CloudFormation template or a Terraform plan (terraform show -json) to check "
                   "before it is deployed (repeatable). Alone, it needs no AWS access.")
@click.option("--parameter", "parameters", multiple=True, metavar="KEY=VALUE",
              help="A CloudFormation parameter value for --plan (repeatable).")
@click.option("--snapshot", type=SafePath(dir_okay=False),
              help="Replay a saved snapshot instead of reading AWS.")
@click.option("--save-snapshot", type=SafePath(dir_okay=False),
              help="Also save what was read to FILE, for --snapshot later.")
@format_option
@output_option
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="high", show_default=True,
              help="Exit 1 when a finding is at or above this severity.")
@select_option
@ignore_option
@click.option("--workers", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Concurrent AWS requests.")
@click.option("--timeout", type=click.FloatRange(1, 300), default=20.0, show_default=True,
              help="Seconds to wait for one AWS response.")
@click.option("--dns-resolver", metavar="HOST[:PORT]",
              help="DNS resolver for custom domains outside Route 53 (default: the system's).")
@click.option("--config", "config_path", type=SafePath(dir_okay=False),
              help="Configuration file (default: .preflight.yaml found from the working directory up).")
@click.option("--baseline", type=SafePath(dir_okay=False),
              help="A previous JSON report: its findings are kept but no longer fail the scan.")
@click.option("--platform", "platforms", multiple=True, type=click.Choice(["apprunner", "ecs"]),
              help="Read and check only these workloads (repeatable; narrows --snapshot and --plan "
                   "too). Default: App Runner and ECS.")
@click.option("--target", type=click.Choice(["ecs-express"]),
              help="Also report what moving each App Runner service to this platform keeps and breaks.")
@click.option("--verify-iam", is_flag=True,
              help="Also ask AWS's policy simulator (iam:SimulatePrincipalPolicy) the permission questions "
                   "and report every disagreement with the local verdict (rule IAM007).")
@click.option("--org", "org", is_flag=True,
              help="Scan every active account of the organization (organizations:ListAccounts, from the "
                   "management account or a delegated administrator) through --role-name.")
@click.option("--account", "accounts", multiple=True, metavar="ID",
              help="Scan this account (repeatable): through --role-name, or with the current credentials for "
                   "the current account. With --org, only these of the organization's accounts.")
@click.option("--exclude-account", "excluded", multiple=True, metavar="ID",
              help="Leave this account out of --org or --account (repeatable).")
@click.option("--role-name", default="PreflightReadOnly", show_default=True, metavar="NAME",
              help="The read-only role assumed in each account (see `preflight iam-policy --org`).")
@click.option("--external-id", metavar="TEXT",
              help="The sts:ExternalId the role's trust policy asks for.")
@click.option("--shard", metavar="K/N",
              help="Scan a stable 1/N of the accounts (the K-th share, by a hash of the account id); join the "
                   "shards' reports with `preflight merge`.")
@click.pass_context
def scan(ctx: click.Context, regions: Sequence[str], profile: str | None, services: Sequence[str],
         source_dirs: Sequence[str], plan_files: Sequence[str], parameters: Sequence[str],
         snapshot: str | None, save_snapshot: str | None, fmt: str,
         output: str | None, fail_on: str, select: Sequence[str], ignore: Sequence[str], workers: int,
         timeout: float, dns_resolver: str | None, config_path: str | None, baseline: str | None,
         platforms: Sequence[str], target: str | None, verify_iam: bool, org: bool, accounts: Sequence[str],
         excluded: Sequence[str], role_name: str, external_id: str | None, shard: str | None) -> None:
    """Scan an account (or a saved snapshot) and report what will fail."""
    from preflight import engine, triage
    from preflight import snapshot as snap
    from preflight.config import load_config, read_baseline

    config = load_config(config_path)
    given = {name for name in ctx.params
             if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT}

    def default(param: str, key: str, value: Any) -> Any:
        return value if param in given or key not in config.options else config.options[key]

    _refuse_contradictions(given, snapshot, output, save_snapshot,
                           [snapshot, baseline, config_path, *plan_files])
    regions = default("regions", "regions", regions)
    profile = default("profile", "profile", profile)
    services = default("services", "services", services)
    source_dirs = default("source_dirs", "sources", source_dirs)
    fmt = default("fmt", "format", fmt)
    fail_on = default("fail_on", "fail-on", fail_on)
    select = default("select", "select", select)
    ignore = default("ignore", "ignore", ignore)
    dns_resolver = default("dns_resolver", "dns-resolver", dns_resolver)
    known = read_baseline(baseline) if baseline else frozenset()
    if dns_resolver is not None:
        from preflight.collect.domains import parse_resolver

        parse_resolver(dns_resolver)  # a bad address is a usage error now, not after the scan

    if snapshot and save_snapshot:
        raise UsageError("--snapshot and --save-snapshot cannot be used together")
    selected = engine.select_rules(select, ignore, target, verify_iam)
    several = org or bool(accounts)
    _refuse_account_options(given, several, snapshot, plan_files, source_dirs)
    if several:
        from preflight.collect.aws import Settings

        settings = Settings(read_timeout=timeout, workers=workers, dns_resolver=dns_resolver,
                            platforms=frozenset(platforms or ("apprunner", "ecs")))
        org_doc = _scan_accounts(org, accounts, excluded, role_name, external_id, shard, regions, profile,
                                 frozenset(services), settings, verify_iam)
        if save_snapshot:
            snap.save(org_doc, save_snapshot)
        _judge_accounts(org_doc, selected, config, known, fmt, output, fail_on)
    raw = snap.read_json(snapshot) if snapshot else None
    if snapshot and snap.is_organization(raw):
        org_doc = snap.validate_organization(raw, snapshot)
        if services:
            org_doc = _only_services_of_accounts(org_doc, frozenset(services))
        _judge_accounts(org_doc, selected, config, known, fmt, output, fail_on)
    apps: list[dict[str, Any]] = []
    if source_dirs:
        from preflight.collect.source import read_source

        apps = [app for d in dict.fromkeys(source_dirs) for app in read_source(d)]
    if verify_iam and (plan_files or source_dirs) and not (regions or profile or services or snapshot):
        raise UsageError("--verify-iam asks AWS's policy simulator about live roles: scan an account "
                         "(--region/--profile), not only --plan or --source")
    if snapshot:
        doc = snap.validate(raw, snapshot)
        from preflight.collect.simulate import COLLECTION

        if verify_iam and COLLECTION not in doc["resources"]:
            raise UsageError("--verify-iam with --snapshot replays the simulator's answers saved by "
                             "--save-snapshot --verify-iam, and this snapshot has none")
        if services:
            doc = _only_services(doc, frozenset(services))
    elif (source_dirs or plan_files) and not (regions or profile or services):
        doc = snap.source_only(apps)  # no AWS access at all
    else:
        from preflight.collect import collect
        from preflight.collect.aws import Settings, default_region, make_session

        session = make_session(profile)
        wanted = list(dict.fromkeys(regions)) or [default_region(session)]
        settings = Settings(read_timeout=timeout, workers=workers, dns_resolver=dns_resolver,
                            platforms=frozenset(platforms or ("apprunner", "ecs")))
        doc = collect(session, wanted, frozenset(services), settings, _progress())
        if sys.stderr.isatty():
            sys.stderr.write("\r\x1b[K")
        if verify_iam:
            doc = _verify_iam(doc, session, wanted[0], settings)
        snap.validate(doc, "<collected snapshot>")
        if save_snapshot:
            snap.save(doc, save_snapshot)
            save_snapshot = None  # saved as read from AWS
    if apps and doc["resources"].get("sources") is not apps:
        doc = {**doc, "resources": {**doc["resources"], "sources": apps}}
    if apps:
        from preflight.collect.source import source_gaps

        unread = [g for g in source_gaps(apps) if g not in doc.get("gaps", [])]
        if unread:
            doc = {**doc, "gaps": [*doc.get("gaps", []), *unread]}
    if plan_files:
        doc = _with_plans(doc, plan_files, parameters, regions, profile)
    if platforms:  # a live scan read only these; a snapshot or a plan is narrowed the same way
        kept = [w for w in doc["resources"]["services"]
                if ("ecs" if w["platform"].startswith("ecs") else w["platform"]) in platforms]
        connectors = doc["resources"]["vpc_connectors"] if "apprunner" in platforms else []
        doc = {**doc, "resources": {**doc["resources"], "services": kept, "vpc_connectors": connectors}}
    if save_snapshot:  # a scan of plans or sources alone: what was judged is what is saved
        snap.save(snap.validate(doc, "<planned snapshot>"), save_snapshot)
    result = triage.apply(engine.run(doc, selected), config, known)
    _emit(result, fmt, output, fail_on, _artifact(config.path))
    sys.exit(result.exit_code(_fail_on(fail_on)))


def _refuse_account_options(given: set[str], several: bool, snapshot: str | None, plans: Sequence[str],
                            sources: Sequence[str]) -> None:
    """The options of a scan of several accounts, where they mean something, and only there."""
    if several:
        if snapshot:
            raise UsageError("--org and --account read AWS; --snapshot replays a saved scan (an organization "
                             "snapshot replays with --snapshot alone)")
        if plans or sources:
            raise UsageError("--plan and --source judge one account's changes: scan them without --org or --account")
        return
    alone = [f"--{flag}" for name, flag in (("excluded", "exclude-account"), ("role_name", "role-name"),
                                             ("external_id", "external-id"), ("shard", "shard")) if name in given]
    if alone:
        raise UsageError(f"{alone[0]} applies to a scan of several accounts: add --org or --account")


def _scan_accounts(org: bool, named: Sequence[str], excluded: Sequence[str], role_name: str,
                   external_id: str | None, shard_text: str | None, regions: Sequence[str], profile: str | None,
                   services: frozenset[str], settings: Any, verify_iam: bool) -> dict[str, Any]:
    """Reads the accounts of `--org` / `--account` into an organization snapshot."""
    from preflight import snapshot as snap
    from preflight.collect import accounts as acc
    from preflight.collect import collect
    from preflight.collect.aws import Clients, default_region, make_session

    for a in named:
        acc.check_account_id(a, "--account")
    for a in excluded:
        acc.check_account_id(a, "--exclude-account")
    acc.check_role_name(role_name)
    if external_id is not None:
        acc.check_external_id(external_id)
    shard = acc.Shard.parse(shard_text) if shard_text else None
    session = make_session(profile)
    wanted = list(dict.fromkeys(regions)) or [default_region(session)]
    listed = acc.organization_accounts(Clients(session, acc.ALLOWED, settings), wanted[0]) if org else None
    chosen = acc.choose(listed, named, excluded, shard)

    def one(member: Any, policies: dict[str, Any] | None) -> dict[str, Any]:
        doc = collect(member, wanted, services, settings, None, organization=policies, require_services=False)
        if verify_iam:
            doc = _verify_iam(doc, member, wanted[0], settings)
        return doc

    run = acc.AccountRun(role_name, external_id, parallel=max(1, settings.workers // 2), progress=_progress())
    doc = acc.collect_accounts(session, wanted[0], chosen, run, one, settings, listed_from_org=org,
                               others=[a["id"] for a in listed or [] if a["id"] not in set(excluded)])
    if sys.stderr.isatty():
        sys.stderr.write("\r\x1b[K")
    doc["shard"] = str(shard) if shard else None
    if not chosen:
        doc["notes"] = [*doc["notes"], f"shard {shard} holds none of the {len(listed or named)} accounts"
                        if shard else "every account was excluded"]
    if services and doc["accounts"]:
        found = {x for d in doc["accounts"] for w in d["resources"]["services"] for x in (w["name"], w["arn"])}
        missing = sorted(services - found)
        if missing and len(missing) == len(services):
            raise UsageError(f"no service {missing[0]!r} in any of the {len(doc['accounts'])} accounts read")
    return snap.validate_organization(doc, "<collected accounts>")


def _only_services_of_accounts(org_doc: dict[str, Any], wanted: frozenset[str]) -> dict[str, Any]:
    docs = []
    for doc in org_doc["accounts"]:
        services = [s for s in doc["resources"]["services"] if s["name"] in wanted or s["arn"] in wanted]
        docs.append({**doc, "resources": {**doc["resources"], "services": services}})
    if not any(d["resources"]["services"] for d in docs):
        raise UsageError(f"no service {sorted(wanted)[0]!r} in the snapshot's accounts")
    return {**org_doc, "accounts": docs}


def _judge_accounts(org_doc: dict[str, Any], selected: tuple[str, ...], config: Any, known: frozenset[str],
                    fmt: str, output: str | None, fail_on: str) -> None:
    from preflight import fleet, triage

    result = triage.apply(fleet.run(org_doc, selected), config, known)
    _emit(result, fmt, output, fail_on, _artifact(config.path))
    sys.exit(result.exit_code(_fail_on(fail_on)))


def _verify_iam(doc: dict[str, Any], session: Any, region: str, settings: Any) -> dict[str, Any]:
    """The snapshot with the policy simulator's answers to the permission questions."""
    from preflight.checks.access import simulation_questions
    from preflight.collect.simulate import COLLECTION, ask
    from preflight.graph import ResourceGraph

    questions = simulation_questions(ResourceGraph.build(doc))
    answered, gaps = ask(session, region, questions, settings)
    return {**doc, "gaps": [*doc["gaps"], *gaps], "resources": {**doc["resources"], COLLECTION: answered}}


def _with_plans(doc: dict[str, Any], files: Sequence[str], parameters: Sequence[str],
                regions: Sequence[str], profile: str | None) -> dict[str, Any]:
    import boto3

    from preflight.collect.plans import load_plan_files, overlay

    params = {}
    for item in parameters:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--parameter {item!r}: expected KEY=VALUE")
        params[key] = value
    region = (list(regions) or doc.get("requested_regions") or [None])[0] or \
        boto3.Session().region_name or "us-east-1"
    account = str(doc.get("account") or "000000000000")
    for path, records in load_plan_files(list(dict.fromkeys(files)), params, region, account):
        _repo_relative_locations(records)
        doc = overlay(doc, records, [*doc.get("plans", []), path])
    return doc


def _artifact(config_path: str | None) -> str:
    """Where SARIF files a finding that no file declares (see docs/ci.md): the preflight config
    that ran the scan, named from the repository root, else `.preflight.yaml` at the root."""
    from preflight.repo import repo_relative

    if not config_path:
        return ".preflight.yaml"
    return repo_relative(config_path) or config_path


def _repo_relative_locations(records: dict[str, list[dict[str, Any]]]) -> None:
    """A planned resource's file, named from the repository root (as SARIF and baselines need)."""
    from preflight.repo import repo_relative

    names: dict[str, str] = {}
    for collection in records.values():
        for r in collection:
            loc = r.get("_location") if isinstance(r, dict) else None
            if isinstance(loc, dict) and isinstance(loc.get("file"), str):
                loc["file"] = names.setdefault(loc["file"], repo_relative(loc["file"]) or loc["file"])


_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def parse_duration(text: str) -> timedelta:
    """`24h`, `90m`, `7d`, `1h30m`: a positive duration of at most 30 days."""
    m = _DURATION.match(text.strip().lower())
    if not text.strip() or not m or not any(m.groups()):
        raise UsageError(f"--since {text!r}: expected a duration such as 24h, 90m, 7d or 1h30m")
    days, hours, minutes, seconds = (int(g or 0) for g in m.groups())
    value = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if not timedelta(0) < value <= timedelta(days=30):
        raise UsageError(f"--since {text!r}: the window must be longer than 0 and at most 30 days")
    return value


@cli.command()
@click.argument("reports", nargs=-1, required=True, type=SafePath(dir_okay=False))
@format_option
@output_option
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="high", show_default=True,
              help="Exit 1 when a finding is at or above this severity.")
@click.option("--config", "config_path", type=SafePath(dir_okay=False),
              help="With snapshots: the configuration whose suppressions apply (default: .preflight.yaml "
                   "found from the working directory up).")
@select_option
@ignore_option
def merge(reports: Sequence[str], fmt: str, output: str | None, fail_on: str, config_path: str | None,
          select: Sequence[str], ignore: Sequence[str]) -> None:
    """Join JSON reports (shards of one scan, or several accounts) into one report and exit like a scan.

    Given snapshots instead (`scan --save-snapshot`, one per shard or account), the checks judge
    them together, so edges between the shards' accounts are judged with both sides."""
    from preflight.merge import join_snapshots, read_input
    from preflight.merge import merge as join

    if output and any(os.path.realpath(output) == os.path.realpath(r) for r in reports):
        raise UsageError(f"--output {output} is also an input: it would be overwritten")
    inputs = [(path, *read_input(path)) for path in dict.fromkeys(reports)]
    kinds = {kind for _, kind, _ in inputs}
    if len(kinds) > 1:
        raise UsageError("merge takes JSON reports or snapshots, not both: a report's findings cannot be "
                         "judged again with a snapshot's records")
    if kinds == {"snapshot"}:
        from preflight import engine, fleet, triage
        from preflight.config import load_config

        config = load_config(config_path)
        selected = engine.select_rules(select, ignore)
        result = triage.apply(fleet.run(join_snapshots([(p, d) for p, _, d in inputs]), selected), config)
        _emit(result, fmt, output, fail_on, _artifact(config.path))
        sys.exit(result.exit_code(_fail_on(fail_on)))
    if config_path or select or ignore:
        raise UsageError("--config, --select and --ignore apply to merged snapshots; reports keep their own")
    result = join([doc for _, _, doc in inputs])
    _emit(result, fmt, output, fail_on)
    sys.exit(result.exit_code(_fail_on(fail_on)))


@cli.command()
@click.option("--service", "services", multiple=True, metavar="NAME|ARN",
              help="Diagnose only these App Runner or ECS services (repeatable). Default: all.")
@click.option("--region", "regions", multiple=True, metavar="R", help="Region to read (repeatable).")
@click.option("--profile", metavar="P", help="AWS profile (default: the standard AWS chain).")
@click.option("--since", default="24h", show_default=True, metavar="DURATION",
              help="How far back to look for failed deployments (e.g. 24h, 90m, 7d).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown", "html"]), default="text",
              show_default=True, help="Report format.")
@output_option
@click.option("--snapshot", type=SafePath(dir_okay=False),
              help="Replay a snapshot saved by `preflight diagnose --save-snapshot` instead of reading AWS.")
@click.option("--save-snapshot", type=SafePath(dir_okay=False),
              help="Also save what was read (the scan and the evidence) to FILE.")
@click.option("--workers", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Concurrent AWS requests.")
@click.option("--timeout", type=click.FloatRange(1, 300), default=20.0, show_default=True,
              help="Seconds to wait for one AWS response.")
@click.pass_context
def diagnose(ctx: click.Context, services: Sequence[str], regions: Sequence[str], profile: str | None, since: str,
             fmt: str, output: str | None, snapshot: str | None, save_snapshot: str | None, workers: int,
             timeout: float) -> None:
    """Explain deployments that already failed, from the evidence AWS keeps."""
    from preflight import diagnosis, engine
    from preflight import snapshot as snap
    from preflight.collect.evidence import COLLECTION
    from preflight.report.diagnoses import render

    window = parse_duration(since)
    given = {name for name in ctx.params
             if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT}
    _refuse_contradictions(given, snapshot, output, save_snapshot, [snapshot])
    if snapshot and save_snapshot:
        raise UsageError("--snapshot and --save-snapshot cannot be used together")
    if snapshot:
        doc = snap.load(snapshot)
        if COLLECTION not in doc["resources"]:
            raise UsageError(f"{snapshot} holds no deployment evidence: save one with "
                             "`preflight diagnose --save-snapshot FILE`")
        if services:
            doc = _only_services(doc, frozenset(services))
            names = {w["arn"] for w in doc["resources"]["services"]}
            doc["resources"][COLLECTION] = [r for r in doc["resources"][COLLECTION] if r["workload"] in names]
    else:
        from preflight.collect import collect_diagnose
        from preflight.collect.aws import Settings, default_region, make_session

        session = make_session(profile)
        wanted = list(dict.fromkeys(regions)) or [default_region(session)]
        doc = collect_diagnose(session, wanted, frozenset(services), window,
                               Settings(read_timeout=timeout, workers=workers), _progress())
        if sys.stderr.isatty():
            sys.stderr.write("\r\x1b[K")
        snap.validate(doc, "<collected snapshot>")
        if save_snapshot:
            snap.save(doc, save_snapshot)
    result = engine.run(doc)
    found = diagnosis.diagnose(result)
    text = render(result, found, fmt)
    if output:
        snap.write_atomic(output, text)
    else:
        click.echo(text, nl=False)
    sys.exit(diagnosis.exit_code(result, found))


def _only_services(doc: dict[str, Any], wanted: frozenset[str]) -> dict[str, Any]:
    services = [s for s in doc["resources"]["services"] if s["name"] in wanted or s["arn"] in wanted]
    missing = sorted(wanted - {s["name"] for s in services} - {s["arn"] for s in services})
    if missing:
        raise UsageError(f"no service {missing[0]!r} in the snapshot")
    return {**doc, "resources": {**doc["resources"], "services": services}}


@cli.command()
@format_option
@output_option
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="never", show_default=True,
              help="Exit 1 when a finding is at or above this severity.")
@select_option
@ignore_option
@click.option("--target", type=click.Choice(["ecs-express"]),
              help="Also show what moving the talk's services to this platform keeps and breaks.")
@click.option("--diagnose", is_flag=True,
              help="Show `preflight diagnose` on the talk backend's deployment that rolled back.")
def demo(fmt: str, output: str | None, fail_on: str, select: Sequence[str],
         ignore: Sequence[str], target: str | None, diagnose: bool) -> None:
    """Scan a bundled account (the talk's, half-way through) with no AWS access."""
    from preflight import engine
    from preflight.snapshot import load_bundled

    doc = load_bundled("talk.snapshot.json")
    click.echo("preflight demo: App Runner in ap-northeast-1 reaching Postgres in "
               "ap-northeast-2, replayed from a bundled snapshot (no AWS calls)", err=True)
    if diagnose:
        import json
        from importlib import resources as pkg

        from preflight import diagnosis
        from preflight.report.diagnoses import FORMATS, render
        from preflight.snapshot import write_atomic

        if fmt not in FORMATS:
            raise UsageError(f"demo --diagnose writes {', '.join(FORMATS)}, not {fmt}")
        bundled = json.loads(pkg.files("preflight.demo").joinpath("talk.evidence.json").read_text("utf-8"))
        doc = {**doc, "diagnose_window": bundled["diagnose_window"],
               "resources": {**doc["resources"], "deploy_evidence": bundled["deploy_evidence"]}}
        result = engine.run(doc)
        text = render(result, diagnosis.diagnose(result), fmt)
        if output:
            write_atomic(output, text)
        else:
            click.echo(text, nl=False)
        sys.exit(0)
    result = engine.run(doc, engine.select_rules(select, ignore, target))
    _emit(result, fmt, output, fail_on)
    sys.exit(result.exit_code(_fail_on(fail_on)))


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def rules(fmt: str) -> None:
    """List the rule catalog."""
    import json

    from preflight.registry import catalog

    entries = list(catalog().values())
    if fmt == "json":
        click.echo(json.dumps([{
            "id": r.id, "name": r.name, "severity": r.severity.label, "title": r.title,
            "summary": r.summary, "references": list(r.references), "heuristic": r.heuristic,
            "target": r.target,
        } for r in entries], indent=2))
        return
    for r in entries:
        only = f"  (only with --target {r.target})" if r.target else ""
        click.echo(f"{r.id}  {r.severity.label:<8}  {r.name:<32}  {r.title}{only}")


@cli.command()
@click.option("--snapshot", type=SafePath(dir_okay=False),
              help="The snapshot to draw (default: the bundled demo account).")
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot", "json"]), default="mermaid",
              show_default=True)
@output_option
def graph(snapshot: str | None, fmt: str, output: str | None) -> None:
    """Draw the services, their flows and where the findings' paths break."""
    from preflight import engine
    from preflight import snapshot as snap
    from preflight.report.graphview import render

    doc = snap.load(snapshot) if snapshot else snap.load_bundled("talk.snapshot.json")
    text = render(engine.run(doc), fmt)
    if output:
        snap.write_atomic(output, text)
    else:
        click.echo(text, nl=False)


@cli.command("iam-policy")
@click.option("--org", "org", is_flag=True,
              help="Print what an organization scan needs: the member role's policy and trust policy, and "
                   "the scanning principal's own policy (JSON).")
@click.option("--stackset", is_flag=True,
              help="Print a CloudFormation template that creates the read-only member role, for a StackSet "
                   "over the organization.")
@click.option("--trusted-account", metavar="ID",
              help="The account whose principals may assume the role (the management account, or the "
                   "account CI runs in). Default: a template parameter / a placeholder.")
@click.option("--external-id", metavar="TEXT", help="Require this sts:ExternalId in the trust policy.")
@click.option("--role-name", default="PreflightReadOnly", show_default=True, metavar="NAME",
              help="The member role's name.")
def iam_policy(org: bool, stackset: bool, trusted_account: str | None, external_id: str | None,
               role_name: str) -> None:
    """Print the least-privilege, read-only IAM policy a scan needs."""
    import json

    from preflight.collect import OPERATIONS
    from preflight.collect import accounts as acc

    actions = sorted({op.iam_action for op in OPERATIONS})
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "PreflightReadOnly", "Effect": "Allow", "Action": actions, "Resource": "*"}]}
    if not (org or stackset):
        if trusted_account or external_id or role_name != "PreflightReadOnly":
            raise UsageError("--trusted-account, --external-id and --role-name shape the organization role: "
                             "add --org or --stackset")
        click.echo(json.dumps(policy, indent=2))
        return
    if org and stackset:
        raise UsageError("--org and --stackset print different documents: choose one")
    if trusted_account:
        acc.check_account_id(trusted_account, "--trusted-account")
    acc.check_role_name(role_name)
    if external_id is not None:
        acc.check_external_id(external_id)
    from preflight.orgpolicy import caller_policy, stackset_template, trust_policy

    if stackset:
        click.echo(json.dumps(stackset_template(policy, role_name, trusted_account, external_id), indent=2))
        return
    click.echo(json.dumps({
        "role_name": role_name,
        "role_policy": policy,
        "trust_policy": trust_policy(trusted_account or "<management-account-id>", external_id),
        "caller_policy": caller_policy(role_name, sorted({op.iam_action for op in acc.OPERATIONS})),
    }, indent=2))


@cli.command()
@click.argument("rule_id")
def explain(rule_id: str) -> None:
    """Explain one rule: rationale, what is checked, how to fix it, references."""
    import textwrap

    from preflight.registry import lookup

    r = lookup(rule_id)

    def fill(text: str) -> str:
        return textwrap.fill(text, 80, initial_indent="  ", subsequent_indent="  ")

    parts = [f"{r.id} {r.name} ({r.severity.label}{', heuristic' if r.heuristic else ''})",
             r.title, "", fill(r.summary), "", "Why:", fill(r.rationale), "",
             "What is checked:", fill(r.checks), "", "How to fix:", fill(r.fix), "",
             "References:", *(f"  {u}" for u in r.references)]
    click.echo("\n".join(parts))


def main(argv: Sequence[str] | None = None) -> None:
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        cli.main(args=argv, prog_name="preflight", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("preflight: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as e:
        click.echo(f"preflight: {e.format_message()}", err=True)
        sys.exit(2)
    except Error as e:
        click.echo(f"preflight: {e.diagnostics()}", err=True)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        click.echo("preflight: interrupted", err=True)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as e:
        if debug:
            raise
        click.echo(f"preflight: internal error ({type(e).__name__}: {e}); please report it, "
                   "and rerun with --debug for the traceback", err=True)
        sys.exit(4)
    sys.exit(0)

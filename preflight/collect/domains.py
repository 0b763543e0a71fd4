"""Custom domains' DNS (Route 53, else public DNS) and the Fargate vCPU quota.

Route 53: the account's public hosted zones, then the record sets of the zones that hold a
custom domain, kept only for the names the checks need (the domain, its www name, the
certificate validation names, and CAA records up the tree). Private zones are listed but never
used: App Runner does not support them.

A domain whose zone is not in the account's Route 53 (the talk's "Non-Amazon" DNS) is looked up
in DNS with dnspython. The resolver is the system's unless `Settings.dns_resolver` names one
(`--dns-resolver`), which is how the tests point every lookup at a server on 127.0.0.1.
"""

from __future__ import annotations

from typing import Any

import botocore.exceptions

from preflight.collect.aws import Operation
from preflight.collect.base import GapSink, Task, paginate

LIST_ZONES = Operation("route53", "ListHostedZones")
LIST_RECORDS = Operation("route53", "ListResourceRecordSets")
GET_QUOTA = Operation("service-quotas", "GetServiceQuota", "servicequotas")
GET_DEFAULT_QUOTA = Operation("service-quotas", "GetAWSDefaultServiceQuota", "servicequotas")
OPERATIONS = (LIST_ZONES, LIST_RECORDS, GET_QUOTA, GET_DEFAULT_QUOTA)

FARGATE_VCPU = ("fargate", "L-3032A538")  # Fargate On-Demand vCPU resource count


def norm(name: str) -> str:
    return name.strip().rstrip(".").lower().replace("\\052", "*")


def parents(name: str) -> list[str]:
    """`name` and each parent down to two labels (CAA is looked up by climbing the tree)."""
    labels = norm(name).split(".")
    return [".".join(labels[i:]) for i in range(0, max(1, len(labels) - 1))]


def wanted_names(services: list[dict[str, Any]]) -> dict[str, set[str]]:
    """name -> record types the checks need for it."""
    want: dict[str, set[str]] = {}
    for w in services:
        for d in w.get("domains", []):
            name = norm(d["name"])
            want.setdefault(name, set()).update({"CNAME", "A", "AAAA"})
            if d.get("www"):
                want.setdefault(f"www.{name}", set()).update({"CNAME", "A", "AAAA"})
            for r in d.get("records", []):
                if r.get("name"):
                    want.setdefault(norm(r["name"]), set()).add(str(r.get("type") or "CNAME"))
            for p in parents(name):
                want.setdefault(p, set()).add("CAA")
    return want


def zones_task(region: str) -> Task:
    def transform(raw: list[dict[str, Any]], _region: str) -> list[dict[str, Any]]:
        return [{"id": z["Id"].rsplit("/", 1)[-1], "name": norm(z["Name"]),
                 "private": bool((z.get("Config") or {}).get("PrivateZone"))} for z in raw]
    return Task("dns_zones", LIST_ZONES, region,
                lambda client, _gap: paginate(client, "ListHostedZones", "HostedZones"), transform)


def zone_for(name: str, zones: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The most specific public zone that holds `name`."""
    n = norm(name)
    best = None
    for z in zones:
        if z["private"]:
            continue
        if (n == z["name"] or n.endswith("." + z["name"])) and (best is None or len(z["name"]) > len(best["name"])):
            best = z
    return best


def records_task(region: str, zone: dict[str, Any], want: dict[str, set[str]]) -> Task:
    def fetch(client: Any, _gap: GapSink) -> list[dict[str, Any]]:
        return paginate(client, "ListResourceRecordSets", "ResourceRecordSets", HostedZoneId=zone["id"])

    def transform(raw: list[dict[str, Any]], _region: str) -> list[dict[str, Any]]:
        out = []
        for r in raw:
            name = norm(r["Name"])
            if name not in want:
                continue
            alias = r.get("AliasTarget")
            out.append({"zone": zone["id"], "zone_name": zone["name"], "name": name, "type": r["Type"],
                        "values": [v["Value"] for v in r.get("ResourceRecords", [])],
                        "alias": {"dns_name": norm(alias["DNSName"]), "zone_id": alias.get("HostedZoneId")}
                        if alias else None, "source": "route53"})
        return out
    return Task("dns_records", LIST_RECORDS, region, fetch, transform)


def parse_resolver(text: str) -> tuple[str, int]:
    """`10.0.0.2`, `10.0.0.2:5353`, `::1` or `[::1]:5353` as (address, port); else a UsageError."""
    import ipaddress

    from preflight.errors import UsageError

    value = text.strip()
    host, port = value, "53"
    if value.startswith("["):
        host, closed, rest = value[1:].partition("]")
        host = host if closed else ""
        port = rest.removeprefix(":") or "53"
    elif value.count(":") == 1:
        host, port = value.split(":")
    try:
        ipaddress.ip_address(host)
        number = int(port)
        if not 0 < number < 65536:
            raise ValueError(port)
    except ValueError:
        raise UsageError(f"--dns-resolver {text!r}: expected an IP address with an optional port, "
                         "e.g. 10.0.0.2 or 127.0.0.1:5353") from None
    return host, number


def lookup(names: dict[str, set[str]], resolver_address: str | None, timeout: float = 3.0) -> tuple[
        list[dict[str, Any]], list[str]]:
    """Looks the names up in DNS. Returns (records, errors); a name that does not exist gives a
    record with status nxdomain, never an error."""
    import dns.exception
    import dns.resolver

    resolver = dns.resolver.Resolver(configure=resolver_address is None)
    if resolver_address:
        host, port = parse_resolver(resolver_address)
        resolver.nameservers = [host]
        resolver.port = port
    resolver.lifetime = timeout
    records: list[dict[str, Any]] = []
    errors: list[str] = []
    for name, types in sorted(names.items()):
        for rtype in sorted(types):
            status, values = "ok", []
            try:
                answer = resolver.resolve(name, rtype, raise_on_no_answer=False)
                values = [r.to_text() for r in answer] if answer.rrset else []
                status = "ok" if values else "noanswer"
            except dns.resolver.NXDOMAIN:
                status = "nxdomain"
            except (dns.resolver.LifetimeTimeout, dns.resolver.NoNameservers, OSError) as e:
                # The resolver itself is not answering: every further lookup would wait as long.
                errors.append(f"the DNS resolver did not answer ({type(e).__name__}) at {name} {rtype}; "
                              f"{sum(len(t) for t in names.values())} lookups not made"[:300])
                return records, errors
            except dns.exception.DNSException as e:
                errors.append(f"{name} {rtype}: {type(e).__name__}: {e}"[:300])
                continue
            records.append({"zone": None, "zone_name": None, "name": name, "type": rtype, "values": values,
                            "alias": None, "source": "dns", "status": status})
    return records, errors


def quota_task(region: str) -> Task:
    def fetch(client: Any, gap: GapSink) -> list[dict[str, Any]]:
        code, quota = FARGATE_VCPU
        try:
            return [{**client.get_service_quota(ServiceCode=code, QuotaCode=quota)["Quota"], "_source": "applied"}]
        except botocore.exceptions.ClientError as e:
            if e.response.get("Error", {}).get("Code") != "NoSuchResourceException":
                raise
        # No applied value: the account has the AWS default.
        return [{**client.get_aws_default_service_quota(ServiceCode=code, QuotaCode=quota)["Quota"],
                 "_source": "default"}]

    def transform(raw: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
        return [{"region": region, "service_code": q.get("ServiceCode"), "quota_code": q.get("QuotaCode"),
                 "name": q.get("QuotaName"), "value": q.get("Value"), "source": q["_source"]} for q in raw]
    return Task("quotas", GET_QUOTA, region, fetch, transform)

"""A small builder of network worlds for the reachability suite: records shaped as the EC2
collectors shape them, with ids chosen by the test so that cases read like the AWS pages."""

from __future__ import annotations

from typing import Any

from preflight.graph import ResourceGraph
from preflight.snapshot import empty_resources

ALL = {"protocol": "-1", "from_port": None, "to_port": None}


def sg_rule(cidrs: list[str] = (), port: int | tuple[int, int] | None = None, protocol: str = "tcp", *,  # type: ignore[assignment]
            groups: list[str] = (), prefix_lists: list[str] = (), v6: list[str] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    lo, hi = (port, port) if isinstance(port, int) else (port or (None, None))
    if protocol == "-1":
        lo = hi = None
    return {"protocol": protocol, "from_port": lo, "to_port": hi, "cidrs": list(cidrs),
            "ipv6_cidrs": list(v6), "groups": [{"id": g, "owner": None, "vpc": None, "peering": None} for g in groups],
            "prefix_lists": list(prefix_lists)}


def acl_entry(rule: int, action: str, cidr: str, egress: bool, protocol: str = "-1",
              ports: tuple[int, int] | None = None) -> dict[str, Any]:
    return {"rule": rule, "egress": egress, "protocol": protocol, "action": action, "cidr": cidr,
            "from_port": ports[0] if ports else None, "to_port": ports[1] if ports else None}


def open_acl() -> list[dict[str, Any]]:
    return [acl_entry(100, "allow", "0.0.0.0/0", False), acl_entry(100, "allow", "0.0.0.0/0", True),
            acl_entry(101, "allow", "::/0", False), acl_entry(101, "allow", "::/0", True),
            acl_entry(32767, "deny", "0.0.0.0/0", False), acl_entry(32767, "deny", "0.0.0.0/0", True)]


class World:
    def __init__(self) -> None:
        self.res = empty_resources()
        self.gaps: list[dict[str, Any]] = []

    def vpc(self, vid: str, cidrs: str | list[str], region: str = "us-east-1", ipv6: list[str] = ()) -> str:  # type: ignore[assignment]
        self.res["vpcs"].append({"id": vid, "region": region, "owner": "111122223333",
                                 "cidrs": [cidrs] if isinstance(cidrs, str) else list(cidrs),
                                 "ipv6_cidrs": list(ipv6), "is_default": False, "dns_support": True,
                                 "dns_hostnames": True, "tags": {}})
        self.res["route_tables"].append({"id": f"rtb-main-{vid}", "region": region, "vpc": vid, "main": True,
                                         "subnets": [], "routes": [], "tags": {}})
        self.res["network_acls"].append({"id": f"acl-default-{vid}", "region": region, "vpc": vid, "default": True,
                                         "subnets": [], "entries": open_acl(), "tags": {}})
        return vid

    def _vpc(self, vid: str) -> dict[str, Any]:
        return next(v for v in self.res["vpcs"] if v["id"] == vid)

    def subnet(self, sid: str, vpc: str, cidr: str | None, az: str = "us-east-1a", ipv6: list[str] = ()) -> str:  # type: ignore[assignment]
        v = self._vpc(vpc)
        self.res["subnets"].append({"id": sid, "region": v["region"], "vpc": vpc, "cidr": cidr,
                                    "ipv6_cidrs": list(ipv6), "az": az, "az_id": None, "tags": {}})
        return sid

    def table(self, tid: str, vpc: str, subnets: list[str] = (), routes: list[tuple[str, ...]] = (),  # type: ignore[assignment]
              main: bool = False) -> str:
        v = self._vpc(vpc)
        if main:
            self.res["route_tables"] = [t for t in self.res["route_tables"] if t["id"] != f"rtb-main-{vpc}"]
        rows = [{"destination": c, "target_type": "local", "target": "local", "state": "active"}
                for c in v["cidrs"] + v["ipv6_cidrs"]]
        self.res["route_tables"].append({"id": tid, "region": v["region"], "vpc": vpc, "main": main,
                                         "subnets": list(subnets), "routes": rows, "tags": {}})
        for r in routes:
            self.route(tid, *r)
        return tid

    def route(self, table: str, destination: str, target: str, state: str = "active",
              origin: str = "CreateRoute") -> None:
        prefix = target.split("-", 1)[0]
        kind = {"igw": "igw", "nat": "nat", "pcx": "pcx", "tgw": "tgw", "eni": "eni", "vpce": "vpce",
                "eigw": "eigw", "vgw": "vgw", "i": "instance", "local": "local"}.get(prefix, "gateway")
        t = next(t for t in self.res["route_tables"] if t["id"] == table)
        t["routes"] = [r for r in t["routes"] if r["destination"] != destination]
        t["routes"].append({"destination": destination, "target_type": kind, "target": target,
                            "state": state, "origin": origin})

    def acl(self, aid: str, vpc: str, subnets: list[str], entries: list[dict[str, Any]]) -> str:
        v = self._vpc(vpc)
        for a in self.res["network_acls"]:
            a["subnets"] = [s for s in a["subnets"] if s not in subnets]
        self.res["network_acls"].append({"id": aid, "region": v["region"], "vpc": vpc, "default": False,
                                         "subnets": list(subnets),
                                         "entries": [*entries, acl_entry(32767, "deny", "0.0.0.0/0", False),
                                                     acl_entry(32767, "deny", "0.0.0.0/0", True),
                                                     acl_entry(32768, "deny", "::/0", False),
                                                     acl_entry(32768, "deny", "::/0", True)],
                                         "tags": {}})
        return aid

    def sg(self, gid: str, vpc: str, ingress: list[dict[str, Any]] = (),  # type: ignore[assignment]
           egress: list[dict[str, Any]] | None = None) -> str:
        v = self._vpc(vpc)
        self.res["security_groups"].append({
            "id": gid, "region": v["region"], "vpc": vpc, "name": gid,
            "ingress": list(ingress),
            "egress": [sg_rule(["0.0.0.0/0"], protocol="-1", v6=["::/0"])] if egress is None else list(egress),
            "tags": {}})
        return gid

    def igw(self, gid: str, vpc: str) -> str:
        self.res["internet_gateways"].append({"id": gid, "region": self._vpc(vpc)["region"], "vpcs": [vpc], "tags": {}})
        return gid

    def nat(self, nid: str, subnet: str, state: str = "available", connectivity: str = "public",
            ip: str | None = None) -> str:
        sn = next(s for s in self.res["subnets"] if s["id"] == subnet)
        self.res["nat_gateways"].append({"id": nid, "region": sn["region"], "vpc": sn["vpc"], "subnet": subnet,
                                         "state": state, "connectivity": connectivity,
                                         "private_ips": [ip] if ip else [], "tags": {}})
        return nid

    def peering(self, pid: str, requester: str, accepter: str, status: str = "active") -> str:
        vr, va = self._vpc(requester), self._vpc(accepter)
        side = lambda v: {"vpc": v["id"], "region": v["region"], "owner": "111122223333",  # noqa: E731
                          "cidrs": list(v["cidrs"]), "allow_dns_from_remote": True}
        self.res["peerings"].append({"id": pid, "region": vr["region"], "status": status,
                                     "requester": side(vr), "accepter": side(va), "tags": {}})
        return pid

    def endpoint(self, eid: str, vpc: str, etype: str, service: str = "", subnets: list[str] = (),  # type: ignore[assignment]
                 state: str = "available", groups: list[str] = ()) -> str:  # type: ignore[assignment]
        v = self._vpc(vpc)
        self.res["vpc_endpoints"].append({"id": eid, "region": v["region"], "vpc": vpc, "service": service,
                                          "type": etype, "state": state, "subnets": list(subnets),
                                          "route_tables": [], "security_groups": list(groups),
                                          "private_dns": True})
        return eid

    # --- transit gateways and prefix lists ------------------------------------------------------

    def _tgw_collections(self) -> None:
        self.res.setdefault("transit_gateway_attachments", [])
        self.res.setdefault("transit_gateway_route_tables", [])

    def tgw_attachment(self, aid: str, tgw: str, vpc: str | None, subnets: list[str] = (),  # type: ignore[assignment]
                       table: str | None = None, state: str = "available", rtype: str = "vpc",
                       region: str = "us-east-1", peer_region: str | None = None) -> str:
        self._tgw_collections()
        self.res["transit_gateway_attachments"].append({
            "id": aid, "region": region, "tgw": tgw, "type": rtype, "resource": vpc, "state": state,
            "route_table": table, "association_state": "associated" if table else None,
            "subnets": list(subnets), "peer_region": peer_region})
        return aid

    def tgw_table(self, tid: str, tgw: str, routes: list[tuple[str, str | None, str] | tuple[str, str | None, str, str]],
                  region: str = "us-east-1", complete: bool = True) -> str:
        self._tgw_collections()
        self.res["transit_gateway_route_tables"].append({
            "id": tid, "region": region, "tgw": tgw, "complete": complete,
            "routes": [{"destination": r[0], "attachments": [r[1]] if r[1] else [], "state": r[2],
                        "type": r[3] if len(r) > 3 else "propagated"} for r in routes]})
        return tid

    def prefix_list(self, pid: str, entries: list[str] | None, region: str = "us-east-1",
                    name: str = "customer") -> str:
        self.res.setdefault("prefix_lists", []).append({
            "id": pid, "region": region, "name": name, "state": "create-complete",
            "entries": list(entries or []), "entries_read": entries is not None})
        return pid

    def gap(self, *collections: str) -> None:
        self.gaps.append({"region": "us-east-1", "service": "ec2", "operation": "Describe",
                          "iam_action": "ec2:Describe", "error": "AccessDenied", "collections": list(collections)})

    def graph(self) -> ResourceGraph:
        return ResourceGraph.build({"account": "111122223333", "regions": ["us-east-1"], "gaps": self.gaps,
                                    "resources": self.res})

    def subnet_rec(self, sid: str) -> dict[str, Any]:
        return next(s for s in self.res["subnets"] if s["id"] == sid)

    def sg_rec(self, gid: str) -> dict[str, Any]:
        return next(s for s in self.res["security_groups"] if s["id"] == gid)

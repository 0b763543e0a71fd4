"""Security groups and network ACLs, as the VPC documentation defines them.

Security groups (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html) are
stateful and permissive: a flow is allowed when the union of every rule of every group on the
interface admits it, and a reply is always allowed. A rule's source is a CIDR block, a managed
prefix list (its entries) or a security group (the interfaces that carry it).

Network ACLs (https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html) are stateless and
ordered: for each packet, the entries of its direction are read in rule-number order and the first
that matches decides; the final `*` entry denies. A rule's port range is the packet's destination
port. A flow is judged over every address of its peer block and every port of its range: it is
allowed only if no part of that falls to a deny.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from preflight.enums import ACL_ALLOW
from preflight.reach.space import Net, covered, meets, parse, within

Rec = dict[str, Any]
TCP = "6"

# Tri-state answers. Security-group references and prefix lists whose entries were not read can
# leave a verdict open.
YES, NO, OPEN = "yes", "no", "open"


def _protocol_matches(rule_protocol: str, protocol: str) -> bool:
    p = str(rule_protocol).lower()
    return p in ("-1", "all") or p == protocol or (protocol == TCP and p == "tcp") or (
        protocol == "17" and p == "udp")


def _ports(entry_from: int | None, entry_to: int | None, rule_protocol: str) -> tuple[int, int]:
    if str(rule_protocol) in ("-1", "all") or entry_from is None or entry_to is None or entry_from == -1:
        return 0, 65535
    return int(entry_from), int(entry_to)


# --- security groups ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Peer:
    """Who is on the other side of a rule: an address block and, where references can apply,
    the security groups its interfaces carry. `refs` is YES where a group reference is honoured
    (same VPC, or a same-region peering), NO where it cannot be (across regions, behind a NAT
    gateway, to the internet) and OPEN where AWS honours it only under options not read (a
    transit gateway's security group referencing support)."""

    net: Net
    groups: frozenset[str] = frozenset()
    refs: str = NO
    groups_unknown: bool = False  # the peer's groups are not in the snapshot: any reference is open


def sg_decision(groups: Iterable[Rec], egress: bool, peer: Peer, port: int,
                prefix_list: Callable[[str], list[Net] | None], protocol: str = TCP,
                memo: dict[Any, Any] | None = None) -> tuple[str, str]:
    """(YES/NO/OPEN, why) for a flow through these groups to or from `peer` on `port`. `memo`
    keeps, per set of groups, direction and port, what their rules admit (the same groups guard
    many flows)."""
    groups = list(groups)
    k = (tuple(g["id"] for g in groups), egress, port, protocol)
    found = memo.get(k) if memo is not None else None
    if found is None:
        found = _admitted(groups, egress, port, prefix_list, protocol)
        if memo is not None:
            memo[k] = found
    nets, unknown_lists, references = found
    open_refs: list[str] = []
    for sg_id, ref_id in references:
        if peer.groups_unknown and peer.refs != NO:
            open_refs.append(f"{sg_id} references {ref_id}, and the peer's groups are unknown")
        elif ref_id in peer.groups:
            if peer.refs == YES:
                return YES, f"{sg_id} admits security group {ref_id}"
            if peer.refs == OPEN:
                open_refs.append(f"{sg_id} references {ref_id}")
    if covered(peer.net, nets):
        return YES, ""
    if unknown_lists:
        return OPEN, f"prefix list {', '.join(sorted(set(unknown_lists)))} was not read"
    if open_refs:
        tgw = peer.refs == OPEN
        return OPEN, ("; ".join(open_refs) + (", and whether a transit gateway honours security group "
                                              "references depends on its options, which were not read"
                                              if tgw else ""))
    part = any(meets(n, peer.net) for n in nets)
    return NO, "only part of it is admitted" if part else ""


def _admitted(groups: list[Rec], egress: bool, port: int, prefix_list: Callable[[str], list[Net] | None],
              protocol: str) -> tuple[list[Net], list[str], list[tuple[str, str]]]:
    """What the groups' rules admit on `port`: address blocks, prefix lists whose entries were
    not read, and (group, referenced group) pairs."""
    nets: list[Net] = []
    unknown_lists: list[str] = []
    references: list[tuple[str, str]] = []
    for sg in groups:
        for rule in sg["egress" if egress else "ingress"]:
            if not _protocol_matches(rule["protocol"], protocol):
                continue
            lo, hi = _ports(rule.get("from_port"), rule.get("to_port"), rule["protocol"])
            if not lo <= port <= hi:
                continue
            for c in list(rule.get("cidrs") or []) + list(rule.get("ipv6_cidrs") or []):
                n = parse(c)
                if n is not None:
                    nets.append(n)
            for pl in rule.get("prefix_lists") or []:
                entries = prefix_list(pl)
                if entries is None:
                    unknown_lists.append(pl)
                else:
                    nets.extend(entries)
            references += [(sg["id"], str(ref.get("id"))) for ref in rule.get("groups") or []]
    return nets, unknown_lists, references


# --- network ACLs ------------------------------------------------------------------------------

def acl_decision(acl: Rec, egress: bool, peer: Net, ports: tuple[int, int],
                 protocol: str = TCP) -> tuple[bool, Rec | None]:
    """(allowed, deciding entry) for packets of `protocol` to (egress) or from (ingress) every
    address of `peer` with a destination port in `ports`. The deciding entry is the first that
    denies part of the traffic, or None when the implicit final deny catches what no entry
    allowed."""
    # What is still undecided: (address block, first port, last port). An allow takes its
    # intersection out; a deny that touches any of it decides.
    todo: list[tuple[Net, int, int]] = [(peer, ports[0], ports[1])]
    entries = sorted((e for e in acl["entries"] if bool(e["egress"]) == egress),
                     key=lambda e: int(e["rule"] if e["rule"] is not None else 32767))
    for entry in entries:
        if not todo:
            return True, None
        if not _protocol_matches(entry["protocol"], protocol):
            continue
        en = parse(entry.get("cidr"))
        if en is None:
            continue
        lo, hi = _ports(entry.get("from_port"), entry.get("to_port"), entry["protocol"])
        allow = entry["action"] in ACL_ALLOW
        rest: list[tuple[Net, int, int]] = []
        for block, plo, phi in todo:
            if not meets(block, en) or phi < lo or plo > hi:
                rest.append((block, plo, phi))
                continue
            if not allow:
                return False, entry
            # allowed: what is left is the block outside the entry's range at every port, and
            # the block inside it at the ports outside the entry's
            inside = block if within(block, en) else en
            if not within(block, en):
                rest.extend((b, plo, phi) for b in block.address_exclude(en))  # type: ignore[arg-type]
            if plo < lo:
                rest.append((inside, plo, lo - 1))
            if phi > hi:
                rest.append((inside, hi + 1, phi))
        todo = rest
    return (not todo), None

"""A Terraform plan's resources and what their unknown values will be (pure, no rules).

`terraform show -json` (https://developer.hashicorp.com/terraform/internals/json-format) gives
two views of the same resources:

- `planned_values`: one entry per *instance*, addressed as `module.vpc["a"].aws_subnet.private[0]`,
  with every value known at plan time;
- `configuration`: one entry per *resource block*, addressed within its module as
  `aws_subnet.private`, with each argument's expression as the list of things it references
  (`aws_route_table.private`, `count.index`, `module.vpc.private_subnets`, `var.vpc_id`,
  `local.vpc_id`).

An id that is known only after apply (every id of a resource the plan creates) is found by
following the configuration's references from the instance that holds it: into the same module
instance for a resource, into a child module's `outputs` for `module.x.y`, into the calling
module's arguments for `var.y`. `count.index` / `each.key` beside a reference pick the instance
with the referrer's own index (`aws_route_table.private[count.index]`). The JSON does not carry
`locals`, so a reference through `local.` cannot be followed; where it is the only way, the one
resource of the wanted type in the same module instance is taken, and the answer says it was
inferred. Anything else (two candidates for one value, a reference cycle, a value from outside
the plan) is unresolved, never guessed.

An unknown value whose argument the configuration does not set is the provider's computed
default (an App Runner service without an instance role, a route table without inline routes):
it is `UNSET`, not unknown.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

Key = int | str | None
ModulePath = tuple[tuple[str, Key], ...]

_STEP = re.compile(r'\.?([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+|"(?:[^"\\]|\\.)*"|\*)\]')
MAX_DEPTH = 24
# attributes that name another resource (`aws_subnet.a.vpc_id` is a VPC, not the subnet); any
# other attribute (`id`, `arn`, `key_id`, `address`, `name`) stands for the resource itself
_CROSS: dict[str, tuple[str, ...]] = {
    "vpc_id": ("aws_vpc", "aws_default_vpc"), "peer_vpc_id": ("aws_vpc", "aws_default_vpc"),
    "subnet_id": ("aws_subnet",), "subnet_ids": ("aws_subnet",),
    "security_group_id": ("aws_security_group",), "security_group_ids": ("aws_security_group",),
    "vpc_security_group_ids": ("aws_security_group",), "kms_key_id": ("aws_kms_key",),
    "route_table_id": ("aws_route_table",), "transit_gateway_id": ("aws_ec2_transit_gateway",),
    "role_arn": ("aws_iam_role",), "db_subnet_group_name": ("aws_db_subnet_group",),
}


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()  # not set in the configuration: the provider's default applies


def _steps(text: str) -> list[str | int]:
    """`module.a["x"].aws_subnet.b[0].id` -> ["module", "a", "x", "aws_subnet", "b", 0, "id"];
    an index is an int or a quoted key (kept with its quotes, to tell it from a name)."""
    out: list[str | int] = []
    pos = 0
    while pos < len(text):
        m = _STEP.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"not a Terraform address: {text!r}")
        if m.group(1) is not None:
            out.append(m.group(1))
        else:
            idx = m.group(2)
            out.append(int(idx) if idx.isdigit() else idx)
        pos = m.end()
    return out


def _key(step: str | int) -> Key:
    if isinstance(step, int):
        return step
    if step.startswith('"'):
        return step[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return None


@dataclass(frozen=True)
class Addr:
    """An instance address, parsed."""

    modules: ModulePath
    mode: str  # "managed" | "data"
    type: str
    name: str
    key: Key

    @staticmethod
    def parse(text: str) -> Addr:
        steps = _steps(text)
        modules: list[tuple[str, Key]] = []
        i = 0
        while i < len(steps) and steps[i] == "module":
            name = steps[i + 1]
            i += 2
            k: Key = None
            if i < len(steps) and (isinstance(steps[i], int) or str(steps[i]).startswith('"')):
                k = _key(steps[i])
                i += 1
            modules.append((str(name), k))
        mode = "managed"
        if i < len(steps) and steps[i] == "data":
            mode, i = "data", i + 1
        if len(steps) < i + 2:
            raise ValueError(f"not a resource address: {text!r}")
        rtype, rname = str(steps[i]), str(steps[i + 1])
        k = _key(steps[i + 2]) if len(steps) > i + 2 else None
        return Addr(tuple(modules), mode, rtype, rname, k)


@dataclass
class Answer:
    """What an unknown value will be: the instances it names (`targets`), or why not."""

    targets: list[Addr] = field(default_factory=list)
    values: list[str] = field(default_factory=list)  # ids already known (an existing VPC's id)
    inferred: bool = False  # found by type, through a `local.` the JSON does not show
    why: str | None = None  # set when unresolved


@dataclass
class _Walk:
    found: list[Addr] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    inferred: bool = False
    each: bool = False  # went through a for_each element, which the JSON shows only as a whole
    opaque: list[str] = field(default_factory=list)  # locals, root variables, outside values
    cycle: bool = False


class Plan:
    """The instances of a plan, indexed for reference resolution."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.instances: dict[str, dict[str, Any]] = {}
        self.addrs: dict[str, Addr] = {}
        self.by_block: dict[tuple[ModulePath, str, str, str], list[Addr]] = {}
        self._walk(((doc.get("planned_values") or {}).get("root_module")) or {})
        # data sources read at plan time are in prior_state; they are not created, only looked up
        self._walk(((((doc.get("prior_state") or {}).get("values")) or {}).get("root_module")) or {}, data_only=True)
        self.unknown: dict[str, Any] = {}
        self.after: dict[str, Any] = {}
        for change in doc.get("resource_changes") or []:
            if isinstance(change, dict) and isinstance(change.get("address"), str):
                c = change.get("change") or {}
                self.unknown[change["address"]] = c.get("after_unknown") or {}
                self.after[change["address"]] = c.get("actions") or []
        self.config = ((doc.get("configuration") or {}).get("root_module")) or {}
        self.module_instances = {a.modules for a in self.addrs.values()}

    def _walk(self, module: dict[str, Any], data_only: bool = False) -> None:
        for r in module.get("resources") or []:
            if not isinstance(r, dict) or not isinstance(r.get("address"), str):
                continue
            if data_only and r.get("mode") != "data":
                continue
            try:
                a = Addr.parse(r["address"])
            except ValueError:
                continue
            if r["address"] in self.instances:
                continue
            self.instances[r["address"]] = r
            self.addrs[r["address"]] = a
            self.by_block.setdefault((a.modules, a.mode, a.type, a.name), []).append(a)
        for child in module.get("child_modules") or []:
            if isinstance(child, dict):
                self._walk(child, data_only)

    # --- configuration ------------------------------------------------------------------------

    def module_config(self, modules: ModulePath) -> dict[str, Any] | None:
        node: Any = self.config
        for name, _k in modules:
            call = ((node or {}).get("module_calls") or {}).get(name)
            if not isinstance(call, dict):
                return None
            node = call.get("module") or {}
        return node if isinstance(node, dict) else None

    def block_config(self, a: Addr) -> dict[str, Any]:
        mod = self.module_config(a.modules) or {}
        want = f"{'data.' if a.mode == 'data' else ''}{a.type}.{a.name}"
        for r in mod.get("resources") or []:
            if isinstance(r, dict) and r.get("address") == want:
                return r
        return {}

    def expression(self, a: Addr, path: tuple[str | int, ...]) -> Any:
        """The configuration's expression at `path` (nested blocks are lists in the JSON)."""
        node: Any = self.block_config(a).get("expressions") or {}
        for step in path:
            if isinstance(step, int):
                node = node[step] if isinstance(node, list) and len(node) > step else (
                    node if isinstance(node, dict) and step == 0 else None)
            else:
                node = node.get(step) if isinstance(node, dict) else None
            if node is None:
                return None
        return node

    # --- values -------------------------------------------------------------------------------

    def values(self, address: str) -> dict[str, Any]:
        v = self.instances.get(address, {}).get("values")
        return v if isinstance(v, dict) else {}

    def is_unknown(self, address: str, path: tuple[str | int, ...]) -> bool:
        node: Any = self.unknown.get(address, {})
        for step in path:
            if node is True:
                return True
            if isinstance(step, int):
                node = node[step] if isinstance(node, list) and len(node) > step else None
            else:
                node = node.get(step) if isinstance(node, dict) else None
        return node is True or (isinstance(node, list) and any(x is True for x in node))

    def stated_known(self, address: str, path: tuple[str | int, ...]) -> bool:
        """`after_unknown` says `false` at `path` in so many words. Terraform itself leaves known
        values out of `after_unknown`; a plan written by another tool may spell them out."""
        node: Any = self.unknown.get(address, {})
        for step in path:
            if isinstance(step, int):
                node = node[step] if isinstance(node, list) and len(node) > step else None
            else:
                node = node.get(step) if isinstance(node, dict) else None
        return node is False

    def null_reference(self, address: str, path: tuple[str | int, ...]) -> bool:
        """A value planned as null (or left out) whose argument the configuration sets from a
        reference, not marked unknown. Terraform writes an unknown value as absent and true in
        `after_unknown`; plans written by hand or by older tools write null and no mark. The
        caller follows the reference and keeps the answer only when it names a planned resource,
        so a null that is really null (a conditional whose resource is not planned) stays null."""
        if self.stated_known(address, path) or self.known(address, path) not in (None, "", []):
            return False
        a = self.addrs.get(address)
        expr = self.expression(a, path) if a is not None else None
        return bool(_references(expr)) if expr is not None else False

    def known(self, address: str, path: tuple[str | int, ...]) -> Any:
        node: Any = self.values(address)
        for step in path:
            if isinstance(step, int):
                node = node[step] if isinstance(node, list) and len(node) > step else None
            else:
                node = node.get(step) if isinstance(node, dict) else None
        return node

    # --- references ---------------------------------------------------------------------------

    def resolve(self, a: Addr, path: tuple[str | int, ...], types: tuple[str, ...] = (),
                many: bool = False) -> Answer | Any:
        """An unknown value's targets. Returns UNSET when the configuration does not set it."""
        expr = self.expression(a, path)
        if expr is None and not self.block_config(a):
            # without the resource's block, an unset argument cannot be told from an unknown one
            return Answer(why="the plan's configuration does not show this resource")
        if expr is None:
            if self._dynamic(a, path):
                guess = self._by_name(a, path, types) if types and not many else []
                if guess:
                    return Answer(guess, inferred=True)
                return Answer(why="it is set in a dynamic block, which the plan's configuration does not show")
            return UNSET
        refs = _references(expr)
        walk = _Walk()
        self._follow_all(refs, a.modules, a.key, walk, set(), 0, a)
        found = [t for t in dict.fromkeys(walk.found) if not types or t.type in types]
        values = list(dict.fromkeys(walk.values))
        if walk.cycle:
            return Answer(why="its references form a cycle")
        if walk.each and (many or len(found) + len(values) > 1):
            # the for_each collection is shown as one expression: its references are every
            # element's, so more than one candidate cannot be pinned on this element
            return Answer(why="it comes from a for_each element whose value the plan does not show")
        if (found or values) and (many or len(found) + len(values) == 1):
            return Answer(found, values, inferred=walk.each or walk.inferred)
        if found or values:
            return Answer(why=f"it may be any of {len(found) + len(values)} resources ({_short(found)})")
        if walk.opaque:
            guess = self._by_type(a.modules, types) if types and not many else []
            if len(guess) == 1:
                return Answer(guess, inferred=True)
            return Answer(why=f"it comes from {', '.join(sorted(set(walk.opaque))[:3])}, "
                              "which the plan does not show")
        return Answer(why="it is computed by the provider")

    def _dynamic(self, a: Addr, path: tuple[str | int, ...]) -> bool:
        """A nested block the plan holds but the configuration does not: written as a `dynamic`
        block, which the JSON configuration leaves out."""
        if len(path) < 2 or not isinstance(path[0], str):
            return False
        if path[0] in (self.block_config(a).get("expressions") or {}):
            return False
        block = self.known(instance_address(a), (path[0],))
        return isinstance(block, list) and bool(block)

    def _by_name(self, a: Addr, path: tuple[str | int, ...], types: tuple[str, ...]) -> list[Addr]:
        """The resource of a wanted type in the same module instance whose name begins the
        attribute's (`instance_role_arn` -> `aws_iam_role.instance`), or the module's only one
        when it is called `this`. An inference from the module's shape, reported as such."""
        here = [x for x in self.addrs.values() if x.modules == a.modules and x.mode == "managed" and x.type in types]
        attr = next((str(s) for s in reversed(path) if isinstance(s, str)), "")
        named = [x for x in here if attr.startswith(f"{x.name}_")]
        if len(named) == 1:
            return named
        # a lone `this` (the module's own connector, its own group); a lone resource with another
        # name is not taken for an attribute it is not named for (a code-based service's access
        # role is not the module's instance role)
        return here if len(here) == 1 and here[0].name == "this" else []

    def _by_type(self, modules: ModulePath, types: tuple[str, ...]) -> list[Addr]:
        here = [a for a in self.addrs.values() if a.modules == modules and a.mode == "managed" and a.type in types]
        return here or [a for a in self.addrs.values() if a.mode == "managed" and a.type in types]

    def _follow_all(self, refs: list[str], modules: ModulePath, key: Key, walk: _Walk,
                    seen: set[tuple[ModulePath, str]], depth: int, origin: Addr | None = None) -> None:
        indexed = any(r in ("count.index", "each.key", "each.value") for r in refs)
        chosen = _most_specific(refs)
        for ref in chosen:
            self._follow(ref, modules, key if indexed else None, walk, seen, depth, origin)

    def _follow(self, ref: str, modules: ModulePath, key: Key, walk: _Walk,
                seen: set[tuple[ModulePath, str]], depth: int, origin: Addr | None = None) -> None:
        """Follow one reference from module instance `modules`; `key` is the referrer's own
        count/for_each key when the expression indexes by it; `origin` is the resource whose
        expression this is (for `each.value`)."""
        if (modules, ref) in seen or depth > MAX_DEPTH:
            walk.cycle = True
            return
        seen = seen | {(modules, ref)}
        try:
            steps = _steps(ref)
        except ValueError:
            walk.opaque.append(ref)
            return
        head = steps[0]
        if head == "each" and len(steps) > 1 and steps[1] == "value" and origin is not None:
            walk.each = True
            fe = self.block_config(origin).get("for_each_expression")
            for r in _most_specific(_references(fe or {})):
                self._follow(r, modules, None, walk, seen, depth + 1)
            return
        if head in ("count", "each", "path", "terraform", "self"):
            return
        if head == "local":
            walk.opaque.append(ref)
            return
        if head == "var":
            if not modules:
                walk.opaque.append(ref)
                return
            parent, (call_name, call_key) = modules[:-1], modules[-1]
            call = ((self.module_config(parent) or {}).get("module_calls") or {}).get(call_name) or {}
            expr = (call.get("expressions") or {}).get(str(steps[1])) if len(steps) > 1 else None
            if expr is None:
                walk.opaque.append(ref)  # the variable's default
                return
            refs = _references(expr)
            indexed = any(r in ("count.index", "each.key", "each.value") for r in refs)
            for r in _most_specific(refs):
                if r.startswith("each.value"):
                    # an element of the module call's own for_each
                    walk.each = True
                    for c in _most_specific(_references(call.get("for_each_expression") or {})):
                        self._follow(c, parent, None, walk, seen, depth + 1)
                    continue
                self._follow(r, parent, call_key if indexed else None, walk, seen, depth + 1)
            return
        if head == "module":
            if len(steps) < 2:
                return
            name = str(steps[1])
            rest = steps[2:]
            explicit: Key = None
            has_key = bool(rest) and (isinstance(rest[0], int) or str(rest[0]).startswith('"'))
            if has_key:
                explicit, rest = _key(rest[0]), rest[1:]
            children = sorted({m[len(modules)] for m in self.module_instances
                               if len(m) > len(modules) and m[:len(modules)] == modules and m[len(modules)][0] == name},
                              key=lambda x: str(x[1]))
            if has_key:
                children = [c for c in children if c[1] == explicit]
            elif key is not None and any(c[1] == key for c in children):
                children = [c for c in children if c[1] == key]
            if not rest:
                return  # the whole module object: too coarse to name one resource
            out_name = str(rest[0])
            mod = self.module_config((*modules, (name, None))) or {}
            output = (mod.get("outputs") or {}).get(out_name)
            if not isinstance(output, dict):
                walk.opaque.append(ref)
                return
            refs = _references(output.get("expression") or {})
            for child in children:
                for r in _most_specific(refs):
                    self._follow(r, (*modules, child), None, walk, seen, depth + 1)
            return
        mode = "managed"
        if head == "data":
            mode, steps = "data", steps[1:]
        if len(steps) < 2:
            return
        rtype, rname = str(steps[0]), str(steps[1])
        instances = self.by_block.get((modules, mode, rtype, rname), [])
        if len(steps) > 2 and (isinstance(steps[2], int) or str(steps[2]).startswith('"')):
            want = _key(steps[2])
            instances = [i for i in instances if i.key == want]
        elif key is not None and any(i.key == key for i in instances):
            instances = [i for i in instances if i.key == key]
        attr = next((s for s in steps[2:] if isinstance(s, str) and not s.startswith('"')), None)
        if attr in _CROSS:
            # `aws_subnet.a.vpc_id`: not the subnet but the VPC it is in
            for inst in instances:
                self._project(inst, attr, walk, seen, depth + 1)
            return
        walk.found.extend(instances)

    def _project(self, inst: Addr, attr: str, walk: _Walk, seen: set[tuple[ModulePath, str]], depth: int) -> None:
        """The resource that attribute `attr` of `inst` names."""
        address = instance_address(inst)
        if not self.is_unknown(address, (attr,)):
            v = self.known(address, (attr,))
            walk.values += [str(x) for x in (v if isinstance(v, list) else [v]) if x]
            return
        expr = self.expression(inst, (attr,))
        if expr is not None:
            sub = _Walk()
            refs = _references(expr)
            indexed = any(r in ("count.index", "each.key", "each.value") for r in refs)
            for r in _most_specific(refs):
                self._follow(r, inst.modules, inst.key if indexed else None, sub, seen, depth + 1, inst)
            walk.cycle |= sub.cycle
            walk.each |= sub.each
            walk.values += sub.values
            hits = [f for f in sub.found if f.type in _CROSS[attr]]
            if not hits and not sub.values and sub.opaque:
                # through a local (the VPC module's `local.vpc_id`): the one resource of that
                # type in the module, said to be inferred
                guess = self._by_type(inst.modules, _CROSS[attr])
                if len(guess) == 1:
                    hits, walk.inferred = guess, True
                else:
                    walk.opaque += sub.opaque
            walk.found += hits
            return
        lookup = self.expression(inst, ("id",)) if inst.mode == "data" else None
        if lookup is None:
            walk.opaque.append(f"{address}.{attr}")
            return
        # a data source read at apply (its `id` is a resource this plan creates): the attribute
        # is that resource's
        sub = _Walk()
        refs = _references(lookup)
        indexed = any(r in ("count.index", "each.key", "each.value") for r in refs)
        for r in _most_specific(refs):
            self._follow(r, inst.modules, inst.key if indexed else None, sub, seen, depth + 1, inst)
        walk.cycle |= sub.cycle
        walk.opaque += sub.opaque
        walk.values += sub.values
        for m in dict.fromkeys(sub.found):
            if m.type == inst.type and m.mode == "managed":
                self._project(m, attr, walk, seen, depth + 1)


def _references(expr: Any) -> list[str]:
    """Every reference in an expression, nested blocks and object values included."""
    out: list[str] = []
    if isinstance(expr, dict):
        refs = expr.get("references")
        if isinstance(refs, list):
            out += [str(r) for r in refs]
        for k, v in expr.items():
            if k not in ("references", "constant_value") and isinstance(v, (dict, list)):
                out += _references(v)
    elif isinstance(expr, list):
        for v in expr:
            out += _references(v)
    return out


def _most_specific(refs: list[str]) -> list[str]:
    """Terraform lists `aws_vpc.this[0].id`, `aws_vpc.this[0]` and `aws_vpc.this` for one use:
    keep the longest form of each, so that the index is not lost."""
    kept: list[str] = []
    for r in sorted(dict.fromkeys(refs), key=len, reverse=True):
        if any(k.startswith(r) and k[len(r):len(r) + 1] in (".", "[") for k in kept):
            continue
        kept.append(r)
    return kept


def _short(found: list[Addr]) -> str:
    names = sorted({f"{a.type}.{a.name}" for a in found})
    return ", ".join(names[:3]) + (" ..." if len(names) > 3 else "")


def _index(k: Key) -> str:
    # a string key is written quoted, with `"` and `\` escaped
    return "" if k is None else f"[{k}]" if isinstance(k, int) else f"[{json.dumps(k, ensure_ascii=False)}]"


def instance_address(a: Addr) -> str:
    mods = "".join(f"module.{n}{_index(k)}." for n, k in a.modules)
    idx = _index(a.key)
    return f"{mods}{'data.' if a.mode == 'data' else ''}{a.type}.{a.name}{idx}"

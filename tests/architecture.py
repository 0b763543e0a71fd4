"""preflight's layers, and the import graph the code really has, for the architecture test and
the picture in docs/architecture.md.

    python -m tests.architecture      # rewrite the generated part of docs/architecture.md

The graph is read from the source with `ast` (every import, including those inside functions),
so what the test enforces and what the picture shows are the code, not a description of it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"

# Top to bottom. A module may import modules of its own layer and of any layer below it, never
# one above. `collect` is a column of its own beside the stack: it turns AWS, plans and source
# into snapshot records, imports only the snapshot and the foundation, and only the command
# line (the top layer) calls it.
LAYERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("cli", "the command line, the docs generator and the organization role's documents",
     ("preflight.cli", "preflight.__main__", "preflight.docs", "preflight.orgpolicy")),
    ("report", "reporters, triage (suppressions, baselines), diagnosis, merging reports, the config file",
     ("preflight.report", "preflight.triage", "preflight.diagnosis", "preflight.merge", "preflight.config")),
    ("engine", "runs the selected checks over one account or several (fleet); loads the built-in checks "
     "and rule packs", ("preflight.engine", "preflight.fleet", "preflight.rulepacks")),
    ("checks", "one module per failure family, and what families share (checks.support)", ("preflight.checks",)),
    ("registry", "the rule catalog and the @check decorator", ("preflight.registry",)),
    ("evaluators", "the IAM evaluator and the reachability engine, two libraries of their own",
     ("preflight.iam", "preflight.reach")),
    ("graph", "the resource graph built from a snapshot", ("preflight.graph",)),
    ("snapshot", "the snapshot format: schema, versions, reading and writing", ("preflight.snapshot",)),
    ("foundation", "finding types, errors, AWS enums, ARNs, CIDR maths, redaction, positions",
     ("preflight.findings", "preflight.errors", "preflight.enums", "preflight.refs", "preflight.netmath",
      "preflight.redact", "preflight.repo", "preflight.yamlpos", "preflight.data", "preflight.demo",
      "preflight.rules", "preflight.schemas")),
)
COLLECT = "preflight.collect"
COLLECT_MAY_IMPORT = ("snapshot", "foundation")
COLLECT_USED_BY = ("cli",)
# libraries that must not know each other
INDEPENDENT = (("preflight.iam", "preflight.reach"),)
FAMILY_SHARED = "preflight.checks.support"


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported module
    line: int
    names: tuple[str, ...]  # names taken with `from target import ...`


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(root: Path = ROOT) -> dict[str, Path]:
    return {module_name(p, root): p for p in sorted((root / "preflight").rglob("*.py"))}


def imports(root: Path = ROOT) -> list[Import]:
    """Every import of a preflight module by a preflight module. `from pkg import sub`, where
    `sub` is a module, is an import of `pkg.sub` alone (the package's own code is not used)."""
    known = modules(root)
    found: list[Import] = []
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in known:
                        found.append(Import(name, alias.name, node.lineno, ()))
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target not in known:
                    continue
                subs = [a.name for a in node.names if f"{target}.{a.name}" in known]
                plain = tuple(a.name for a in node.names if f"{target}.{a.name}" not in known)
                found += [Import(name, f"{target}.{s}", node.lineno, ()) for s in subs]
                if plain:
                    found.append(Import(name, target, node.lineno, plain))
    return [i for i in found if i.source != i.target]


def graph(root: Path = ROOT) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(modules(root))
    for i in imports(root):
        g.add_edge(i.source, i.target)
    return g


def layer_of(module: str) -> str:
    if module == COLLECT or module.startswith(COLLECT + "."):
        return "collect"
    if module == "preflight":
        return "foundation"  # the version string
    for layer, _, prefixes in LAYERS:
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return layer
    raise LookupError(f"{module} is in no layer: add it to tests/architecture.py LAYERS")


def rank(layer: str) -> int:
    return [name for name, _, _ in LAYERS].index(layer)


def violations(root: Path = ROOT) -> list[str]:
    """Every import that breaks the architecture, as 'file:line: why'."""
    out: list[str] = []
    paths = modules(root)
    for i in imports(root):
        where = f"{paths[i.source].relative_to(root)}:{i.line}"
        src, dst = layer_of(i.source), layer_of(i.target)
        if src == "collect" and dst not in ("collect", *COLLECT_MAY_IMPORT):
            out.append(f"{where}: the collectors import {i.target} ({dst}); they may import only "
                       f"{', '.join(COLLECT_MAY_IMPORT)}")
        elif dst == "collect" and src not in ("collect", *COLLECT_USED_BY):
            out.append(f"{where}: {i.source} ({src}) imports the collector {i.target}; only the command line may")
        elif "collect" not in (src, dst) and rank(dst) < rank(src):
            out.append(f"{where}: {i.source} ({src}) imports {i.target} ({dst}), a layer above it")
        for a, b in INDEPENDENT:
            for x, y in ((a, b), (b, a)):
                if i.source.startswith(x) and i.target.startswith(y):
                    out.append(f"{where}: {x} and {y} are libraries of their own and must not import each other")
        if src == dst == "checks" and i.source.count(".") == 2 and i.target.count(".") == 2 \
                and i.source != "preflight.checks" and i.target != FAMILY_SHARED:
            out.append(f"{where}: check family {i.source} imports family {i.target}; move what both need "
                       f"to {FAMILY_SHARED}")
        if i.source.startswith(FAMILY_SHARED) and layer_of(i.target) == "checks" \
                and not i.target.startswith(FAMILY_SHARED):
            out.append(f"{where}: {i.source} imports the family module {i.target}")
        private = [n for n in i.names if n.startswith("_") and not n.startswith("__")]
        if private:
            out.append(f"{where}: {i.source} takes private names {', '.join(private)} from {i.target}")
    out += private_attribute_uses(root)
    for cycle in sorted(nx.simple_cycles(graph(root)), key=lambda c: (len(c), c)):
        out.append("import circle: " + " -> ".join([*cycle, cycle[0]]))
    return out


def private_attribute_uses(root: Path = ROOT) -> list[str]:
    """`module._name` where `module` is another preflight module bound by an import."""
    out: list[str] = []
    known = modules(root)
    for name, path in known.items():
        tree = ast.parse(path.read_text("utf-8"))
        bound: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name in known and a.asname:
                        bound[a.asname] = a.name
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for a in node.names:
                    if f"{node.module}.{a.name}" in known:
                        bound[a.asname or a.name] = f"{node.module}.{a.name}"
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in bound
                    and node.attr.startswith("_") and not node.attr.startswith("__")
                    and bound[node.value.id] != name):
                out.append(f"{path.relative_to(root)}:{node.lineno}: {name} uses private "
                           f"{bound[node.value.id]}.{node.attr}")
    return out


def repeated_names(root: Path = ROOT) -> dict[str, list[str]]:
    """File names (other than __init__.py) that more than one module of the package uses."""
    seen: dict[str, list[str]] = {}
    for path in sorted((root / "preflight").rglob("*.py")):
        if path.name != "__init__.py":
            seen.setdefault(path.name, []).append(str(path.relative_to(root)))
    return {k: v for k, v in seen.items() if len(v) > 1}


def layer_edges() -> dict[tuple[str, str], int]:
    """How many module imports go from each layer to each other layer."""
    counts: dict[tuple[str, str], int] = {}
    for i in {(i.source, i.target) for i in imports()}:
        a, b = layer_of(i[0]), layer_of(i[1])
        if a != b:
            counts[(a, b)] = counts.get((a, b), 0) + 1
    return counts


def picture() -> str:
    """The generated section of docs/architecture.md: a Mermaid diagram of the layers with the
    imports counted between them, and each layer's modules."""
    known = modules()
    lines = ["```mermaid", "flowchart TD"]
    order = [name for name, _, _ in LAYERS]
    for name, what, _ in LAYERS:
        lines.append(f'    {name}["{name}<br/><small>{what}</small>"]')
    lines.append('    collect["collect<br/><small>AWS reads, plans, templates and source into snapshot records'
                 '</small>"]')
    for (a, b), n in sorted(layer_edges().items(), key=lambda kv: (order.index(kv[0][0]) if kv[0][0] in order
                                                                    else -1, kv[0][1])):
        lines.append(f"    {a} -->|{n}| {b}")
    lines.append("```")
    lines += ["", "| layer | modules |", "|---|---|"]
    for name, _, _ in (*LAYERS[:8], ("collect", "", ()), LAYERS[8]):
        members = sorted(m for m in known if layer_of(m) == name and m != "preflight")
        shown = ", ".join(f"`{m.removeprefix('preflight.')}`" for m in members)
        lines.append(f"| {name} | {shown} |")
    return "\n".join(lines) + "\n"


BEGIN, END = "<!-- generated by python -m tests.architecture: begin -->", "<!-- generated: end -->"


def render_doc(text: str) -> str:
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise ValueError(f"{DOC} has no generated section")
    return pattern.sub(lambda _: f"{BEGIN}\n{picture()}{END}", text)


if __name__ == "__main__":
    DOC.write_text(render_doc(DOC.read_text("utf-8")), "utf-8")
    print(f"wrote {DOC.relative_to(ROOT)}")

"""YAML with positions: the parsed value plus the line and column of every key and item.

PyYAML's composer already knows where each node starts; keeping those marks lets a finding
point at `apprunner.yaml:12:5` instead of "somewhere in the file". The raw text of every scalar
is kept too, because YAML turns `runtime-version: 3.10` into the float 3.1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


@dataclass
class Located:
    value: Any
    marks: dict[Path, tuple[int, int]] = field(default_factory=dict)  # path -> (line, column), 1-based
    raw: dict[Path, str] = field(default_factory=dict)  # path -> scalar text as written
    duplicates: list[tuple[Path, int, int]] = field(default_factory=list)

    def line(self, path: Path) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        while True:
            if path in self.marks:
                return self.marks[path][0]
            if not path:
                return None
            path = path[:-1]

    def column(self, path: Path) -> int | None:
        while path not in self.marks and path:
            path = path[:-1]
        return self.marks[path][1] if path in self.marks else None


class _Loader(yaml.SafeLoader):  # type: ignore[misc]
    """SafeLoader that keeps dates as the strings they were written as: neither App Runner's
    file nor preflight's config wants datetime objects, and an impossible date such as
    2026-13-40 must be a validation error, not a crash."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


# A document whose aliases expand past this many nodes is refused: a few lines of nested aliases
# ("billion laughs") would otherwise expand to billions of nodes in every walk of the value.
MAX_NODES = 200_000


class YamlError(ValueError):
    def __init__(self, message: str, line: int | None, column: int | None) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


def load(text: str) -> Located:
    """Parses one YAML document; a syntax error becomes a `YamlError` with its position."""
    loader = None
    try:
        loader = _Loader(text)  # the reader rejects control characters here already
        node = loader.get_single_node()
        located = Located(None)
        if node is not None:
            _walk(node, (), located, [MAX_NODES])
            located.value = loader.construct_document(node)
        return located
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = " ".join(str(x) for x in (e.context, e.problem) if x) or "invalid YAML"
        raise YamlError(problem, mark.line + 1 if mark else None,
                        mark.column + 1 if mark else None) from e
    except yaml.YAMLError as e:
        raise YamlError(str(e).splitlines()[0], None, None) from e
    except RecursionError as e:
        raise YamlError("nested too deeply", None, None) from e
    except (ValueError, TypeError, OverflowError) as e:  # a scalar PyYAML cannot construct
        raise YamlError(f"cannot read a value: {e}", None, None) from e
    finally:
        if loader is not None:
            loader.dispose()


def _walk(node: yaml.Node, path: Path, out: Located, budget: list[int]) -> None:
    budget[0] -= 1
    if budget[0] < 0:
        raise YamlError(f"more than {MAX_NODES:,} values once its aliases are expanded (an alias bomb?)",
                        node.start_mark.line + 1, node.start_mark.column + 1)
    out.marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            k = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else repr(key_node)
            child = (*path, k)
            if k in seen:
                out.duplicates.append((child, key_node.start_mark.line + 1, key_node.start_mark.column + 1))
            seen.add(k)
            out.marks[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _walk(value_node, child, out, budget)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), out, budget)
    elif isinstance(node, yaml.ScalarNode):
        out.raw[path] = str(node.value)

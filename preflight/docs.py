"""Generated parts of the README: the rule table and the IAM actions a scan needs.

    python -m preflight.docs          # rewrite the marked sections of README.md

`tests/test_readme.py` fails when README.md and these disagree.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from preflight.registry import catalog

README = Path(__file__).resolve().parent.parent / "README.md"


def rules_table() -> str:
    lines = ["| id | name | severity | what it finds |", "|---|---|---|---|"]
    for r in catalog().values():
        only = f" (Runs only with `--target {r.target}`.)" if r.target else ""
        lines.append(f"| `{r.id}` | `{r.name}` | {r.severity.label} | {r.summary}{only} |")
    return "\n".join(lines)


def permissions_list() -> str:
    from preflight.collect import OPERATIONS

    actions = sorted({op.iam_action for op in OPERATIONS})
    return "\n".join(f"- `{a}`" for a in actions)


SECTIONS = {"rules": rules_table, "permissions": permissions_list}


def render(text: str) -> str:
    for name, make in SECTIONS.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(\n<!-- {name}:end -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"README.md has no <!-- {name}:start --> section")
        text = pattern.sub(lambda m, make=make: m.group(1) + make() + m.group(2), text)  # type: ignore[misc]
    return text


def main() -> int:
    README.write_text(render(README.read_text()))
    print(f"updated {README}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

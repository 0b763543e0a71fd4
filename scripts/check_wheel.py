"""Fails when the wheel holds anything but the preflight package and its metadata: no tests, no
test doubles (fakes, world builders, the model gate), no benchmark, no scripts.

    python -m build --wheel --outdir DIR . && python scripts/check_wheel.py DIR/*.whl
"""

from __future__ import annotations

import re
import sys
import zipfile

STRAY = re.compile(r"(^|/)(tests?|testing|doubles|bench|scripts)(/|$)|fake|moto|stub_server|model_gate|worlds\.py")


def problems(wheel: str) -> tuple[int, list[str]]:
    names = zipfile.ZipFile(wheel).namelist()
    bad = [n for n in names if not (n.startswith("preflight/") or re.match(r"^[^/]+\.dist-info/", n))
           or (n.startswith("preflight/") and STRAY.search(n))]
    return len(names), bad


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: check_wheel.py WHEEL", file=sys.stderr)
        return 2
    try:
        count, bad = problems(argv[0])
    except (OSError, zipfile.BadZipFile) as e:
        print(f"check_wheel: {argv[0]}: {e}", file=sys.stderr)
        return 2
    if bad:
        print(f"check_wheel: {argv[0]} holds what is not the package: {', '.join(bad)}", file=sys.stderr)
        return 1
    print(f"check_wheel: {argv[0]}: {count} files, all preflight/ or its metadata")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

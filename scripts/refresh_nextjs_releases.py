"""Refresh the Next.js release list BLD002 resolves ranges against (preflight/data/apprunner.json,
`nextjs_releases`): every stable `next` release from 9.0.0 with the `engines.node` it declares,
read from the npm registry, and the date it was read. Run by hand when Next.js ships; the tests
never touch the network.

    python scripts/refresh_nextjs_releases.py
"""

from __future__ import annotations

import datetime
import json
import re
import urllib.request
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "preflight" / "data" / "apprunner.json"
REGISTRY = "https://registry.npmjs.org/next"


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.split("."))


def main() -> None:
    request = urllib.request.Request(REGISTRY, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # a fixed https URL
            doc = json.load(response)
    except (OSError, ValueError) as e:  # no network, a proxy's error page: one line, the data untouched
        raise SystemExit(f"refresh_nextjs_releases: cannot read {REGISTRY}: {e}") from None
    stable = [v for v in doc["versions"] if re.fullmatch(r"\d+\.\d+\.\d+", v) and _key(v) >= (9, 0, 0)]
    releases = [[v, (doc["versions"][v].get("engines") or {}).get("node")] for v in sorted(stable, key=_key)]
    data = json.loads(DATA.read_text())
    data["nextjs_releases"] = releases
    today = datetime.date.today().isoformat()
    data["sources"]["nextjs"] = (f"engines.node of every stable next release from 9.0.0, read from the npm registry "
                                 f"on {today} ({REGISTRY}); a null is a release that declares none")
    text = json.dumps(data, indent=2, ensure_ascii=False)
    # one [version, engines] pair per line, as the file keeps them
    text = re.sub(r'\[\n\s+("\d+\.\d+\.\d+"),\n\s+("[^"]*"|null)\n\s+\]', r"[\1, \2]", text)
    DATA.write_text(text + "\n")
    print(f"{len(releases)} releases, newest {releases[-1][0]}, written to {DATA}")


if __name__ == "__main__":
    main()

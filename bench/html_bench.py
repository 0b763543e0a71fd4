"""Benchmark of the HTML report: its size and render time on the synthetic scan of
bench/graph_bench.py (1,000 App Runner services, about 1,250 findings).

    python bench/html_bench.py                       # the default large snapshot
    python bench/html_bench.py --subnets 2000 --rules 10000

The checks run once; the report is rendered three times and the best time is shown. With
--chromium it also times a headless Chromium loading the file and running its script.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.graph_bench import synthetic
from preflight import engine
from preflight.report import Options, formats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subnets", type=int, default=10_000)
    parser.add_argument("--rules", type=int, default=50_000)
    parser.add_argument("--chromium", action="store_true", help="also time a headless Chromium load")
    args = parser.parse_args()
    result = engine.run(synthetic(args.subnets, args.rules))
    render = formats()["html"]
    best = float("inf")
    page = ""
    for _ in range(3):
        start = time.perf_counter()
        page = render(result, Options())
        best = min(best, time.perf_counter() - start)
    active = sum(1 for f in result.findings if f.active)
    print(f"findings {active}; html {len(page.encode()) / 1e6:.2f} MB; render {best:.2f} s (best of 3)")
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if args.chromium and browser:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "report.html"
            path.write_text(page)
            start = time.perf_counter()
            subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", path.as_uri()],
                           capture_output=True, check=True, timeout=300, env={**os.environ, "HOME": tmp})
            print(f"chromium load + script + DOM dump: {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()

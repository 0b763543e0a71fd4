"""Every application under ../shared/corpus scans without a crash (skipped where it is absent).

The corpus holds real apprunner.yaml files, package.json, .gitignore and Dockerfiles from public
repositories. Nobody here wrote them, so they exercise the readers on real mistakes.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from preflight import engine
from preflight.collect.source import read_source
from preflight.snapshot import source_only, validate

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def corpus_dirs() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.iterdir() if p.is_dir())


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not here")
def test_every_corpus_directory_scans_without_a_crash() -> None:
    counts: Counter[str] = Counter()
    for d in corpus_dirs():
        apps = read_source(str(d))
        doc = validate(source_only(apps), str(d))
        result = engine.run(doc)
        assert result.crashed == {}, (d.name, result.crashed)
        counts.update(f.rule for f in result.findings)
    assert len(corpus_dirs()) >= 100
    # the corpus has known mistakes: some rules must find them
    assert counts["BLD004"] > 0 and counts["BLD006"] > 0 and counts["BLD003"] > 0


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not here")
def test_known_corpus_mistakes_are_found() -> None:
    def rules_of(name: str) -> set[str]:
        return {f.rule for f in engine.run(source_only(read_source(str(CORPUS / name)))).findings}

    assert "BLD006" in rules_of("abdelino17__intro-apprunner-python")  # an apprunner.yml in its history
    assert "BLD004" in rules_of("KGmesharetivan__ChatMingle")  # invented keys, no run section

"""The README's generated sections agree with the catalog and the collectors."""

from __future__ import annotations

from preflight import docs


def test_readme_generated_sections_are_current(update_golden: bool) -> None:
    text = docs.README.read_text()
    if update_golden:
        docs.README.write_text(docs.render(text))
        text = docs.README.read_text()
    assert docs.render(text) == text, "README.md is stale: run `python -m preflight.docs`"


def test_readme_quick_start_has_the_two_commands() -> None:
    text = docs.README.read_text()
    assert ".venv/bin/preflight demo" in text
    assert ".venv/bin/python -m pytest" in text

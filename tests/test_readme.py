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


def test_the_rule_counts_the_readme_states_are_the_catalog_s() -> None:
    import re

    from preflight.registry import catalog

    rules = catalog()
    m = re.search(r"Its (\d+) rules \((\d+) run by default, (\w+) more with `--target`\)", docs.README.read_text())
    assert m, "the README's opening no longer states the rule counts"
    by_default = [r for r in rules.values() if not r.target]
    assert int(m.group(1)) == len(rules) and int(m.group(2)) == len(by_default)


def test_text_prose_keeps_to_80_columns_and_commands_stay_whole() -> None:
    from preflight import engine
    from preflight.report import Options, formats
    from preflight.snapshot import load_bundled

    text = formats()["text"](engine.run(load_bundled("talk.snapshot.json")), Options())
    long = [line for line in text.splitlines() if len(line) > 80]
    assert long and all(line.lstrip().startswith("$ ") for line in long), long[:3]

"""JUnit XML, so any CI shows findings in its test tab.

One test case per rule and resource: a failure when the finding is at or above the threshold,
a pass (with the finding as output) below it; a rule with no finding is one passing case; a rule
that could not be evaluated is a skipped case that says why; a crashed rule is an error.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from preflight.engine import RunResult
from preflight.registry import catalog
from preflight.report.options import Options


def render(result: RunResult, options: Options | None = None) -> str:
    opts = options or Options()
    rules = catalog()
    suite = ET.Element("testsuite", name="preflight")
    failures = skipped = errors = 0
    cases = 0
    for rule_id in result.selected:
        rule = rules[rule_id]
        classname = f"preflight.{rule.family}.{rule_id}"
        mine = [f for f in result.findings if f.rule == rule_id]
        if rule_id in result.not_evaluated:
            case = ET.SubElement(suite, "testcase", classname=classname, name=f"{rule_id} {rule.name}")
            ET.SubElement(case, "skipped", message=f"not evaluated: {result.not_evaluated[rule_id]}")
            skipped += 1
            cases += 1
            continue
        if rule_id in result.crashed:
            case = ET.SubElement(suite, "testcase", classname=classname, name=f"{rule_id} {rule.name}")
            ET.SubElement(case, "error", message=result.crashed[rule_id])
            errors += 1
            cases += 1
            continue
        if not mine:
            ET.SubElement(suite, "testcase", classname=classname, name=f"{rule_id} {rule.name}")
            cases += 1
            continue
        for f in mine:
            case = ET.SubElement(suite, "testcase", classname=classname,
                                 name=f"{rule_id} {f.resource.type} {f.resource.id}")
            cases += 1
            body = "\n".join([f.message, "path: " + " -> ".join(f.path), "fix: " + f.fix.summary,
                              *f.fix.commands])
            if f.active and opts.fail_on is not None and f.severity >= opts.fail_on:
                failure = ET.SubElement(case, "failure", message=f"[{f.severity.label}] {f.title}",
                                        type=f.severity.label)
                failure.text = body
                failures += 1
            else:
                out = ET.SubElement(case, "system-out")
                why = ("suppressed" if f.suppressed else "in the baseline" if f.baseline
                       else "below the threshold")
                out.text = f"[{f.severity.label}, {why}] {body}"
    suite.set("tests", str(cases))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    # the Jenkins JUnit schema (jenkins-junit.xsd) allows `skipped` on <testsuite> only, and
    # `time` on both; a scan's time is what the snapshot took to read
    elapsed = f"{float(result.snapshot.get('duration_s') or 0.0):.3f}"
    suite.set("time", elapsed)
    root = ET.Element("testsuites", name="preflight", time=elapsed, tests=str(cases), failures=str(failures),
                      errors=str(errors))
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

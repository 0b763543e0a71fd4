"""Three-valued logic: True, False, or None for "cannot be known from what preflight read".

AND and OR follow Kleene's strong logic: a known False decides an AND, a known True decides an
OR, and only otherwise does an unknown operand make the result unknown.
"""

from __future__ import annotations

from collections.abc import Iterable

Tri = bool | None


def all_of(values: Iterable[Tri]) -> Tri:
    unknown = False
    for v in values:
        if v is False:
            return False
        if v is None:
            unknown = True
    return None if unknown else True


def any_of(values: Iterable[Tri]) -> Tri:
    return negate(all_of(negate(v) for v in values))  # De Morgan holds in Kleene's logic


def both(a: Tri, b: Tri) -> Tri:
    return all_of((a, b))


def either(a: Tri, b: Tri) -> Tri:
    return any_of((a, b))


def negate(a: Tri) -> Tri:
    return None if a is None else not a

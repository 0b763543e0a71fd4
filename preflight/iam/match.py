"""Matching policy values against a request: actions, resource ARNs, strings, and the policy
variables that may appear in them.

- Actions compare case-insensitively; `*` is any run of characters and `?` one character
  ("IAM JSON policy elements: Action").
- Resource ARNs compare case-sensitively. Wildcards stay inside their colon-separated segment,
  except that a `*` ending a segment may run past the colons that follow ("IAM JSON policy
  elements: Resource", "Using wildcards in resource ARNs").
- `ArnLike`/`ArnEquals` check each of the six colon-separated parts of the ARN on its own
  ("Condition operators", "Amazon Resource Name (ARN) condition operators").
- Policy variables `${key}` (and `${key, 'default'}`, `${*}`, `${?}`, `${$}`) are replaced by the
  request's value, only under Version 2012-10-17. A value that comes from a variable is literal: a
  `*` in a tag value is not a wildcard. When the key is absent and there is no default, the element
  does not match; when preflight does not know the value, the match is unknown ("IAM policy
  elements: Variables and tags").

References: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from preflight.iam.context import ABSENT, UNKNOWN, Context
from preflight.iam.tri import Tri, any_of

# A resolved pattern: (character, is a wildcard-capable character of the policy itself)
Token = tuple[str, bool]
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_DEFAULT = re.compile(r"^\s*([^,\s][^,]*?)\s*,\s*'([^']*)'\s*$")
_SPECIAL = {"*": "*", "?": "?", "$": "$"}


class Unresolved(Exception):
    """A variable whose key the request does not carry (and no default): the element fails."""


class Unknown(Exception):
    """A variable whose value preflight does not know."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def resolve(pattern: str, context: Context | None, variables: bool) -> tuple[Token, ...]:
    """The pattern with its policy variables replaced; raises Unresolved or Unknown."""
    if not variables or "${" not in pattern or context is None:
        return tuple((c, True) for c in pattern)
    out: list[Token] = []
    pos = 0
    for m in _VARIABLE.finditer(pattern):
        out += [(c, True) for c in pattern[pos:m.start()]]
        pos = m.end()
        inner = m.group(1)
        if inner in _SPECIAL:
            out.append((_SPECIAL[inner], False))
            continue
        d = _DEFAULT.match(inner)
        key, default = (d.group(1), d.group(2)) if d else (inner.strip(), None)
        value = context.get(key)
        if value is UNKNOWN:
            raise Unknown(key)
        if value is ABSENT or (isinstance(value, tuple) and len(value) != 1):
            if default is None:
                raise Unresolved(key)
            text = default
        else:
            assert isinstance(value, tuple)
            text = value[0]
        out += [(c, False) for c in text]
    out += [(c, True) for c in pattern[pos:]]
    return tuple(out)


@lru_cache(maxsize=8192)
def _glob_regex(tokens: tuple[Token, ...], ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if (c == "*" and w) else "." if (c == "?" and w) else re.escape(c) for c, w in tokens)
    return re.compile(f"^{body}$", (re.IGNORECASE if ignore_case else 0) | re.DOTALL)


def glob(tokens: tuple[Token, ...], value: str, ignore_case: bool = False) -> bool:
    return _glob_regex(tokens, ignore_case).match(value) is not None


def plain_glob(pattern: str, value: str, ignore_case: bool = False) -> bool:
    return glob(tuple((c, True) for c in pattern), value, ignore_case)


@lru_cache(maxsize=8192)
def _resource_regex(tokens: tuple[Token, ...]) -> re.Pattern[str]:
    parts: list[str] = []
    segment = 0
    for i, (c, w) in enumerate(tokens):
        if c == ":":
            segment += 1
            parts.append(":")
        elif w and c == "*":
            last_in_segment = i + 1 == len(tokens) or tokens[i + 1][0] == ":"
            parts.append(".*" if segment >= 5 or last_in_segment else "[^:]*")
        elif w and c == "?":
            parts.append("." if segment >= 5 else "[^:]")
        else:
            parts.append(re.escape(c))
    return re.compile("^" + "".join(parts) + "$", re.DOTALL)


def resource_glob(tokens: tuple[Token, ...], arn: str) -> bool:
    return _resource_regex(tokens).match(arn) is not None


def _split_tokens(tokens: tuple[Token, ...], parts: int) -> list[tuple[Token, ...]]:
    out: list[list[Token]] = [[]]
    for t in tokens:
        if t[0] == ":" and len(out) < parts:
            out.append([])
        else:
            out[-1].append(t)
    return [tuple(p) for p in out]


def arn_like(tokens: tuple[Token, ...], arn: str) -> bool:
    """ArnLike / ArnEquals: the six parts of the ARN, each on its own."""
    want = _split_tokens(tokens, 6)
    have = arn.split(":", 5)
    if len(want) != 6 or len(have) != 6:
        return False
    return all(glob(w, h) for w, h in zip(want, have, strict=True))


def action_matches(patterns: Iterable[str], action: str) -> bool:
    return any(plain_glob(p, action, ignore_case=True) for p in patterns)


def resource_matches(patterns: Iterable[str], arn: str, context: Context | None, variables: bool,
                     unknown: list[str]) -> Tri:
    """Whether any pattern matches `arn` (unknown when a variable's value is not known; the key
    is appended to `unknown`)."""
    results: list[Tri] = []
    for p in patterns:
        try:
            tokens = resolve(p, context, variables)
        except Unresolved:
            results.append(False)
            continue
        except Unknown as e:
            unknown.append(e.key)
            results.append(None)
            continue
        if resource_glob(tokens, arn):
            return True
        results.append(False)
    return any_of(results)

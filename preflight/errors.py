"""The one error hierarchy of preflight.

Every error a user can cause (bad input, no credentials, a malformed file) is a subclass of
`Error`. Only the CLI turns an `Error` into a line on stderr and an exit code; everything
below it raises.
"""

from __future__ import annotations


class Error(Exception):
    """Base of every error preflight reports to a user as one line."""

    exit_code = 2

    def diagnostics(self) -> str:
        return str(self)


class UsageError(Error):
    """The command line asked for something impossible (unknown rule id, bad region, ...)."""


class InputError(Error):
    """A file the user handed us is missing, unreadable or malformed."""

    def __init__(self, path: str, problem: str, line: int | None = None) -> None:
        self.path = path
        self.problem = problem
        self.line = line
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {problem}")


class CredentialsError(Error):
    """No usable AWS credentials, an unknown profile, or an expired session."""


class ReadOnlyViolation(Error):
    """A collector tried to call an AWS operation that is not a declared read.

    This is a bug in preflight, never a user error; it exists so that the guard can stop the
    call before botocore sends it.
    """

    exit_code = 4


class CatalogError(Error):
    """The shipped rule catalog is invalid (a packaging bug)."""

    exit_code = 4


class RulePackError(Error):
    """An installed rule pack cannot be imported, or its catalog is invalid or clashes."""

"""Errors a source raises. The sync engine records them as freshness; commands map them to exit codes."""

from __future__ import annotations


class SourceError(Exception):
    """Anything that stopped a read or write; ``str()`` is a one-line reason for a person."""


class Unreachable(SourceError):
    """The endpoint did not answer, refused, or dropped the connection."""


class AuthError(SourceError):
    """Credentials were rejected or are missing (401/403, wrong password, expired token)."""


class NotFound(SourceError):
    """The vault, item or object does not exist."""


class Throttled(SourceError):
    """The service asked us to slow down; ``retry_after`` seconds if it said."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OperationRejected(SourceError):
    """The service refused a write (a 4xx with an ARM error body)."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class Malformed(SourceError):
    """The service answered with something that is not what its API defines (not JSON, or a resource
    of the wrong shape where one was read by itself)."""


class TimedOut(Unreachable):
    """A command's overall deadline passed; ``str()`` names what it was waiting for."""

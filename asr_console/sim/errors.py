"""Errors of the simulated site, carrying the HTTP status and ARM error code the server answers with."""

from __future__ import annotations


class SimError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def not_found(what: str, name: str) -> SimError:
    return SimError(404, "NotFound", f"{what} '{name}' was not found in the vault.")

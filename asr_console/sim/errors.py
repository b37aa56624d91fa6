"""Errors of the simulated site, carrying the HTTP status and ARM error code the server answers with."""

from __future__ import annotations

from dataclasses import dataclass


class SimError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def not_found(what: str, name: str) -> SimError:
    return SimError(404, "NotFound", f"{what} '{name}' was not found in the vault.")


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One reason a write is refused, naming the field by its path in the request body."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class Rejected(SimError):
    """A write refused before anything changed: 400 with an ARM error body naming every field."""

    def __init__(self, errors: list[FieldProblem], code: str = "InvalidInput") -> None:
        super().__init__(400, code, "; ".join(str(e) for e in errors))
        self.errors = errors

    def details(self) -> list[dict[str, str]]:
        return [{"code": "InvalidParameter", "target": e.field, "message": e.message} for e in self.errors]


def reject(errors: list[FieldProblem]) -> None:
    if errors:
        raise Rejected(errors)

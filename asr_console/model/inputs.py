"""What a write's inputs are made of, shared by the console's validation (``specs``) and the operation
catalogue (``operations``): field errors, and the recovery point a failover starts from.

Kept apart from ``specs`` so the catalogue (which the simulated site reads for its routes) does not
carry the console's form validation with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class InvalidInput(ValueError):
    """Raised by a service before sending anything; carries every field error at once."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


class RecoveryPointKind(StrEnum):
    LATEST = "Latest"
    LATEST_PROCESSED = "LatestProcessed"
    LATEST_APP_CONSISTENT = "LatestApplicationConsistent"
    LATEST_MULTI_VM_PROCESSED = "LatestProcessedMultiVm"
    LATEST_MULTI_VM_APP_CONSISTENT = "LatestApplicationConsistentMultiVm"
    CUSTOM = "Custom"


@dataclass(frozen=True, slots=True)
class RecoveryPointChoice:
    kind: RecoveryPointKind = RecoveryPointKind.LATEST_PROCESSED
    recovery_point_id: str = ""  # with CUSTOM

    def validate(self) -> list[FieldError]:
        if self.kind is RecoveryPointKind.CUSTOM and not self.recovery_point_id:
            return [FieldError("recovery_point", "pick a recovery point from the list")]
        return []

"""Faults the ARM face injects: latency, throttling (429 + Retry-After), 500/503, dropped connections,
rejected tokens (401) and malformed resources. Set per run (rates, seeded) or at runtime (``queue`` the
next N answers, ``malform`` a resource)."""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Fault(StrEnum):
    THROTTLE = "429"
    SERVER_ERROR = "500"
    UNAVAILABLE = "503"
    DROP = "drop"
    UNAUTHORIZED = "401"
    GARBAGE = "garbage"  # 200 with a body that is not JSON (a proxy's error page, a cut connection)


@dataclass(slots=True)
class Faults:
    latency: float = 0.0  # seconds added to every answer
    throttle_rate: float = 0.0
    error_rate: float = 0.0  # half 500, half 503
    drop_rate: float = 0.0
    reject_tokens: bool = False  # every request answered 401 while set
    retry_after: int = 1  # seconds a 429 asks for
    seed: int = 0
    _queue: deque[Fault] = field(default_factory=deque)
    _rng: random.Random = field(init=False)
    injected: dict[str, int] = field(default_factory=dict)
    # lower-cased ARM ids served with a field of the wrong type
    malformed: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def queue(self, fault: Fault | str, count: int = 1) -> None:
        """The next ``count`` requests get ``fault``."""
        self._queue.extend([Fault(fault)] * count)

    def malform(self, arm_id: str) -> None:
        """Serve this resource (in lists and single reads) with a field of the wrong type."""
        self.malformed.add(arm_id.lower())

    def served(self, value: dict[str, Any]) -> dict[str, Any]:
        """``value`` as served: a malformed resource's friendly name comes as an array, the kind of
        shape a vault can hold that no client expects."""
        arm_id = value.get("id")
        if not self.malformed or not isinstance(arm_id, str) or arm_id.lower() not in self.malformed:
            return value
        props = dict(value.get("properties") or {})
        props["friendlyName"] = [props.get("friendlyName")]
        return {**value, "properties": props}

    def clear(self) -> None:
        self._queue.clear()
        self.malformed.clear()
        self.latency = self.throttle_rate = self.error_rate = self.drop_rate = 0.0
        self.reject_tokens = False

    def next(self) -> Fault | None:
        fault: Fault | None = None
        if self.reject_tokens:
            fault = Fault.UNAUTHORIZED
        elif self._queue:
            fault = self._queue.popleft()
        else:
            roll = self._rng.random()
            if roll < self.drop_rate:
                fault = Fault.DROP
            elif roll < self.drop_rate + self.throttle_rate:
                fault = Fault.THROTTLE
            elif roll < self.drop_rate + self.throttle_rate + self.error_rate:
                fault = Fault.SERVER_ERROR if self._rng.random() < 0.5 else Fault.UNAVAILABLE
        if fault is not None:
            self.injected[fault.value] = self.injected.get(fault.value, 0) + 1
        return fault

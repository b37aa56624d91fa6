"""Exponential backoff with full jitter (AWS architecture blog's "full jitter")."""

from __future__ import annotations

import random


class Backoff:
    def __init__(self, base: float = 1.0, cap: float = 300.0, factor: float = 2.0) -> None:
        self.base = base
        self.cap = cap
        self.factor = factor
        self.attempt = 0

    def next(self, rng: random.Random | None = None) -> float:
        ceiling = min(self.cap, self.base * self.factor**self.attempt)
        self.attempt += 1
        # Keep at least half the ceiling so a failing source is never hammered.
        return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)

    def reset(self) -> None:
        self.attempt = 0

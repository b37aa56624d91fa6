"""Argument types shared by the command line's parsers (``cli`` and the command modules).

Each refuses what would make a command misbehave rather than fail (NaN, infinities, values beyond a
sensible bound) with a message argparse turns into one line and exit code 2.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    return value


def bounded_float(low: float, high: float, *, low_open: bool = False) -> Callable[[str], float]:
    """A finite number in [low, high] (or (low, high] with ``low_open``)."""

    def parse(text: str) -> float:
        value = finite_float(text)
        if value < low or (low_open and value == low) or value > high:
            bracket = "(" if low_open else "["
            raise argparse.ArgumentTypeError(f"must be in {bracket}{low:g}, {high:g}], got {text}")
        return value

    parse.__name__ = "number"  # argparse names the type in "invalid <name> value" messages
    return parse


def positive_float(text: str) -> float:
    value = finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {text}")
    return value


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def bounded_int(low: int, high: int, unit: str = "") -> Callable[[str], int]:
    """A whole number in [low, high]; ``unit`` names what it counts in the error line."""
    what, span = (f" of {unit}", f"{low} to {high} {unit}") if unit else ("", f"{low} to {high}")

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number{what}, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {span}, got {text}")
        return value

    return parse


def listen_address(text: str) -> tuple[str, int]:
    """``HOST:PORT``, ``:PORT`` or ``[::1]:PORT``; port 0 asks the system for a free one."""
    host, sep, port_text = text.rpartition(":")
    if not sep:
        raise argparse.ArgumentTypeError(f"must be HOST:PORT, got {text!r}")
    try:
        port = int(port_text or 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a number, got {port_text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 1-65535 (or 0 for any free port), got {port}")
    return (host.strip("[]") or "127.0.0.1"), port

"""Argument types shared by the command line's parsers (``cli`` and the command modules)."""

from __future__ import annotations

import argparse


def positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value

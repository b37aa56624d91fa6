"""``asr-console config``: the resolved settings with where each came from; ``config path``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from asr_console.config import Settings


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("config")
    parser.add_argument("what", nargs="?", choices=("show", "path"), default="show")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.what == "path":
        print(settings.config_path)
        return 0
    from asr_console.commands.console import colour_problem

    # the console refuses this value at start: showing it as if it were fine would hide why
    problem = colour_problem(settings)
    if problem:
        print(f"asr-console: {problem}", file=sys.stderr)
        return 2
    data = settings.public_dict()
    if args.json:
        data["origins"] = dict(settings.origins)
        print(json.dumps(data, indent=2, sort_keys=True))
        return 0
    width = max(len(k) for k in data)
    for key, value in data.items():
        if isinstance(value, dict):
            print(f"{key}:")
            for sub, subvalue in value.items():
                print(f"  {sub:<{width}}  {subvalue}")
            continue
        origin = settings.origins.get(key, "default")
        shown = "" if value is None else value
        print(f"{key:<{width}}  {shown!s:<40}  ({origin})")
    return 0

"""``asr-console demo``: the console on the embedded simulated site — no Azure, no vCenter needed.

The site's ASR face is served over HTTPS on loopback and read through the unmodified SDK, exactly as
a real vault would be; its vCenter face is an ``InventorySource`` (or a real vCenter with --vcenter).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
from typing import Any

from asr_console.commands.quit_guard import QuitGuard
from asr_console.config import Settings
from asr_console.model.errors import SourceError


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("demo")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from asr_console.commands.console import colour_problem

    problem = colour_problem(settings)
    if problem:
        print(f"asr-console: {problem}", file=sys.stderr)
        return 2
    try:
        with QuitGuard() as guard:
            return asyncio.run(_demo(args, settings, guard))
    except KeyboardInterrupt:
        return 130


async def _demo(args: argparse.Namespace, settings: Settings, guard: QuitGuard) -> int:
    from asr_console.app import make_app
    from asr_console.commands.site import open_demo_site

    settings = dataclasses.replace(
        settings,
        profile=settings.profile or "demo",
        environment=settings.environment or "DEMO",
        environment_color=settings.environment_color or "green",
    )
    try:
        async with open_demo_site(args, settings) as session:
            app = make_app(session, demo_label=f"simulated site · seed {args.seed} · ×{args.speed:g}")
            try:
                await app.run_async()
            finally:
                # the terminal is the shell's again; closing the site and the session must not keep it
                guard.arm(app.return_code or 0)
            return app.return_code or 0
    except (OSError, SourceError) as exc:
        print(f"asr-console demo: cannot start the simulated site: {exc}", file=sys.stderr)
        return 3

"""``asr-console [--profile P]``: the console on a real vault (and vCenter, when one is configured)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from asr_console.commands.quit_guard import QuitGuard
from asr_console.config import Settings
from asr_console.model.errors import SourceError

MISSING_TARGET = (
    "no vault configured: set subscription, resource_group and vault in a profile "
    "(asr-console config path), the ASR_CONSOLE_* variables or --subscription/--resource-group/--vault; "
    "or try 'asr-console demo'"
)


def colour_problem(settings: Settings) -> str | None:
    """Why the profile's ``environment_color`` cannot colour the status bar (Rich's colour grammar)."""
    value = settings.environment_color
    if not value:
        return None
    from rich.color import Color, ColorParseError

    try:
        Color.parse(value)
    except ColorParseError:
        where = settings.origins.get("environment_color", "settings")
        return (
            f"config error: {where}: environment_color: not a colour: {value!r} "
            "(a name such as red or bright_green, #rrggbb, or rgb(r,g,b))"
        )
    return None


def run_console(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.has_azure_target():
        print(f"asr-console: {MISSING_TARGET}", file=sys.stderr)
        return 2
    problem = colour_problem(settings)
    if problem:
        print(f"asr-console: {problem}", file=sys.stderr)
        return 2
    try:
        with QuitGuard() as guard:
            return asyncio.run(_console(settings, guard))
    except KeyboardInterrupt:
        return 130
    except SourceError as exc:
        print(f"asr-console: {exc}", file=sys.stderr)
        return 3


async def _console(settings: Settings, guard: QuitGuard) -> int:
    from asr_console.app import make_app
    from asr_console.model.protocols import InventorySource
    from asr_console.session import build_session
    from asr_console.sources.azure import AzureRecoveryService

    service = AzureRecoveryService.from_settings(settings)
    inventory: InventorySource | None = None
    if settings.vcenter_url:
        from asr_console.sources.vmware import VCenterInventory

        inventory = VCenterInventory(
            settings.vcenter_url,
            settings.vcenter_user,
            settings.vcenter_password(),
            insecure=settings.insecure,
        )
    session = build_session(settings, service, inventory)
    try:
        app = make_app(session)
        try:
            await app.run_async()
        finally:
            # the terminal is the shell's again; closing the session must not keep it
            guard.arm(app.return_code or 0)
        return app.return_code or 0
    finally:
        await session.close()

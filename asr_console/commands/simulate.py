"""``asr-console simulate``: serve the simulated site's ARM face over HTTPS until SIGINT/SIGTERM.

The first line on stdout is one JSON object telling a client where and how to connect:
``{"arm_endpoint", "ca_bundle", "subscription", "resource_group", "vault"}``; logs follow on stderr.

With ``--vcenter URL`` the site's appliance discovers its VMs from that vCenter (or vcsim) through the
pyvmomi inventory source, and keeps following it, instead of generating an estate.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from asr_console.commands.argtypes import bounded_float, listen_address, non_negative_int, positive_float
from asr_console.config import Settings
from asr_console.model.errors import SourceError
from asr_console.model.redact import mask_url

if TYPE_CHECKING:
    from asr_console.sim.engine import SimEngine


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("simulate", help="serve the simulated ASR site over HTTPS on loopback")
    parser.add_argument(
        "--listen",
        type=listen_address,
        default=("127.0.0.1", 0),
        help="HOST:PORT to listen on (default 127.0.0.1:0, any free port)",
    )
    parser.add_argument(
        "--latency", type=bounded_float(0, 3600), default=0.0, help="seconds added to every answer"
    )
    fraction = bounded_float(0, 1)
    parser.add_argument(
        "--throttle-rate", type=fraction, default=0.0, help="fraction of requests answered 429"
    )
    parser.add_argument("--error-rate", type=fraction, default=0.0, help="fraction answered 500/503")
    parser.add_argument("--drop-rate", type=fraction, default=0.0, help="fraction of connections dropped")
    parser.add_argument(
        "--history-jobs", type=non_negative_int, default=None, help="past jobs to create (default scales)"
    )
    # Other tools compare the site's timestamps with their own clock: real time unless asked.
    parser.add_argument(
        "--speed", type=positive_float, default=1.0, help="clock speed-up (default 1: real time)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    try:
        return asyncio.run(_serve(args, settings))
    except KeyboardInterrupt:
        return 0
    except (OSError, ValueError) as exc:
        print(f"asr-console simulate: {exc}", file=sys.stderr)
        return 2
    except SourceError as exc:
        # the vCenter source's own errors already name it (without credentials): say it once
        where = "" if str(exc).startswith("vCenter ") else f"vCenter {settings.vcenter_url}: "
        print(mask_url(f"asr-console simulate: {where}{exc}"), file=sys.stderr)
        return 3


@contextlib.asynccontextmanager
async def site_engine(args: argparse.Namespace, settings: Settings) -> AsyncIterator[SimEngine]:
    """The engine ``simulate`` (and ``demo``) serve: generated, or discovered from ``--vcenter``."""
    from asr_console.sim.engine import make_demo_site

    options: dict[str, Any] = {
        "protected": args.protected,
        "seed": args.seed,
        "speed": args.speed,
        "provider": args.provider,
        "history_jobs": getattr(args, "history_jobs", None),
    }
    if not settings.vcenter_url:
        yield make_demo_site(vms=args.vms, **{**options, "protected": min(args.protected, args.vms)})
        return
    from asr_console.sim.discovery import discovered_site
    from asr_console.sources.vmware import VCenterInventory

    source = VCenterInventory(
        settings.vcenter_url,
        settings.vcenter_user,
        settings.vcenter_password(),
        insecure=settings.insecure,
        name="appliance-discovery",
    )
    async with discovered_site(source, timeout=settings.timeout, **options) as engine:
        yield engine


async def _serve(args: argparse.Namespace, settings: Settings) -> int:
    host, port = args.listen
    async with site_engine(args, settings) as engine:
        return await _serve_engine(args, engine, host, port)


async def _serve_engine(args: argparse.Namespace, engine: SimEngine, host: str, port: int) -> int:
    from asr_console.sim.arm_server import serve_site
    from asr_console.sim.faults import Faults

    faults = Faults(
        latency=args.latency,
        throttle_rate=args.throttle_rate,
        error_rate=args.error_rate,
        drop_rate=args.drop_rate,
        seed=args.seed,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with serve_site(engine, host=host, port=port, faults=faults) as site:
        print(json.dumps(site.connection()), flush=True)
        logging.getLogger("asr_console.simulate").info(
            "serving %d VMs%s, %d protected (%s, seed %d, ×%g) at %s",
            len(engine.estate.vms),
            " discovered from vCenter" if engine.estate.adopted else "",
            len(engine.items),
            args.provider,
            args.seed,
            args.speed,
            site.arm_endpoint,
        )
        await stop.wait()
    return 0

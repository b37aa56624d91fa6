"""``asr-console simulate``: serve the simulated site's ARM face over HTTPS until SIGINT/SIGTERM.

The first line on stdout is one JSON object telling a client where and how to connect:
``{"arm_endpoint", "ca_bundle", "subscription", "resource_group", "vault"}``; logs follow on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from typing import Any

from asr_console.config import Settings


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("simulate", help="serve the simulated ASR site over HTTPS on loopback")
    parser.add_argument(
        "--listen", default="127.0.0.1:0", help="HOST:PORT to listen on (default 127.0.0.1:0)"
    )
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--throttle-rate", type=float, default=0.0, help="fraction of requests answered 429")
    parser.add_argument("--error-rate", type=float, default=0.0, help="fraction answered 500/503")
    parser.add_argument("--drop-rate", type=float, default=0.0, help="fraction of connections dropped")
    parser.add_argument("--history-jobs", type=int, default=None, help="past jobs to create (default scales)")
    parser.set_defaults(func=run)


def _listen(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return (host.strip("[]") or "127.0.0.1"), int(port or 0)


def run(args: argparse.Namespace, settings: Settings) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    try:
        return asyncio.run(_serve(args))
    except KeyboardInterrupt:
        return 0
    except (OSError, ValueError) as exc:
        print(f"asr-console simulate: {exc}", file=sys.stderr)
        return 2


async def _serve(args: argparse.Namespace) -> int:
    from asr_console.sim.arm_server import serve_site
    from asr_console.sim.engine import make_demo_site
    from asr_console.sim.faults import Faults

    host, port = _listen(args.listen)
    engine = make_demo_site(
        vms=args.vms,
        protected=min(args.protected, args.vms),
        seed=args.seed,
        speed=args.speed,
        provider=args.provider,
        history_jobs=args.history_jobs,
    )
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
            "serving %d VMs, %d protected (%s, seed %d, ×%g) at %s",
            args.vms,
            len(engine.items),
            args.provider,
            args.seed,
            args.speed,
            site.arm_endpoint,
        )
        await stop.wait()
    return 0

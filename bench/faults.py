"""The fault suite's full profile (issue 11 §8): every fault of the table against the simulated ARM
site and a private vcsim, with the real sync engine and sources, and the figures as a table.

Each row: seconds from the fault's end until every stream of that back end read fresh again, records a
failed read deleted from the store, duplicate writes, the longest the event loop was busy and the
longest it stalled. ``make faults`` runs it with the issue's 24 h soak (24 simulated hours at ×60: 24
minutes); ``tests/test_faults.py`` is the short profile ``make test`` runs.
Usage: python bench/faults.py [--soak-seconds 1440] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fault_suite import (  # noqa: E402
    HEADLESS_RETRY_AFTER_CAP,
    MAX_LAG,
    MAX_WALL,
    TUI_RETRY_AFTER_CAP,
    VCSIM_TOPOLOGY,
    Row,
    arm_cases,
    run_arm_case,
    run_audit_unwritable,
    run_soak,
    run_suspended,
    run_vcsim_case,
    table,
    throttled_headless,
    tui_throttle_wait,
    vcsim_cases,
)
from tests.vcsim_fixture import Vcsim, vcsim_binary  # noqa: E402


async def suite(args: argparse.Namespace) -> list[Row]:
    full = not args.quick
    rows: list[Row] = []

    def done(row: Row) -> None:
        rows.append(row)
        print(f"  {row.fault}: done", file=sys.stderr, flush=True)

    for case in arm_cases(full):
        done(await run_arm_case(case))
    for retry_after in (372, 900):
        took, asked = await throttled_headless(retry_after)
        note = f"headless: Throttled ({asked} s asked) after {took:.1f} s, cap {HEADLESS_RETRY_AFTER_CAP:g} s"
        if full:
            waited = await tui_throttle_wait(retry_after)
            note += f"; console's next request after {waited:.1f} s (cap {TUI_RETRY_AFTER_CAP:g} s)"
            done(Row(f"ARM one 429, Retry-After {retry_after} s", waited, 0, 0, 0.0, note))
        else:
            row = Row(
                f"ARM one 429, Retry-After {retry_after} s", None, 0, 0, 0.0, note, measures_recovery=False
            )
            done(row)
    with tempfile.TemporaryDirectory(prefix="asr-faults-") as directory:
        done(await run_audit_unwritable(Path(directory)))
    binary = vcsim_binary()
    if binary is None:
        print("faults: vcsim not built; run `make vcsim` (vCenter rows skipped)", file=sys.stderr)
        return rows
    for case in vcsim_cases(full):
        sim = Vcsim(binary=binary, topology=VCSIM_TOPOLOGY)
        sim.start()
        try:
            done(await run_vcsim_case(case, sim))
        finally:
            sim.stop()
    sim = Vcsim(binary=binary, topology=VCSIM_TOPOLOGY)
    sim.start()
    try:
        done(await run_suspended(sim))
        done(await run_soak(sim, args.soak_seconds))
    finally:
        sim.stop()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--soak-seconds", type=float, default=1440.0, help="real seconds (×60 simulated; 1440 = 24 h)"
    )
    parser.add_argument("--quick", action="store_true", help="the short profile's cases only")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the streams' warnings are the faults we inject
    rows = asyncio.run(suite(args))
    print(table(rows))
    bad = [
        r
        for r in rows
        if r.lost
        or r.duplicates
        or r.max_lag >= MAX_LAG
        or r.max_wall >= MAX_WALL
        or (r.measures_recovery and r.recovered_in is None)
        or "PROBLEM" in r.note
    ]
    print(
        f"{len(rows)} faults; {len(bad)} not recovered, lossy, duplicating or blocking > {MAX_LAG * 1000:.0f} ms "
        f"(or stalled > {MAX_WALL:g} s)"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())

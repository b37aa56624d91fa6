"""The simulated site: one engine (estate, clock, churn, state machines, faults) with two faces."""

from asr_console.sim.engine import SimEngine, make_demo_site

__all__ = ["SimEngine", "make_demo_site"]

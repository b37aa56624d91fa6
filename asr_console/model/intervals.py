"""How often each stream polls: the one set of intervals that config reads and sync runs on."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace


@dataclass(frozen=True, slots=True)
class Intervals:
    """Seconds between polls; ``*_fast`` apply while jobs or our own operations are running."""

    items: float = 30.0
    items_fast: float = 5.0
    jobs: float = 30.0
    jobs_fast: float = 3.0
    infra: float = 120.0
    infra_fast: float = 30.0
    # Protectable items: the appliance rediscovers vCenter about every 15 minutes, and for a large
    # estate this is the costliest list ASR has (one entry per VM per container). Read again when an
    # enable or disable replication job of ours ends, not on every write.
    discovery: float = 900.0
    inventory_wait: float = 30.0  # WaitForUpdatesEx max wait; the stream runs back to back
    events: float = 30.0
    churn: float = 60.0
    # Protected items read per minute at most, fast or not: a full list costs one ARM read
    # per ~100 items and every console on the same identity shares the subscription's read budget, so
    # a large vault refreshes less often (5,000 items: every 60 s) instead of reading all the time.
    items_per_minute: float = 5000.0

    def scaled(self, factor: float) -> Intervals:
        """Shorter intervals for the simulated site, whose clock runs ``factor`` times faster.

        Never below two seconds while something runs (job progress) and five when idle: a person
        cannot read faster, and an idle console in a tmux pane should not spend the CPU.
        """
        if factor <= 1:
            return self

        # inventory_wait is how long vCenter may hold a long poll, not a pause between polls; the read
        # budget is per real minute
        return replace(
            self,
            **{
                name: max(_SCALED_FLOORS.get(name, 0.0), value / factor)
                for name, value in asdict(self).items()
                if name not in ("inventory_wait", "items_per_minute")
            },
        )


# Seconds below which ``Intervals.scaled`` never goes. Infrastructure (fabrics, policies, thousands of
# protectable items) changes slowly and is the most expensive read.
_SCALED_FLOORS = {
    "items": 5.0,
    "items_fast": 2.0,
    "jobs": 5.0,
    "jobs_fast": 2.0,
    "infra": 20.0,
    "infra_fast": 10.0,
    "discovery": 30.0,
    "events": 5.0,
    "churn": 5.0,
}


# The smallest value a profile may set for each interval (seconds; ``items_per_minute``: items). Below
# these a console polls in a near-hot loop or spends the identity's shared ARM read budget; vCenter's
# real-time performance samples are 20 s apart, and the appliance rediscovers about every 15 minutes.
FLOORS = {
    "items": 5.0,
    "items_fast": 1.0,
    "jobs": 5.0,
    "jobs_fast": 1.0,
    "infra": 10.0,
    "infra_fast": 5.0,
    "discovery": 60.0,
    "inventory_wait": 1.0,
    "events": 5.0,
    "churn": 20.0,
    "items_per_minute": 100.0,
}
# vCenter holds a WaitForUpdatesEx long poll at most this long; everything else at most a day apart.
CEILINGS = {"inventory_wait": 300.0}
CEILING = 86_400.0

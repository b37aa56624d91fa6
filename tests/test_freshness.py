"""Freshness is kept per stream: one stream's success never clears another's error, and a back end is
judged by its stalest stream."""

from __future__ import annotations

from collections.abc import AsyncIterator

from asr_console.model.errors import Unreachable
from asr_console.model.intervals import Intervals
from asr_console.model.listed import Listed
from asr_console.model.records import Kind, ProtectedItem
from asr_console.model.store import Freshness, Store, stalest
from asr_console.sim import SimEngine
from asr_console.sim.arm_server import SiteEndpoint
from asr_console.sources.azure import AzureRecoveryService
from asr_console.sources.azure_auth import StaticTokenCredential
from asr_console.sync.streams import ASR, ITEMS, JOBS, build_engine


class ItemsReadFails(AzureRecoveryService):
    """The SDK source on the simulated site, except that listing protected items fails."""

    def protected_item_pages(self) -> AsyncIterator[Listed[ProtectedItem]]:
        return self._refused()

    async def _refused(self) -> AsyncIterator[Listed[ProtectedItem]]:
        raise Unreachable("protected items: connection reset by peer")
        yield Listed([])  # an async generator, as the method it replaces


def failing_items_service(site: SiteEndpoint) -> ItemsReadFails:
    return ItemsReadFails(
        subscription=site.subscription,
        resource_group=site.resource_group,
        vault=site.vault,
        credential=StaticTokenCredential("any-token"),
        arm_endpoint=site.arm_endpoint,
        ca_bundle=site.ca_bundle,
        retry_total=0,
    )


async def test_a_failing_items_stream_stays_stale_while_the_jobs_stream_succeeds(
    frozen: tuple[SimEngine, SiteEndpoint],
) -> None:
    _, site = frozen
    service = failing_items_service(site)
    store = Store()
    engine = build_engine(store, service, None, Intervals())
    try:
        assert await engine.poll_once(JOBS)
        assert not await engine.poll_once(ITEMS)
        # jobs succeed again after the items failed: that must not make the items (or ASR) fresh
        assert await engine.poll_once(JOBS)
        assert store.count(Kind.JOB) > 0 and store.count(Kind.PROTECTED_ITEM) == 0
    finally:
        await service.close()
    items = store.freshness(ITEMS)
    assert items.stale and "connection reset by peer" in (items.last_error or "")
    assert items.source == ASR
    assert not store.freshness(JOBS).stale
    backend = store.freshness(ASR)
    assert backend.stale and backend.stream == ITEMS
    assert [(f.source, f.stream, f.stale) for f in store.backend_freshness()] == [(ASR, ITEMS, True)]


def test_a_success_touches_only_its_own_stream() -> None:
    store = Store()
    store.mark_error("asr-items", "Throttled: 429", "asr")
    store.mark_ok("asr-jobs", "asr")
    store.mark_ok("vcenter-inventory", "vcenter")
    assert store.freshness("asr-items").stale
    assert store.freshness("asr-items").last_error == "Throttled: 429"
    assert store.freshness("asr").stream == "asr-items"
    assert not store.freshness("vcenter").stale
    store.mark_ok("asr-items")  # the source is remembered from the first report
    assert not store.freshness("asr").stale
    assert {f.stream for f in store.all_freshness()} == {"asr-items", "asr-jobs", "vcenter-inventory"}


def test_the_stalest_is_stale_first_then_the_oldest_success() -> None:
    fresh = Freshness(stream="jobs", source="asr", last_success_monotonic=100.0, stale=False)
    old = Freshness(stream="infra", source="asr", last_success_monotonic=10.0, stale=False)
    failing = Freshness(stream="items", source="asr", last_success_monotonic=90.0, last_error="x")
    never = Freshness(stream="events", source="asr", last_error="y")
    assert stalest([fresh, old]) == old
    assert stalest([fresh, old, failing]) == failing
    assert stalest([failing, never, fresh]) == never
    assert stalest([]) is None


def test_dropped_records_add_up_per_back_end() -> None:
    store = Store()
    store.set_freshness(Freshness(stream="asr-items", source="asr", stale=False, dropped=2))
    store.set_freshness(Freshness(stream="asr-jobs", source="asr", stale=False, dropped=1))
    store.mark_ok("asr-items")  # a success keeps the count its read reported
    assert store.dropped("asr") == 3 and store.dropped("vcenter") == 0

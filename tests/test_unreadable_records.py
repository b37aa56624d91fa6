"""A record that cannot be converted is counted and logged, and its row is never deleted for it.

The simulated ARM site serves one resource with a field of the wrong type; the Azure source reads it
through the unmodified SDK inside the standard streams.
"""

from __future__ import annotations

import logging

import pytest

from asr_console.model.intervals import Intervals
from asr_console.model.records import Kind
from asr_console.model.store import Store
from asr_console.sim import SimEngine
from asr_console.sim.arm_server import SiteEndpoint
from asr_console.sync.streams import ASR, build_engine
from tests.arm_site import sdk_service


@pytest.mark.parametrize(
    ("stream", "kind"),
    [
        ("asr-items", Kind.PROTECTED_ITEM),  # a bulk list: wire pages through the SDK's pipeline
        ("asr-infra", Kind.POLICY),  # a small list: the SDK's pager and models' as_dict()
    ],
)
async def test_an_unreadable_record_keeps_its_row_and_is_counted_and_logged(
    frozen: tuple[SimEngine, SiteEndpoint], caplog: pytest.LogCaptureFixture, stream: str, kind: Kind
) -> None:
    _, site = frozen
    service = sdk_service(site)
    store = Store()
    sync = build_engine(store, service, None, Intervals())
    try:
        assert await sync.poll_once(stream)
        rows = dict(store.collection(kind))
        assert len(rows) > 1 and store.freshness(ASR).dropped == 0
        broken = sorted(rows)[0]
        site.site.faults.malform(broken)
        with caplog.at_level(logging.WARNING):
            assert await sync.poll_once(stream)
        assert dict(store.collection(kind)) == rows  # the unreadable one kept its last good read
        assert store.freshness(ASR).dropped == 1
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert any(broken in w and "expected a string" in w for w in warnings), warnings
        # once it reads again, the count goes back to zero
        site.site.faults.clear()
        assert await sync.poll_once(stream)
        assert store.freshness(ASR).dropped == 0 and dict(store.collection(kind)) == rows
    finally:
        await service.close()

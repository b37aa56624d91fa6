# pyVmomi's generated data-object constructors are unannotated.
# mypy: disable-error-code="no-untyped-call"
"""vCenter events and tasks, read from one EventHistoryCollector's latest page."""

from __future__ import annotations

import contextlib
from datetime import UTC
from typing import Any

from pyVmomi import VmomiSupport, vim, vmodl

from asr_console.model.records import Event, EventSource
from asr_console.sources.vmware.session import Login


class EventReader:
    """Events newer than the last one read; the collector is recreated for each new login."""

    def __init__(self, page: int) -> None:
        self.page = page
        self._generation = -1
        self._collector: Any = None
        self._last_key = -1

    def read(self, session: Login) -> list[Event]:
        content = session.si.content
        if self._generation != session.generation:
            collector = content.eventManager.CreateCollectorForEvents(filter=vim.event.EventFilterSpec())
            with contextlib.suppress(vmodl.MethodFault):
                collector.SetCollectorPageSize(self.page)
            self._collector = collector
            self._generation = session.generation
        page = sorted(self._collector.latestPage or (), key=lambda e: e.key)
        if page and page[-1].key < self._last_key:
            self._last_key = -1  # a different (restarted) vCenter: its keys start again
        fresh = [e for e in page if e.key > self._last_key]
        if page:
            self._last_key = max(self._last_key, page[-1].key)
        return [_event(e) for e in fresh]


def _event_severity(event: Any) -> str:
    severity = str(getattr(event, "severity", "") or "").lower()
    if severity in ("error", "warning", "info"):
        return severity
    name = event._wsdlName
    if any(word in name for word in ("Failed", "Error", "Crashed")):
        return "error"
    if any(word in name for word in ("Disconnected", "Warning", "Lost", "NotResponding", "Alarm")):
        return "warning"
    return "info"


def _event(event: Any) -> Event:
    entity_id = entity_name = ""
    for attr, ref in (
        ("vm", "vm"),
        ("host", "host"),
        ("computeResource", "computeResource"),
        ("ds", "datastore"),
        ("net", "network"),
        ("datacenter", "datacenter"),
    ):
        argument = getattr(event, attr, None)
        target = getattr(argument, ref, None) if argument is not None else None
        if argument is not None:
            entity_id = target._moId if isinstance(target, VmomiSupport.ManagedObject) else ""
            entity_name = str(getattr(argument, "name", "") or "")
            break
    created = event.createdTime
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    message = str(event.fullFormattedMessage or event._wsdlName)
    return Event(
        id=f"vcenter:{event.key}:{int(created.timestamp())}",
        time=created.astimezone(UTC),
        source=EventSource.VCENTER,
        message=message.strip(),
        severity=_event_severity(event),
        event_type=event._wsdlName,
        entity_id=entity_id,
        entity_name=entity_name,
    )

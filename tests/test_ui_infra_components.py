"""The infrastructure pane lists the appliance's components under it: a row each with its kind,
health, heartbeat age and version (with the newest of its kind when it is behind), following the
fabric's record as it changes; Enter shows one in full."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from asr_console.model.records import ApplianceComponent, ComponentKind, Fabric, Health, HealthError
from asr_console.model.store import Batch
from asr_console.widgets.infra import InfraView
from tests.test_ui_panes import row_text
from tests.ui_fixtures import FABRIC, NOW, build_store, make_test_app, open_pane
from tests.waiting import wait_until


def part(kind: ComponentKind, machine: str, version: str, **fields: object) -> ApplianceComponent:
    healthy = ApplianceComponent(
        kind=kind,
        id=f"{kind.value}-{machine}",
        name=machine,
        fabric_id=FABRIC,
        version=version,
        health=Health.NORMAL,
        last_heartbeat=NOW - timedelta(minutes=1),
    )
    return dataclasses.replace(healthy, **fields)  # type: ignore[arg-type]


PUSHER = part(
    ComponentKind.PUSH_INSTALLER,
    "app-01",
    "9.63.1.1",
    health=Health.WARNING,
    last_heartbeat=NOW - timedelta(minutes=45),
    health_errors=(
        HealthError(code="78703", message="no heartbeat", recommended_action="Start the service"),
    ),
)
MARS = part(ComponentKind.MARS_AGENT, "app-01", "2.0.9296.0", health=Health.CRITICAL)
OLD_AGENT = part(ComponentKind.REPLICATION_AGENT, "app-02", "9.62.1.1")
NEW_AGENT = part(ComponentKind.REPLICATION_AGENT, "app-01", "9.63.1.1")


async def test_component_rows_follow_their_fabric_and_open_in_full() -> None:
    store = build_store()
    fabric = store.typed(Fabric, FABRIC)
    assert fabric is not None
    store.apply(Batch().upsert(dataclasses.replace(fabric, components=(PUSHER, MARS, OLD_AGENT, NEW_AGENT))))
    app = make_test_app(store=store)
    async with app.run_test(size=(140, 40)) as pilot:
        view = await open_pane(pilot, app, "infra", InfraView, 3 + 4)  # fabric, ps, vCenter + components
        table = view.table
        pusher = row_text(table, PUSHER.key)
        assert "push installer" in pusher and "app-01" in pusher and "Warning" in pusher
        assert "45m" in pusher and "version 9.63.1.1" in pusher
        assert "Critical" in row_text(table, MARS.key)
        assert "version 9.62.1.1, newest 9.63.1.1" in row_text(table, OLD_AGENT.key)
        assert "newest" not in row_text(table, NEW_AGENT.key)

        # the fabric's next read: the MARS agent is gone, the old agent updated
        updated = dataclasses.replace(OLD_AGENT, version="9.63.1.1")
        latest = store.typed(Fabric, FABRIC)
        assert latest is not None
        app.store.apply(Batch().upsert(dataclasses.replace(latest, components=(PUSHER, updated, NEW_AGENT))))
        await wait_until(lambda: table.row_count == 3 + 3, pilot=pilot)
        assert MARS.key not in table.visible_keys
        assert "newest" not in row_text(table, OLD_AGENT.key)

        assert table.move_cursor_to(PUSHER.key)
        await pilot.press("enter")
        await wait_until(lambda: type(app.screen).__name__ == "RecordDetailScreen", pilot=pilot)
        body = str(app.screen.query_one("#detail-body").render())
        assert "push-installer" in body and "recommended action: Start the service" in body

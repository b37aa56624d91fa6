"""The enable dialog's networks default to the profile's network map on the simulated site: one VM
shows its port group's mapping preselected with where it came from and sends it; VMs on different port
groups each keep their own mapping (listed per VM and in the plan), and what the site created is each
VM's mapped subnet."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from textual.widgets import Select

from asr_console.app import make_app
from asr_console.config import Settings
from asr_console.model.arm import same_arm_id
from asr_console.model.network_plan import parse_network_map, port_groups
from asr_console.model.records import Policy, ProtectedItem, Provider, VirtualMachine
from asr_console.screens.enable import EnableReplicationScreen, blocking_reasons, protectable_for
from asr_console.session import build_session
from asr_console.sim import make_demo_site
from asr_console.sim.inventory import SimulatedInventory
from asr_console.widgets.inventory import InventoryView
from tests.arm_site import on_site
from tests.test_ui_lifecycle import pick
from tests.test_ui_simulated import FAST
from tests.ui_fixtures import screen_as, select_values
from tests.waiting import wait_until

PLAN = {
    "dvPG-Web-110": {
        "network": "vnet-dr-weu",
        "subnet": "snet-web",
        "test_network": "vnet-dr-test",
        "test_subnet": "snet-test",
    },
    "dvPG-App-120": {"network": "vnet-dr-weu", "subnet": "snet-app"},
}


@asynccontextmanager
async def mapped_app() -> AsyncIterator[tuple[Any, Any, Any]]:
    site = make_demo_site(vms=60, protected=30, seed=5, speed=0.0, provider="inmagercm")
    async with on_site(site) as service:
        settings = Settings(profile="sim", network_map=parse_network_map(PLAN))
        session = build_session(settings, service, SimulatedInventory(site, poll=0.05), intervals=FAST)
        session.clock = site.clock.now
        yield make_app(session), session, site


async def open_dialog(
    app: Any, pilot: Any, store: Any, groups: list[str]
) -> tuple[Any, list[VirtualMachine]]:
    """Mark one enableable VM on each port group (a single NIC) and press e."""
    await pilot.press("colon", *"vms", "enter")
    await wait_until(lambda: app.current_mode == "vms", pilot=pilot)
    view = app.screen.query_one(InventoryView)
    await wait_until(lambda: view.table.row_count == 60, timeout=15, pilot=pilot)
    await wait_until(lambda: len(store.join.pairs()) == 30, timeout=15, pilot=pilot)

    def on(group: str) -> VirtualMachine | None:
        return next(
            (
                vm
                for vm in sorted(store.all(VirtualMachine), key=lambda v: v.name)
                if port_groups(vm) == (group,)
                and vm.power_state == "poweredOn"
                and store.item_for_vm(vm.moref) is None
                and protectable_for(store, vm) is not None
                and not blocking_reasons(store, vm)
            ),
            None,
        )

    await wait_until(lambda: all(on(g) for g in groups), timeout=15, pilot=pilot)
    vms = [vm for g in groups if (vm := on(g)) is not None]
    view.table.focus()
    for vm in vms:
        assert view.table.move_cursor_to(vm.moref)
        await pilot.press("space")
    await pilot.press("e")
    await wait_until(lambda: type(app.screen).__name__ == "EnableReplicationScreen", pilot=pilot)
    dialog = screen_as(app, EnableReplicationScreen)
    await wait_until(lambda: bool(dialog.targets.networks), timeout=10, pilot=pilot)
    await pilot.pause()
    return dialog, vms


async def fill_the_rest(dialog: Any, pilot: Any, store: Any) -> None:
    policy = next(
        p
        for p in sorted(store.all(Policy), key=lambda p: p.name)
        if p.provider is Provider.INMAGE_RCM
        and any(same_arm_id(i.policy_id, p.id) for i in store.all(ProtectedItem))
    )
    dialog.query_one("#en-policy", Select).value = policy.id
    await pilot.pause()
    pick(dialog.query_one("#en-rg", Select), "rg-dr-recovery")
    pick(dialog.query_one("#en-cache", Select), "stasrcacheweu01")
    dialog.query_one("#en-ps", Select).value = select_values(dialog.query_one("#en-ps", Select))[0]
    await pilot.pause()


async def test_one_vm_shows_and_sends_its_port_groups_mapping() -> None:
    async with mapped_app() as (app, session, site), app.run_test(size=(160, 50)) as pilot:
        dialog, [vm] = await open_dialog(app, pilot, session.store, ["dvPG-Web-110"])
        listed = str(dialog.query_one("#en-vms").render())
        assert (
            "→ vnet-dr-weu / snet-web, test vnet-dr-test / snet-test (from network map: dvPG-Web-110)"
            in listed
        )
        assert str(dialog.query_one("#en-net-origin").render()) == "from network map: dvPG-Web-110"
        scope = site.scope
        await wait_until(lambda: dialog.query_one("#en-subnet", Select).value == "snet-web", pilot=pilot)
        assert dialog.query_one("#en-network", Select).value == scope.network_id("vnet-dr-weu")
        assert dialog.query_one("#en-test-network", Select).value == scope.network_id("vnet-dr-test")
        await wait_until(
            lambda: dialog.query_one("#en-test-subnet", Select).value == "snet-test", pilot=pilot
        )
        await fill_the_rest(dialog, pilot, session.store)
        await pilot.press("ctrl+r")
        await wait_until(lambda: type(app.screen).__name__ == "ConfirmScreen", pilot=pilot)
        plan = str(app.screen.query_one("#confirm-plan").render())
        assert "Target network: vnet-dr-weu / snet-web (from network map: dvPG-Web-110)" in plan
        assert "Test network: vnet-dr-test / snet-test" in plan
        before = set(site.items)
        await pilot.press("y")
        await wait_until(lambda: set(site.items) != before, timeout=10, pilot=pilot)
        [item] = [site.items[n] for n in set(site.items) - before]
        assert (item.friendly_name, item.target_network_id, item.target_subnet) == (
            vm.name,
            scope.network_id("vnet-dr-weu"),
            "snet-web",
        )
        assert (item.test_network_id, item.test_subnet) == (scope.network_id("vnet-dr-test"), "snet-test")


async def test_vms_on_different_port_groups_each_get_their_own_mapping() -> None:
    async with mapped_app() as (app, session, site), app.run_test(size=(160, 50)) as pilot:
        dialog, [web, app_vm] = await open_dialog(app, pilot, session.store, ["dvPG-Web-110", "dvPG-App-120"])
        listed = str(dialog.query_one("#en-vms").render())
        assert "(from network map: dvPG-Web-110)" in listed and "(from network map: dvPG-App-120)" in listed
        assert "per VM" in str(dialog.query_one("#en-net-origin").render())
        assert dialog.query_one("#en-network", Select).value is Select.NULL  # no one network for both
        await fill_the_rest(dialog, pilot, session.store)
        await pilot.press("ctrl+r")
        await wait_until(lambda: type(app.screen).__name__ == "ConfirmScreen", pilot=pilot)
        plan = str(app.screen.query_one("#confirm-plan").render())
        assert (
            f"Networks of {web.name}: vnet-dr-weu / snet-web, test vnet-dr-test / snet-test "
            "(from network map: dvPG-Web-110)" in plan
        )
        assert (
            f"Networks of {app_vm.name}: vnet-dr-weu / snet-app, test none (from network map: dvPG-App-120)"
            in plan
        )
        before = set(site.items)
        await pilot.press("y")
        await wait_until(lambda: len(set(site.items) - before) == 2, timeout=10, pilot=pilot)
        created = {site.items[n].friendly_name: site.items[n] for n in set(site.items) - before}
        assert {name: (i.target_subnet, i.test_subnet) for name, i in created.items()} == {
            web.name: ("snet-web", "snet-test"),
            app_vm.name: ("snet-app", ""),
        }


async def test_a_vm_on_an_unmapped_port_group_is_named_until_a_network_is_picked() -> None:
    async with mapped_app() as (app, session, site), app.run_test(size=(160, 50)) as pilot:
        dialog, [vm] = await open_dialog(app, pilot, session.store, ["dvPG-Mgmt-10"])
        listed = str(dialog.query_one("#en-vms").render())
        assert (
            "network: port group dvPG-Mgmt-10 is not in the network map: choose a target network below"
            in listed
        )
        assert dialog.query_one("#en-network", Select).value is Select.NULL
        await fill_the_rest(dialog, pilot, session.store)
        await pilot.press("ctrl+r")
        await wait_until(lambda: bool(dialog.errors), pilot=pilot)
        assert [(e.field, e.message) for e in dialog.errors] == [
            ("target_network", f"{vm.name}: port group dvPG-Mgmt-10 is not in the network map: choose one")
        ]
        before = set(site.items)
        network = pick(dialog.query_one("#en-network", Select), "vnet-dr-weu")
        await pilot.pause()
        await pilot.press("ctrl+r")
        await wait_until(lambda: type(app.screen).__name__ == "ConfirmScreen", pilot=pilot)
        assert "Target network: vnet-dr-weu\n" in str(app.screen.query_one("#confirm-plan").render()) + "\n"
        await pilot.press("y")
        await wait_until(lambda: set(site.items) != before, timeout=10, pilot=pilot)
        [item] = [site.items[n] for n in set(site.items) - before]
        assert same_arm_id(item.target_network_id, network) and item.target_subnet == ""

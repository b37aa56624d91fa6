"""The whole life of a replicated VM from the TUI on the simulated site: from the VMs pane, enable
replication (every target asked for with pickers), let initial replication finish, then test failover →
cleanup → failover → commit → re-protect → failback → commit → re-protect back to Azure from the
failover dialog; after each step the item's state and direction as the store shows them."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, Select

from asr_console.model.arm import same_arm_id
from asr_console.model.records import TO_AZURE, TO_VMWARE, Policy, ProtectedItem, Provider, VirtualMachine
from asr_console.screens.enable import EnableReplicationScreen, blocking_reasons, protectable_for
from asr_console.sim.state_machines import Phase
from asr_console.widgets.failover import FailoverView
from asr_console.widgets.inventory import InventoryView
from asr_console.widgets.progress import JobProgress
from tests.test_ui_failback import run_operation
from tests.test_ui_simulated import job_state, simulated_app
from tests.ui_fixtures import screen_as, select_values
from tests.waiting import wait_until


def pick(select: Select[Any], name: str) -> str:
    """Choose the option whose ARM id (or value) ends with ``name``: the pickers show names, send ids."""
    value = next(str(v) for v in select_values(select) if str(v).rsplit("/", 1)[-1] == name)
    select.value = value
    return value


async def test_enable_then_test_failover_failover_reprotect_failback_and_back_from_the_tui() -> None:
    async with simulated_app() as (app, session, site):
        store = session.store
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.press("colon", *"vms", "enter")
            await wait_until(lambda: app.current_mode == "vms", pilot=pilot)
            view = app.screen.query_one(InventoryView)
            await wait_until(lambda: view.table.row_count == 60, timeout=15, pilot=pilot)
            await wait_until(lambda: len(store.join.pairs()) == 30, timeout=15, pilot=pilot)

            def enableable(vm: VirtualMachine) -> bool:
                # running: a powered-off VM writes nothing, its initial replication would not move
                return (
                    vm.power_state == "poweredOn"
                    and store.item_for_vm(vm.moref) is None
                    and protectable_for(store, vm) is not None
                    and not blocking_reasons(store, vm)
                )

            await wait_until(lambda: any(enableable(v) for v in store.all(VirtualMachine)), pilot=pilot)
            vm = next(v for v in sorted(store.all(VirtualMachine), key=lambda v: v.name) if enableable(v))

            # ---- enable replication: mark the VM, e, fill every picker, confirm with y
            view.table.focus()
            assert view.table.move_cursor_to(vm.moref)
            await pilot.press("space", "e")
            await wait_until(lambda: type(app.screen).__name__ == "EnableReplicationScreen", pilot=pilot)
            dialog = screen_as(app, EnableReplicationScreen)
            assert f"{vm.name}: will replicate" in str(dialog.query_one("#en-vms").render())
            await wait_until(lambda: bool(dialog.targets.storage), timeout=10, pilot=pilot)
            await pilot.pause()
            policy = next(
                p
                for p in sorted(store.all(Policy), key=lambda p: p.name)
                if p.provider is Provider.INMAGE_RCM
                and any(same_arm_id(i.policy_id, p.id) for i in store.all(ProtectedItem))
            )
            dialog.query_one("#en-policy", Select).value = policy.id
            await pilot.pause()
            pick(dialog.query_one("#en-rg", Select), "rg-dr-recovery")
            network = pick(dialog.query_one("#en-network", Select), "vnet-dr-weu")
            await pilot.pause()
            dialog.query_one("#en-subnet", Select).value = "snet-app"
            test_network = pick(dialog.query_one("#en-test-network", Select), "vnet-dr-test")
            await pilot.pause()
            dialog.query_one("#en-test-subnet", Select).value = "snet-test"
            cache = pick(dialog.query_one("#en-cache", Select), "stasrcacheweu01")
            servers = select_values(dialog.query_one("#en-ps", Select))
            assert servers  # the process servers of the policy's appliance
            dialog.query_one("#en-ps", Select).value = servers[0]
            await pilot.pause()
            await pilot.press("ctrl+r")
            await wait_until(lambda: type(app.screen).__name__ == "ConfirmScreen", pilot=pilot)
            plan = str(app.screen.query_one("#confirm-plan").render())
            assert f"VM: {vm.name}" in plan and f"Policy: {policy.name}" in plan
            assert "Target network: vnet-dr-weu / snet-app" in plan
            assert "Test network: vnet-dr-test / snet-test" in plan
            assert "Cache storage account: stasrcacheweu01" in plan
            await pilot.press("y")
            progress = dialog.query_one(JobProgress)
            await wait_until(lambda: bool(progress.job_ids), timeout=10, pilot=pilot)
            enable_job = progress.job_ids[-1]
            assert site.run_until(lambda: job_state(site, enable_job) != "InProgress", limit=3600)
            assert job_state(site, enable_job) == "Succeeded"
            await pilot.press("escape")
            await wait_until(lambda: app.current_mode == "vms" and not app.screen.is_modal, pilot=pilot)

            # ---- initial replication runs on the site until the item is protected
            assert site.run_until(
                lambda: any(
                    i.vm_moref == vm.moref and i.phase is Phase.PROTECTED for i in site.items.values()
                ),
                limit=86_400,
            )
            await wait_until(lambda: store.item_for_vm(vm.moref) is not None, timeout=15, pilot=pilot)
            found = store.item_for_vm(vm.moref)
            assert isinstance(found, ProtectedItem)
            item_id = found.id

            def now() -> ProtectedItem:
                current = store.typed(ProtectedItem, item_id)
                assert isinstance(current, ProtectedItem)
                return current

            async def allows(name: str) -> None:
                await wait_until(lambda: name in now().allowed_operations, timeout=15, pilot=pilot)

            await allows("TestFailover")
            assert (now().protection_state, now().direction) == ("Protected", TO_AZURE)
            assert same_arm_id(now().recovery_network_id, network)
            assert same_arm_id(now().test_network_id, test_network)
            assert same_arm_id(now().log_storage_account_id, cache)

            # ---- the failover pane: test failover into the test network, then its cleanup
            await pilot.press("colon", *"failover", "enter")
            await wait_until(lambda: app.current_mode == "failover", pilot=pilot)
            table = app.screen.query_one(FailoverView).table
            await wait_until(lambda: table.row_count == 31, timeout=15, pilot=pilot)

            async def into_test_network(fo: Any) -> None:
                fo.query_one("#fo-network-pick", Select).value = now().test_network_id
                await pilot.pause()
                assert "Test network: vnet-dr-test" in str(fo.query_one("#fo-preview").render())

            await run_operation(app, pilot, site, now(), "TestFailover", into_test_network)
            await allows("TestFailoverCleanup")
            assert now().test_failover_state == "WaitingForCompletion"

            async def with_notes(fo: Any) -> None:
                fo.query_one("#fo-notes", Input).value = "RDP and the app answer on the test VM"
                await pilot.pause()
                assert "Notes: RDP and the app" in str(fo.query_one("#fo-preview").render())

            await run_operation(app, pilot, site, now(), "TestFailoverCleanup", with_notes)
            await allows("TestFailover")
            assert now().test_failover_state != "WaitingForCompletion"

            # ---- failover to Azure, commit
            await run_operation(app, pilot, site, now(), "UnplannedFailover")
            await allows("Commit")
            assert now().active_location == "Recovery"
            await run_operation(app, pilot, site, now(), "Commit")
            await allows("ReverseReplicate")

            # ---- re-protect towards VMware: the agent, a datastore it reaches, a cache storage account
            fabric = site.fabrics[now().fabric_id.rsplit("/", 1)[-1]]
            chosen: dict[str, str] = {}

            async def towards_vmware(fo: Any) -> None:
                assert select_values(fo.query_one("#fo-agent", Select)) == [fabric.reprotect_agent_name]
                datastore = fo.query_one("#fo-datastore", Select)
                await wait_until(lambda: len(select_values(datastore)) == len(fabric.datastores), pilot=pilot)
                datastore.value = chosen["datastore"] = str(select_values(datastore)[-1])
                storage = fo.query_one("#fo-cache", Select)
                await wait_until(lambda: len(select_values(storage)) > 1, timeout=10, pilot=pilot)
                chosen["cache"] = pick(storage, "stasrcacheweu02")
                await pilot.pause()
                preview = str(fo.query_one("#fo-preview").render())
                assert f"datastore {chosen['datastore']}" in preview and "stasrcacheweu02" in preview

            await run_operation(app, pilot, site, now(), "ReverseReplicate", towards_vmware)
            await wait_until(lambda: now().direction == TO_VMWARE, timeout=15, pilot=pilot)
            assert now().datastore_name == chosen["datastore"]
            assert same_arm_id(now().log_storage_account_id, chosen["cache"])

            # ---- failback to VMware, commit
            await allows("PlannedFailover")
            await run_operation(app, pilot, site, now(), "PlannedFailover")
            await allows("Commit")
            assert now().active_location == "Primary"
            await run_operation(app, pilot, site, now(), "Commit")
            await allows("ReverseReplicate")

            # ---- re-protect back to Azure through a process server of the appliance
            async def back_to_azure(fo: Any) -> None:
                agent = fo.query_one("#fo-agent", Select)
                assert select_values(agent) == [ps.name for ps in fabric.process_servers]
                assert fo.query_one("#fo-cache").has_class("hidden")

            await run_operation(app, pilot, site, now(), "ReverseReplicate", back_to_azure)
            await wait_until(lambda: now().direction == TO_AZURE, timeout=15, pilot=pilot)
            await allows("UnplannedFailover")
            assert (now().active_location, now().protection_state) == ("Primary", "Protected")

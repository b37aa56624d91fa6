"""The network plan view (``:network``) on the simulated site: port groups with their mapping, unmapped
first, and the VMs whose addresses the mapped subnet does not hold (checked against the Azure networks
the site serves through the official network client)."""

from __future__ import annotations

from asr_console.app import make_app
from asr_console.config import Settings
from asr_console.model.network_plan import parse_network_map
from asr_console.session import build_session
from asr_console.sim import make_demo_site
from asr_console.sim.inventory import SimulatedInventory
from asr_console.widgets.network import NetworkView
from tests.arm_site import on_site
from tests.test_ui_simulated import FAST
from tests.waiting import wait_until

PLAN = {
    # the web tier's VMs are in 10.20.0.0/16 on-premises: none of them fits snet-web (10.10.3.0/24)
    "dvPG-Web-110": {"network": "vnet-dr-weu", "subnet": "snet-web", "test_network": "vnet-dr-test"},
    "dvPG-App-120": {"network": "vnet-dr-weu", "subnet": "snet-nowhere"},
}


async def test_network_view_lists_mappings_unmapped_first_and_addresses_outside() -> None:
    site = make_demo_site(vms=60, protected=30, seed=5, speed=0.0, provider="inmagercm")
    async with on_site(site) as service:
        settings = Settings(profile="sim", network_map=parse_network_map(PLAN))
        session = build_session(settings, service, SimulatedInventory(site, poll=0.05), intervals=FAST)
        app = make_app(session)
        async with app.run_test(size=(160, 40)) as pilot:
            await pilot.press("colon", *"network", "enter")
            await wait_until(lambda: app.current_mode == "network", pilot=pilot)
            view = app.screen.query_one(NetworkView)
            await wait_until(lambda: view.table.row_count == 5, timeout=15, pilot=pilot, what="5 port groups")
            await wait_until(lambda: view.azure_networks is not None, timeout=15, pilot=pilot)
            rows = {view.table.record(k).name: k for k in view.table.visible_keys}

            def cells(name: str) -> list[str]:
                return [c[0] if isinstance(c, tuple) else c for c in view.table.cells(rows[name])]

            # unmapped port groups come first
            order = [view.table.record(k).name for k in view.table.visible_keys]
            assert set(order[:3]) == {"VM Network", "dvPG-DB-130", "dvPG-Mgmt-10"}
            web = cells("dvPG-Web-110")
            assert web[3] == "vnet-dr-weu / snet-web" and web[4] == "vnet-dr-test"
            assert web[5].startswith("18: ")  # every web VM would get a new address
            assert "not found in Azure" in cells("dvPG-App-120")[5]
            assert cells("dvPG-Mgmt-10")[3] == "unmapped"
            assert "with VMs unmapped" in view.headline()

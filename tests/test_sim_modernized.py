"""A modernized vault as ASR runs one: the InMageRcm container lists no protectable items; the machines
come from the Azure Migrate VMware site the fabric names (``GET {vmwareSiteId}/machines``, OffAzure
2020-01-01, nextLink paging), read here through plain ARM GETs on the SDK client's pipeline."""

from __future__ import annotations

from typing import Any

from azure.core.rest import HttpRequest
from azure.mgmt.recoveryservicessiterecovery.aio import SiteRecoveryManagementClient

from asr_console.sim import SimEngine, make_demo_site
from asr_console.sim.arm_server import serve_site
from asr_console.sources.azure_auth import StaticTokenCredential


async def get(client: SiteRecoveryManagementClient, url: str) -> tuple[int, dict[str, Any]]:
    response = await client.send_request(HttpRequest("GET", url))
    await response.read()
    body: dict[str, Any] = response.json()
    return response.status_code, body


async def test_machines_come_from_the_vmware_site_and_enable_names_one() -> None:
    engine: SimEngine = make_demo_site(
        vms=25, protected=5, seed=4, speed=0.0, provider="inmagercm", modernized_discovery=True
    )
    async with serve_site(engine, page_size=10, lro_retry_after=0) as endpoint:
        client = SiteRecoveryManagementClient(
            StaticTokenCredential("t"),
            endpoint.subscription,
            base_url=endpoint.arm_endpoint,
            connection_verify=endpoint.ca_bundle,
            retry_total=0,
        )
        try:
            fabric = await client.replication_fabrics.get(
                endpoint.resource_group, endpoint.vault, "appliance-weu-01"
            )
            site_id = fabric.as_dict()["properties"]["customDetails"]["vmwareSiteId"]
            assert "/providers/Microsoft.OffAzure/VMwareSites/" in site_id
            container = engine.fabrics["appliance-weu-01"].container
            protectable = client.replication_protectable_items.list_by_replication_protection_containers(
                endpoint.resource_group, endpoint.vault, "appliance-weu-01", container
            )
            assert [p async for p in protectable] == []

            machines: list[dict[str, Any]] = []
            url: str | None = f"{endpoint.arm_endpoint}{site_id}/machines?api-version=2020-01-01"
            pages = 0
            while url:
                status, page = await get(client, url)
                assert status == 200
                machines += page["value"]
                url = page.get("nextLink")
                pages += 1
            assert pages == 3 and len(machines) == 25  # 10 + 10 + 5
            by_uuid = {vm.instance_uuid: vm for vm in engine.estate.vms.values()}
            for machine in machines:
                props = machine["properties"]
                vm = by_uuid[props["instanceUuid"]]
                assert props["displayName"] == vm.name and props["biosGuid"] == vm.bios_uuid
                assert machine["name"] != vm.name  # the machine's name is an opaque id
                assert machine["id"].lower().startswith(site_id.lower() + "/machines/")
                assert [d["label"] for d in props["disks"]] == [d.label for d in vm.disks]
                assert all(d["uuid"] for d in props["disks"])

            status, _ = await get(client, f"{endpoint.arm_endpoint}{site_id}/machines?api-version=2025-08-01")
            assert status == 400  # OffAzure has its own api-version

            protected = {i.vm_moref for i in engine.items.values()}
            machine = next(
                m for m in machines if by_uuid[m["properties"]["instanceUuid"]].moref not in protected
            )
            f = engine.fabrics["appliance-weu-01"]
            policy = next(mp.policy for mp in engine.mappings.values() if mp.fabric == f.name)
            disk = machine["properties"]["disks"][0]["uuid"]
            body = {
                "properties": {
                    "policyId": engine.scope.policy_id(policy),
                    "providerSpecificDetails": {
                        "instanceType": "InMageRcm",
                        "fabricDiscoveryMachineId": machine["id"],
                        "targetResourceGroupId": engine.scope.resource_group_id("rg-dr-recovery"),
                        "processServerId": f.process_servers[0].id,
                        "disksToInclude": [
                            {
                                "diskId": disk,
                                "logStorageAccountId": engine.scope.storage_id("stasrcacheweu01"),
                                "diskType": "Standard_LRS",
                            }
                        ],
                    },
                }
            }
            await client.replication_protected_items.begin_create(
                endpoint.resource_group, endpoint.vault, f.name, f.container, "new-item", body
            )
            assert engine.items["new-item"].instance_uuid == machine["properties"]["instanceUuid"]
        finally:
            await client.close()

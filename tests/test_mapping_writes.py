"""Container mappings as 2025-08-01 defines them: create sends no provider input for VMware (the API
has none for InMageRcm), and an appliance's Mobility agent auto-upgrade is set with the mapping update
(``InMageRcmUpdateContainerMappingInput``) — sent through the SDK to the simulated vault, and each body
checked against its SDK input model independently of both."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.recoveryservicessiterecovery import models as m

from asr_console.model.records import Provider
from asr_console.sim import make_demo_site
from asr_console.sim.arm_server import serve_site
from asr_console.sources import azure_inputs as inputs
from tests.arm_site import sdk_service
from tests.test_operations import unknown_keys
from tests.test_simulated_sources import settle


def test_the_mapping_bodies_load_into_their_sdk_input_models() -> None:
    create = inputs.mapping_body("/subscriptions/s/policies/p", Provider.INMAGE_RCM)
    assert "providerSpecificInput" not in create["properties"]
    model = m.CreateProtectionContainerMappingInput(create)
    assert unknown_keys(model, create) == [] and model.as_dict() == create
    for auto in (True, False):
        update = inputs.mapping_update_body(auto)
        model_u = m.UpdateProtectionContainerMappingInput(update)
        assert unknown_keys(model_u, update) == [] and model_u.as_dict() == update
        details = model_u.properties.provider_specific_input  # type: ignore[union-attr]
        assert isinstance(details, m.InMageRcmUpdateContainerMappingInput)
        assert details.enable_agent_auto_upgrade == ("true" if auto else "false")


async def test_associate_then_switch_agent_auto_upgrade_off_through_the_sdk() -> None:
    engine = make_demo_site(vms=10, protected=2, seed=9, speed=0.0, provider="inmagercm")
    async with serve_site(engine, lro_retry_after=0) as site:
        service = sdk_service(site)
        try:
            infra = await service.infrastructure()
            container = infra.containers[0]
            policy = next(p for p in await service.policies() if p.name == "policy-unused-rcm")
            job = await service.associate_policy(policy.id, container.id)
            assert await settle(engine, service, job.id) == "Succeeded"
            mapping = next(
                mp
                for mp in (await service.infrastructure()).mappings
                if mp.policy_id.lower() == policy.id.lower()
            )
            name = mapping.id.rsplit("/", 1)[-1]
            fabric = mapping.id.split("/replicationFabrics/")[1].split("/")[0]
            wire = engine.get_mapping(fabric, container.name, name)
            assert wire["properties"]["providerSpecificDetails"]["enableAgentAutoUpgrade"] == "true"
            job = await service.update_mapping(mapping.id, auto_upgrade=False)
            assert await settle(engine, service, job.id) == "Succeeded"
            wire = engine.get_mapping(fabric, container.name, name)
            assert wire["properties"]["providerSpecificDetails"]["enableAgentAutoUpgrade"] == "false"

            # the input the console used to send on create is not one 2025-08-01 defines
            client = service.client
            body = {
                "properties": {
                    "targetProtectionContainerId": "Microsoft Azure",
                    "policyId": policy.id,
                    "providerSpecificInput": {"instanceType": "InMageRcm", "enableAgentAutoUpgrade": "true"},
                }
            }
            with pytest.raises(HttpResponseError) as caught:
                await client.replication_protection_container_mappings.begin_create(
                    site.resource_group, site.vault, fabric, container.name, "m-old", body
                )
            assert caught.value.status_code == 400
            assert "properties.providerSpecificInput.instanceType" in str(caught.value)
        finally:
            await service.close()

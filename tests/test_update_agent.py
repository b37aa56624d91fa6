"""Update Mobility service (issue 13 §5): the body ASR expects (checked against the SDK model on its own),
the simulated site upgrading the agent, and ``asr-console update-agent`` with its plan and refusals."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from azure.mgmt.recoveryservicessiterecovery import models as m

from asr_console.model.inputs import InvalidInput
from asr_console.model.operations import Operation, OperationInputs
from asr_console.sim import SimEngine, make_demo_site
from asr_console.sim.arm_server import SiteEndpoint, serve_site
from asr_console.sim.clock import DEFAULT_EPOCH
from asr_console.sim.items import AGENT_LATEST
from tests.arm_site import sdk_service
from tests.sdk_fields import rest_fields
from tests.test_failback import Recording, settle
from tests.test_status_command import clean_environment, connection_flags
from tests.test_write_commands import command, not_a_terminal, quick_polls

__all__ = ["clean_environment", "not_a_terminal", "quick_polls"]  # the autouse fixtures


@pytest.fixture
async def served() -> AsyncIterator[tuple[SimEngine, SiteEndpoint]]:
    engine = make_demo_site(vms=40, protected=24, seed=5, speed=0.0, provider="mixed", start=DEFAULT_EPOCH)
    async with serve_site(engine, lro_retry_after=0) as site:
        yield engine, site


def agent_of(engine: SimEngine, item_id: str) -> str:
    return engine.item_by_id(item_id).agent_version


async def test_update_sends_asrs_body_and_the_agent_is_the_latest_after_the_job(
    served: tuple[SimEngine, SiteEndpoint],
) -> None:
    engine, site = served
    svc = sdk_service(site, Recording)
    assert isinstance(svc, Recording)
    try:
        behind = [i for i in await svc.protected_items() if i.agent_upgradeable]
        assert behind, "the demo site has agents one version behind"
        item = behind[0]
        job = await svc.operate(Operation.UPDATE_MOBILITY_SERVICE, item.id, OperationInputs())
        assert await settle(engine, svc, job.id) == "Succeeded"
        op, body = svc.sent[-1]
        assert op is Operation.UPDATE_MOBILITY_SERVICE and body == {"properties": {}}
        # independently of both: it loads into the SDK's input model with no key the model lacks
        model = m.UpdateMobilityServiceRequest(body)
        assert set(body) <= set(rest_fields(m.UpdateMobilityServiceRequest)) and model.as_dict() == body
        assert not (await svc.protected_item(item.id)).agent_upgradeable
        # the latest agent: refused before anything is sent
        sent = len(svc.sent)
        with pytest.raises(InvalidInput, match="latest Mobility service"):
            await svc.operate(Operation.UPDATE_MOBILITY_SERVICE, item.id, OperationInputs())
        assert len(svc.sent) == sent
    finally:
        await svc.close()


async def test_the_site_refuses_an_update_with_an_unknown_key(served: tuple[SimEngine, SiteEndpoint]) -> None:
    _engine, site = served
    svc = sdk_service(site)
    try:
        item = next(i for i in await svc.protected_items() if i.agent_upgradeable)
        fabric, container, name = (item.id.split("/")[i] for i in (-5, -3, -1))
        client: Any = svc.client
        from azure.core.exceptions import HttpResponseError

        with pytest.raises(HttpResponseError, match="agentVersion"):
            poller = await client.replication_protected_items.begin_update_mobility_service(
                site.resource_group,
                site.vault,
                fabric,
                container,
                name,
                {"properties": {"agentVersion": "9.63"}},
            )
            await poller.result()
    finally:
        await svc.close()


async def test_update_agent_command_plans_sends_and_refuses_the_current(
    served: tuple[SimEngine, SiteEndpoint], capsys: pytest.CaptureFixture[str]
) -> None:
    engine, site = served
    svc = sdk_service(site)
    try:
        items = await svc.protected_items()
    finally:
        await svc.close()
    behind = next(i for i in items if i.agent_upgradeable)
    current = next(i for i in items if not i.agent_upgradeable and i.agent_version == i.agent_latest_version)
    flags = connection_flags(site)
    code, out, err = await command(capsys, "update-agent", behind.display_name, "--dry-run", "--json", *flags)
    assert (code, err) == (0, "")
    plan = json.loads(out)["plan"][0]
    assert plan["operation"] == "update-agent" and "→" in plan["inputs"]["agent"]
    code, out, err = await command(capsys, "update-agent", current.display_name, "--yes", *flags)
    assert code == 2 and current.display_name in err and "latest" in err
    code, out, err = await command(capsys, "update-agent", behind.display_name, "--yes", "--json", *flags)
    assert (code, err) == (0, ""), err
    job = json.loads(out)["jobs"][0]["job_id"]
    assert engine.run_until(lambda: engine.get_job(job)["properties"]["state"] != "InProgress", limit=7200)
    assert agent_of(engine, behind.id) == AGENT_LATEST != behind.agent_version

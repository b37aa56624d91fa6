"""``U`` in ``:policies``: the Mobility agents' auto-upgrade of a policy's modernized associations, as the
container mapping update, after the plan is confirmed (simulated site, real Actions)."""

from __future__ import annotations

from asr_console.model.queries import mappings_of_policy
from asr_console.model.records import ContainerMapping, Policy, Provider
from asr_console.widgets.policies import PoliciesView
from tests.test_ui_simulated import simulated_app
from tests.waiting import wait_until


async def test_auto_upgrade_toggles_after_the_plan_is_confirmed() -> None:
    async with simulated_app() as (app, session, site), app.run_test(size=(160, 48)) as pilot:
        store = session.store
        await pilot.press("3")
        view = app.screen.query_one(PoliciesView)
        await wait_until(
            lambda: any(m.agent_auto_upgrade is not None for m in store.all(ContainerMapping)),
            timeout=15,
            pilot=pilot,
        )
        policy = next(
            p
            for p in store.all(Policy)
            if p.provider is Provider.INMAGE_RCM
            and any(m.agent_auto_upgrade for m in mappings_of_policy(store, p.id))
        )
        await wait_until(lambda: view.table.move_cursor_to(policy.id), pilot=pilot, what="the policy's row")
        await pilot.press("U")
        await wait_until(lambda: type(app.screen).__name__ == "ConfirmScreen", pilot=pilot)
        assert not session.actions.in_flight()  # nothing sent before the confirmation
        await pilot.press("y")

        def upgraded() -> list[bool | None]:
            return [m.agent_auto_upgrade for m in mappings_of_policy(store, policy.id)]

        site.advance(600)  # the mapping update job runs on the site's clock
        await wait_until(lambda: upgraded() and not any(upgraded()), timeout=20, pilot=pilot, what="off")

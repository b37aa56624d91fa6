"""Building a simulated site from its seed: fabrics (appliance and/or configuration server), policies,
mappings, protected items in realistic states, job history and recovery plans."""

from __future__ import annotations

import random

from asr_console.sim.components import demo_components
from asr_console.sim.history import History
from asr_console.sim.ids import seeded_uuid
from asr_console.sim.infra import CS_CERT_DAYS, DAY, SimFabric, SimMapping, SimPolicy, SimProcessServer
from asr_console.sim.items import CLASSIC, RCM
from asr_console.sim.site_state import SiteState
from asr_console.sim.state_machines import Phase, TestFailover
from asr_console.sim.tick_model import TickModel


class SiteBuilder:
    """Fills an empty site's state from its seed; the tick model settles health and load at the end."""

    def __init__(self, state: SiteState, model: TickModel) -> None:
        self.state = state
        self.model = model

    def build(self, protected: int, history_jobs: int) -> None:
        rng = self.state.rng
        kinds = {"inmagercm": [RCM], "inmageazurev2": [CLASSIC], "mixed": [RCM, CLASSIC]}[self.state.provider]
        for kind in kinds:
            n_ps = 1 + max(0, (protected // len(kinds) - 1) // 150)
            if kind == RCM:
                name, friendly, version = "appliance-weu-01", "asr-appliance-01", "9.63.7187.1"
            else:
                name, friendly, version = "config-server-01", "asr-cs-01", "9.55.6765.1"
            servers = [
                SimProcessServer(
                    id=seeded_uuid(rng),
                    name=f"{friendly}" if i == 0 else f"{friendly}-ps{i + 1:02d}",
                    ip=f"10.0.{1 + len(self.state.fabrics)}.{10 + i}",
                )
                for i in range(n_ps)
            ]
            fabric = SimFabric(
                name=name,
                provider=kind,
                friendly_name=friendly,
                container=f"{name}-container",
                process_servers=servers,
                version=version,
                datastores=self.state.estate.datastore_names(),
            )
            if kind == RCM:
                now = self.state.elapsed
                fabric.components = demo_components(name, friendly, friendly.replace("-01", "-02"), now)
            else:
                fabric.cert_expiry = self.state.elapsed + CS_CERT_DAYS * DAY
            self.state.fabrics[name] = fabric
            policy = (
                SimPolicy("policy-modernized-24h", RCM, retention_minutes=1440, app_minutes=240)
                if kind == RCM
                else SimPolicy(
                    "policy-classic-72h",
                    CLASSIC,
                    retention_minutes=4320,
                    app_minutes=60,
                    rpo_threshold_minutes=60,
                )
            )
            self.state.policies[policy.name] = policy
            mapping = SimMapping(
                name=f"{fabric.container}-{policy.name}",
                fabric=name,
                container=fabric.container,
                policy=policy.name,
                provider=kind,
            )
            self.state.mappings[mapping.name] = mapping
        self.state.policies["policy-unused-rcm"] = SimPolicy(
            "policy-unused-rcm", RCM, retention_minutes=4320, app_minutes=0
        )

        fabrics = list(self.state.fabrics.values())
        vms = list(self.state.estate.vms.values())
        chosen = sorted(rng.sample(range(len(vms)), protected))
        target_rg = self.state.scope.resource_group_id("rg-dr-recovery")
        target_net = self.state.scope.network_id("vnet-dr-weu")
        # isolated networks for test failovers, never the failover network (ASR-NOTES)
        test_nets = (
            self.state.scope.network_id("vnet-dr-test"),
            self.state.scope.network_id("vnet-dr-test-isolated"),
        )
        for n, index in enumerate(chosen):
            vm = vms[index]
            fabric = fabrics[n % len(fabrics)]
            policy_name = next(m.policy for m in self.state.mappings.values() if m.fabric == fabric.name)
            ps = fabric.process_servers[n // len(fabrics) // 150 % len(fabric.process_servers)]
            name = self.state.protectable_name(fabric, vm.instance_uuid)
            if fabric.provider == CLASSIC:
                name = seeded_uuid(rng)  # classic items carry generated names
            item = self.state.new_item(
                name,
                fabric,
                vm,
                policy_name,
                ps,
                target_rg,
                target_net,
                self.state.scope.storage_id("stasrcacheweu01"),
            )
            age = rng.uniform(3, 120) * 86_400
            item.created = self.state.elapsed - age
            item.agent_heartbeat = self.state.elapsed - rng.uniform(0, 60)
            roll = rng.random()
            if roll < 0.05:
                item.phase = Phase.INITIAL_REPLICATION
                item.ir_percent = rng.uniform(2, 95)
                item.created = self.state.elapsed - rng.uniform(1, 20) * 3600
            else:
                item.phase = Phase.PROTECTED
                item.last_rp = self.state.elapsed - rng.uniform(30, 300)
                item.last_app_rp = self.state.elapsed - rng.uniform(0, 3600)
                if rng.random() < 0.25:
                    item.last_test_failover = self.state.elapsed - rng.uniform(5, 90) * 86_400
                    item.test_network_id = test_nets[1 if n % 3 == 2 else 0]
                if roll > 0.985:
                    item.resync_required = True
                elif roll > 0.97:
                    item.test_failover = TestFailover.CLEANUP_PENDING
                    item.test_network_id = self.state.scope.network_id("vnet-dr-test")
                    item.last_test_failover = self.state.elapsed - rng.uniform(1, 48) * 3600
                elif roll > 0.95:
                    item.vss_broken = True
                    item.last_app_rp = self.state.elapsed - rng.uniform(3, 10) * 3600
            if item.last_test_failover is not None:
                # a test failover needs a recovery point: the item was protected a day before it at least
                item.created = min(item.created, item.last_test_failover - DAY)
            self.state.items[item.name] = item
            if vm.power_state != "poweredOn":
                # off for hours: no heartbeat since, so no recovery point since either (RPO grows)
                item.source_running = False
                silent = rng.uniform(1, 48) * 3600
                held = self.state.policies.get(item.policy)
                if held is not None:
                    # off for less than the policy keeps points: its last ones are still listed
                    silent = min(silent, max(600.0, held.retention_minutes * 60 - 2 * 3600))
                item.agent_heartbeat = self.state.elapsed - silent
                if item.last_rp is not None:
                    item.last_rp -= silent  # the same lag behind the heartbeat; no draw keeps seeded sites
                    # it replicated before it went quiet: protected before its last point
                    item.created = min(item.created, item.last_rp - 3600)
                # and its agent answered when replication was enabled (enable pushes and registers it)
                item.created = min(item.created, item.agent_heartbeat - 3600)
            if item.last_app_rp is not None and item.last_rp is not None:
                item.last_app_rp = min(item.last_app_rp, item.last_rp)  # app points are among the points
        # the jobs that ran before the console started, as the items' states imply them; drawn from a
        # generator of their own so the site's draws do not depend on how much history it keeps
        History(self.state, random.Random(f"{self.state.seed}/history")).build(history_jobs)
        self.state.jobs = dict(sorted(self.state.jobs.items(), key=lambda kv: kv[1].start))
        names = list(self.state.items.values())
        # two recovery plans grouping some items, as admins build for application tiers
        if names:
            self.state.plans["rp-tier1-web"] = [i.name for i in names[: max(1, len(names) // 10)]]
            self.state.plans["rp-tier2-app"] = [
                i.name for i in names[len(names) // 10 : len(names) // 10 * 2 or 1]
            ]
            # the first tier's VMs are one multi-VM group (crash-consistent across the application)
            for name in self.state.plans["rp-tier1-web"]:
                self.state.items[name].multi_vm_group = "tier1-web"
        by_id = {ps.id: ps for f in self.state.fabrics.values() for ps in f.process_servers}
        for item in self.state.items.values():
            self.model.update_health(
                item,
                by_id.get(item.process_server_id),
                self.state.elapsed,
                self.state.estate.extra[item.vm_moref].churn_kbps,
            )
        self.model.count_load(by_id)
        self.state.events.clear()

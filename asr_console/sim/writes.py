"""The simulated site's writes: ARM request bodies in, validated before anything changes
(``InvalidInput``), and the ASR job each starts out; the jobs drive the state machines (test failover →
cleanup, failover → change recovery point → commit → re-protect, resync, enable/disable)."""

from __future__ import annotations

from typing import Any

from asr_console.model.operations import Operation
from asr_console.model.records import Provider
from asr_console.model.specs import (
    EnableReplicationSpec,
    FieldError,
    InvalidInput,
    validate_enable,
    validate_policy,
    validate_test_network,
)
from asr_console.sim.errors import not_found
from asr_console.sim.infra import SimMapping, SimPolicy
from asr_console.sim.items import CLASSIC, RCM
from asr_console.sim.site_state import SiteState
from asr_console.sim.state_machines import Phase, TestFailover, require
from asr_console.sim.wire_inputs import policy_spec, props


class ArmWrites(SiteState):
    # ================================================================== writes

    def create_policy(self, name: str, body: Any) -> str:
        self.step()
        details = props(body).get("providerSpecificInput") or {}
        spec = policy_spec(name, details)
        _raise(validate_policy(spec))
        policy = SimPolicy.from_spec(spec)

        def done() -> None:
            self.policies[name] = policy

        job = self._start("AddProtectionProfile", self.scope.policy_id(name), name, "ProtectionProfile", done)
        job.result = lambda: self.policies[name].to_arm(self.scope) if name in self.policies else None
        return job.name

    def update_policy(self, name: str, body: Any) -> str:
        self.step()
        old = self._policy(name)
        details = props(body).get("replicationProviderSettings") or {}
        spec = policy_spec(name, details)
        errors = validate_policy(spec)
        if (
            spec.provider is not Provider.OTHER
            and (RCM if spec.provider is Provider.INMAGE_RCM else CLASSIC) != old.provider
        ):
            errors.append(
                FieldError("provider", f"policy {name} is {old.provider}; its provider cannot change")
            )
        _raise(errors)
        policy = SimPolicy.from_spec(spec)

        def done() -> None:
            self.policies[name] = policy

        job = self._start(
            "UpdateProtectionProfile", self.scope.policy_id(name), name, "ProtectionProfile", done
        )
        job.result = lambda: self.policies[name].to_arm(self.scope) if name in self.policies else None
        return job.name

    def delete_policy(self, name: str) -> str:
        self.step()
        self._policy(name)
        in_use = [m.name for m in self.mappings.values() if m.policy == name]
        if in_use:
            _raise([FieldError("policy", f"{name} is associated ({', '.join(in_use)}); dissociate it first")])

        def done() -> None:
            self.policies.pop(name, None)

        return self._start(
            "DeleteProtectionProfile", self.scope.policy_id(name), name, "ProtectionProfile", done
        ).name

    def create_mapping(self, fabric: str, container: str, name: str, body: Any) -> str:
        self.step()
        f = self._fabric(fabric)
        if f.container != container:
            raise not_found("Protection container", container)
        p = props(body)
        policy_name = _last(p.get("policyId"))
        errors: list[FieldError] = []
        policy = self.policies.get(policy_name)
        if policy is None:
            errors.append(FieldError("policy", f"policy '{policy_name}' does not exist"))
        elif policy.provider != f.provider:
            errors.append(
                FieldError(
                    "policy", f"{policy_name} is an {policy.provider} policy; {fabric} needs {f.provider}"
                )
            )
        if any(m.fabric == fabric and m.policy == policy_name for m in self.mappings.values()):
            errors.append(FieldError("policy", f"{policy_name} is already associated with {container}"))
        _raise(errors)
        mapping = SimMapping(
            name=name, fabric=fabric, container=container, policy=policy_name, provider=f.provider
        )

        def done() -> None:
            self.mappings[name] = mapping

        job = self._start(
            "ConfigureProtection",
            self.scope.container_id(fabric, container),
            container,
            "ProtectionContainer",
            done,
        )
        job.result = lambda: self.mappings[name].to_arm(self.scope) if name in self.mappings else None
        return job.name

    def remove_mapping(self, fabric: str, container: str, name: str) -> str:
        self.step()
        mapping = self.mappings.get(name)
        if mapping is None or mapping.fabric != fabric or mapping.container != container:
            raise not_found("Protection container mapping", name)
        users = [
            i.friendly_name for i in self.items.values() if i.fabric == fabric and i.policy == mapping.policy
        ]
        if users:
            _raise(
                [
                    FieldError(
                        "mapping", f"{len(users)} protected items use {mapping.policy}; disable them first"
                    )
                ]
            )

        def done() -> None:
            self.mappings.pop(name, None)

        return self._start(
            "UnConfigureProtection",
            self.scope.container_id(fabric, container),
            container,
            "ProtectionContainer",
            done,
        ).name

    def enable_protection(self, fabric: str, container: str, name: str, body: Any) -> str:
        self.step()
        f = self._fabric(fabric)
        if f.container != container:
            raise not_found("Protection container", container)
        p = props(body)
        details = p.get("providerSpecificDetails") or {}
        provider = Provider.parse(details.get("instanceType"))
        protectable = _last(p.get("protectableItemId"))
        policy_name = _last(p.get("policyId"))
        if provider is Provider.INMAGE_RCM:
            target_rg = details.get("targetResourceGroupId") or ""
            target_net = details.get("targetNetworkId") or ""
            ps_id = details.get("processServerId") or ""
            disks = details.get("disksDefault") or {}
            log_sa = disks.get("logStorageAccountId") or ""
            if not disks and details.get("disksToInclude"):
                log_sa = details["disksToInclude"][0].get("logStorageAccountId") or ""
            disk_type = disks.get("diskType") or "Standard_LRS"
        else:
            target_rg = details.get("targetAzureV2ResourceGroupId") or ""
            target_net = details.get("targetAzureNetworkId") or ""
            ps_id = details.get("processServerId") or ""
            log_sa = details.get("logStorageAccountId") or ""
            disk_type = details.get("diskType") or "Standard_LRS"
        spec = EnableReplicationSpec(
            protectable_item_id=p.get("protectableItemId") or "",
            container_id=self.scope.container_id(fabric, container),
            policy_id=p.get("policyId") or "",
            provider=provider,
            target_resource_group_id=target_rg,
            target_network_id=target_net,
            disk_type=disk_type,
            process_server_id=ps_id,
            log_storage_account_id=log_sa,
        )
        errors = validate_enable(spec)
        vm = next(
            (
                v
                for v in self.estate.vms.values()
                if self._protectable_name(f, v.instance_uuid) == protectable
            ),
            None,
        )
        if protectable and vm is None:
            errors.append(FieldError("vm", f"the vault has not discovered '{protectable}'"))
        if vm is not None and any(i.vm_moref == vm.moref for i in self.items.values()):
            errors.append(FieldError("vm", f"{vm.name} is already protected"))
        if name in self.items:
            errors.append(FieldError("item_name", f"an item named {name} already exists"))
        if (
            provider is not Provider.OTHER
            and (RCM if provider is Provider.INMAGE_RCM else CLASSIC) != f.provider
        ):
            errors.append(FieldError("provider", f"{fabric} replicates with {f.provider}"))
        if policy_name and not any(
            m.policy == policy_name and m.fabric == fabric for m in self.mappings.values()
        ):
            errors.append(
                FieldError("policy", f"{policy_name} is not associated with {container}; associate it first")
            )
        servers = {ps.id: ps for ps in f.process_servers}
        if ps_id and ps_id not in servers:
            errors.append(FieldError("process_server", f"{fabric} has no process server {ps_id}"))
        if (
            provider is Provider.INMAGE_RCM
            and vm is not None
            and (details.get("fabricDiscoveryMachineId") or "").rsplit("/", 1)[-1] != protectable
        ):
            errors.append(FieldError("fabric_discovery_machine_id", "does not match the protectable item"))
        _raise(errors)
        assert vm is not None
        ps = servers.get(ps_id) or f.process_servers[0]
        item = self._new_item(name, f, vm, policy_name, ps, target_rg, target_net, log_sa)
        item.phase = Phase.ENABLING
        self.items[name] = item
        fail = self._fail_next.pop("EnableDr", "")

        def done() -> None:
            item.phase = Phase.INITIAL_REPLICATION
            item.ir_percent = 0.0
            item.agent_heartbeat = self.elapsed
            self._clear_scenario(item)

        def failed() -> None:
            self.items.pop(item.name, None)

        job = self._start(
            "EnableDr",
            self.scope.item_id(fabric, container, name),
            vm.name,
            "ProtectionEntity",
            done,
            fail=fail,
        )
        job.on_failure = failed
        job.on_cancel = failed
        self._set_scenario(item, "EnableDr", job)
        job.result = lambda: self._render(item) if item.name in self.items else None
        return job.name

    def test_failover(self, fabric: str, container: str, name: str, body: Any) -> str:
        self.step()
        item = self._item(fabric, container, name)
        p = props(body)
        details = p.get("providerSpecificDetails") or {}
        network = details.get("networkId") or p.get("networkId") or ""
        rp = details.get("recoveryPointId") or ""
        errors = validate_test_network(network, item.target_network_id)
        errors += self._check_recovery_point(item, rp)
        try:
            require(Operation.TEST_FAILOVER.asr_name, item.allowed, item.friendly_name)
        except InvalidInput as exc:
            errors = exc.errors + errors
        _raise(errors)
        before = (item.test_failover, item.scenario, item.scenario_job, item.scenario_start)

        def start() -> None:
            item.test_failover = TestFailover.IN_PROGRESS
            item.test_network_id = network

        def done() -> None:
            item.test_failover = TestFailover.CLEANUP_PENDING
            item.last_test_failover = self.elapsed
            self._clear_scenario(item)

        def undo() -> None:
            item.test_failover, item.scenario, item.scenario_job, item.scenario_start = before

        return self._item_job(item, "TestFailover", start, done, undo)

    def test_failover_cleanup(self, fabric: str, container: str, name: str, body: Any) -> str:
        self.step()
        item = self._item(fabric, container, name)
        require(Operation.TEST_FAILOVER_CLEANUP.asr_name, item.allowed, item.friendly_name)
        comments = str(props(body).get("comments") or "")
        if len(comments) > 1024:
            _raise([FieldError("notes", "keep the notes under 1,024 characters")])

        def start() -> None:
            item.test_failover = TestFailover.CLEANING_UP

        def done() -> None:
            item.test_failover = TestFailover.NONE  # the test network stays: ASR keeps the last choice
            self._clear_scenario(item)

        def undo() -> None:
            item.test_failover = TestFailover.CLEANUP_PENDING
            self._clear_scenario(item)

        return self._item_job(item, "TestFailoverCleanup", start, done, undo)

    def unplanned_failover(self, fabric: str, container: str, name: str, body: Any) -> str:
        self.step()
        item = self._item(fabric, container, name)
        details = props(body).get("providerSpecificDetails") or {}
        rp = details.get("recoveryPointId") or ""
        shutdown = str(details.get("performShutdown", "false")).lower() == "true"
        errors = self._check_recovery_point(item, rp)
        try:
            require(Operation.UNPLANNED_FAILOVER.asr_name, item.allowed, item.friendly_name)
        except InvalidInput as exc:
            errors = exc.errors + errors
        _raise(errors)

        def start() -> None:
            item.phase = Phase.FAILING_OVER

        def done() -> None:
            item.phase = Phase.FAILED_OVER
            item.last_failover = self.elapsed
            item.failover_recovery_point = rp or self._latest_rp_id(item)
            item.errors.clear()
            item.health = "Normal"
            if shutdown:
                self.estate.set_power(item.vm_moref, "poweredOff", self.now)
            self._clear_scenario(item)

        def undo() -> None:
            item.phase = Phase.PROTECTED
            self._clear_scenario(item)

        return self._item_job(item, "UnplannedFailover", start, done, undo)

    def apply_recovery_point(self, fabric: str, container: str, name: str, body: Any) -> str:
        self.step()
        item = self._item(fabric, container, name)
        p = props(body)
        rp = p.get("recoveryPointId") or (p.get("providerSpecificDetails") or {}).get("recoveryPointId") or ""
        errors = [] if rp else [FieldError("recovery_point", "pick a recovery point from the list")]
        errors += self._check_recovery_point(item, rp)
        try:
            require(Operation.CHANGE_RECOVERY_POINT.asr_name, item.allowed, item.friendly_name)
        except InvalidInput as exc:
            errors = exc.errors + errors
        _raise(errors)

        def start() -> None:
            item.phase = Phase.CHANGING_RECOVERY_POINT

        def done() -> None:
            item.phase = Phase.FAILED_OVER
            item.failover_recovery_point = rp
            self._clear_scenario(item)

        def undo() -> None:
            item.phase = Phase.FAILED_OVER
            self._clear_scenario(item)

        return self._item_job(item, "ChangePit", start, done, undo)

    def commit(self, fabric: str, container: str, name: str) -> str:
        self.step()
        item = self._item(fabric, container, name)
        require(Operation.COMMIT.asr_name, item.allowed, item.friendly_name)

        def start() -> None:
            item.phase = Phase.COMMITTING

        def done() -> None:
            item.phase = Phase.COMMITTED
            self._clear_scenario(item)

        def undo() -> None:
            item.phase = Phase.FAILED_OVER
            self._clear_scenario(item)

        return self._item_job(item, "Commit", start, done, undo)

    def reprotect(self, fabric: str, container: str, name: str, body: Any) -> str:
        self.step()
        item = self._item(fabric, container, name)
        require(Operation.REPROTECT.asr_name, item.allowed, item.friendly_name)

        def start() -> None:
            item.phase = Phase.REPROTECTING

        def done() -> None:
            item.phase = Phase.REPROTECTED
            item.last_rp = self.elapsed
            item.last_app_rp = self.elapsed
            item.backlog_kb = 0.0
            item.agent_heartbeat = self.elapsed
            self._clear_scenario(item)

        def undo() -> None:
            item.phase = Phase.COMMITTED
            self._clear_scenario(item)

        return self._item_job(item, "Reprotect", start, done, undo)

    def repair_replication(self, fabric: str, container: str, name: str) -> str:
        self.step()
        item = self._item(fabric, container, name)
        require(Operation.RESYNC.asr_name, item.allowed, item.friendly_name)

        def done() -> None:
            item.resync_percent = 0.0
            item.ir_stalled = False
            self._clear_scenario(item)

        def undo() -> None:
            self._clear_scenario(item)

        return self._item_job(item, "RepairReplication", None, done, undo)

    def disable_protection(self, fabric: str, container: str, name: str, body: Any = None) -> str:
        self.step()
        item = self._item(fabric, container, name)
        require(Operation.DISABLE_REPLICATION.asr_name, item.allowed, item.friendly_name)
        previous = item.phase

        def start() -> None:
            item.phase = Phase.DISABLING

        def done() -> None:
            self.items.pop(item.name, None)
            for members in self.plans.values():
                if item.name in members:
                    members.remove(item.name)

        def undo() -> None:
            item.phase = previous
            self._clear_scenario(item)

        return self._item_job(item, "DisableDr", start, done, undo)

    def purge(self, fabric: str, container: str, name: str) -> str:
        """DELETE on the item: remove it whatever its state (ASR's purge)."""
        self.step()
        item = self._item(fabric, container, name)

        def done() -> None:
            self.items.pop(item.name, None)

        return self._start(
            "DisableDr",
            self.scope.item_id(fabric, container, name),
            item.friendly_name,
            "ProtectionEntity",
            done,
        ).name

    def cancel_job(self, name: str) -> str:
        self.step()
        job = self._job(name)
        if not job.running:
            _raise(
                [
                    FieldError(
                        "job",
                        f"{job.friendly_name} has {job.state.lower()}; only running jobs can be cancelled",
                    )
                ]
            )
        job.cancel(self.elapsed)
        self._job_event(job)
        job.result = lambda: job.to_arm(self.clock, self.scope.job_id(job.name), self.elapsed)
        return job.name

    def restart_job(self, name: str) -> str:
        self.step()
        job = self._job(name)
        if job.state not in ("Failed", "Cancelled"):
            _raise(
                [
                    FieldError(
                        "job",
                        f"{job.friendly_name} is {job.state.lower()}; only failed or cancelled jobs restart",
                    )
                ]
            )
        job.restart(self.elapsed)
        job.result = lambda: job.to_arm(self.clock, self.scope.job_id(job.name), self.elapsed)
        return job.name


def _raise(errors: list[FieldError]) -> None:
    if errors:
        raise InvalidInput(errors)


def _last(value: Any) -> str:
    return str(value or "").rstrip("/").rsplit("/", 1)[-1]

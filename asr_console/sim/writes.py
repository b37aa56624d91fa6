"""The simulated site's writes: ARM request bodies in, refused before anything changes (``Rejected``, a
400 naming the field) and the ASR job each starts out; the jobs drive the state machines (test failover
→ cleanup, failover → change recovery point → commit → re-protect, resync, enable/disable).

Every body is checked first against the SDK input model the operation catalogue names for it
(``contract.py``), then against ASR's documented service rules (``wire_inputs.py``, the allowed
operations of the item's state, ids that exist in the vault). None of it is the console's validation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from asr_console.model.operations import Operation
from asr_console.sim.arm_resources import ArmResources
from asr_console.sim.contract import check_body
from asr_console.sim.errors import FieldProblem, Rejected, not_found, reject
from asr_console.sim.infra import SimFabric, SimMapping
from asr_console.sim.items import AGENT_LATEST, CLASSIC, DEFAULT_VM_SIZE, RCM, SimItem, disks_of
from asr_console.sim.site_state import SiteState
from asr_console.sim.state_machines import Phase, TestFailover, not_allowed
from asr_console.sim.wire_inputs import policy_from_wire, props

_DETAILS = "properties.providerSpecificDetails"
FAILBACK = "InMageRcmFailback"  # the modernized stack's Azure → VMware provider
CLASSIC_REPROTECT = "InMage"  # the classic stack's re-protect provider
FAILBACK_POINT_TYPES = ("ApplicationConsistent", "CrashConsistent")
_STORAGE = "/providers/microsoft.storage/storageaccounts/"
# Microsoft retired the classic (configuration server) stack; vaults refuse new classic enables
CLASSIC_RETIRED = "30 March 2026"
LICENSE_TYPES = ("NoLicenseType", "WindowsServer")  # the SDK's LicenseType, less its NotSpecified
# Azure VM names: 1–64 letters, digits and hyphens, starting and ending with a letter or digit
_VM_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?$")


class ArmWrites:
    """The site's writes; ``step`` first applies the simulated time that has passed."""

    def __init__(self, state: SiteState, step: Callable[[], None]) -> None:
        self.state = state
        self.step = step

    def _body(self, op: Operation, body: Any) -> dict[str, Any]:
        """The body's ``properties`` once it loads into the operation's SDK input model."""
        check_body(op.spec.input_model, body)
        return props(body)

    def create_policy(self, name: str, body: Any) -> str:
        self.step()
        details = self._body(Operation.CREATE_POLICY, body).get("providerSpecificInput")
        if not isinstance(details, dict):
            where = "properties.providerSpecificInput"
            raise Rejected([FieldProblem(where, "is required: the policy's provider settings")])
        policy, problems = policy_from_wire(name, details, "properties.providerSpecificInput")
        reject(problems)

        def done() -> None:
            self.state.policies[name] = policy

        job = self.state.start_job(
            "AddProtectionProfile", self.state.scope.policy_id(name), name, "ProtectionProfile", done
        )
        job.result = lambda: (
            self.state.policies[name].to_arm(self.state.scope) if name in self.state.policies else None
        )
        return job.name

    def update_policy(self, name: str, body: Any) -> str:
        self.step()
        details = self._body(Operation.UPDATE_POLICY, body).get("replicationProviderSettings")
        old = self.state.policy(name)
        where = "properties.replicationProviderSettings"
        if not isinstance(details, dict):
            raise Rejected([FieldProblem(where, "is required: the policy's provider settings")])
        policy, problems = policy_from_wire(name, details, where)
        if not problems and policy.provider != old.provider:
            problems.append(
                FieldProblem(
                    f"{where}.instanceType", f"policy {name} is {old.provider}; its provider cannot change"
                )
            )
        reject(problems)

        def done() -> None:
            self.state.policies[name] = policy

        job = self.state.start_job(
            "UpdateProtectionProfile", self.state.scope.policy_id(name), name, "ProtectionProfile", done
        )
        job.result = lambda: (
            self.state.policies[name].to_arm(self.state.scope) if name in self.state.policies else None
        )
        return job.name

    def delete_policy(self, name: str) -> str:
        self.step()
        self.state.policy(name)
        in_use = [m.name for m in self.state.mappings.values() if m.policy == name]
        if in_use:
            reject([FieldProblem("name", f"{name} is associated ({', '.join(in_use)}); dissociate it first")])

        def done() -> None:
            self.state.policies.pop(name, None)

        return self.state.start_job(
            "DeleteProtectionProfile", self.state.scope.policy_id(name), name, "ProtectionProfile", done
        ).name

    def create_mapping(self, fabric: str, container: str, name: str, body: Any) -> str:
        self.step()
        f = self.state.fabric(fabric)
        if f.container != container:
            raise not_found("Protection container", container)
        p = self._body(Operation.ASSOCIATE_POLICY, body)
        policy_name = _last(p.get("policyId"))
        errors: list[FieldProblem] = []
        policy = self.state.policies.get(policy_name)
        if policy is None:
            errors.append(FieldProblem("properties.policyId", f"policy '{policy_name}' does not exist"))
        elif policy.provider != f.provider:
            errors.append(
                FieldProblem(
                    "properties.policyId",
                    f"{policy_name} is an {policy.provider} policy; {fabric} needs {f.provider}",
                )
            )
        if any(m.fabric == fabric and m.policy == policy_name for m in self.state.mappings.values()):
            errors.append(
                FieldProblem("properties.policyId", f"{policy_name} is already associated with {container}")
            )
        reject(errors)
        mapping = SimMapping(
            name=name, fabric=fabric, container=container, policy=policy_name, provider=f.provider
        )

        def done() -> None:
            self.state.mappings[name] = mapping

        return self._mapping_job(fabric, container, name, done)

    def update_mapping(self, fabric: str, container: str, name: str, body: Any) -> str:
        """The mapping's provider settings: for an appliance's, Mobility agent auto-upgrade."""
        self.step()
        details = self._body(Operation.UPDATE_MAPPING, body).get("providerSpecificInput")
        mapping = self.state.mappings.get(name)
        if mapping is None or mapping.fabric != fabric or mapping.container != container:
            raise not_found("Protection container mapping", name)
        where = "properties.providerSpecificInput"
        if not isinstance(details, dict):
            raise Rejected([FieldProblem(where, "is required: the mapping's provider settings")])
        if details.get("instanceType") != mapping.provider:
            reject([FieldProblem(f"{where}.instanceType", f"{name} is an {mapping.provider} mapping")])
        upgrade = details.get("enableAgentAutoUpgrade")
        if mapping.provider == RCM and upgrade not in ("true", "false"):
            reject([FieldProblem(f"{where}.enableAgentAutoUpgrade", "use true or false")])

        def done() -> None:
            mapping.agent_auto_upgrade = upgrade == "true"

        return self._mapping_job(fabric, container, name, done)

    def _mapping_job(self, fabric: str, container: str, name: str, done: Callable[[], None]) -> str:
        """A mapping's write runs as ASR runs it, a ConfigureProtection job on its container, whose
        result is the mapping as it stands when the job ends."""
        job = self.state.start_job(
            "ConfigureProtection",
            self.state.scope.container_id(fabric, container),
            container,
            "ProtectionContainer",
            done,
        )
        job.result = lambda: (
            self.state.mappings[name].to_arm(self.state.scope) if name in self.state.mappings else None
        )
        return job.name

    def remove_mapping(self, fabric: str, container: str, name: str, body: Any = None) -> str:
        self.step()
        if body:
            self._body(Operation.DISSOCIATE_POLICY, body)
        mapping = self.state.mappings.get(name)
        if mapping is None or mapping.fabric != fabric or mapping.container != container:
            raise not_found("Protection container mapping", name)
        users = [
            i.friendly_name
            for i in self.state.items.values()
            if i.fabric == fabric and i.policy == mapping.policy
        ]
        if users:
            reject(
                [
                    FieldProblem(
                        "name", f"{len(users)} protected items use {mapping.policy}; disable them first"
                    )
                ]
            )

        def done() -> None:
            self.state.mappings.pop(name, None)

        return self.state.start_job(
            "UnConfigureProtection",
            self.state.scope.container_id(fabric, container),
            container,
            "ProtectionContainer",
            done,
        ).name

    def enable_protection(self, fabric: str, container: str, name: str, body: Any) -> str:
        self.step()
        p = self._body(Operation.ENABLE_REPLICATION, body)
        f = self.state.fabric(fabric)
        if f.container != container:
            raise not_found("Protection container", container)
        details = p.get("providerSpecificDetails") or {}
        kind = details.get("instanceType")
        protectable = _last(p.get("protectableItemId"))
        policy_name = _last(p.get("policyId"))
        errors: list[FieldProblem] = []
        if kind == RCM:
            target_rg = details.get("targetResourceGroupId") or ""
            target_net = details.get("targetNetworkId") or ""
            ps_id = details.get("processServerId") or ""
            disks = details.get("disksDefault") or {}
            included = details.get("disksToInclude") or []
            log_sa = disks.get("logStorageAccountId") or (
                included[0].get("logStorageAccountId") if included else ""
            )
            if not disks and not included:
                errors.append(FieldProblem(f"{_DETAILS}.disksDefault", "give disksDefault or disksToInclude"))
        elif kind == CLASSIC:
            # ASR retired the configuration server stack: a vault takes no new classic replication
            raise Rejected(
                [
                    FieldProblem(
                        f"{_DETAILS}.instanceType",
                        f"new {CLASSIC} protection is not supported since {CLASSIC_RETIRED}; "
                        f"use a replication appliance ({RCM})",
                    )
                ],
                code="ClassicProtectionRetired",
            )
            target_rg = details.get("targetAzureV2ResourceGroupId") or ""
            target_net = details.get("targetAzureNetworkId") or ""
            ps_id = details.get("processServerId") or ""
            log_sa = details.get("logStorageAccountId") or ""
        else:
            reject(
                [
                    FieldProblem(
                        f"{_DETAILS}.instanceType", f"VMware machines replicate with {RCM} or {CLASSIC}"
                    )
                ]
            )
        if kind != f.provider:
            errors.append(FieldProblem(f"{_DETAILS}.instanceType", f"{fabric} replicates with {f.provider}"))
        # a modernized item names its machine in the Azure Migrate site; a classic one its protectable item
        machine_id = str(details.get("fabricDiscoveryMachineId") or "") if kind == RCM else ""
        wanted, where = protectable, "properties.protectableItemId"
        if machine_id:
            wanted, where = _last(machine_id), f"{_DETAILS}.fabricDiscoveryMachineId"
            if not machine_id.lower().startswith(f"{f.site_id(self.state.scope)}/machines/".lower()):
                errors.append(FieldProblem(where, f"is not a machine of {fabric}'s VMware site"))
            elif protectable and protectable.lower() != wanted.lower():
                errors.append(FieldProblem(where, "does not name the protectable item being protected"))
        if not wanted:
            errors.append(FieldProblem(where, "is required: the machine to protect"))
        if not policy_name:
            errors.append(FieldProblem("properties.policyId", "is required: the replication policy"))
        rg_key = "targetResourceGroupId" if kind == RCM else "targetAzureV2ResourceGroupId"
        if target_rg and not target_rg.lower().startswith("/subscriptions/"):
            errors.append(FieldProblem(f"{_DETAILS}.{rg_key}", "must be a resource group's ARM id"))
        vm = next(
            (
                v
                for v in self.state.estate.vms.values()
                if self.state.protectable_name(f, v.instance_uuid).lower() == wanted.lower()
            ),
            None,
        )
        if wanted and vm is None:
            errors.append(FieldProblem(where, f"the vault has not discovered '{wanted}'"))
        if vm is not None and any(i.vm_moref == vm.moref for i in self.state.items.values()):
            errors.append(FieldProblem(where, f"{vm.name} is already protected"))
        if name in self.state.items:
            errors.append(FieldProblem("name", f"an item named {name} already exists"))
        if policy_name and not any(
            m.policy == policy_name and m.fabric == fabric for m in self.state.mappings.values()
        ):
            errors.append(
                FieldProblem(
                    "properties.policyId",
                    f"{policy_name} is not associated with {container}; associate it first",
                )
            )
        servers = {ps.id: ps for ps in f.process_servers}
        if ps_id and ps_id not in servers:
            errors.append(
                FieldProblem(f"{_DETAILS}.processServerId", f"{fabric} has no process server {ps_id}")
            )
        if kind == RCM:
            errors += _rcm_target_problems(ArmResources(self.state.scope, self.state.targets), details, vm)
        reject(errors)
        assert vm is not None
        ps = servers.get(ps_id) or f.process_servers[0]
        item = self.state.new_item(name, f, vm, policy_name, ps, target_rg, target_net, log_sa)
        if kind == RCM:
            _apply_rcm_targets(item, details)
        item.phase = Phase.ENABLING
        self.state.items[name] = item
        fail = self.state.fail_next_codes.pop("EnableDr", "")

        def done() -> None:
            item.phase = Phase.INITIAL_REPLICATION
            item.ir_percent = 0.0
            item.agent_heartbeat = self.state.elapsed
            # the push install stays in the guest if replication is disabled later
            self.state.pushed_agents[vm.moref] = item.agent_version
            self.state.clear_scenario(item)

        def failed() -> None:
            self.state.items.pop(item.name, None)

        job = self.state.start_job(
            "EnableDr",
            self.state.scope.item_id(fabric, container, name),
            vm.name,
            "ProtectionEntity",
            done,
            fail=fail,
        )
        job.on_failure = failed
        job.on_cancel = failed
        self.state.set_scenario(item, "EnableDr", job)
        job.result = lambda: self.state.render(item) if item.name in self.state.items else None
        return job.name

    def update_item(self, fabric: str, container: str, name: str, body: Any) -> str:
        """Compute & Network of a modernized item replicating to Azure: the targets must exist (the
        group, the networks and their subnets, a size ASR offers), the NIC must be the item's, and the
        change applies when its job succeeds."""
        self.step()
        item = self.state.item(fabric, container, name)
        p = self._body(Operation.UPDATE_ITEM, body)
        details = p.get("providerSpecificDetails")
        if not isinstance(details, dict):
            raise Rejected([FieldProblem(_DETAILS, "is required: the provider's settings")])
        if details.get("instanceType") != item.provider or item.provider != RCM or item.towards_vmware:
            reject(
                [
                    FieldProblem(
                        f"{_DETAILS}.instanceType",
                        f"{item.friendly_name} replicates with "
                        f"{FAILBACK if item.towards_vmware else item.provider}; "
                        f"its Compute & Network settings are not {details.get('instanceType')}'s",
                    )
                ]
            )
        errors: list[FieldProblem] = []
        if item.phase not in (Phase.INITIAL_REPLICATION, Phase.PROTECTED) or item.scenario != "None":
            errors.append(
                FieldProblem(
                    "properties",
                    f"{item.friendly_name} is {item.phase.value.replace('-', ' ')}"
                    + (f" ({item.scenario} running)" if item.scenario != "None" else "")
                    + ": its settings change only while it replicates to Azure and no other job runs",
                )
            )
        errors += _rcm_update_problems(ArmResources(self.state.scope, self.state.targets), details, item)
        reject(errors)

        def done() -> None:
            _apply_rcm_targets(item, details)
            self.state.clear_scenario(item)

        def undo() -> None:
            self.state.clear_scenario(item)

        return self.state.item_job(item, "UpdateVmProperties", None, done, undo)

    def test_failover(self, fabric: str, container: str, name: str, body: Any) -> str:
        self.step()
        item = self.state.item(fabric, container, name)
        p = self._body(Operation.TEST_FAILOVER, body)
        details = p.get("providerSpecificDetails") or {}
        network = details.get("networkId") or p.get("networkId") or ""
        net_key = f"{_DETAILS}.networkId" if details.get("networkId") else "properties.networkId"
        rp = details.get("recoveryPointId") or ""
        errors = not_allowed(Operation.TEST_FAILOVER.asr_name, item.allowed, item.friendly_name)
        if not network:
            errors.append(FieldProblem(net_key, "is required: the Azure network the test VM joins"))
        elif ArmResources(self.state.scope, self.state.targets).network(network) is None:
            # Refused synchronously (400, an ARM error naming the field), as this site refuses an
            # enable's or an update's network that does not exist (_rcm_target_problems): issue 10 §1
            # has the vault check "ids that exist" and answer 400; ASR's docs name no job error code
            # for a missing test network, so none is invented here. Unplanned failover needs no such
            # check: its VMware inputs (InMageRcm/InMageAzureV2UnplannedFailoverInput) carry no network.
            errors.append(FieldProblem(net_key, f"virtual network {network} does not exist"))
        elif item.target_network_id and network.lower() == item.target_network_id.lower():
            errors.append(FieldProblem(net_key, "the test network must differ from the failover network"))
        errors += self.state.check_recovery_point(item, rp, f"{_DETAILS}.recoveryPointId")
        reject(errors)
        before = (item.test_failover, item.scenario, item.scenario_job, item.scenario_start)

        def start() -> None:
            item.test_failover = TestFailover.IN_PROGRESS
            item.test_network_id = network

        def done() -> None:
            item.test_failover = TestFailover.CLEANUP_PENDING
            item.last_test_failover = self.state.elapsed
            self.state.clear_scenario(item)

        def undo() -> None:
            item.test_failover, item.scenario, item.scenario_job, item.scenario_start = before

        return self.state.item_job(item, "TestFailover", start, done, undo)

    def test_failover_cleanup(self, fabric: str, container: str, name: str, body: Any) -> str:
        self.step()
        item = self.state.item(fabric, container, name)
        comments = str(self._body(Operation.TEST_FAILOVER_CLEANUP, body).get("comments") or "")
        errors = not_allowed(Operation.TEST_FAILOVER_CLEANUP.asr_name, item.allowed, item.friendly_name)
        if len(comments) > 1024:
            errors.append(FieldProblem("properties.comments", "must be at most 1,024 characters"))
        reject(errors)

        def start() -> None:
            item.test_failover = TestFailover.CLEANING_UP

        def done() -> None:
            item.test_failover = TestFailover.NONE  # the test network stays: ASR keeps the last choice
            self.state.clear_scenario(item)

        def undo() -> None:
            item.test_failover = TestFailover.CLEANUP_PENDING
            self.state.clear_scenario(item)

        return self.state.item_job(item, "TestFailoverCleanup", start, done, undo)

    def unplanned_failover(self, fabric: str, container: str, name: str, body: Any) -> str:
        self.step()
        item = self.state.item(fabric, container, name)
        details = self._body(Operation.UNPLANNED_FAILOVER, body).get("providerSpecificDetails") or {}
        rp = details.get("recoveryPointId") or ""
        shutdown = str(details.get("performShutdown", "false")).lower() == "true"
        errors = not_allowed(Operation.UNPLANNED_FAILOVER.asr_name, item.allowed, item.friendly_name)
        errors += self.state.check_recovery_point(item, rp, f"{_DETAILS}.recoveryPointId")
        reject(errors)

        def start() -> None:
            item.phase = Phase.FAILING_OVER

        def done() -> None:
            item.phase = Phase.FAILED_OVER
            item.last_failover = self.state.elapsed
            item.failover_recovery_point = rp or self.state.latest_rp_id(item)
            item.errors.clear()
            item.health = "Normal"
            if shutdown:
                self.state.estate.set_power(item.vm_moref, "poweredOff", self.state.now)
            self.state.clear_scenario(item)

        def undo() -> None:
            item.phase = Phase.PROTECTED
            self.state.clear_scenario(item)

        return self.state.item_job(item, "UnplannedFailover", start, done, undo)

    def apply_recovery_point(self, fabric: str, container: str, name: str, body: Any) -> str:
        self.step()
        item = self.state.item(fabric, container, name)
        p = self._body(Operation.CHANGE_RECOVERY_POINT, body)
        rp = p.get("recoveryPointId") or (p.get("providerSpecificDetails") or {}).get("recoveryPointId") or ""
        errors = not_allowed(Operation.CHANGE_RECOVERY_POINT.asr_name, item.allowed, item.friendly_name)
        if not rp:
            errors.append(
                FieldProblem("properties.recoveryPointId", "is required: the point to fail over to")
            )
        errors += self.state.check_recovery_point(item, rp, "properties.recoveryPointId")
        reject(errors)

        def start() -> None:
            item.phase = Phase.CHANGING_RECOVERY_POINT

        def done() -> None:
            item.phase = Phase.FAILED_OVER
            item.failover_recovery_point = rp
            self.state.clear_scenario(item)

        def undo() -> None:
            item.phase = Phase.FAILED_OVER
            self.state.clear_scenario(item)

        return self.state.item_job(item, "ChangePit", start, done, undo)

    def commit(self, fabric: str, container: str, name: str) -> str:
        self.step()
        item = self.state.item(fabric, container, name)
        reject(not_allowed(Operation.COMMIT.asr_name, item.allowed, item.friendly_name))
        failback = item.phase is Phase.FAILED_BACK
        pending = Phase.FAILED_BACK if failback else Phase.FAILED_OVER

        def start() -> None:
            item.phase = Phase.COMMITTING_FAILBACK if failback else Phase.COMMITTING

        def done() -> None:
            item.phase = Phase.FAILBACK_COMMITTED if failback else Phase.COMMITTED
            self.state.clear_scenario(item)

        def undo() -> None:
            item.phase = pending
            self.state.clear_scenario(item)

        return self.state.item_job(item, "Commit", start, done, undo)

    def reprotect(self, fabric: str, container: str, name: str, body: Any) -> str:
        """Re-protect in the direction the item's state calls for: a committed failover re-protects
        towards VMware (``InMageRcm`` modernized, ``InMage`` classic), a committed failback towards
        Azure again (``InMageRcmFailback``); each provider input's ids must exist in the vault."""
        self.step()
        p = self._body(Operation.REPROTECT, body)
        item = self.state.item(fabric, container, name)
        f = self.state.fabric(item.fabric)
        details = p.get("providerSpecificDetails") or {}
        kind = details.get("instanceType")
        errors = not_allowed(Operation.REPROTECT.asr_name, item.allowed, item.friendly_name)
        to_azure = item.phase is Phase.FAILBACK_COMMITTED
        expected = FAILBACK if to_azure else (RCM if item.provider == RCM else CLASSIC_REPROTECT)
        direction = "PrimaryToRecovery" if to_azure else "RecoveryToPrimary"
        if not errors and kind != expected:
            errors.append(
                FieldProblem(f"{_DETAILS}.instanceType", f"{item.friendly_name} re-protects with {expected}")
            )
        if p.get("failoverDirection") not in (None, direction):
            errors.append(FieldProblem("properties.failoverDirection", f"must be {direction}"))
        if not errors:
            errors += self._reprotect_problems(kind, details, f, fabric)
        reject(errors)
        servers = {ps.id: ps for ps in f.process_servers}

        def start() -> None:
            item.phase = Phase.REPROTECTING_TO_AZURE if to_azure else Phase.REPROTECTING

        def done() -> None:
            if to_azure:
                item.phase = Phase.PROTECTED
                ps = servers.get(str(details.get("processServerId")))
                if ps is not None:
                    item.process_server_id, item.process_server_name = ps.id, ps.name
                item.policy = _last(details.get("policyId")) or item.policy
                item.reprotect_agent_id = item.reprotect_agent_name = item.datastore_name = ""
                item.retention_drive = item.failback_policy = ""
            else:
                item.phase = Phase.REPROTECTED
                item.reprotect_agent_id = str(
                    details.get("reprotectAgentId") or details.get("masterTargetId")
                )
                item.reprotect_agent_name = f.reprotect_agent_name
                item.datastore_name = str(details.get("datastoreName") or "")
                item.retention_drive = str(details.get("retentionDrive") or "")
                item.failback_policy = _last(details.get("policyId") or details.get("profileId"))
                if kind == RCM:
                    item.log_storage_account_id = str(details.get("logStorageAccountId"))
            item.last_rp = self.state.elapsed
            item.last_app_rp = self.state.elapsed
            item.backlog_kb = 0.0
            item.agent_heartbeat = self.state.elapsed
            self.state.clear_scenario(item)

        def undo() -> None:
            item.phase = Phase.FAILBACK_COMMITTED if to_azure else Phase.COMMITTED
            self.state.clear_scenario(item)

        return self.state.item_job(item, "Reprotect", start, done, undo)

    def _reprotect_problems(
        self, kind: Any, details: dict[str, Any], f: SimFabric, fabric: str
    ) -> list[FieldProblem]:
        """The ids a re-protect names must be the vault's: its agents, datastores, servers, policies."""
        errors: list[FieldProblem] = []
        servers = {ps.id for ps in f.process_servers}
        policy_name = _last(details.get("policyId") or details.get("profileId"))
        policy = self.state.policies.get(policy_name) if policy_name else None
        policy_key = "profileId" if kind == CLASSIC_REPROTECT else "policyId"
        if policy_name and policy is None:
            errors.append(FieldProblem(f"{_DETAILS}.{policy_key}", f"policy '{policy_name}' does not exist"))
        if kind in (RCM, CLASSIC_REPROTECT):
            agent_key = "reprotectAgentId" if kind == RCM else "masterTargetId"
            agent = str(details.get(agent_key) or "")
            what = "reprotect agent" if kind == RCM else "master target"
            if agent != f.reprotect_agent_id:
                errors.append(FieldProblem(f"{_DETAILS}.{agent_key}", f"{fabric} has no {what} {agent}"))
            datastore = str(details.get("datastoreName") or "")
            if datastore and datastore not in f.datastores:
                errors.append(
                    FieldProblem(
                        f"{_DETAILS}.datastoreName", f"the {what} cannot reach datastore {datastore}"
                    )
                )
        if kind == RCM:
            account = str(details.get("logStorageAccountId") or "")
            if _STORAGE not in account.lower():
                errors.append(
                    FieldProblem(f"{_DETAILS}.logStorageAccountId", "must be a storage account's ARM id")
                )
            if policy is not None and policy.provider != FAILBACK:
                errors.append(
                    FieldProblem(f"{_DETAILS}.policyId", f"{policy_name} is not an {FAILBACK} policy")
                )
        elif kind == CLASSIC_REPROTECT:
            if str(details.get("processServerId")) not in servers:
                errors.append(
                    FieldProblem(
                        f"{_DETAILS}.processServerId",
                        f"{fabric} has no process server {details.get('processServerId')}",
                    )
                )
            drive = str(details.get("retentionDrive") or "")
            if drive not in f.retention_volumes:
                errors.append(
                    FieldProblem(
                        f"{_DETAILS}.retentionDrive", f"the master target has no retention volume {drive}"
                    )
                )
        elif kind == FAILBACK:
            if str(details.get("processServerId")) not in servers:
                errors.append(
                    FieldProblem(
                        f"{_DETAILS}.processServerId",
                        f"{fabric} has no process server {details.get('processServerId')}",
                    )
                )
            if policy is not None and policy.provider != RCM:
                errors.append(FieldProblem(f"{_DETAILS}.policyId", f"{policy_name} is not an {RCM} policy"))
            elif policy is not None and not any(
                m.policy == policy_name and m.fabric == fabric for m in self.state.mappings.values()
            ):
                errors.append(
                    FieldProblem(
                        f"{_DETAILS}.policyId", f"{policy_name} is not associated with {f.container}"
                    )
                )
        return errors

    def planned_failover(self, fabric: str, container: str, name: str, body: Any) -> str:
        """Failback: a re-protected modernized item's planned failover from Azure back to VMware."""
        self.step()
        item = self.state.item(fabric, container, name)
        p = self._body(Operation.FAILBACK, body)
        details = p.get("providerSpecificDetails") or {}
        errors = not_allowed(Operation.FAILBACK.asr_name, item.allowed, item.friendly_name)
        if details.get("instanceType") != FAILBACK:
            errors.append(FieldProblem(f"{_DETAILS}.instanceType", f"VMware items fail back with {FAILBACK}"))
        elif details.get("recoveryPointType") not in FAILBACK_POINT_TYPES:
            shown = " or ".join(FAILBACK_POINT_TYPES)
            errors.append(FieldProblem(f"{_DETAILS}.recoveryPointType", f"use {shown}"))
        if p.get("failoverDirection") not in (None, "RecoveryToPrimary"):
            errors.append(FieldProblem("properties.failoverDirection", "a failback goes RecoveryToPrimary"))
        reject(errors)

        def start() -> None:
            item.phase = Phase.FAILING_BACK

        def done() -> None:
            item.phase = Phase.FAILED_BACK
            item.last_failover = self.state.elapsed
            self.state.estate.set_power(item.vm_moref, "poweredOn", self.state.now)
            self.state.clear_scenario(item)

        def undo() -> None:
            item.phase = Phase.REPROTECTED
            self.state.clear_scenario(item)

        return self.state.item_job(item, "PlannedFailover", start, done, undo)

    def repair_replication(self, fabric: str, container: str, name: str) -> str:
        self.step()
        item = self.state.item(fabric, container, name)
        reject(not_allowed(Operation.RESYNC.asr_name, item.allowed, item.friendly_name))
        # a resync reads the source disks through the Mobility service: on a machine that is not running
        # the job fails, and the item says why until the machine is back
        vm = self.state.estate.vms.get(item.vm_moref)
        blocked = "" if vm is not None and vm.power_state == "poweredOn" else "78512"

        def done() -> None:
            item.resync_percent = 0.0
            item.ir_stalled = False
            item.resync_error = ""
            self.state.clear_scenario(item)

        def undo() -> None:
            self.state.clear_scenario(item)

        def failed() -> None:
            item.resync_error = blocked
            self.state.clear_scenario(item)

        return self.state.item_job(item, "RepairReplication", None, done, undo, fail=blocked, failed=failed)

    def disable_protection(self, fabric: str, container: str, name: str, body: Any = None) -> str:
        self.step()
        if body:
            self._body(Operation.DISABLE_REPLICATION, body)
        item = self.state.item(fabric, container, name)
        reject(not_allowed(Operation.DISABLE_REPLICATION.asr_name, item.allowed, item.friendly_name))
        previous = item.phase

        def start() -> None:
            item.phase = Phase.DISABLING

        def done() -> None:
            self.state.items.pop(item.name, None)
            for members in self.state.plans.values():
                if item.name in members:
                    members.remove(item.name)

        def undo() -> None:
            item.phase = previous
            self.state.clear_scenario(item)

        return self.state.item_job(item, "DisableDr", start, done, undo)

    def purge(self, fabric: str, container: str, name: str) -> str:
        """DELETE on the item: remove it whatever its state (ASR's purge)."""
        self.step()
        item = self.state.item(fabric, container, name)

        def done() -> None:
            self.state.items.pop(item.name, None)
            for members in self.state.plans.values():
                if item.name in members:
                    members.remove(item.name)

        return self.state.start_job(
            "PurgeProtection",
            self.state.scope.item_id(fabric, container, name),
            item.friendly_name,
            "ProtectionEntity",
            done,
        ).name

    def update_mobility_service(self, fabric: str, container: str, name: str, body: Any) -> str:
        """POST updateMobilityService: the agent goes to the latest version once the job ends; ASR
        refuses it for a machine not replicating from VMware or already on the latest agent."""
        self.step()
        check_body("UpdateMobilityServiceRequest", body)
        item = self.state.item(fabric, container, name)
        if item.phase is not Phase.PROTECTED or item.towards_vmware:
            reject([FieldProblem("properties", f"{item.friendly_name} is not replicating from VMware")])
        if item.agent_version == AGENT_LATEST:
            reject([FieldProblem("properties", f"{item.friendly_name} already runs agent {AGENT_LATEST}")])

        def done() -> None:
            item.agent_version = AGENT_LATEST

        return self.state.start_job(
            "UpdateMobilityService",
            self.state.scope.item_id(fabric, container, name),
            item.friendly_name,
            "ProtectionEntity",
            done,
        ).name

    def cancel_job(self, name: str) -> str:
        self.step()
        job = self.state.job(name)
        if not job.running:
            reject(
                [
                    FieldProblem(
                        "name",
                        f"{job.friendly_name} has {job.state.lower()}; only running jobs can be cancelled",
                    )
                ]
            )
        job.cancel(self.state.elapsed)
        self.state.job_event(job)
        job.result = lambda: job.to_arm(
            self.state.clock, self.state.scope.job_id(job.name), self.state.elapsed
        )
        return job.name

    def restart_job(self, name: str) -> str:
        """ASR restarts a failed or cancelled job as a new job (a new name); the old one stays as it ended."""
        self.step()
        job = self.state.job(name)
        if job.state not in ("Failed", "Cancelled"):
            reject(
                [
                    FieldProblem(
                        "name",
                        f"{job.friendly_name} is {job.state.lower()}; only failed or cancelled jobs restart",
                    )
                ]
            )
        again = self.state.restarted_job(job)
        again.result = lambda: again.to_arm(
            self.state.clock, self.state.scope.job_id(again.name), self.state.elapsed
        )
        return again.name


def _rcm_target_problems(resources: ArmResources, details: dict[str, Any], vm: Any) -> list[FieldProblem]:
    """What ASR checks of an InMageRcm enable's targets: they exist, the cache account is in the
    vault's region, subnets belong to their networks, the test network is another one, and the disk
    ids are the machine's."""
    problems: list[FieldProblem] = []
    group = _last(details.get("targetResourceGroupId"))
    if group and group.lower() not in resources.group_names():
        problems.append(
            FieldProblem(f"{_DETAILS}.targetResourceGroupId", f"resource group {group} does not exist")
        )
    for net_key, subnet_key in (("targetNetworkId", "targetSubnetName"), ("testNetworkId", "testSubnetName")):
        net_id = str(details.get(net_key) or "")
        subnet = str(details.get(subnet_key) or "")
        net = resources.network(net_id) if net_id else None
        if net_id and net is None:
            problems.append(FieldProblem(f"{_DETAILS}.{net_key}", f"virtual network {net_id} does not exist"))
        if subnet and net is not None and subnet.lower() not in {n.lower() for n, _ in net.subnets}:
            problems.append(FieldProblem(f"{_DETAILS}.{subnet_key}", f"{net.name} has no subnet {subnet}"))
        if subnet and not net_id:
            problems.append(FieldProblem(f"{_DETAILS}.{subnet_key}", f"needs {net_key}"))
    target, test = str(details.get("targetNetworkId") or ""), str(details.get("testNetworkId") or "")
    if target and test and target.lower() == test.lower():
        problems.append(FieldProblem(f"{_DETAILS}.testNetworkId", "must differ from targetNetworkId"))
    entries: list[tuple[str, Any]] = (
        [("disksDefault", details.get("disksDefault"))] if details.get("disksDefault") else []
    )
    entries += [(f"disksToInclude[{i}]", d) for i, d in enumerate(details.get("disksToInclude") or [])]
    for where, disk in entries:
        account_id = str(disk.get("logStorageAccountId") or "") if isinstance(disk, dict) else ""
        account = resources.storage(account_id)
        if account is None:
            problems.append(
                FieldProblem(
                    f"{_DETAILS}.{where}.logStorageAccountId", f"storage account {account_id} does not exist"
                )
            )
        elif resources.storage_location(account) != resources.scope.location:
            problems.append(
                FieldProblem(
                    f"{_DETAILS}.{where}.logStorageAccountId",
                    f"{account.name} is in {resources.storage_location(account)}; the cache storage account "
                    f"must be in the vault's region ({resources.scope.location})",
                )
            )
    if vm is not None:
        known = {uuid.lower() for uuid, _, _ in disks_of(vm)}
        for i, disk in enumerate(details.get("disksToInclude") or []):
            disk_id = str(disk.get("diskId") or "") if isinstance(disk, dict) else ""
            if disk_id.lower() not in known:
                problems.append(
                    FieldProblem(f"{_DETAILS}.disksToInclude[{i}].diskId", f"{vm.name} has no disk {disk_id}")
                )
    return problems


def _rcm_update_problems(
    resources: ArmResources, details: dict[str, Any], item: SimItem
) -> list[FieldProblem]:
    """What ASR checks of an InMageRcm item update, on the settings as they would be after it."""
    problems: list[FieldProblem] = []
    group = _last(details.get("targetResourceGroupId"))
    if group and group.lower() not in resources.group_names():
        problems.append(
            FieldProblem(f"{_DETAILS}.targetResourceGroupId", f"resource group {group} does not exist")
        )
    size = str(details.get("targetVmSize") or "")
    offered = {str(s["name"]).lower() for s in resources.compute_sizes("")}
    if size and size.lower() not in offered and size != (item.target_vm_size or DEFAULT_VM_SIZE):
        problems.append(
            FieldProblem(f"{_DETAILS}.targetVmSize", f"{size} is not a size ASR offers for this item")
        )
    name = str(details.get("targetVmName") or "")
    if name and not _VM_NAME.match(name):
        problems.append(FieldProblem(f"{_DETAILS}.targetVmName", f"'{name}' is not a valid Azure VM name"))
    license_type = str(details.get("licenseType") or "")
    if license_type and license_type not in LICENSE_TYPES:
        problems.append(FieldProblem(f"{_DETAILS}.licenseType", f"use one of {', '.join(LICENSE_TYPES)}"))
    zone = str(details.get("targetAvailabilityZone") or "")
    if zone and details.get("targetAvailabilitySetId"):
        problems.append(
            FieldProblem(f"{_DETAILS}.targetAvailabilityZone", "give a zone or an availability set, not both")
        )
    if zone and zone not in ("1", "2", "3"):
        problems.append(FieldProblem(f"{_DETAILS}.targetAvailabilityZone", "is 1, 2 or 3"))
    nics = details.get("vmNics") or []
    subnets = {"targetSubnetName": item.target_subnet, "testSubnetName": item.test_subnet}
    for i, nic in enumerate(nics):
        if str(nic.get("nicId") or "").lower() != item.nic_id.lower() or not item.nic_id:
            problems.append(
                FieldProblem(f"{_DETAILS}.vmNics[{i}].nicId", f"{item.friendly_name} has no such NIC")
            )
            continue
        for key in subnets:
            if nic.get(key):
                subnets[key] = str(nic[key])
    effective = (
        (
            "targetNetworkId",
            str(details.get("targetNetworkId") or item.target_network_id),
            "targetSubnetName",
        ),
        ("testNetworkId", str(details.get("testNetworkId") or item.test_network_id), "testSubnetName"),
    )
    for net_key, net_id, subnet_key in effective:
        net = resources.network(net_id) if net_id else None
        if details.get(net_key) and net is None:
            problems.append(FieldProblem(f"{_DETAILS}.{net_key}", f"virtual network {net_id} does not exist"))
        subnet = subnets[subnet_key]
        if subnet and net is not None and subnet.lower() not in {n.lower() for n, _ in net.subnets}:
            where = f"{_DETAILS}.vmNics[0].{subnet_key}" if nics else f"{_DETAILS}.{net_key}"
            problems.append(FieldProblem(where, f"{net.name} has no subnet {subnet}"))
    target, test = effective[0][1], effective[1][1]
    if target and test and target.lower() == test.lower():
        problems.append(FieldProblem(f"{_DETAILS}.testNetworkId", "must differ from targetNetworkId"))
    return problems


def _apply_rcm_targets(item: SimItem, details: dict[str, Any]) -> None:
    """An InMageRcm enable's or update's target settings, onto the item (absent keys keep its own)."""
    item.target_resource_group_id = str(details.get("targetResourceGroupId") or item.target_resource_group_id)
    item.target_network_id = str(details.get("targetNetworkId") or item.target_network_id)
    item.test_network_id = str(details.get("testNetworkId") or item.test_network_id)
    item.target_vm_name = str(details.get("targetVmName") or item.target_vm_name)
    item.target_vm_size = str(details.get("targetVmSize") or item.target_vm_size)
    item.license_type = str(details.get("licenseType") or item.license_type)
    if "targetAvailabilityZone" in details or "targetAvailabilitySetId" in details:
        item.availability_zone = str(details.get("targetAvailabilityZone") or "")
        item.availability_set_id = str(details.get("targetAvailabilitySetId") or "")
    # enable names the subnets on the input itself, an update on the NIC
    item.target_subnet = str(details.get("targetSubnetName") or item.target_subnet)
    item.test_subnet = str(details.get("testSubnetName") or item.test_subnet)
    for nic in details.get("vmNics") or []:
        item.target_subnet = str(nic.get("targetSubnetName") or item.target_subnet)
        item.test_subnet = str(nic.get("testSubnetName") or item.test_subnet)


def _last(value: Any) -> str:
    return str(value or "").rstrip("/").rsplit("/", 1)[-1]

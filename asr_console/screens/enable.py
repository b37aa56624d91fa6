"""Enable replication for VMs marked in the inventory: one validated spec and one ASR job per VM."""

from __future__ import annotations

import re
from functools import partial
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Select, Static

from asr_console.model.arm import same_arm_id
from asr_console.model.compat import Status, check_vm
from asr_console.model.join import discovered_machine_for
from asr_console.model.network_plan import NetworkDefault, network_default, port_groups
from asr_console.model.operations import Operation
from asr_console.model.records import (
    ChurnSample,
    ContainerMapping,
    Job,
    Policy,
    ProcessServer,
    ProtectableItem,
    ProtectionContainer,
    Provider,
    VirtualMachine,
)
from asr_console.model.specs import (
    CLASSIC_ENABLE_REFUSED,
    DISK_TYPES,
    LICENSE_TYPES,
    DiskChoice,
    EnableReplicationSpec,
    FieldError,
    validate_enable,
)
from asr_console.model.store import Store
from asr_console.model.targets import Unresolved, VirtualNetwork, resolve
from asr_console.screens.target_pickers import TargetPickerDialog, short

FIELD_LABELS = {
    "policy": "Policy",
    "target_resource_group": "Target resource group",
    "target_network": "Target network",
    "target_subnet": "Target subnet",
    "test_network": "Test network",
    "test_subnet": "Test subnet",
    "cache_storage": "Cache storage account",
    "availability": "Availability",
    "license_type": "License type",
    "target_name": "Target VM name",
    "disk_type": "Disk type",
    "process_server": "Process server",
    "provider": "Provider",
    "vm": "VM",
    "disks": "Disks",
}


def protectable_for(store: Store, vm: VirtualMachine) -> ProtectableItem | None:
    """The machine the vault discovered for a vCenter VM (instance UUID, then BIOS GUID, then name)."""
    return discovered_machine_for(vm, store.all(ProtectableItem))


def blocking_reasons(store: Any, vm: VirtualMachine) -> tuple[str, ...]:
    """Why the Azure compatibility check blocks this VM (empty when it may replicate)."""
    result = check_vm(vm, store.typed(ChurnSample, vm.moref))
    if result.status is not Status.BLOCKED:
        return ()
    return tuple(f.message for f in result.findings if f.status is Status.BLOCKED)


def default_networks(store: Any, settings: Any, vm: VirtualMachine) -> NetworkDefault:
    """Where the profile sends this VM by default: its NICs' port groups as vCenter shows them (as the
    appliance discovered them while vCenter's devices are still loading) through the network map, then
    the profile's target network."""
    groups = port_groups(vm)
    if not groups:
        item = protectable_for(store, vm)
        groups = item.networks if item is not None else ()
    return network_default(settings.network_map, groups, settings.target_network, settings.target_subnet)


def _subnet_named(network: VirtualNetwork, name: str) -> str:
    return next((s.name for s in network.subnets if s.name.lower() == name.strip().lower()), "")


def _networks_of(spec: EnableReplicationSpec) -> tuple[str, str, str, str]:
    return (spec.target_network_id, spec.target_subnet, spec.test_network_id, spec.test_subnet)


def _shown(network: str, subnet: str) -> str:
    return f"{short(network)} / {subnet}" if subnet else short(network)


# Azure VM names: 1–63 letters, digits and hyphens, starting and ending with a letter or digit
_AZURE_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


class EnableReplicationScreen(TargetPickerDialog):
    """Attributes: ``morefs`` — the VMs chosen; ``defaults`` — each chosen VM's default networks
    (moref → default); ``origins`` — where each VM's sent networks came from (by name)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "run", "Enable…", priority=True),
    ]
    PREFIX = "en"
    JOBS_ID = "enable-jobs"
    TARGETS_WORKER = "enable-targets"
    FIELD_LABELS = FIELD_LABELS
    DEFAULT_CSS = """
    EnableReplicationScreen > VerticalScroll { width: 96; max-width: 98%; max-height: 96%; }
    EnableReplicationScreen #en-errors { color: $error; height: auto; }
    EnableReplicationScreen #en-vms { height: auto; color: $text-muted; }
    EnableReplicationScreen Horizontal.en-pair { margin-top: 0; }
    EnableReplicationScreen Horizontal.en-pair Select { width: 1fr; }
    """

    def __init__(self, morefs: list[str]) -> None:
        super().__init__()
        self.morefs = morefs
        self.defaults: dict[str, NetworkDefault] = {}
        self.origins: dict[str, str] = {}
        self._pending_subnets: dict[str, tuple[str, str]] = {}  # subnet picker → (network id, subnet)

    def pairs(self) -> list[tuple[VirtualMachine, ProtectableItem | None]]:
        store = self.console.store
        vms = [store.typed(VirtualMachine, m) for m in self.morefs]
        return [(vm, protectable_for(store, vm)) for vm in vms if vm is not None]

    def eligible(self, vm: VirtualMachine, item: ProtectableItem | None) -> bool:
        store = self.console.store
        return item is not None and store.item_for_vm(vm.moref) is None and not blocking_reasons(store, vm)

    def compose(self) -> ComposeResult:
        store = self.console.store
        pairs = self.pairs()
        self.defaults = {
            vm.moref: default_networks(store, self.console.settings, vm)
            for vm, item in pairs
            if self.eligible(vm, item)
        }
        lines = []
        for vm, item in pairs:
            blocked = blocking_reasons(store, vm)
            if store.item_for_vm(vm.moref) is not None:
                lines.append(f"{vm.name}: already protected — skipped")
            elif item is None:
                lines.append(f"{vm.name}: not discovered by the vault yet — skipped")
            elif blocked:
                lines.append(f"{vm.name}: cannot replicate to Azure — skipped: {'; '.join(blocked)}")
            else:
                disks = len(vm.disks)
                lines.append(f"{vm.name}: will replicate ({disks} disk{'s' if disks != 1 else ''})")
                lines.append(f"    {self._default_line(self.defaults[vm.moref])}")
        policies: list[Policy] = sorted(store.all(Policy), key=lambda p: p.name)
        servers: list[ProcessServer] = store.all(ProcessServer)
        with VerticalScroll():
            yield Static(f"[b]Enable replication[/b] for {len(pairs)} VM(s)  (ctrl+r enables, esc closes)")
            yield Static("\n".join(lines), id="en-vms")
            yield Label("Replication policy")
            yield Select([(f"{p.name} ({p.provider.value})", p.id) for p in policies], id="en-policy")
            yield from self.compose_target_pickers(
                "Test failover network and subnet (isolated, optional)", "subnet (ASR's default)"
            )
            yield Static(self._origin_text(), id="en-net-origin")
            yield Label("Cache storage account (in the vault's region)")
            yield Select([], prompt="loading storage accounts…", id="en-cache")
            yield Label("Target disk type")
            yield Select([(d, d) for d in DISK_TYPES], value=DISK_TYPES[0], allow_blank=False, id="en-disk")
            yield Label("Process server (the policy's appliance)")
            yield Select([(f"{s.name} ({s.health.value})", s.id) for s in servers], id="en-ps")
            yield Label("Target VM size (optional, e.g. Standard_D4s_v3)")
            yield Input(placeholder="ASR picks a size like the source VM's", id="en-size")
            yield Label("License type and availability zone (optional)")
            with Horizontal(classes="en-pair"):
                yield Select([(t, t) for t in LICENSE_TYPES], prompt="license: not set", id="en-license")
                yield Select([(f"zone {z}", z) for z in ("1", "2", "3")], prompt="no zone", id="en-zone")
            yield Label("Availability set (optional, instead of a zone: name in the resource group, or id)")
            yield Input(placeholder="no availability set", id="en-avset")
            yield Label("Disks not to replicate (labels, comma-separated; optional)")
            yield Input(placeholder="e.g. Hard disk 3 — every disk replicates", id="en-exclude")
            yield Label(
                "Disks on Premium_LRS whatever the disk type above (labels, comma-separated; optional)"
            )
            yield Input(
                placeholder="e.g. Hard disk 2 — for a disk writing more than Standard absorbs",
                id="en-premium",
            )
            yield Label("Multi-VM consistency group and run-as account id (optional)")
            with Horizontal(classes="en-pair"):
                yield Input(placeholder="no multi-VM group", id="en-mvg")
                yield Input(placeholder="run-as account id (push install)", id="en-runas")
            yield from self.compose_footer("Enable… (ctrl+r)")

    def fill_targets(self) -> None:
        targets = self.targets
        groups = self.query_one("#en-rg", Select)
        groups.set_options(self.group_options())
        groups.prompt = "choose a resource group" if targets.groups else "no resource groups listed"
        networks = self.network_options()
        for selector in ("#en-network", "#en-test-network"):
            select = self.query_one(selector, Select)
            select.set_options(networks)
            select.prompt = "choose a network" if selector == "#en-network" else "none"
        cache = self.query_one("#en-cache", Select)
        cache.set_options([(f"{a.name} ({a.location}, {a.sku})", a.id) for a in targets.storage])
        cache.prompt = "choose a storage account" if targets.storage else "no storage accounts listed"
        self._preselect_shared_default()

    # ------------------------------------------------------------------ default networks

    @staticmethod
    def _default_line(default: NetworkDefault) -> str:
        if not default.network:
            return f"network: {default.problem}: choose a target network below" if default.problem else ""
        test = f", test {_shown(default.test_network, default.test_subnet)}" if default.test_network else ""
        return f"→ {_shown(default.network, default.subnet)}{test} (from {default.origin})"

    def shared_default(self) -> NetworkDefault | None:
        """The default every chosen VM shares (None when they differ or have none)."""
        found = {(d.network, d.subnet, d.test_network, d.test_subnet) for d in self.defaults.values()}
        if len(found) != 1:
            return None
        default = next(iter(self.defaults.values()))
        return default if default.network else None

    def _origin_text(self) -> str:
        shared = self.shared_default()
        if shared is not None:
            return f"from {shared.origin}"
        if any(d.network for d in self.defaults.values()):
            return "per VM as listed above; a network chosen here is used for every VM"
        return ""

    def _network_id(self, name: str) -> str:
        """The ARM id of the network a default names ("" when the subscription lists none by that name)."""
        try:
            return resolve(name, self.targets.networks, "virtual network").id if name else ""
        except Unresolved:
            return ""

    def _preselect_shared_default(self) -> None:
        """The pickers show the default the chosen VMs share; left empty, each VM takes its own."""
        shared = self.shared_default()
        if shared is None:
            return
        for network, subnet, net_sel, sub_sel in (
            (shared.network, shared.subnet, "#en-network", "#en-subnet"),
            (shared.test_network, shared.test_subnet, "#en-test-network", "#en-test-subnet"),
        ):
            found = self._network_id(network)
            select = self.query_one(net_sel, Select)
            if found and select.value is Select.NULL:
                self._pending_subnets[sub_sel] = (found, subnet)
                select.value = found

    def _vm_networks(self, vm: VirtualMachine) -> tuple[str, str, str, str, str]:
        """(network id, subnet, test network id, test subnet, origin): the pickers' when chosen, else the
        VM's default; a default naming a network the subscription does not list keeps its name, which
        validation reports."""
        network, subnet = self._value("#en-network"), self._value("#en-subnet")
        test, test_subnet = self._value("#en-test-network"), self._value("#en-test-subnet")
        default = self.defaults.get(vm.moref, NetworkDefault())
        origin = "chosen"
        if not network and default.network:
            network = self._network_id(default.network) or default.network
            subnet = subnet or default.subnet
            origin = default.origin
        if not test and default.test_network:
            test = self._network_id(default.test_network) or default.test_network
            test_subnet = test_subnet or default.test_subnet
        shared = self.shared_default()
        if shared is not None and self._value("#en-network") == self._network_id(shared.network):
            origin = shared.origin  # the preselected default, untouched
        return network, subnet, test, test_subnet, origin

    def keep_subnet(self, subnet: str, net: VirtualNetwork | None, prefer: str) -> str | None:
        """The subnet a preselected default names, once its network's subnets are offered."""
        pending = self._pending_subnets.pop(subnet, None)
        if net is not None and pending is not None and same_arm_id(pending[0], net.id):
            return _subnet_named(net, pending[1]) or None
        return None

    @on(Select.Changed, "#en-policy")
    def _policy_changed(self) -> None:
        """Offer only the process servers of the appliance the policy is associated with."""
        store = self.console.store
        policy = store.typed(Policy, self._value("#en-policy"))
        if policy is None:
            return
        containers = {
            m.container_id.lower() for m in store.all(ContainerMapping) if same_arm_id(m.policy_id, policy.id)
        }
        fabrics = {c.fabric_id.lower() for c in store.all(ProtectionContainer) if c.id.lower() in containers}
        servers = [s for s in store.all(ProcessServer) if not fabrics or s.fabric_id.lower() in fabrics]
        select = self.query_one("#en-ps", Select)
        current = self._value("#en-ps")
        select.set_options([(f"{s.name} ({s.health.value})", s.id) for s in servers])
        if current and any(s.id == current for s in servers):
            select.value = current

    def _text(self, selector: str) -> str:
        return self.query_one(selector, Input).value.strip()

    def _labels(self, selector: str) -> set[str]:
        return {part.strip().lower() for part in self._text(selector).split(",") if part.strip()}

    def _disks(self, item: ProtectableItem, disk_type: str) -> tuple[DiskChoice, ...]:
        """Every disk as ``disk_type`` (empty: ASR's disksDefault) unless some are excluded or premium."""
        excluded, premium = self._labels("#en-exclude"), self._labels("#en-premium")
        if not excluded and not premium:
            return ()
        return tuple(
            DiskChoice(disk_id=d.uuid, disk_type="Premium_LRS" if d.label.lower() in premium else disk_type)
            for d in item.disks
            if d.label.lower() not in excluded
        )

    def _availability_set(self) -> str:
        given = self._text("#en-avset")
        group = self._value("#en-rg")
        if given and not given.startswith("/") and group:
            return f"{group}/providers/Microsoft.Compute/availabilitySets/{given}"
        return given

    def specs(self) -> list[EnableReplicationSpec]:
        store = self.console.store
        policy = store.typed(Policy, self._value("#en-policy"))
        specs = []
        for vm, item in self.pairs():
            if item is None or store.item_for_vm(vm.moref) is not None or blocking_reasons(store, vm):
                continue
            name = vm.name if _AZURE_NAME.match(vm.name) else ""
            network, subnet, test, test_subnet, origin = self._vm_networks(vm)
            self.origins[vm.name] = origin
            specs.append(
                EnableReplicationSpec(
                    protectable_item_id=item.id,
                    container_id=item.container_id,
                    policy_id=policy.id if policy else "",
                    provider=policy.provider if policy else Provider.OTHER,
                    target_resource_group_id=self._value("#en-rg"),
                    target_network_id=network,
                    target_subnet=subnet,
                    test_network_id=test,
                    test_subnet=test_subnet,
                    log_storage_account_id=self._value("#en-cache"),
                    disk_type=self._value("#en-disk"),
                    process_server_id=self._value("#en-ps"),
                    target_vm_size=self.query_one("#en-size", Input).value.strip(),
                    license_type=self._value("#en-license"),
                    availability_zone=self._value("#en-zone"),
                    availability_set_id=self._availability_set(),
                    multi_vm_group=self._text("#en-mvg"),
                    run_as_account_id=self._text("#en-runas"),
                    disks=self._disks(item, self._value("#en-disk")),
                    target_vm_name=name,
                    machine_id=item.machine_id,
                    item_name=vm.name,
                )
            )
        return specs

    def validate(self, specs: list[EnableReplicationSpec]) -> list[FieldError]:
        if not specs:
            return [FieldError("vm", "none of the chosen VMs can be enabled (see above)")]
        errors: list[FieldError] = []
        if specs[0].provider is Provider.INMAGE_AZURE_V2:
            return [FieldError("policy", CLASSIC_ENABLE_REFUSED)]
        for error in validate_enable(specs[0]):  # the shared fields are the same for every VM
            if error.field == "provider" and not specs[0].policy_id:
                continue  # the provider comes from the policy: "choose a policy" says it all
            if error not in errors:
                errors.append(error)
        errors += [e for e in self._network_errors(specs) if e not in errors]
        known = {d.label.lower() for _vm, item in self.pairs() if item is not None for d in item.disks}
        for selector, what in (("#en-exclude", "disks not to replicate"), ("#en-premium", "premium disks")):
            unknown = sorted(self._labels(selector) - known)
            if unknown:
                errors.append(FieldError("disks", f"{what}: no VM has a disk labelled {', '.join(unknown)}"))
        excluded = self._labels("#en-exclude")
        for vm, item in self.pairs():
            if item is not None and item.disks and all(d.label.lower() in excluded for d in item.disks):
                errors.append(FieldError("disks", f"{vm.name} would replicate no disk: exclude fewer"))
        if specs[0].availability_zone and specs[0].availability_set_id:
            errors.append(FieldError("availability", "choose an availability zone or a set, not both"))
        return errors

    def _network_errors(self, specs: list[EnableReplicationSpec]) -> list[FieldError]:
        """Each VM's own networks (its defaults may differ): a VM the network map cannot place, a
        default naming a network the subscription lacks, and the rules every enable's networks follow."""
        out: list[FieldError] = []
        by_name = {vm.name: vm for vm, _item in self.pairs()}
        per_vm = len({_networks_of(s) for s in specs}) > 1
        for spec in specs:
            vm = by_name.get(spec.item_name)
            default = self.defaults.get(vm.moref, NetworkDefault()) if vm is not None else NetworkDefault()
            if not spec.target_network_id and default.problem:
                out.append(FieldError("target_network", f"{spec.item_name}: {default.problem}: choose one"))
            for field_name, given in (
                ("target_network", spec.target_network_id),
                ("test_network", spec.test_network_id),
            ):
                if given and not given.startswith("/"):
                    message = f"{spec.item_name}: {default.origin} names {given}, not listed in Azure"
                    out.append(FieldError(field_name, message))
            if not per_vm and spec is not specs[0]:
                continue
            for error in validate_enable(spec):
                if error.field in ("target_network", "target_subnet", "test_network", "test_subnet"):
                    message = f"{spec.item_name}: {error.message}" if per_vm else error.message
                    if FieldError(error.field, message) not in out:
                        out.append(FieldError(error.field, message))
        return out

    def action_run(self) -> None:
        specs = self.specs()
        self._show(self.validate(specs))
        if self.errors:
            return
        from asr_console.screens.confirm import confirm_write

        confirm_write(
            self.app,
            f"Enable replication for {len(specs)} VM(s)",
            self.plan(specs),
            lambda: self._send(specs),
        )

    def plan(self, specs: list[EnableReplicationSpec]) -> list[str]:
        """The VMs by name, then the inputs they share."""
        store = self.console.store
        policy = store.typed(Policy, specs[0].policy_id)
        server = store.typed(ProcessServer, specs[0].process_server_id)
        return [
            *(f"VM: {spec.item_name}" for spec in specs),
            f"Policy: {policy.name if policy else specs[0].policy_id}",
            f"Target resource group: {short(specs[0].target_resource_group_id)}",
            *self._network_lines(specs),
            f"Cache storage account: {short(specs[0].log_storage_account_id)}",
            f"Disk type: {specs[0].disk_type}",
            *self._disk_lines(),
            f"Process server: {server.name if server else specs[0].process_server_id}",
            *(
                f"{label}: {value}"
                for label, value in (
                    ("Availability set", short(specs[0].availability_set_id)),
                    ("Multi-VM group", specs[0].multi_vm_group),
                    ("Run-as account", specs[0].run_as_account_id),
                )
                if value
            ),
        ]

    def _network_lines(self, specs: list[EnableReplicationSpec]) -> list[str]:
        """One pair of lines when every VM lands in the same networks, else a line per VM; each with
        where its networks came from unless the pickers chose them."""

        def origin(spec: EnableReplicationSpec) -> str:
            found = self.origins.get(spec.item_name, "chosen")
            return "" if found == "chosen" else f" (from {found})"

        shared = {_networks_of(s) for s in specs}
        if len(shared) == 1:
            first = specs[0]
            origins = {origin(s) for s in specs}
            return [
                f"Target network: {_shown(first.target_network_id, first.target_subnet) or 'none'}"
                + (origins.pop() if len(origins) == 1 else ""),
                f"Test network: {_shown(first.test_network_id, first.test_subnet) or 'none'}",
            ]
        return [
            f"Networks of {s.item_name}: {_shown(s.target_network_id, s.target_subnet) or 'none'}, "
            f"test {_shown(s.test_network_id, s.test_subnet) or 'none'}{origin(s)}"
            for s in specs
        ]

    def _disk_lines(self) -> list[str]:
        excluded, premium = self._labels("#en-exclude"), self._labels("#en-premium")
        lines = []
        if excluded:
            lines.append(f"Disks not replicated: {', '.join(sorted(excluded))}")
        if premium:
            lines.append(f"Disks on Premium_LRS: {', '.join(sorted(premium))}")
        return lines

    def _send(self, specs: list[EnableReplicationSpec]) -> None:
        from asr_console.widgets.progress import JobProgress

        progress = self.query_one(JobProgress)
        progress.follow([])
        for spec in specs:

            def done(job: Any) -> None:
                if isinstance(job, Job):
                    progress.follow([*progress.job_ids, job.id])

            self.console.start_action(
                f"{Operation.ENABLE_REPLICATION.action} {spec.item_name}",
                partial(self.console.actions.enable_replication, spec),
                on_done=done,
                on_invalid=self._show_invalid,
            )

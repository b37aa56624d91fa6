"""What a re-protect writes to, resolved from names the user gives (or the item's own settings).

The failover dialog's pickers and the ``reprotect`` command share this: each takes the item, its fabric
(reprotect agents / master targets and their datastores, process servers), the vault's policies and,
when a cache storage account is named by its bare name, the subscription's storage accounts, and
resolves NAME|ID choices to the ids ASR wants, or says what is missing. Which inputs apply follows the
item's provider: a failed-over modernized item goes towards VMware (``InMageRcm``), one failed back
towards Azure again (``InMageRcmFailback``), a classic one towards VMware (``InMage``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from asr_console.model.arm import arm_key
from asr_console.model.operations import ReprotectTarget
from asr_console.model.records import Fabric, Policy, ProcessServer, ProtectedItem, Provider
from asr_console.model.targets import StorageAccount, Unresolved, resolve

FAILBACK_PROVIDER = "InMageRcmFailback"
STORAGE_PATH = "/providers/microsoft.storage/storageaccounts/"


class ReprotectKind:
    TO_VMWARE = "modernized → VMware"
    BACK_TO_AZURE = "modernized → Azure"
    CLASSIC = "classic → VMware"
    NONE = ""


def reprotect_kind(item: ProtectedItem) -> str:
    if item.provider_name.lower() == FAILBACK_PROVIDER.lower():
        return ReprotectKind.BACK_TO_AZURE
    if item.provider is Provider.INMAGE_RCM:
        return ReprotectKind.TO_VMWARE
    if item.provider is Provider.INMAGE_AZURE_V2:
        return ReprotectKind.CLASSIC
    return ReprotectKind.NONE


@dataclass(frozen=True, slots=True)
class ReprotectWanted:
    """What the user named (NAME or ARM id each, "" = the default)."""

    agent: str = ""  # reprotect agent (modernized) or master target (classic)
    datastore: str = ""
    cache_storage: str = ""
    policy: str = ""
    process_server: str = ""
    retention_drive: str = ""


@dataclass(slots=True)
class ReprotectPlan:
    target: ReprotectTarget = field(default_factory=ReprotectTarget)
    shown: dict[str, str] = field(default_factory=dict)  # the inputs by name, as a plan shows them
    problems: list[str] = field(default_factory=list)


def _pick(wanted: str, choices: list[tuple[str, str]], what: str, plan: ReprotectPlan) -> tuple[str, str]:
    """(id, name) of the choice named by id or name (case-insensitive); the first when none is named."""
    if not choices:
        plan.problems.append(f"the vault reports no {what}")
        return "", ""
    if not wanted:
        return choices[0]
    key = wanted.strip().lower()
    for choice_id, name in choices:
        if choice_id.lower() == key or name.lower() == key or arm_key(choice_id) == arm_key(wanted):
            return choice_id, name
    shown = ", ".join(name for _, name in choices)
    plan.problems.append(f"unknown {what} {wanted} (known: {shown})")
    return "", ""


def _policy(
    wanted: str,
    default_id: str,
    policies: list[Policy],
    provider: str,
    plan: ReprotectPlan,
    *,
    required: bool,
) -> str:
    """The policy named (any provider when ``provider`` is ""), else ``default_id``."""
    fitting = [p for p in policies if not provider or p.provider_name.lower() == provider.lower()]
    if not wanted:
        if default_id:
            match = next((p for p in policies if arm_key(p.id) == arm_key(default_id)), None)
            plan.shown["policy"] = match.name if match else default_id.rsplit("/", 1)[-1]
            return default_id
        if required:
            plan.problems.append(f"give --policy: an {provider} policy of the vault")
        return ""
    key = wanted.strip().lower()
    match = next((p for p in policies if p.name.lower() == key or arm_key(p.id) == arm_key(wanted)), None)
    if match is None:
        plan.problems.append(f"unknown policy {wanted}")
        return ""
    if match not in fitting:
        plan.problems.append(
            f"policy {match.name} is {match.provider_name or 'another provider'}; use an {provider} one"
        )
        return ""
    plan.shown["policy"] = match.name
    return match.id


def resolve_reprotect(
    item: ProtectedItem,
    fabric: Fabric | None,
    servers: list[ProcessServer],
    policies: list[Policy],
    wanted: ReprotectWanted,
    storage: Sequence[StorageAccount] | None = None,
) -> ReprotectPlan:
    """The ids to send for re-protecting ``item`` (and the problems that keep it from being sent).

    A cache storage account named by its bare name is looked up in ``storage`` (the subscription's
    accounts); without that list only an ARM id is taken."""
    plan = ReprotectPlan()
    kind = reprotect_kind(item)
    if fabric is None:
        plan.problems.append(f"{item.display_name}: its fabric is not known yet")
        return plan
    own_servers = [(ps.id, ps.name) for ps in servers if arm_key(ps.fabric_id) == arm_key(fabric.id)]
    if kind == ReprotectKind.TO_VMWARE:
        agents = {a.id: a for a in fabric.reprotect_agents}
        agent_id, agent_name = _pick(
            wanted.agent, [(a.id, a.name) for a in fabric.reprotect_agents], "reprotect agent", plan
        )
        stores = agents[agent_id].datastores if agent_id in agents else ()
        datastore = ""
        if agent_id:
            datastore, _ = _pick(
                wanted.datastore, [(d, d) for d in stores], f"datastore of {agent_name}", plan
            )
        cache = wanted.cache_storage.strip() or item.log_storage_account_id
        if not cache:
            plan.problems.append("give --cache-storage: the item reports no cache storage account")
        elif not cache.startswith("/") and storage is not None:
            try:
                cache = resolve(cache, storage, "storage account").id
            except Unresolved as exc:
                plan.problems.append(f"--cache-storage: {exc}")
                cache = ""
        elif STORAGE_PATH not in cache.lower():
            plan.problems.append(f"--cache-storage {cache}: give the storage account's ARM id")
        policy_id = _policy(wanted.policy, "", policies, FAILBACK_PROVIDER, plan, required=False)
        plan.target = ReprotectTarget(
            agent_id=agent_id, datastore=datastore, log_storage_account_id=cache, policy_id=policy_id
        )
        plan.shown.update(
            reprotect_agent=agent_name, datastore=datastore, cache_storage=cache.rsplit("/", 1)[-1]
        )
    elif kind == ReprotectKind.BACK_TO_AZURE:
        ps_id, ps_name = _pick(wanted.process_server, own_servers, "process server", plan)
        policy_id = _policy(
            wanted.policy, item.last_used_policy_id, policies, Provider.INMAGE_RCM.value, plan, required=True
        )
        plan.target = ReprotectTarget(process_server_id=ps_id, policy_id=policy_id)
        plan.shown["process_server"] = ps_name
    elif kind == ReprotectKind.CLASSIC:
        targets = {t.id: t for t in fabric.master_targets}
        mt_id, mt_name = _pick(
            wanted.agent, [(t.id, t.name) for t in fabric.master_targets], "master target", plan
        )
        chosen = targets.get(mt_id)
        drive = ""
        datastore = ""
        if chosen is not None:
            drive, _ = _pick(
                wanted.retention_drive, [(v, v) for v in chosen.retention_volumes], "retention volume", plan
            )
            if chosen.datastores:
                datastore, _ = _pick(wanted.datastore, [(d, d) for d in chosen.datastores], "datastore", plan)
        ps_wanted = wanted.process_server or item.process_server_id
        ps_id, ps_name = _pick(ps_wanted, own_servers, "process server", plan)
        policy_id = _policy(wanted.policy, item.policy_id, policies, "", plan, required=True)
        plan.target = ReprotectTarget(
            agent_id=mt_id,
            process_server_id=ps_id,
            retention_drive=drive,
            datastore=datastore,
            policy_id=policy_id,
        )
        plan.shown.update(
            master_target=mt_name, process_server=ps_name, retention_drive=drive, datastore=datastore
        )
    else:
        plan.problems.append(
            f"{item.display_name} replicates with {item.provider_name or 'an unknown provider'}"
        )
    return plan

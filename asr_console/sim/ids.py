"""ARM ids and names of the simulated vault, built one way everywhere."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

PROVIDER_NS = "Microsoft.RecoveryServices"
API_VERSION = "2025-08-01"


@dataclass(frozen=True, slots=True)
class ArmScope:
    subscription: str
    resource_group: str
    vault: str
    location: str = "westeurope"

    @property
    def vault_id(self) -> str:
        return (
            f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"
            f"/providers/{PROVIDER_NS}/vaults/{self.vault}"
        )

    def fabric_id(self, fabric: str) -> str:
        return f"{self.vault_id}/replicationFabrics/{fabric}"

    def container_id(self, fabric: str, container: str) -> str:
        return f"{self.fabric_id(fabric)}/replicationProtectionContainers/{container}"

    def item_id(self, fabric: str, container: str, item: str) -> str:
        return f"{self.container_id(fabric, container)}/replicationProtectedItems/{item}"

    def protectable_id(self, fabric: str, container: str, item: str) -> str:
        return f"{self.container_id(fabric, container)}/replicationProtectableItems/{item}"

    def mapping_id(self, fabric: str, container: str, mapping: str) -> str:
        return f"{self.container_id(fabric, container)}/replicationProtectionContainerMappings/{mapping}"

    def vcenter_id(self, fabric: str, vcenter: str) -> str:
        return f"{self.fabric_id(fabric)}/replicationvCenters/{vcenter}"

    def policy_id(self, policy: str) -> str:
        return f"{self.vault_id}/replicationPolicies/{policy}"

    def job_id(self, job: str) -> str:
        return f"{self.vault_id}/replicationJobs/{job}"

    def plan_id(self, plan: str) -> str:
        return f"{self.vault_id}/replicationRecoveryPlans/{plan}"

    def event_id(self, event: str) -> str:
        return f"{self.vault_id}/replicationEvents/{event}"

    def resource_group_id(self, name: str) -> str:
        return f"/subscriptions/{self.subscription}/resourceGroups/{name}"

    def network_id(self, name: str) -> str:
        return f"{self.resource_group_id('rg-dr-network')}/providers/Microsoft.Network/virtualNetworks/{name}"

    def storage_id(self, name: str) -> str:
        return f"{self.resource_group_id('rg-dr-storage')}/providers/Microsoft.Storage/storageAccounts/{name}"

    def discovery_machine_id(self, site: str, machine: str) -> str:
        return (
            f"{self.resource_group_id(self.resource_group)}/providers/Microsoft.OffAzure/VMwareSites/"
            f"{site}/machines/{machine}"
        )


def seeded_uuid(rng: random.Random) -> str:
    """A UUID drawn from the engine's generator, so ids repeat for a seed."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))

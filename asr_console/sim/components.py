"""The replication appliance's components (InMageRcm fabric details): RCM proxies, push installers,
replication agents, MARS agents and DRAs, as ``RcmProxyDetails`` … ``DraDetails`` give them.

The demo's appliance fabric lists two appliances (the first and a scale-out one registered to the same
VMware site) so that a version can be behind the newest of its kind, with planted problems of mixed
health: a push installer in Warning whose heartbeat stopped, a MARS agent in Critical and a replication
agent one build behind. Nothing here draws from the site's random stream, so adding components leaves
every seeded site's items and jobs as they were.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from asr_console.sim.clock import SimClock
from asr_console.sim.jsonutil import iso

# the fabric-details list each kind is served in, with ``RcmProxyDetails``' optional auth type only there
RCM_PROXY = "rcmProxies"
PUSH_INSTALLER = "pushInstallers"
REPLICATION_AGENT = "replicationAgents"
MARS_AGENT = "marsAgents"
DRA = "dras"
KINDS = (RCM_PROXY, PUSH_INSTALLER, REPLICATION_AGENT, MARS_AGENT, DRA)


@dataclass(slots=True)
class SimComponent:
    kind: str  # one of KINDS
    appliance: str  # the appliance's host name: ASR names each component after the machine it runs on
    fabric: str
    version: str
    health: str = "Normal"
    stalled_at: float | None = None  # elapsed seconds of its last heartbeat when it stopped beating
    error: str = ""  # a health-catalog code it reports

    @property
    def id(self) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.fabric}/{self.kind}/{self.appliance}"))

    def to_arm(self, clock: SimClock, fabric_heartbeat: float, catalog: Any) -> dict[str, Any]:
        beat = fabric_heartbeat if self.stalled_at is None else self.stalled_at
        errors = (
            [catalog(self.error, clock.at(beat), self.id, appliance=self.appliance)] if self.error else []
        )
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.appliance,
            "biosId": self.id[-12:],
            "version": self.version,
            "lastHeartbeatUtc": iso(clock.at(beat)),
            "health": self.health,
            "healthErrors": errors,
        }
        if self.kind == DRA:  # DraDetails has no fqdn / fabric object id, but counts the items it serves
            out |= {"forwardProtectedItemCount": 0, "reverseProtectedItemCount": 0}
            return out
        out |= {"fabricObjectId": self.id, "fqdn": f"{self.appliance}.corp.example"}
        if self.kind == RCM_PROXY:
            out["clientAuthenticationType"] = "Certificate"
        return out


# builds of the appliance's components: ASR's own components share the appliance build; the MARS agent
# and the DRA have version lines of their own
APPLIANCE_BUILD, APPLIANCE_BUILD_BEFORE = "9.63.7187.1", "9.62.7172.1"
MARS_BUILD = "2.0.9296.0"
DRA_BUILD = "5.24.0809.1"


def demo_components(fabric: str, first: str, scale_out: str, now: float) -> list[SimComponent]:
    """Both appliances' components with the planted problems (see the module's docstring)."""
    versions = {
        RCM_PROXY: APPLIANCE_BUILD,
        PUSH_INSTALLER: APPLIANCE_BUILD,
        REPLICATION_AGENT: APPLIANCE_BUILD,
    }
    versions |= {MARS_AGENT: MARS_BUILD, DRA: DRA_BUILD}
    out = [SimComponent(kind, first, fabric, versions[kind]) for kind in KINDS]
    out += [SimComponent(kind, scale_out, fabric, versions[kind]) for kind in KINDS]
    for c in out:
        if c.appliance == first and c.kind == PUSH_INSTALLER:
            c.health, c.stalled_at, c.error = "Warning", now - 45 * 60, "78703"
        elif c.appliance == first and c.kind == MARS_AGENT:
            c.health, c.error = "Critical", "78704"
        elif c.appliance == scale_out and c.kind == REPLICATION_AGENT:
            c.version = APPLIANCE_BUILD_BEFORE
    return out

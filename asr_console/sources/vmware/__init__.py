"""The vCenter ``InventorySource`` on pyvmomi.

One login (``session``) shared by four readers: the inventory (``inventory_sync``: one ContainerView,
one PropertyCollector filter, then ``WaitForUpdatesEx`` deltas), events (``events``), churn
(``churn``: batched ``QueryPerf``) and the account's privileges (``privileges``).
"""

from __future__ import annotations

from collections.abc import Iterable

from asr_console.model.privileges import PrivilegeReport
from asr_console.model.protocols import VCenterInfo
from asr_console.model.records import ChurnSample, Event
from asr_console.model.store import Batch
from asr_console.sources.vmware.churn import ChurnReader
from asr_console.sources.vmware.endpoint import BadURL, Endpoint, UntrustedCertificate, parse_url
from asr_console.sources.vmware.events import EventReader
from asr_console.sources.vmware.inventory_sync import InventorySync
from asr_console.sources.vmware.privileges import check_privileges
from asr_console.sources.vmware.session import VCenterSession

__all__ = ["BadURL", "Endpoint", "UntrustedCertificate", "VCenterInventory", "parse_url"]


class VCenterInventory:
    """A vCenter watched incrementally (``InventorySource``).

    ``url`` may carry govc-style credentials; ``user``/``password`` win over them. ``insecure`` accepts
    any certificate; ``cafile`` adds a CA bundle to the system trust store. ``timeout`` is the socket
    timeout for ordinary calls; ``WaitForUpdatesEx`` waits at most ``max_wait_cap`` seconds and its
    socket allows that much more. The password is kept only in the session and never logged or shown.
    """

    def __init__(
        self,
        url: str,
        user: str = "",
        password: str = "",
        insecure: bool = False,
        *,
        cafile: str | None = None,
        timeout: float = 30.0,
        max_wait_cap: float = 60.0,
        page_size: int = 1000,
        details: bool = True,
        churn_history: int = 30,
        churn_samples: int = 15,
        keepalive: float = 300.0,
        event_page: int = 200,
        name: str = "vcenter",
    ) -> None:
        self.endpoint = parse_url(url)
        self.user = user or self.endpoint.user
        self.insecure = insecure
        self.name = name
        self._session = VCenterSession(
            self.endpoint,
            self.user,
            password or self.endpoint.password,
            insecure=insecure,
            cafile=cafile,
            timeout=timeout,
            max_wait_cap=max_wait_cap,
            keepalive=keepalive,
        )
        self._inventory = InventorySync(page_size=page_size, details=details, max_wait_cap=max_wait_cap)
        self._events = EventReader(event_page)
        self._churn = ChurnReader(churn_history, churn_samples)

    def __repr__(self) -> str:
        return f"VCenterInventory({self.endpoint.display!r}, user={self.user!r}, insecure={self.insecure})"

    @property
    def url(self) -> str:
        return self.endpoint.display

    @property
    def info(self) -> VCenterInfo | None:
        return self._session.info

    @property
    def synced(self) -> bool:
        """The first full read (with VM details) has finished; from now on only deltas flow."""
        return self._inventory.synced

    async def connect(self) -> VCenterInfo:
        await self._session.call(lambda login: None)
        assert self._session.info is not None
        return self._session.info

    async def changes(self, max_wait: float) -> Batch:
        return await self._session.call(lambda login: self._inventory.changes(login, max_wait))

    async def snapshot(self) -> Batch:
        """The whole inventory once, in one pass (a one-shot command's read; ``changes`` watches)."""
        return await self._session.call(lambda login: self._inventory.snapshot(login))

    async def events(self) -> list[Event]:
        return await self._session.call(self._events.read)

    async def churn(self) -> list[ChurnSample]:
        return await self._session.call(lambda login: self._churn.read(login, self._inventory.running_vms()))

    async def check_privileges(self, entities: Iterable[str] | None = None) -> list[PrivilegeReport]:
        """ASR's privileges present and missing for the logged-in user, per datacenter by default."""
        wanted = list(entities) if entities is not None else None
        return await self._session.call(
            lambda login: check_privileges(
                login, wanted if wanted is not None else self._inventory.datacenters()
            )
        )

    async def close(self) -> None:
        await self._session.close(self._inventory.cancel_wait)

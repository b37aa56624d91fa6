# pyVmomi ships py.typed but its connect helpers are unannotated.
# mypy: disable-error-code="no-untyped-call"
"""One vCenter login shared by the inventory, events, churn and privilege readers.

pyvmomi blocks, so every call runs on a small dedicated thread pool, never on the event loop. A
connection or session failure drops the login and raises ``Unreachable`` (the sync engine marks the
stream stale and backs off); the next call logs in again with a new ``generation``, which tells each
reader to recreate what belongs to the old login (views, filters, collectors).
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim, vmodl

from asr_console.model.backoff import Backoff
from asr_console.model.errors import AuthError, SourceError, Unreachable
from asr_console.model.protocols import VCenterInfo
from asr_console.sources.vmware.endpoint import Endpoint, UntrustedCertificate
from asr_console.sources.vmware.threads import DaemonCalls

log = logging.getLogger(__name__)
T = TypeVar("T")


def fault_text(exc: BaseException) -> str:
    """The first line of a vSphere fault's message (or the exception's)."""
    msg = getattr(exc, "msg", None)
    text = str(msg) if msg else str(exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def _is_connection_error(exc: BaseException) -> bool:
    return isinstance(exc, OSError | http.client.HTTPException | EOFError)


def _is_session_error(exc: BaseException) -> bool:
    return isinstance(
        exc, vim.fault.NotAuthenticated | vmodl.fault.ManagedObjectNotFound | vmodl.fault.RequestCanceled
    )


_SOCKET_DEFAULT = threading.Lock()

# Seconds a close waits for the logout. A vCenter that answers logs out in one round trip; quitting
# (q, Ctrl-C) must not wait for one that does not.
LOGOUT_GRACE = 0.5
ORPHAN_LOGOUT_WAIT = 2.0  # seconds the new login waits for the dropped sessions' logouts


@contextlib.contextmanager
def _default_socket_timeout(seconds: float) -> Iterator[None]:
    """pyVmomi's ``SmartConnect`` first fetches ``vimServiceVersions.xml`` on a connection of its own,
    without the timeout it is given; that connection takes the process's default socket timeout.
    (asyncio's sockets are non-blocking and unaffected.)"""
    with _SOCKET_DEFAULT:
        previous = socket.getdefaulttimeout()
        socket.setdefaulttimeout(seconds)
        try:
            yield
        finally:
            socket.setdefaulttimeout(previous)


def _logout(login: Login) -> bool:
    """Whether vCenter took the logout (pyVim's ``Disconnect`` hides that: it swallows every error)."""
    try:
        login.si.content.sessionManager.Logout()
    except Exception:
        return False
    return True


@dataclass(slots=True)
class Login:
    """A live login: the service instance and which login it is (readers rebuild on a new one)."""

    si: Any
    generation: int
    user: str


class VCenterSession:
    """Logs in on demand (with backoff between failed attempts), keeps the login alive, runs calls.

    ``timeout`` is the socket timeout for ordinary calls; long polls may hold a socket ``max_wait_cap``
    seconds longer. The password is kept only here and never logged or shown.
    """

    def __init__(
        self,
        endpoint: Endpoint,
        user: str,
        password: str,
        *,
        insecure: bool,
        cafile: str | None,
        timeout: float,
        max_wait_cap: float,
        keepalive: float,
    ) -> None:
        self.endpoint = endpoint
        self.user = user
        self._password = password
        self.insecure = insecure
        self.cafile = cafile
        self.timeout = timeout
        self.max_wait_cap = max_wait_cap
        self.keepalive = keepalive
        self.info: VCenterInfo | None = None
        self.closed = False

        self._calls = DaemonCalls(limit=3, name="pyvmomi")
        self._lock = threading.Lock()
        self._login: Login | None = None
        # logins dropped while vCenter could not take their logout (frozen, cut off): ended once a new
        # login shows it answers again, or the account would hold one more session each time
        self._orphans: list[Login] = []
        self._generation = 0
        self._last_call = 0.0
        self._connect_backoff = Backoff(base=0.5, cap=15.0)
        self._next_connect_at = 0.0
        self._last_connect_error: SourceError | None = None

    @property
    def url(self) -> str:
        return self.endpoint.display

    async def call(self, func: Callable[[Login], T]) -> T:
        """``func(login)`` on a pyvmomi thread, logged in, with failures turned into ``SourceError``."""
        if self.closed:
            raise SourceError(f"vCenter {self.url}: source closed")
        return await self._calls.run(lambda: self._run(func))

    def _run(self, func: Callable[[Login], T]) -> T:
        login = self.ensure()
        try:
            return func(login)
        except SourceError:
            raise
        except Exception as exc:
            if self.closed:
                raise SourceError(f"vCenter {self.url}: source closed") from None
            if _is_connection_error(exc) or _is_session_error(exc):
                log.warning("vCenter %s: session lost: %s", self.url, fault_text(exc))
                self._drop(login)
                raise self._lost(exc) from None
            if isinstance(exc, vim.fault.NoPermission):
                raise AuthError(f"vCenter {self.url}: permission denied ({fault_text(exc)})") from None
            if isinstance(exc, vmodl.MethodFault):
                raise SourceError(f"vCenter {self.url}: {fault_text(exc)}") from None
            raise

    def ensure(self) -> Login:
        """The current login, logging in (with backoff between failed attempts) when there is none."""
        with self._lock:
            login = self._login
            now = time.monotonic()
            if login is not None:
                if now - self._last_call > self.keepalive:
                    # vCenter drops idle sessions (~30 min); a cheap call keeps it and proves it alive.
                    try:
                        login.si.CurrentTime()
                    except Exception as exc:
                        self._login = None
                        self._orphans.append(login)
                        raise self._lost(exc) from None
                self._last_call = now
                return login
            if now < self._next_connect_at and self._last_connect_error is not None:
                raise self._last_connect_error
            try:
                login = self._connect()
            except SourceError as exc:
                self._last_connect_error = exc
                self._next_connect_at = now + self._connect_backoff.next()
                raise
            self._connect_backoff.reset()
            self._last_connect_error = None
            self._login = login
            self._last_call = now
            self._end_orphans()
            return login

    def _end_orphans(self) -> None:
        """Log the dropped sessions out now that vCenter answers (an expired one is gone already: its
        logout fails and that is fine). On a thread of its own, waited for briefly: a half-dead old
        connection must not hold the new login."""
        orphans, self._orphans = self._orphans, []
        if not orphans:
            return

        def end() -> None:
            for orphan in orphans:
                _logout(orphan)  # an expired session is gone already: its logout fails, and that is fine

        thread = threading.Thread(target=end, name="pyvmomi-end-orphans", daemon=True)
        thread.start()
        thread.join(ORPHAN_LOGOUT_WAIT)

    def _ssl_context(self) -> ssl.SSLContext | None:
        if self.endpoint.scheme != "https":
            return None
        if self.insecure:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context
        return ssl.create_default_context(cafile=self.cafile)

    def _connect(self) -> Login:
        ep = self.endpoint
        if not self.user:
            raise AuthError(f"vCenter {ep.display}: no user name (pass --user or set GOVC_USERNAME)")
        if not self._password:
            raise AuthError(
                f"vCenter {ep.display}: no password for {self.user} (set GOVC_PASSWORD or keep it in the "
                "OS keyring)"
            )
        where = f"{ep.host}:{ep.port}"
        try:
            with _default_socket_timeout(self.timeout):
                si = SmartConnect(
                    protocol=ep.scheme,
                    host=ep.host,
                    port=ep.port,
                    path=ep.path,
                    user=self.user,
                    pwd=self._password,
                    sslContext=self._ssl_context(),
                    disableSslCertValidation=self.insecure,
                    httpConnectionTimeout=self.timeout + self.max_wait_cap,
                )
        except vim.fault.InvalidLogin:
            raise AuthError(
                f"vCenter {ep.display}: wrong user name or password (user {self.user!r})"
            ) from None
        except vim.fault.NoPermission as exc:
            raise AuthError(
                f"vCenter {ep.display}: user {self.user!r} may not log in ({fault_text(exc)})"
            ) from None
        except ssl.SSLCertVerificationError as exc:
            raise UntrustedCertificate(
                f"vCenter {ep.display}: certificate not trusted ({exc.verify_message}); "
                "pass --insecure (or set GOVC_INSECURE=1) to accept a self-signed certificate"
            ) from None
        except ssl.SSLError as exc:
            raise Unreachable(f"vCenter {ep.display}: TLS handshake failed ({exc.reason or exc})") from None
        except socket.gaierror:
            raise Unreachable(f"vCenter {ep.display}: cannot resolve host {ep.host!r}") from None
        except ConnectionRefusedError:
            raise Unreachable(f"vCenter {ep.display}: connection refused by {where}") from None
        except TimeoutError:
            raise Unreachable(f"vCenter {ep.display}: no answer from {where} (timed out)") from None
        except OSError as exc:
            raise Unreachable(
                f"vCenter {ep.display}: cannot connect to {where} ({exc.strerror or exc})"
            ) from None
        except vmodl.MethodFault as exc:
            raise SourceError(f"vCenter {ep.display}: login failed ({fault_text(exc)})") from None
        except Exception as exc:  # pyvmomi raises bare exceptions for non-vSphere endpoints
            raise Unreachable(
                f"vCenter {ep.display}: not a vSphere API endpoint ({fault_text(exc)})"
            ) from None
        self._generation += 1
        about = si.content.about
        self.info = VCenterInfo(
            url=ep.display,
            version=str(about.version or ""),
            api_version=str(about.apiVersion or ""),
            instance_uuid=str(about.instanceUuid or ""),
        )
        log.info("vCenter %s: logged in as %s (%s)", ep.display, self.user, about.fullName)
        return Login(si=si, generation=self._generation, user=self.user)

    def _drop(self, login: Login) -> None:
        with self._lock:
            if self._login is login:
                self._login = None
        if not _logout(login):  # vCenter did not take the logout: try again once it answers
            with self._lock:
                if all(orphan is not login for orphan in self._orphans):  # calls fail together
                    self._orphans.append(login)

    def _lost(self, exc: BaseException) -> Unreachable:
        reason = (
            fault_text(exc)
            if not isinstance(exc, OSError)
            else (exc.strerror or str(exc) or type(exc).__name__)
        )
        return Unreachable(f"vCenter {self.url}: connection lost ({reason}); reconnecting")

    async def close(self, before_logout: Callable[[], None], grace: float = LOGOUT_GRACE) -> None:
        """Log out; ``before_logout`` runs first on the logout thread (e.g. to cancel a long poll).
        Waits at most ``grace`` seconds: a vCenter that does not answer has its session expire."""
        if self.closed:
            return
        self.closed = True
        login = self._login
        self._login = None
        if login is not None:

            def logout() -> None:
                with contextlib.suppress(Exception):
                    before_logout()
                with contextlib.suppress(Exception):
                    Disconnect(login.si)

            # A WaitForUpdatesEx may hold a pool thread; log out from a fresh one.
            thread = threading.Thread(target=logout, name="pyvmomi-logout", daemon=True)
            thread.start()
            # wait a little for a clean logout, never for a vCenter that does not answer
            deadline = asyncio.get_running_loop().time() + min(self.timeout, grace)
            while thread.is_alive() and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.02)

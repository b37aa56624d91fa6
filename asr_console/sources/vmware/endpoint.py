"""The vCenter URL: parsed once, shown without its credentials."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from asr_console.model.errors import SourceError, Unreachable
from asr_console.model.redact import mask_url


class BadURL(SourceError):
    """The vCenter URL cannot be used (scheme, host or port)."""


class UntrustedCertificate(Unreachable):
    """The endpoint's TLS certificate did not verify and --insecure was not given."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    scheme: str
    host: str
    port: int
    path: str
    user: str = ""
    password: str = ""

    @property
    def display(self) -> str:
        """The URL without credentials, for messages and logs."""
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if self.port == default else f":{self.port}"
        return f"{self.scheme}://{host}{port}{self.path}"


def parse_url(url: str) -> Endpoint:
    """``vc01``, ``https://vc01/sdk``, ``http://127.0.0.1:8989/sdk`` or govc's ``https://user:pw@vc01``."""
    text = (url or "").strip()
    shown = mask_url(text)
    if not text:
        raise BadURL("no vCenter URL: pass --vcenter URL or set GOVC_URL")
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise BadURL(f"bad vCenter URL {shown!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise BadURL(f"bad vCenter URL {shown!r}: scheme must be https (or http for a simulator)")
    if not parts.hostname:
        raise BadURL(f"bad vCenter URL {shown!r}: no host")
    path = parts.path if parts.path not in ("", "/") else "/sdk"
    return Endpoint(
        scheme=scheme,
        host=parts.hostname,
        port=port or (443 if scheme == "https" else 80),
        path=path,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )

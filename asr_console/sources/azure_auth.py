"""Credentials for ARM from azure-identity, chosen by the ``auth`` setting.

``token`` is a static bearer token from ``ASR_CONSOLE_ACCESS_TOKEN`` (what ``az account
get-access-token`` prints), for jump hosts without a browser or the Azure CLI.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import Any

from azure.core.credentials import AccessToken
from azure.core.credentials_async import AsyncTokenCredential

from asr_console.model.errors import AuthError

TOKEN_ENV = "ASR_CONSOLE_ACCESS_TOKEN"
AUTH_METHODS = ("default", "device-code", "cli", "service-principal", "token")


class StaticTokenCredential(AsyncTokenCredential):
    """A bearer token given as is; it cannot be refreshed, so an expired one is an ``AuthError``."""

    def __init__(self, token: str, expires_on: int | None = None) -> None:
        self._token = token.strip()
        # az prints expiresOn; without it assume the usual hour so azure-core does not ask too early
        self._expires_on = expires_on or int(time.time()) + 3600

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, self._expires_on)

    async def close(self) -> None:
        return None

    async def __aexit__(self, *args: Any) -> None:
        return None


def make_credential(
    method: str,
    *,
    tenant: str = "",
    authority: str | None = None,
    env: Mapping[str, str] | None = None,
    prompt: Callable[[str, str, Any], None] | None = None,
    interactive: bool = True,
) -> AsyncTokenCredential:
    """``interactive=False`` (background polls in the TUI) makes device code raise instead of prompting;
    the UI then calls ``authenticate`` in the foreground with its own ``prompt``."""
    env = os.environ if env is None else env
    kwargs: dict[str, Any] = {}
    if authority:
        kwargs["authority"] = authority
    if method == "token":
        token = env.get(TOKEN_ENV, "")
        if not token:
            raise AuthError(
                f"--auth token needs the bearer token in {TOKEN_ENV} (az account get-access-token)"
            )
        return StaticTokenCredential(token)
    from azure.identity import aio as identity

    if method == "default":
        if tenant:
            kwargs["additionally_allowed_tenants"] = ["*"]
        return identity.DefaultAzureCredential(**kwargs)
    if method == "cli":
        return identity.AzureCliCredential(tenant_id=tenant) if tenant else identity.AzureCliCredential()
    if method == "service-principal":
        tenant_id = tenant or env.get("AZURE_TENANT_ID", "")
        client_id = env.get("AZURE_CLIENT_ID", "")
        if not tenant_id or not client_id:
            raise AuthError("service-principal needs AZURE_TENANT_ID and AZURE_CLIENT_ID")
        if env.get("AZURE_CLIENT_SECRET"):
            return identity.ClientSecretCredential(tenant_id, client_id, env["AZURE_CLIENT_SECRET"], **kwargs)
        if env.get("AZURE_CLIENT_CERTIFICATE_PATH"):
            return identity.CertificateCredential(
                tenant_id,
                client_id,
                env["AZURE_CLIENT_CERTIFICATE_PATH"],
                password=env.get("AZURE_CLIENT_CERTIFICATE_PASSWORD"),
                **kwargs,
            )
        raise AuthError("service-principal needs AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH")
    if method == "device-code":
        # azure-identity has no async device-code credential: the sync one, used from threads by
        # azure-core's async pipeline, is wrapped so the event loop never blocks on the prompt.
        from azure.identity import DeviceCodeCredential

        sync = DeviceCodeCredential(
            tenant_id=tenant or None,
            prompt_callback=prompt,
            disable_automatic_authentication=not interactive,
            **kwargs,
        )
        return _ThreadedCredential(sync)
    raise AuthError(f"unknown auth method {method!r}; use one of {', '.join(AUTH_METHODS)}")


class _ThreadedCredential(AsyncTokenCredential):
    def __init__(self, sync: Any) -> None:
        self._sync = sync

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        import asyncio

        token: AccessToken = await asyncio.to_thread(self._sync.get_token, *scopes, **kwargs)
        return token

    async def close(self) -> None:
        self._sync.close()

    async def __aexit__(self, *args: Any) -> None:
        await self.close()

# pyVmomi's generated data-object constructors are unannotated.
# mypy: disable-error-code="no-untyped-call"
"""The logged-in account's ASR privileges, asked of vCenter's AuthorizationManager."""

from __future__ import annotations

from typing import Any

from pyVmomi import vim, vmodl

from asr_console.model.privileges import PrivilegeReport, evaluate, privilege_ids
from asr_console.sources.vmware.session import Login


def check_privileges(session: Login, wanted: list[str]) -> list[PrivilegeReport]:
    """Present and missing privileges on each of ``wanted`` (datacenter morefs; the root folder if none)."""
    content = session.si.content
    stub = session.si._stub
    current = content.sessionManager.currentSession
    user = str(current.userName) if current else session.user
    refs: list[Any] = [vim.Datacenter(m, stub) for m in wanted] or [content.rootFolder]
    manager = content.authorizationManager
    ids = privilege_ids()
    reports: list[PrivilegeReport] = []
    try:
        results = manager.FetchUserPrivilegeOnEntities(entities=refs, userName=user)
        for result in results or ():
            reports.append(evaluate(user, result.entity._moId, result.privileges or ()))
    except vmodl.MethodFault:
        # Older vCenters, or an account that may not read its own privileges this way.
        for ref in refs:
            flags = manager.HasPrivilegeOnEntity(entity=ref, sessionId=current.key, privId=ids)
            granted = [pid for pid, ok in zip(ids, flags, strict=False) if ok]
            reports.append(evaluate(user, ref._moId, granted))
    return reports

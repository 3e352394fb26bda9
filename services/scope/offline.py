"""The scope service offline: what the `leaf` CLI may call on the scope database in-process, with no mesh
(docs/cli.md). The CLI imports this module and nothing else of scope (tests/unit/test_imports.py).

Two kinds of callers. An operator's actions (`leaf entitlements`, `leaf demo`) open the database at
LEAF_SCOPE_DB_URL, migrated on open, and call the same use cases the ScopeService servicer calls; the OS account that
can open that database is the proof of authority, so `operator` is `local:<OS user>`. An analyst's reads
(`leaf report` names, `leaf itr plan` resolution) only read a registry already loaded: they never create or
migrate one, and with none they say so instead of guessing.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from kernel.errors import InputError, NotFound
from runtime.db import make_engine
from runtime.settings import load_settings
from services.scope.adapters.repository import SqlRegistryRepository
from services.scope.bootstrap import ScopeDatabaseSettings, open_entitlements, open_registry
from services.scope.domain.entitlements import AuditEntry, Entitlement, GrantEntitlement, RevokeEntitlement
from services.scope.domain.entitlements import principal as principal
from services.scope.domain.names import DescribeScope, ScopeNames, describe
from services.scope.domain.registry import Registry
from services.scope.domain.resolution import Resolution, ResolveScope, resolve
from services.scope.service_layer.entitlements import grant_entitlement, list_entitlements, revoke_entitlement

EVERY_GROUP: frozenset[str] = frozenset()  # the analyst reads a registry they loaded themselves: no entitlement narrows it
T = TypeVar("T")


# --- an operator's actions -------------------------------------------------------------------------------------
def _stores():
    registry = open_registry(load_settings(ScopeDatabaseSettings).LEAF_SCOPE_DB_URL)
    return registry, open_entitlements(registry)


def grant(who: str, client_id: str, group_ids: tuple[str, ...], operator: str, reason: str) -> Entitlement:
    """Let a principal (user:<email>, group:<name>, service:<common_name>) see a client, or some of its groups."""
    registry, entitlements = _stores()
    return grant_entitlement(GrantEntitlement(Entitlement(who, client_id, group_ids), operator, reason), entitlements,
                             registry)


def revoke(who: str, client_id: str, operator: str, reason: str) -> bool:
    """Take a principal's entitlement to a client away; False when there was none."""
    _, entitlements = _stores()
    return revoke_entitlement(RevokeEntitlement(who, client_id, operator, reason), entitlements)


def entitlements_of(who: str | None) -> list[Entitlement]:
    """The entitlements of one principal, or all."""
    _, entitlements = _stores()
    return list_entitlements(who, entitlements)


def audit(who: str | None) -> list[AuditEntry]:
    """The append-only log of grants and revokes, of one principal (namespaced as it is stored) or all."""
    _, entitlements = _stores()
    return entitlements.audit_log(principal(who) if who else None)


def load_registry(document: dict) -> None:
    """Replace the registry with `document` (demo/registry.json's shape)."""
    registry, _ = _stores()
    registry.replace(document)


def entitle_every_client(who: str, operator: str, reason: str) -> None:
    """Every client of the registry to `who`, once (a grant writes an audit row, so nothing is granted twice)."""
    registry, entitlements = _stores()
    held = {e.client_id for e in list_entitlements(who, entitlements) if not e.group_ids}
    for client in registry.load().clients:
        if client.client_id not in held:
            grant_entitlement(GrantEntitlement(Entitlement(who, client.client_id), operator, reason), entitlements,
                              registry)


# --- an analyst's reads of a registry already loaded ------------------------------------------------------------
def _read_loaded(read: Callable[[Registry], T]) -> tuple[T | None, str | None]:
    """`read` of the loaded registry, or None with why not: no registry (never created here), or unreadable."""
    url = load_settings(ScopeDatabaseSettings).LEAF_SCOPE_DB_URL
    database = make_url(url).database
    if url.startswith("sqlite") and not (database and Path(database).exists()):
        return None, "no scope registry under LEAF_HOME; `leaf demo` loads the demo's"
    engine = make_engine(url)
    try:
        return read(SqlRegistryRepository(engine).load()), None
    except SQLAlchemyError as exc:
        return None, f"the local scope registry cannot be read ({exc.__class__.__name__})"
    finally:
        engine.dispose()


def local_names(client_id: str, pbm_id: str, tpa_id: str | None, group_ids: tuple[str, ...]) -> tuple[ScopeNames | None, str]:
    """The names of a scope's ids in the local registry, or None; and where they came from (for a progress line).
    Never demo/registry.json as a fallback: its names beside a real client's id would be wrong names."""
    order = DescribeScope(client_id, pbm_id, tpa_id, group_ids)
    try:
        names, why_not = _read_loaded(lambda registry: describe(order, registry, EVERY_GROUP))
    except NotFound:
        return None, f"ids only: the local scope registry has no client {client_id}"
    return (names, "from the local scope registry") if names is not None else (None, f"ids only: {why_not}")


def local_resolution(client_id: str, pbm_id: str, date_from: str, date_to: str, tpa_id: str | None,
                     group_ids: tuple[str, ...]) -> tuple[dict | None, str]:
    """A scope ask resolved against the local registry, as POST /v1/scopes:resolve answers it, or None; and where it
    came from (for the command's stderr line)."""
    def resolved(registry: Registry) -> Resolution:
        return resolve(ResolveScope(client_id, pbm_id, date_from, date_to, tpa_id, group_ids), registry)

    try:
        resolution, why_not = _read_loaded(resolved)
    except InputError as err:
        return None, f"not resolved: {err.message}"
    if resolution is None:
        return None, f"not resolved: {why_not}"
    return resolution_to_json(resolution), "resolved against the local scope registry"


def resolution_to_json(resolution: Resolution) -> dict:
    """The shape POST /v1/scopes:resolve answers."""
    scope = resolution.scope
    return {
        "state": resolution.state.value,
        "scope": scope.canonical() if scope else None, "scope_hash": scope.scope_hash if scope else None,
        "partial": scope.is_partial if scope else None, "reasons": list(resolution.reasons),
        "candidates": [{"client_id": c.client_id, "client_name": c.name, "pbm_id": p.pbm_id, "tpa_id": p.tpa_id,
                        "valid_from": p.valid_from.isoformat(), "valid_to": p.valid_to.isoformat()}
                       for c, p in resolution.candidates],
    }


__all__ = ["audit", "entitle_every_client", "entitlements_of", "grant", "load_registry", "local_names",
           "local_resolution", "principal", "resolution_to_json", "revoke"]

"""The scope of a plan resolved against the scope registry loaded under LEAF_HOME, for `leaf itr plan` at the
operator's machine (as cli/offline_names.py reads it for `leaf report`): no entitlement narrows it, nothing is
created or migrated, and with no registry the plan says so instead of guessing."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from kernel.errors import InputError
from runtime.db import make_engine
from runtime.settings import load_settings
from services.itr.domain.plan import ScopeAsk
from services.scope.adapters.repository import SqlRegistryRepository
from services.scope.bootstrap import ScopeDatabaseSettings
from services.scope.domain.resolution import Resolution, ResolveScope, resolve


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


def local_resolution(ask: ScopeAsk) -> tuple[dict | None, str]:
    """The resolution, and where it came from (for the command's stderr line)."""
    url = load_settings(ScopeDatabaseSettings).LEAF_SCOPE_DB_URL
    database = make_url(url).database
    if url.startswith("sqlite") and not (database and Path(database).exists()):
        return None, "not resolved: no scope registry under LEAF_HOME; `leaf demo` loads the demo's"
    engine = make_engine(url)
    try:
        registry = SqlRegistryRepository(engine).load()
        order = ResolveScope(ask.client_id, ask.pbm_id, ask.date_from, ask.date_to, ask.tpa_id, ask.group_ids)
        return resolution_to_json(resolve(order, registry)), "resolved against the local scope registry"
    except InputError as err:
        return None, f"not resolved: {err.message}"
    except SQLAlchemyError as exc:
        return None, f"not resolved: the local scope registry cannot be read ({exc.__class__.__name__})"
    finally:
        engine.dispose()

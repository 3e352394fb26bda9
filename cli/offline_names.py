"""Names beside ids for `leaf report`: from the scope registry loaded under LEAF_HOME (`leaf demo` loads the demo's).

With no registry loaded, or none that knows the client, the deliverables show ids alone. Never demo/registry.json
as a fallback: its names belong to the demo, and beside a real client's id they would put a wrong name on a
deliverable. The registry database is only read: a report never creates or migrates one.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from kernel.errors import NotFound
from kernel.scope import Scope
from runtime.db import make_engine
from runtime.settings import load_settings
from services.publisher.domain.run_context import Names
from services.scope.adapters.repository import SqlRegistryRepository
from services.scope.bootstrap import ScopeDatabaseSettings
from services.scope.domain.names import DescribeScope, describe

EVERY_GROUP = frozenset()  # the analyst reads a local registry they loaded themselves: no entitlement narrows it


def local_names(scope: Scope) -> tuple[Names, str]:
    """The names of the scope's ids, and where they came from (for the command's progress line)."""
    url = load_settings(ScopeDatabaseSettings).LEAF_SCOPE_DB_URL
    database = make_url(url).database
    if url.startswith("sqlite") and not (database and Path(database).exists()):
        return Names(), "ids only: no scope registry under LEAF_HOME; `leaf demo` loads the demo's"
    engine = make_engine(url)
    try:
        registry = SqlRegistryRepository(engine).load()
        names = describe(DescribeScope(scope.client_id, scope.pbm_id, scope.tpa_id, scope.group_ids), registry,
                         EVERY_GROUP)
    except NotFound:
        return Names(), f"ids only: the local scope registry has no client {scope.client_id}"
    except SQLAlchemyError as exc:
        return Names(), f"ids only: the local scope registry cannot be read ({exc.__class__.__name__})"
    finally:
        engine.dispose()
    return Names(names.client, names.pbm, names.tpa, names.groups), "from the local scope registry"

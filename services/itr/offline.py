"""The itr service offline: what the `leaf` CLI may call on the ITR mirror in-process, as an operator at the
database's own machine (`leaf itr sync|bundle|plan`, docs/cli.md). The CLI imports this module and nothing else
of itr (tests/unit/test_imports.py); the mirror's adapters are composed here, from the settings the service reads.
"""
from __future__ import annotations

from runtime.settings import load_settings
from services.itr.adapters.mirror import SqlRequestMirror
from services.itr.adapters.mirror_store import SqlMirrorStore
from services.itr.adapters.search_source import SqlSearchSource
from services.itr.bootstrap import MirrorSettings, open_mirror
from services.itr.domain.plan import Choice, PlanAsk
from services.itr.domain.plan import ask_to_json as ask_to_json
from services.itr.service_layer.mirrored_requests import operator_bundle, operator_plan_ask
from services.itr.service_layer.search import index_mirror
from services.itr.service_layer.sync import sync_requests


def sync(export_dir: str | None = None):
    """The same use case as the service's SyncRequests, from Salesforce as configured, the configured local export,
    or `export_dir`; then the search index follows the mirror (docs/search.md). Returns (the sync summary, the
    index's counts)."""
    settings = load_settings(MirrorSettings)
    source = settings.record_source(export_dir)
    engine = open_mirror(settings.LEAF_ITR_DB_URL)
    summary = sync_requests(source, SqlMirrorStore(engine), settings.sync_options())
    indexed = index_mirror(SqlSearchSource(engine), settings.search_index(settings.LEAF_ITR_DB_URL),
                           settings.salesforce_hosts())
    return summary, indexed


def bundle(request_id: str) -> str:
    """The evidence bundle of any request as JSON text; a deleted one says so."""
    return operator_bundle(request_id, _mirror())


def plan_ask(request_id: str, pbm_id: str = "", tpa_id: str = "", date_from: str = "", date_to: str = "",
             proposal_id: str = "") -> PlanAsk:
    """A request's run ask with an operator's choices (empty: the request's value); `ask_to_json` spells it."""
    return operator_plan_ask(request_id, _mirror(), Choice(pbm_id, tpa_id, date_from, date_to, proposal_id))


def _mirror() -> SqlRequestMirror:
    return SqlRequestMirror(open_mirror(load_settings(MirrorSettings).LEAF_ITR_DB_URL))

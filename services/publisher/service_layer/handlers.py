"""Publisher use cases: publish a run once; read a publication back."""
from __future__ import annotations

import json

from runtime.errors import NotFound
from services.publisher.adapters.repository import SqlPublicationRepository
from services.publisher.domain.dashboard import Table, dashboard_tables


def publish_run(run_id: str, result_json: bytes, publications: SqlPublicationRepository) -> tuple[str, list[Table]]:
    result = json.loads(result_json)
    publications.add(run_id, result["scope_hash"], result["scope"]["client_id"], dashboard_tables(run_id, result))
    return get_publication(run_id, publications)


def get_publication(run_id: str, publications: SqlPublicationRepository) -> tuple[str, list[Table]]:
    found = publications.get(run_id)
    if found is None:
        raise NotFound("publication_not_found", f"run {run_id!r} has not been published")
    return found

"""Publisher use cases: publish a run once; read a publication back."""
from __future__ import annotations

import json

from runtime.errors import NotFound
from services.publisher.adapters.repository import SqlPublicationRepository
from services.publisher.domain.dashboard import Table, dashboard_tables, to_csv
from services.publisher.domain.presentation_contract import Artifact, enforce
from services.publisher.domain.suppression import suppress_tables


def publish_run(run_id: str, result_json: bytes, publications: SqlPublicationRepository) -> tuple[str, list[Table]]:
    result = json.loads(result_json)
    # Suppression looks at every table at once: a bucket hidden in one must be hidden in all.
    published = suppress_tables(dashboard_tables(run_id, result))
    enforce(list(dashboard_artifacts(published)))  # the presentation contract: refused means nothing is stored
    publications.add(run_id, result["scope_hash"], result["scope"]["client_id"], published)
    return get_publication(run_id, publications)


def dashboard_artifacts(published: list[Table]):
    """Every table exactly as it will be served: CSV and JSON."""
    for table in published:
        yield Artifact(f"dashboard/{table.name}.csv", "text/csv", to_csv(table))
        yield Artifact(f"dashboard/{table.name}.json", "application/json",
                       json.dumps(list(table.rows), ensure_ascii=False).encode("utf-8"))


def get_publication(run_id: str, publications: SqlPublicationRepository) -> tuple[str, list[Table]]:
    found = publications.get(run_id)
    if found is None:
        raise NotFound("publication_not_found", f"run {run_id!r} has not been published")
    return found


def dashboard_table(run_id: str, name: str, client_id: str, publications: SqlPublicationRepository) -> Table:
    """One dashboard table of a run, only for the run's own client: another client's run is not found."""
    if not client_id or publications.client_of(run_id) != client_id:
        raise NotFound("publication_not_found", f"no published run {run_id!r} for client {client_id!r}")
    _, published = get_publication(run_id, publications)
    for table in published:
        if table.name == name:
            return table
    raise NotFound("table_not_found", f"run {run_id!r} has no dashboard table {name!r}")

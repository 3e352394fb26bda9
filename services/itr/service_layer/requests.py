"""ITR use cases as the mesh serves them: the mirror read only inside the caller's scope grant."""
from __future__ import annotations

from runtime.errors import NotFound
from runtime.grants import Grant
from services.itr.adapters.mirror import SqlRequestMirror
from services.itr.domain.access import request_in_grant


def _groups(row: dict) -> list[str]:
    return [g for g in row["group_ids"].split(";") if g]


def list_requests(client_id: str, status: str, grant: Grant, mirror: SqlRequestMirror) -> list[dict]:
    """The requests the grant covers; a named client outside it is refused whether it exists or not."""
    if client_id and not grant.covers_client(client_id):
        raise NotFound("client_not_found", f"no client {client_id!r} for this caller")
    return [row for row in mirror.list(client_id, status) if request_in_grant(grant, row["client_id"], _groups(row))]


def get_request(request_id: str, grant: Grant, mirror: SqlRequestMirror) -> dict:
    """One request; another client's (or group's) is answered exactly as one that is not mirrored."""
    row = mirror.get(request_id)
    if row is None or not request_in_grant(grant, row["client_id"], _groups(row)):
        raise NotFound("request_not_found", f"no request {request_id!r} in the mirror")
    return row

"""ITR use cases as the mesh serves them: the mirror read only inside the caller's scope grant.

Not named requests.py, which shadows the HTTP library wherever its folder lands on sys.path.
"""
from __future__ import annotations

import json
from collections.abc import Iterable

from kernel.errors import NotFound
from kernel.grants import Grant
from services.itr.domain.access import request_in_grant
from services.itr.domain.bundle import build_bundle, checked
from services.itr.domain.plan import Choice, PlanAsk, plan_ask
from services.itr.service_layer.ports import RequestMirror, RequestReader


def _groups(row: dict) -> list[str]:
    return [g for g in row["group_ids"].split(";") if g]


def list_requests(client_id: str, status: str, grant: Grant, mirror: RequestMirror) -> list[dict]:
    """The requests the grant covers; a named client outside it is refused whether it exists or not."""
    if client_id and not grant.covers_client(client_id):
        raise NotFound("client_not_found", f"no client {client_id!r} for this caller")
    return [row for row in mirror.list(client_id, status) if request_in_grant(grant, row["client_id"], _groups(row))]


def get_request(request_id: str, grant: Grant, mirror: RequestReader) -> dict:
    """One request; another client's (or group's) is answered exactly as one that is not mirrored."""
    row = mirror.get(request_id)
    if row is None or not request_in_grant(grant, row["client_id"], _groups(row)):
        raise NotFound("request_not_found", f"no request {request_id!r} in the mirror")
    return row


def bundle_json(row: dict, mirror: RequestMirror, hosts: Iterable[str] = ()) -> str:
    """The evidence bundle of a request already found for the caller, as checked JSON."""
    parts = mirror.bundle_parts(row["request_id"])
    return checked(build_bundle(row, parts["history"], parts["files"], parts["notes"], parts["feed"],
                                parts["comments"], parts["flags"]), hosts)


def get_bundle(request_id: str, grant: Grant, mirror: RequestMirror, hosts: Iterable[str] = ()) -> tuple[dict, str]:
    row = get_request(request_id, grant, mirror)
    return row, bundle_json(row, mirror, hosts)


def operator_bundle(request_id: str, mirror: RequestMirror) -> str:
    """`leaf itr bundle`: any request, at the database's own machine; a deleted one says so."""
    row = mirror.get(request_id, include_deleted=True)
    if row is None:
        raise NotFound("request_not_found", f"no request {request_id!r} in the mirror")
    if row["is_deleted"]:
        raise NotFound("request_deleted", f"request {request_id!r} ({row['name']}) was deleted in Salesforce")
    return bundle_json(row, mirror)


def request_plan_ask(request_id: str, choice: Choice, grant: Grant, mirror: RequestReader) -> tuple[dict, PlanAsk]:
    """The plan's ask of a request found for the caller (another client's is not found, like an unknown one)."""
    row = get_request(request_id, grant, mirror)
    return row, plan_ask(json.loads(row["fields_json"]), choice)


def operator_plan_ask(request_id: str, mirror: RequestReader, choice: Choice = Choice()) -> PlanAsk:
    """`leaf itr plan`: any request, at the database's own machine; a deleted one says so (as `leaf itr bundle`)."""
    row = mirror.get(request_id, include_deleted=True)
    if row is None:
        raise NotFound("request_not_found", f"no request {request_id!r} in the mirror")
    if row["is_deleted"]:
        raise NotFound("request_deleted", f"request {request_id!r} ({row['name']}) was deleted in Salesforce")
    return plan_ask(json.loads(row["fields_json"]), choice)

"""The ITR routes: HTTP ↔ gRPC for the mirrored Salesforce requests, nothing more (services/gateway/service_layer/itr.py)."""
from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel

from services.gateway.adapters.mesh import Mesh
from services.gateway.domain.identity import Identity
from services.gateway.entrypoints.auth import authenticate
from services.gateway.entrypoints.edge import record
from services.gateway.service_layer import itr

REQUEST_ID = r"^[A-Za-z0-9]{15,18}$"  # a Salesforce id


class ItrRequest(BaseModel):
    request_id: str
    name: str
    subject: str
    status: str
    priority: str
    client_id: str
    pbm_id: str
    tpa_id: str
    group_ids: list[str]
    period_start: str
    period_end: str
    deliverables: list[str]
    last_modified: str
    links: dict[str, str]


class ItrRun(BaseModel):
    run_id: str | None
    task_id: str
    kind: str
    state: str
    created_at: str
    links: dict[str, str]


class ItrRequestWithRuns(BaseModel):
    request: ItrRequest
    runs: list[ItrRun]


class ItrRequests(BaseModel):
    requests: list[ItrRequest]


def router(mesh: Callable[[], Mesh]) -> APIRouter:
    """`mesh` gives the gateway's mesh once its lifespan has opened it."""
    routes = APIRouter(prefix="/itr", tags=["itr"])

    @routes.get("/requests", response_model=ItrRequests)
    async def list_requests(client_id: str = Query("", max_length=64), status: str = Query("", max_length=32),
                            identity: Identity = Depends(authenticate)) -> dict:
        """The mirrored IT requests the caller may see (of one client, in one status)."""
        return await itr.list_requests(mesh(), identity, client_id, status)

    @routes.get("/requests/{request_id}", response_model=ItrRequestWithRuns)
    async def get_request(request: Request, request_id: str = Path(pattern=REQUEST_ID),
                          identity: Identity = Depends(authenticate)) -> dict:
        """One IT request as mirrored from Salesforce, and the runs made for it (from the task plane's lineage)."""
        found = await itr.get_request(mesh(), identity, request_id)
        record(request, client_id=found["request"]["client_id"])
        return found

    @routes.get("/requests/{request_id}/bundle", response_model=dict)
    async def get_bundle(request: Request, request_id: str = Path(pattern=REQUEST_ID),
                         identity: Identity = Depends(authenticate)) -> dict:
        """The request's evidence bundle: fields, history timeline, files metadata with checksums, notes, feed,
        data-quality flags and lineage — no Salesforce URL, body URL or token."""
        found, bundle = await itr.get_bundle(mesh(), identity, request_id)
        record(request, client_id=found.client_id)
        return bundle

    return routes

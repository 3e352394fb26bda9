"""The takeover routes: HTTP ↔ gRPC for the load ledger of Domo exports, nothing more
(services/gateway/service_layer/takeover.py). Ingesting is an operator's CLI or a takeover_ingest task."""
from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field

from services.gateway.adapters.mesh import Mesh
from services.gateway.domain.identity import Identity
from services.gateway.entrypoints.auth import authenticate
from services.gateway.service_layer import takeover

LOAD_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"


class DatasetRows(BaseModel):
    dataset_id: str
    rows: int


class TakeoverLoad(BaseModel):
    ingest_id: str
    load_id: str | None
    status: str = Field(description="promoted | quarantined | unchanged")
    reasons: list[str] = Field(description="every promotion guardrail that failed (takeover.md section 3)")
    datasets: list[DatasetRows]
    export_id: str | None
    content_sha256: str
    ingested_at: str
    ingested_by: str
    promoted_at: str | None
    promoted_by: str | None
    source: str
    files: list[dict] = Field(description="the export's files in bronze: path, sha256, bytes")
    rejected: dict[str, dict] = Field(description="per dataset, rows whose value does not convert to its type")
    links: dict[str, str]


class TakeoverLoads(BaseModel):
    loads: list[TakeoverLoad]


class TakeoverLoadWithIngests(BaseModel):
    load: TakeoverLoad
    ingests: list[TakeoverLoad]


def router(mesh: Callable[[], Mesh]) -> APIRouter:
    routes = APIRouter(prefix="/takeover", tags=["takeover"])

    @routes.get("/loads", response_model=TakeoverLoads)
    async def list_loads(identity: Identity = Depends(authenticate)) -> dict:
        """Every ingest of a Domo (Leaf IQ) export, oldest first: promoted, quarantined with its reasons, or
        unchanged (the same export again)."""
        return await takeover.list_loads(mesh(), identity)

    @routes.get("/loads/{load_id}", response_model=TakeoverLoadWithIngests)
    async def get_load(load_id: str = Path(pattern=LOAD_ID), identity: Identity = Depends(authenticate)) -> dict:
        """One load: its promoted ingest (else its newest) and every ingest of it, newest first."""
        return await takeover.get_load(mesh(), identity, load_id)

    return routes

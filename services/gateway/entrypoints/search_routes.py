"""GET /v1/search: HTTP ↔ gRPC for full-text search over the ITR requests and their bundles, nothing more
(services/gateway/service_layer/search.py; the documents: docs/search.md)."""
from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from services.gateway.adapters.mesh import Mesh
from services.gateway.domain.identity import Identity
from services.gateway.entrypoints.auth import authenticate
from services.gateway.entrypoints.itr_routes import ItrRun
from services.gateway.service_layer import search


class HitScope(BaseModel):
    client_id: str
    pbm_id: str
    tpa_id: str
    group_ids: list[str]


class HitLineage(BaseModel):
    request_id: str
    runs: list[ItrRun]


class SearchHit(BaseModel):
    id: str
    kind: str
    title: str
    snippet: str
    score: float
    updated: str | None
    scope: HitScope
    lineage: HitLineage
    links: dict[str, str]


class SearchResults(BaseModel):
    query: str
    hits: list[SearchHit]


def router(mesh: Callable[[], Mesh]) -> APIRouter:
    """`mesh` gives the gateway's mesh once its lifespan has opened it."""
    routes = APIRouter(tags=["search"])

    @routes.get("/search", response_model=SearchResults)
    async def search_requests(q: str = Query(min_length=1, max_length=200, description="words, all required"),
                              page_size: int = Query(20, ge=1, le=100),
                              identity: Identity = Depends(authenticate)) -> dict:
        """Full-text search over the mirrored IT requests and their evidence bundles the caller may see, best first;
        each hit with its request's runs."""
        return await search.search(mesh(), identity, q, page_size)

    return routes

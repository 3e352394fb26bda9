"""The HTTP face of the mesh: each route translates HTTP ↔ gRPC through a gateway use case, nothing more."""
from __future__ import annotations

import json
from contextlib import asynccontextmanager
from typing import Callable

from fastapi import FastAPI, Path, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from leaf.scope.v1 import scope_pb2
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from runtime.errors import DomainError
from services.gateway.adapters.mesh import Mesh
from services.gateway.entrypoints import problems
from services.gateway.entrypoints.schemas import (DashboardTable, Health, Packets, PacketWithBody, Problem, Registry, Resolution, Run,
                                                  RunRequest, ScopeRequest, Sufficiency, SufficiencyRequest)
from services.gateway.service_layer import evidence, registry, runs

ERRORS = {code: {"model": Problem, "content": {"application/problem+json": {}}} for code in (400, 404, 409, 422, 503, 504)}


def _scope_request(body: ScopeRequest) -> scope_pb2.ResolveScopeRequest:
    request = scope_pb2.ResolveScopeRequest(client=body.client_id, pbm=body.pbm_id, group_ids=body.group_ids,
                                            date_from=body.date_from, date_to=body.date_to)
    if body.tpa_id:
        request.tpa = body.tpa_id
    return request


def create_app(connect: Callable[[], Mesh]) -> FastAPI:
    """`connect` opens the mesh inside the server's event loop (gRPC aio channels belong to one loop)."""
    mesh: Mesh

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        nonlocal mesh
        mesh = connect()
        yield
        await mesh.close()

    app = FastAPI(title="LeafEnterprise API", version="1", lifespan=lifespan,
                  description="Pharmacy-benefit audit and savings: scopes, runs, evidence and published outputs.")
    app.add_exception_handler(DomainError, problems.domain_error)
    app.add_exception_handler(RequestValidationError, problems.invalid_request)

    @app.get("/healthz", response_model=Health, tags=["operations"])
    async def healthz() -> Health:
        """Liveness: the gateway process answers."""
        return Health(status="ok")

    @app.get("/readyz", response_model=Health, responses={503: {"model": Health}}, tags=["operations"])
    async def readyz():
        """Readiness: every service of the mesh answers its gRPC health check with SERVING."""
        health = await mesh.health()
        body = Health(status="ready" if all(health.values()) else "not_ready",
                      services={name: "SERVING" if ok else "NOT_SERVING" for name, ok in health.items()})
        return JSONResponse(body.model_dump(), status_code=200 if all(health.values()) else 503)

    @app.post("/v1/scopes:resolve", response_model=Resolution, responses=ERRORS, tags=["scopes"])
    async def resolve_scope(body: ScopeRequest) -> dict:
        """Resolve a scope request into an exact scope with its scope_hash, or an explicit ambiguity state."""
        return await runs.resolve_scope(mesh, _scope_request(body))

    @app.post("/v1/runs", response_model=Run, status_code=201, responses=ERRORS, tags=["runs"])
    async def create_run(body: RunRequest) -> dict:
        """Compute every formula of the registry for an exact scope, with evidence resolved by scope, and publish it."""
        return await runs.create_run(mesh, _scope_request(body), body.itr_request_id)

    @app.get("/v1/runs/{run_id}", response_model=Run, responses=ERRORS, tags=["runs"])
    async def get_run(run_id: str = Path(max_length=64)) -> dict:
        """A run as it was computed and published."""
        return await runs.get_run(mesh, run_id)

    @app.get("/v1/registry/formulas", response_model=Registry, responses=ERRORS, tags=["registry"])
    async def list_formulas() -> dict:
        """The machine-readable calculation registry: each formula's inputs, outputs, rounding, exclusions, evidence rule."""
        return await registry.list_formulas(mesh)

    @app.get("/v1/dashboard/{table}", response_model=DashboardTable, tags=["dashboard"],
             responses={200: {"content": {"text/csv": {}}}, **ERRORS})
    async def dashboard_table(table: str = Path(max_length=64, pattern=r"^[a-z_]+$"),
                              run_id: str = Query(min_length=1, max_length=64),
                              client_id: str = Query(min_length=1, max_length=64),
                              format: str = Query("json", pattern="^(json|csv)$")):
        """One dashboard-safe table of a published run, for Domo connectors: JSON, or CSV with `format=csv`."""
        found = await runs.dashboard_table(mesh, table, run_id, client_id)
        if format == "csv":
            return Response(found.csv, media_type="text/csv; charset=utf-8")
        return {"name": found.name, "columns": list(found.columns), "rows": json.loads(found.rows_json)}

    @app.post("/v1/evidence:sufficiency", response_model=Sufficiency, responses=ERRORS, tags=["evidence"])
    async def check_sufficiency(body: SufficiencyRequest) -> dict:
        """For each formula: the evidence it would use for the scope, its state (final / modeled / blocked) and why."""
        return await evidence.check_sufficiency(mesh, _scope_request(body), body.formula_ids)

    @app.get("/v1/evidence/packets", response_model=Packets, responses=ERRORS, tags=["evidence"])
    async def list_packets(client_id: str = Query(min_length=1, max_length=64),
                           pbm_id: str = Query("", max_length=64)) -> dict:
        """The packets in force for one client (and PBM): metadata only."""
        return await evidence.list_packets(mesh, client_id, pbm_id)

    @app.get("/v1/evidence/packets/{packet_id}", response_model=PacketWithBody, responses=ERRORS, tags=["evidence"])
    async def get_packet(packet_id: str = Path(max_length=128), client_id: str = Query(min_length=1, max_length=64)) -> dict:
        """One packet of the client, with its JSON body; another client's packet is not found."""
        return await evidence.get_packet(mesh, packet_id, client_id)

    @app.get("/v1/evidence/packets/{packet_id}/document", response_class=Response, tags=["evidence"],
             responses={200: {"content": {"application/pdf": {}}}, **ERRORS})
    async def download_document(packet_id: str = Path(max_length=128),
                                client_id: str = Query(min_length=1, max_length=64)) -> Response:
        """The source document the packet was extracted from, served by the gateway itself (never a Graph URL)."""
        document = await evidence.get_document(mesh, packet_id, client_id)
        filename = document.name.rsplit("/", 1)[-1].replace('"', "")
        return Response(document.data, media_type=document.content_type,
                        headers={"Content-Disposition": f'attachment; filename="{filename}"', "ETag": f'"{document.sha256}"'})

    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz")
    return app

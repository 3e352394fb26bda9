"""The HTTP face of the mesh: each route translates HTTP ↔ gRPC through a gateway use case, nothing more.

Every /v1 route needs an authenticated caller (Cloudflare Access, or the dev key locally) and sees only
what the caller is entitled to: another client's run, table, artifact or packet is answered 404, exactly
like one that does not exist.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI, Header, Path, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.security import APIKeyHeader
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException as StarletteHTTPException

from kernel.errors import DomainError
from kernel.principals import ENTITLED_PATTERN
from kernel.principals import MAX_LENGTH as MAX_PRINCIPAL
from leaf.scope.v1 import scope_pb2
from services.gateway.adapters.mesh import Mesh
from services.gateway.domain import prefer
from services.gateway.domain.identity import Identity
from services.gateway.entrypoints import itr_routes, problems, search_routes, takeover_routes
from services.gateway.entrypoints.auth import TOKEN_HEADER, Authenticator, authenticate
from services.gateway.entrypoints.edge import TIMEOUT_HEADER, Edge, record
from services.gateway.entrypoints.schemas import (
    ArtifactList,
    DashboardTable,
    EntitlementEntry,
    EntitlementGrant,
    Entitlements,
    Health,
    Packets,
    PacketWithBody,
    Problem,
    Registry,
    Resolution,
    Revoked,
    Run,
    RunRequest,
    ScopeRequest,
    Sufficiency,
    SufficiencyRequest,
    Task,
    TaskMove,
    TaskRequest,
)
from services.gateway.service_layer import artifacts, entitlements, evidence, registry, runs, tasks
from services.gateway.settings import GatewaySettings

PROBLEM = {"model": Problem, "content": {"application/problem+json": {}}}
ERRORS = {code: PROBLEM for code in (400, 401, 404, 409, 413, 422, 429, 500, 501, 503, 504)}
ID = r"^[A-Za-z0-9_.:-]+$"
TASK_ID = "[A-Za-z0-9_-]+"  # no colon: /v1/tasks/{task_id}:cancel names the action after it
LOCATION = {"Location": {"description": "the task to follow: GET it until it is finished", "schema": {"type": "string"}}}
APPLIED = {"Preference-Applied": {"description": "wait=N when a Prefer: wait was honoured (RFC 7240)",
                                  "schema": {"type": "string"}}}


class TaskIdConvertor(Convertor):
    regex = TASK_ID

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("task_id", TaskIdConvertor())
# Documents the header in /openapi.json (and lets /docs send it); `authenticate` does the checking.
ACCESS_TOKEN = APIKeyHeader(name=TOKEN_HEADER, scheme_name="CloudflareAccess", auto_error=False,
                            description="a Cloudflare Access application token (locally: `leaf dev-token`)")


def _scope_request(body: ScopeRequest) -> scope_pb2.ResolveScopeRequest:
    request = scope_pb2.ResolveScopeRequest(client_id=body.client_id, pbm_id=body.pbm_id, group_ids=body.group_ids,
                                            date_from=body.date_from, date_to=body.date_to)
    if body.tpa_id:
        request.tpa_id = body.tpa_id
    return request


def create_app(connect: Callable[[], Mesh], authenticator: Authenticator, settings: GatewaySettings) -> FastAPI:
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
    app.state.authenticator = authenticator
    app.add_exception_handler(DomainError, problems.domain_error)
    app.add_exception_handler(RequestValidationError, problems.invalid_request)
    app.add_exception_handler(StarletteHTTPException, problems.http_error)
    app.add_exception_handler(Exception, problems.unexpected_error)
    operators = settings.LEAF_OPERATOR_GROUP
    # Rendered as FastAPI renders a `Run` response, once per published run (they never change).
    published = runs.PublishedRuns(lambda run: bytes(JSONResponse(Run.model_validate(run).model_dump(mode="json")).body))

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

    v1 = APIRouter(prefix="/v1", dependencies=[Security(ACCESS_TOKEN)], responses=ERRORS)

    @v1.post("/scopes:resolve", response_model=Resolution, tags=["scopes"])
    async def resolve_scope(body: ScopeRequest, identity: Identity = Depends(authenticate)) -> dict:
        """Resolve a scope request into an exact scope with its scope_hash, or an explicit ambiguity state.
        Only clients the caller is entitled to exist for it."""
        return await runs.resolve_scope(mesh, identity, _scope_request(body))

    @v1.post("/runs", response_model=Task, status_code=202, tags=["runs"], responses={
        200: {"model": Run, "description": "the run exists already and is published: the run, as GET answers it"},
        201: {"model": Run, "description": "made and published while the caller waited (Prefer: wait=N)",
              "headers": APPLIED},
        202: {"description": "the run is being made by a worker: its task (follow Location)",
              "headers": {**LOCATION, **APPLIED}}})
    async def create_run(request: Request, body: RunRequest, identity: Identity = Depends(authenticate),
                         wait: str | None = Header(None, alias="Prefer", max_length=200,
                                                   description="RFC 7240: `wait=N` to wait up to N seconds "
                                                               "(at most the request's budget) for the run")) -> Response:
        """Compute every formula of the registry for an exact scope (narrowed to the caller's entitled groups), with
        evidence resolved by scope, and publish it — through the task plane: a `runs` lane worker does it for the
        caller. A repeat while it is being made answers the same task; once made, the run (200)."""
        asked = prefer.wait_seconds(wait)
        answer = await runs.request_run(mesh, identity, _scope_request(body), body.itr_request_id, asked,
                                        body.proposal_id)
        headers = {} if answer.waited is None else {"Preference-Applied": prefer.applied(answer.waited)}
        if answer.status == 202:
            headers["Location"] = tasks.location_of(answer.task_id)
            scope = answer.body["params"].get("scope") or {}
            record(request, run_id=answer.body["lineage"]["run_id"], client_id=scope.get("client_id"),
                   scope_hash=answer.body["scope_hash"], task_id=answer.task_id)
        else:
            record(request, run_id=answer.body["run_id"], client_id=answer.body["scope"]["client_id"],
                   scope_hash=answer.body["scope_hash"])
        return JSONResponse(answer.body, status_code=answer.status, headers=headers)

    @v1.post("/tasks", response_model=Task, status_code=202, tags=["tasks"], responses={
        200: {"model": Task, "description": "finished at once: the policy gate blocked it (policy.rule says why)"},
        202: {"description": "queued on its lane: follow Location", "headers": LOCATION}, 403: PROBLEM})
    async def submit_task(request: Request, body: TaskRequest, identity: Identity = Depends(authenticate)) -> Response:
        """Submit a task of a kind (runs are POST /v1/runs); the policy gate queues it or records it blocked."""
        task = tasks.task_to_json(await tasks.submit_task(mesh, identity, body.kind, body.params, body.operator_intent))
        record(request, task_id=task["task_id"])
        if task["state"] != "queued":
            return JSONResponse(task, status_code=200)
        return JSONResponse(task, status_code=202, headers={"Location": tasks.location_of(task["task_id"])})

    @v1.get("/tasks/{task_id:task_id}", response_model=Task, tags=["tasks"])
    async def get_task(request: Request, task_id: str = Path(max_length=64, pattern=f"^{TASK_ID}$"),
                       identity: Identity = Depends(authenticate)) -> dict:
        """A task: state, progress, attempts, lineage (run, ITR request), artifacts, trace id, last error, history.
        Shown to operators, to whoever may see the data it is about, else to its submitter; otherwise not found."""
        record(request, task_id=task_id)
        return tasks.task_to_json(await tasks.get_task(mesh, identity, task_id))

    @v1.post("/tasks/{task_id:task_id}:cancel", response_model=Task, tags=["tasks"], responses={403: PROBLEM})
    async def cancel_task(request: Request, body: TaskMove, task_id: str = Path(max_length=64, pattern=f"^{TASK_ID}$"),
                          identity: Identity = Depends(authenticate)) -> dict:
        """Operators: stop a queued or running task (409 once it is finished); the reason goes into its history."""
        record(request, task_id=task_id)
        return tasks.task_to_json(await tasks.cancel(mesh, identity, operators, task_id, body.reason))

    @v1.post("/tasks/{task_id:task_id}:requeue", response_model=Task, tags=["tasks"], responses={403: PROBLEM})
    async def requeue_task(request: Request, body: TaskMove, task_id: str = Path(max_length=64, pattern=f"^{TASK_ID}$"),
                           identity: Identity = Depends(authenticate)) -> dict:
        """Operators: put a failed or dead-lettered task back on its lane for a fresh set of attempts (409 otherwise)."""
        record(request, task_id=task_id)
        return tasks.task_to_json(await tasks.requeue(mesh, identity, operators, task_id, body.reason))

    @v1.get("/runs/{run_id}", response_model=Run, tags=["runs"])
    async def get_run(request: Request, run_id: str = Path(max_length=64, pattern=ID),
                      identity: Identity = Depends(authenticate)) -> Response:
        """A run as it was computed and published."""
        run = await runs.get_run(mesh, identity, run_id, published)
        record(request, client_id=run.scope.client_id, scope_hash=run.scope_hash)
        return Response(run.body, media_type="application/json")

    @v1.get("/runs/{run_id}/artifacts", response_model=ArtifactList, tags=["runs"])
    async def list_artifacts(run_id: str = Path(max_length=64, pattern=ID),
                             identity: Identity = Depends(authenticate)) -> dict:
        """Every file published for the run (workbook, PDF, extract, dashboard tables) with its sha256 and size."""
        return await artifacts.list_artifacts(mesh, identity, run_id)

    @v1.get("/runs/{run_id}/artifacts/{name:path}", response_class=StreamingResponse, tags=["runs"],
            responses={200: {"content": {"application/octet-stream": {}}}})
    async def download_artifact(run_id: str = Path(max_length=64, pattern=ID),
                                name: str = Path(max_length=200, pattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)?$"),
                                identity: Identity = Depends(authenticate)):
        """One published file, streamed; its bytes are verified against the ledger's sha256 before any is sent."""
        artifact, chunks = await artifacts.open_artifact(mesh, identity, run_id, name)
        filename = artifact.name.replace("/", "-")
        return StreamingResponse(chunks, media_type=artifact.content_type, headers={
            "Content-Disposition": f'attachment; filename="{filename}"', "ETag": f'"{artifact.sha256}"',
            "Content-Length": str(artifact.size)})

    @v1.get("/registry/formulas", response_model=Registry, tags=["registry"])
    async def list_formulas(identity: Identity = Depends(authenticate)) -> dict:
        """The machine-readable calculation registry: each formula's inputs, outputs, rounding, exclusions, evidence rule."""
        return await registry.list_formulas(mesh, identity)

    @v1.get("/dashboard/{table}", response_model=DashboardTable, tags=["dashboard"],
            responses={200: {"content": {"text/csv": {}}}})
    async def dashboard_table(table: str = Path(max_length=64, pattern=r"^[a-z_]+$"),
                              run_id: str = Query(min_length=1, max_length=64, pattern=ID),
                              format: str = Query("json", pattern="^(json|csv)$"),
                              identity: Identity = Depends(authenticate)):
        """One dashboard-safe table of a published run, for Domo connectors: JSON, or CSV with `format=csv`."""
        found = await runs.dashboard_table(mesh, identity, table, run_id)
        if format == "csv":
            return Response(found.csv, media_type="text/csv; charset=utf-8")
        return {"name": found.name, "columns": list(found.columns), "rows": json.loads(found.rows_json)}

    @v1.post("/evidence:sufficiency", response_model=Sufficiency, tags=["evidence"])
    async def check_sufficiency(body: SufficiencyRequest, identity: Identity = Depends(authenticate)) -> dict:
        """For each formula: the evidence it would use for the scope, its state (final / modeled / blocked) and why."""
        return await evidence.check_sufficiency(mesh, identity, _scope_request(body), body.formula_ids,
                                                body.proposal_id)

    @v1.get("/evidence/packets", response_model=Packets, tags=["evidence"])
    async def list_packets(client_id: str = Query(min_length=1, max_length=64, pattern=ID),
                           pbm_id: str = Query("", max_length=64),
                           identity: Identity = Depends(authenticate)) -> dict:
        """The packets in force for one client (and PBM): metadata only."""
        return await evidence.list_packets(mesh, identity, client_id, pbm_id)

    @v1.get("/evidence/packets/{packet_id}", response_model=PacketWithBody, tags=["evidence"])
    async def get_packet(packet_id: str = Path(max_length=128), client_id: str = Query(min_length=1, max_length=64),
                         identity: Identity = Depends(authenticate)) -> dict:
        """One packet of the client, with its JSON body; another client's packet is not found."""
        return await evidence.get_packet(mesh, identity, packet_id, client_id)

    @v1.get("/evidence/packets/{packet_id}/document", response_class=Response, tags=["evidence"],
            responses={200: {"content": {"application/pdf": {}}}})
    async def download_document(packet_id: str = Path(max_length=128),
                                client_id: str = Query(min_length=1, max_length=64),
                                identity: Identity = Depends(authenticate)) -> Response:
        """The source document the packet was extracted from, served by the gateway itself (never a Graph URL)."""
        document = await evidence.get_document(mesh, identity, packet_id, client_id)
        filename = document.name.rsplit("/", 1)[-1].replace('"', "")
        return Response(document.data, media_type=document.content_type,
                        headers={"Content-Disposition": f'attachment; filename="{filename}"', "ETag": f'"{document.sha256}"'})

    @v1.get("/entitlements", response_model=Entitlements, tags=["access"], responses={403: PROBLEM})
    async def list_entitlements(principal: str = Query("", max_length=MAX_PRINCIPAL,
                                                       pattern=f"^$|{ENTITLED_PATTERN}"),
                                identity: Identity = Depends(authenticate)) -> dict:
        """Operators: who may see which clients (and groups)."""
        return await entitlements.list_entitlements(mesh, identity, operators, principal)

    @v1.post("/entitlements", response_model=EntitlementEntry, status_code=201, tags=["access"],
             responses={403: PROBLEM})
    async def grant_entitlement(body: EntitlementGrant, identity: Identity = Depends(authenticate)) -> dict:
        """Operators: let a principal (user:<email>, group:<name>, service:<common_name>) see a client, or only some
        of its groups."""
        return await entitlements.grant(mesh, identity, operators, body.principal, body.client_id, body.group_ids,
                                        body.reason)

    @v1.delete("/entitlements/{principal}/{client_id}", response_model=Revoked, tags=["access"],
               responses={403: PROBLEM})
    async def revoke_entitlement(principal: str = Path(max_length=MAX_PRINCIPAL, pattern=ENTITLED_PATTERN),
                                 client_id: str = Path(max_length=64),
                                 reason: str = Query(min_length=1, max_length=500),
                                 identity: Identity = Depends(authenticate)) -> dict:
        """Operators: take a client away from a principal; the scope service records who and why."""
        return await entitlements.revoke(mesh, identity, operators, principal, client_id, reason)

    v1.include_router(itr_routes.router(lambda: mesh, operators))
    v1.include_router(search_routes.router(lambda: mesh))
    v1.include_router(takeover_routes.router(lambda: mesh, operators))
    app.include_router(v1)
    # One server span per request; the per-message ASGI send/receive spans would triple the spans of every read.
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz", exclude_spans=["receive", "send"])
    app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=True,
                       allow_methods=["GET", "POST", "DELETE"], max_age=600,
                       allow_headers=[TOKEN_HEADER, "Content-Type", TIMEOUT_HEADER.decode()])
    app.add_middleware(Edge, timeout=settings.LEAF_GATEWAY_TIMEOUT_SECONDS,
                       max_body_bytes=settings.LEAF_GATEWAY_MAX_BODY_BYTES)
    return app

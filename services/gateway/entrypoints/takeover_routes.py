"""The takeover routes: HTTP ↔ gRPC for the load ledger of Domo exports, nothing more
(services/gateway/service_layer/takeover.py). Ingesting is an operator's CLI or a takeover_ingest task."""
from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field

from services.gateway.adapters.mesh import Mesh
from services.gateway.domain.identity import Identity
from services.gateway.entrypoints.auth import authenticate
from services.gateway.entrypoints.problems import problem
from services.gateway.entrypoints.schemas import Problem, RequestBody
from services.gateway.service_layer import takeover

LOAD_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
PROCESS_ID = r"^[a-z0-9][a-z0-9_.-]{0,127}$"
PROBLEM = {"model": Problem, "content": {"application/problem+json": {}}}


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


class ProcessParity(BaseModel):
    report_id: str
    cards: int
    unexplained: list[str] = Field(description="cards whose difference no approved explanation covers")
    explained: list[str]


class TakeoverProcess(BaseModel):
    process_id: str
    name: str
    owner: str
    cards: list[str]
    datasets: list[str]
    formulas: list[str]
    state: str = Field(description="legacy_reference | candidate_evidence | golden_comparison | "
                                   "presentation_consumer | retired_backend_dependency")
    next: str | None
    proofs: dict[str, dict] = Field(description="the latest proof of each kind: ref, recorded_by, recorded_at, note")
    proofs_missing: list[str]
    parity: ProcessParity | None


class TakeoverProcesses(BaseModel):
    processes: list[TakeoverProcess]


class ProcessMove(RequestBody):
    to: Literal["legacy_reference", "candidate_evidence", "golden_comparison", "presentation_consumer",
                "retired_backend_dependency"]
    note: str = Field("", max_length=2000, description="why; required to go back a step")


class ProcessTransition(BaseModel):
    process_id: str
    from_: str = Field(alias="from")
    to: str
    at: str
    operator: str = Field(description="the verified operator who moved it")
    note: str


class ProcessMoved(BaseModel):
    status: str = Field(description="done")
    reasons: list[str]
    transition: ProcessTransition
    process: TakeoverProcess


class TransitionRefused(Problem):
    reasons: list[str] = Field(description="every reason, e.g. proof_missing:<proof>, unexplained_difference:<card>")
    process: TakeoverProcess = Field(description="the process, unchanged")


def router(mesh: Callable[[], Mesh], operator_group: str = "leaf-operators") -> APIRouter:
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

    @routes.get("/processes", response_model=TakeoverProcesses)
    async def list_processes(identity: Identity = Depends(authenticate)) -> dict:
        """Every Domo-backed process: its takeover state, the eight proofs present and missing, its latest parity."""
        return await takeover.list_processes(mesh(), identity)

    @routes.post("/processes/{process_id}/transitions", response_model=ProcessMoved, status_code=201,
                 responses={403: PROBLEM, 409: {"model": TransitionRefused, "content": {"application/problem+json": {}},
                                                "description": "refused: `reasons` names what is missing; nothing "
                                                               "changed"}})
    async def advance_process(body: ProcessMove, process_id: str = Path(pattern=PROCESS_ID),
                              identity: Identity = Depends(authenticate)):
        """Operators: move the process to `to` (the next state, or one back with a note). Who moved it is the
        verified caller, recorded in the append-only history. Refused (409, nothing changed) while a proof is
        missing or an unexplained difference remains, with every reason."""
        moved = await takeover.advance_process(mesh(), identity, operator_group, process_id, body.to, body.note)
        if moved["status"] != "done":
            return problem(409, "transition_refused", "; ".join(moved["reasons"]), reasons=moved["reasons"],
                           process=moved["process"])
        return moved

    return routes

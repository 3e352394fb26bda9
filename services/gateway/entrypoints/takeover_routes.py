"""The takeover routes: HTTP ↔ gRPC for the load ledger of Domo exports, nothing more
(services/gateway/service_layer/takeover.py). Ingesting is an operator's CLI or a takeover_ingest task; a golden
comparison is a takeover_parity task (POST .../parity)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from fastapi import APIRouter, Body, Depends, Path, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from services.gateway.adapters.mesh import Mesh
from services.gateway.domain.identity import Identity
from services.gateway.entrypoints.auth import authenticate
from services.gateway.entrypoints.problems import problem
from services.gateway.entrypoints.schemas import Problem, RequestBody, Task
from services.gateway.service_layer import takeover, tasks

LOAD_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
PROCESS_ID = r"^[a-z0-9][a-z0-9_.-]{0,127}$"
PROBLEM = {"model": Problem, "content": {"application/problem+json": {}}}
LOCATION = {"Location": {"description": "the task to follow: GET it until it is finished", "schema": {"type": "string"}}}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
    scope: dict[str, str] = Field(default_factory=dict, description="the backend scope its cards are compared for: "
                                  "client_id, pbm_id, date_from, date_to, tpa_id, group_ids (comma-separated)")


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


class WorstDifference(BaseModel):
    card_id: str
    difference: str = Field(description="Domo minus backend, a decimal string")


class ParityPacket(BaseModel):
    card_id: str
    domo_value: str | None = Field(description="the card's recorded value (decimal string)")
    replayed_value: str | None = Field(description="its Beast Mode replayed on the silver dataset")
    replay_status: str = Field(description="match | differs | untranslatable")
    backend_formula: str = Field(description="formula_id.field@version of the calc registry")
    backend_value: str | None
    difference: str | None = Field(description="Domo minus backend, exactly")
    tolerance: str
    classification: str = Field(description="match | explained | unexplained")
    reason_code: str | None = Field(description="explained: the approved reason code")
    approved_by: str | None = Field(description="explained: the verified operator who approved it")
    approved_at: str | None
    proposed: list[str] = Field(description="unexplained: reason codes put forward or suggested, none approved")
    row_diff: RowDiffSummary | None = Field(None, description="the card's rows against the backend run's, when "
                                                              "a comparison in the mesh made the report")


class RowDiffRow(BaseModel):
    claim_id: str
    side: str = Field(description="only_domo | only_backend | changed")
    domo: dict[str, str] = Field(description="the compared columns as Domo's rows hold them (text); empty when absent")
    backend: dict[str, str] = Field(description="as the backend run's netted claim holds them; empty when absent")


class RowDiffSummary(BaseModel):
    domo_rows: int = Field(description="the card dataset's rows of the process scope")
    backend_rows: int = Field(description="the calc run's netted claims")
    only_domo: int
    only_backend: int
    changed: int
    columns: list[str] = Field(description="the columns compared besides the claim id (never a member id)")
    rows: list[RowDiffRow] = Field(description="the first differing rows, by claim id")


class ParityReport(BaseModel):
    report_id: str = Field(description="digest of the packets as classified now")
    base_report_id: str | None = Field(description="the kept golden comparison they were classified again from")
    process: str
    load_id: str | None
    cards: int
    match: int
    explained: int
    unexplained: int
    worst_difference: WorstDifference | None
    packets: list[ParityPacket]


class ParityRequest(RequestBody):
    load_id: str = Field(pattern=LOAD_ID, description="the promoted load whose cards are compared")


class ExplanationProposal(RequestBody):
    card_id: str = Field(min_length=1, max_length=128)
    reason_code: Literal["domo_includes_reversals", "domo_float_rounding", "domo_scope_filter_differs",
                         "domo_excludes_rows", "domo_stale_value"]
    note: str = Field("", max_length=2000, description="why the difference is explained")


class ExplanationApproval(RequestBody):
    """Empty: who approves is the verified caller, never a body field."""


class ParityExplanation(BaseModel):
    process_id: str
    card_id: str
    reason_code: str
    note: str
    proposed_by: str = Field(description="the verified operator who proposed it")
    approved_by: str | None = Field(description="the verified operator who approved it (never the proposer)")
    approved_at: str | None


class ExplanationRecorded(BaseModel):
    explanation: ParityExplanation
    report: ParityReport = Field(description="the process's parity after the call")


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

    @routes.get("/processes/{process_id}/parity", response_model=ParityReport, responses={404: PROBLEM})
    async def get_parity(process_id: str = Path(pattern=PROCESS_ID),
                         load_id: str | None = Query(None, pattern=LOAD_ID),
                         identity: Identity = Depends(authenticate)) -> dict:
        """The process's latest golden comparison with the explanations recorded since: counts of match /
        explained / unexplained, the worst difference and every packet (decimal strings). 404 when the process has
        no parity report (or, with `load_id`, none of that load)."""
        return await takeover.get_parity(mesh(), identity, process_id, load_id)

    @routes.post("/processes/{process_id}/parity", response_model=Task, status_code=202,
                 responses={202: {"description": "a takeover_parity task: follow Location", "headers": LOCATION},
                            403: PROBLEM, 404: PROBLEM})
    async def request_parity(body: ParityRequest, process_id: str = Path(pattern=PROCESS_ID),
                             identity: Identity = Depends(authenticate)):
        """Operators: compare the process on a promoted load now — its cards replayed, the backend's values from
        calc's run of the process's scope, the run's netted claims diffed against the load's rows — as a
        takeover_parity task run for the caller under an exact grant of that scope (404 when the caller is not
        entitled to all of it). When the task succeeds, GET .../parity answers the new report."""
        task = tasks.task_to_json(await takeover.request_parity(mesh(), identity, operator_group, process_id,
                                                                body.load_id))
        return JSONResponse(task, status_code=202, headers={"Location": tasks.location_of(task["task_id"])})

    @routes.get("/processes/{process_id}/parity.xlsx", response_class=Response,
                responses={200: {"content": {XLSX: {}}, "description": "the report as one workbook sheet"},
                           404: PROBLEM})
    async def parity_workbook(process_id: str = Path(pattern=PROCESS_ID),
                              load_id: str | None = Query(None, pattern=LOAD_ID),
                              identity: Identity = Depends(authenticate)) -> Response:
        """GET .../parity as an .xlsx workbook (values as exact decimal text), under the same read rules."""
        book = await takeover.parity_workbook(mesh(), identity, process_id, load_id)
        return Response(book.xlsx, media_type=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="{book.filename}"'})

    @routes.post("/processes/{process_id}/explanations", response_model=ExplanationRecorded, status_code=201,
                 responses={403: PROBLEM, 404: PROBLEM})
    async def propose_explanation(body: ExplanationProposal, process_id: str = Path(pattern=PROCESS_ID),
                                  identity: Identity = Depends(authenticate)) -> dict:
        """Operators: put a reason code forward for a card's difference. It explains nothing until another
        operator approves it. The proposer is the verified caller, recorded append-only."""
        return await takeover.propose_explanation(mesh(), identity, operator_group, process_id, body.card_id,
                                                  body.reason_code, body.note)

    @routes.post("/processes/{process_id}/explanations/{card_id}/{reason_code}/approval",
                 response_model=ExplanationRecorded, status_code=201,
                 responses={403: {**PROBLEM, "description": "not an operator, or `four_eyes`: the proposer"},
                            404: PROBLEM,
                            409: {**PROBLEM, "description": "`already_approved`: nothing changed"}})
    async def approve_explanation(body: ExplanationApproval = Body(None),  # none, or {}: a key in it is refused
                                  process_id: str = Path(pattern=PROCESS_ID),
                                  card_id: str = Path(pattern=LOAD_ID), reason_code: str = Path(pattern=r"^[a-z_]{1,64}$"),
                                  identity: Identity = Depends(authenticate)) -> dict:
        """Operators, four eyes: approve a proposed explanation; the card then counts as explained (and no longer
        holds the process at golden_comparison). The approver is the verified caller — another operator than the
        proposer (403 `four_eyes`); approving twice is a 409 `already_approved`."""
        return await takeover.approve_explanation(mesh(), identity, operator_group, process_id, card_id, reason_code)

    return routes

"""The ITR routes: HTTP ↔ gRPC for the mirrored Salesforce requests, nothing more (services/gateway/service_layer/itr.py)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from leaf.itr.v1 import itr_pb2
from services.gateway.adapters.mesh import Mesh
from services.gateway.domain import prefer
from services.gateway.domain.identity import Identity
from services.gateway.entrypoints.auth import authenticate
from services.gateway.entrypoints.edge import record
from services.gateway.entrypoints.schemas import PROPOSAL_ID, Problem, RequestBody, Resolution, Run, Task
from services.gateway.service_layer import itr, plans, tasks

REQUEST_ID = r"^[A-Za-z0-9]{15,18}$"  # a Salesforce id
DAY_OR_EMPTY = r"^$|^\d{4}-\d{2}-\d{2}$"


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


class PlanChoice(RequestBody):
    """What an operator names to settle a plan; an empty field keeps the request's value (never the client)."""

    pbm_id: str = Field("", max_length=64, pattern=r"^[A-Za-z0-9_.:-]*$", description="one candidate's PBM")
    tpa_id: str = Field("", max_length=64, pattern=r"^[A-Za-z0-9_.:-]*$", description="one candidate's TPA")
    date_from: str = Field("", pattern=DAY_OR_EMPTY,
                           description="a later start than the request's period (the candidate's coverage)")
    date_to: str = Field("", pattern=DAY_OR_EMPTY, description="an earlier end than the period's")
    proposal_id: str = Field("", **PROPOSAL_ID)

    def to_proto(self) -> itr_pb2.PlanChoice:
        return itr_pb2.PlanChoice(**self.model_dump())


class PlanProblem(BaseModel):
    code: str
    message: str


class PlanDeliverable(BaseModel):
    name: str
    artifacts: list[str]
    formula_ids: list[str]
    needs_proposal: bool
    status: str | None = Field(description="the worst status of the formulas it shows (null: not judged yet)")
    reasons: list[str]


class Plan(BaseModel):
    request_id: str
    name: str
    status: str
    ask: dict[str, Any] = Field(description="the scope asked (client, PBM, TPA, groups, window) and the proposal")
    settled: dict[str, dict[str, str]] = Field(description="the fields an operator's choice set: asked and chosen")
    scope: Resolution
    formulas: list[dict[str, Any]] = Field(description="evidence sufficiency of each formula for the exact scope")
    readiness: str | None
    deliverables: list[PlanDeliverable]
    proposals: list[dict[str, Any]] = Field(description="the client's proposals Repricing can name")
    run: dict[str, Any] | None = Field(description="the run the plan makes: run_id, and computed if it exists")
    problems: list[PlanProblem]
    submittable: bool
    links: dict[str, str]


NOT_SUBMITTABLE = {"model": Problem, "content": {"application/problem+json": {}},
                   "description": "the plan cannot be submitted: `plan` (in the body) shows its problems"}


def router(mesh: Callable[[], Mesh], operator_group: str = "leaf-operators") -> APIRouter:
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

    @routes.get("/requests/{request_id}/plan", response_model=Plan)
    async def get_plan(request: Request, choice: Annotated[PlanChoice, Query()],
                       request_id: str = Path(pattern=REQUEST_ID), identity: Identity = Depends(authenticate)) -> dict:
        """The run plan of a request: the scope resolved (exact, or the ambiguity with its candidates), each
        formula's evidence sufficiency, the deliverables asked for, problems, and whether it can be submitted.
        Query parameters preview an operator's choice (pbm_id, tpa_id, date_from, date_to, proposal_id)."""
        planned = await plans.plan_of(mesh(), identity, request_id, choice.to_proto())
        record(request, client_id=planned.plan["ask"]["client_id"])
        return planned.plan

    @routes.post("/requests/{request_id}/plan", response_model=Task, status_code=202, responses={
        200: {"model": Run, "description": "the plan's run exists already and is published"},
        201: {"model": Run, "description": "made and published while the caller waited (Prefer: wait=N)"},
        202: {"description": "a `runs` worker is making it: its compute_run task (follow Location), lineage "
                             "naming the request"},
        403: {"model": Problem, "content": {"application/problem+json": {}},
              "description": "a choice was named by someone not an operator"},
        409: NOT_SUBMITTABLE})
    async def submit_plan(request: Request, body: Annotated[PlanChoice, Body()] = PlanChoice(),
                          request_id: str = Path(pattern=REQUEST_ID), identity: Identity = Depends(authenticate),
                          wait: str | None = Header(None, alias="Prefer", max_length=200,
                                                    description="RFC 7240: `wait=N` to wait up to N seconds")
                          ) -> Response:
        """Submit the request's plan: a compute_run task on the task plane with the request id as lineage, answered
        like POST /v1/runs. The body (an operator's choice) settles an ambiguous scope or names the proposal."""
        choice = body.to_proto()
        answer = await plans.submit_plan(mesh(), identity, operator_group, request_id, choice,
                                         prefer.wait_seconds(wait))
        headers = {} if answer.waited is None else {"Preference-Applied": prefer.applied(answer.waited)}
        if answer.status == 202:
            headers["Location"] = tasks.location_of(answer.task_id)
            record(request, run_id=answer.body["lineage"]["run_id"], task_id=answer.task_id,
                   scope_hash=answer.body["scope_hash"])
        else:
            record(request, run_id=answer.body["run_id"], client_id=answer.body["scope"]["client_id"],
                   scope_hash=answer.body["scope_hash"])
        return JSONResponse(answer.body, status_code=answer.status, headers=headers)

    return routes

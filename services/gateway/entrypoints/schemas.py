"""The HTTP shapes of the gateway (they are what /openapi.json documents)."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kernel.principals import ENTITLED_PATTERN
from kernel.principals import MAX_LENGTH as MAX_PRINCIPAL

DATE = r"^\d{4}-\d{2}-\d{2}$"
# A calendar day on the wire (YYYY-MM-DD), documented as such; the domain checks it is a real day in range.
DAY_TEXT = {"json_schema_extra": {"format": "date"}}  # in answers: always a date's isoformat
DAY = {"pattern": DATE, **DAY_TEXT}


class RequestBody(BaseModel):
    """Every request body: a key the model does not have is refused (a misspelt `group_id` must not widen a run)."""

    model_config = ConfigDict(extra="forbid")


class ScopeRequest(RequestBody):
    """What a person asks for: a client (id or display name), a PBM (optional when unambiguous), a window."""

    client_id: str = Field(min_length=1, max_length=200, description="a client_id or a client's display name")
    pbm_id: str = Field("", max_length=64, description="empty: the client's only PBM in the window")
    tpa_id: str | None = Field(None, max_length=64)
    group_ids: list[str] = Field(default_factory=list, max_length=200)
    date_from: str = Field(examples=["2025-01-01"], **DAY)
    date_to: str = Field(examples=["2025-12-31"], **DAY)


# A reference to a proposal of the scope's client and PBM (docs/proposals.md); the mesh resolves it within the grant.
PROPOSAL_ID = {"max_length": 128, "pattern": r"^[A-Za-z0-9_.:-]*$",
               "description": "optional: a proposal (e.g. PR-C001-PBMA-2026) of the scope's client and PBM to "
                              "reprice the claims with (repricing_savings); empty: no repricing",
               "examples": ["PR-C001-PBMA-2026"]}


class RunRequest(ScopeRequest):
    itr_request_id: str = Field("", max_length=18, description="the Salesforce IT request this run answers")
    proposal_id: str = Field("", **PROPOSAL_ID)


class Candidate(BaseModel):
    client_id: str
    client_name: str
    pbm_id: str
    tpa_id: str
    valid_from: str = Field(**DAY_TEXT)
    valid_to: str = Field(**DAY_TEXT)


class Resolution(BaseModel):
    state: str = Field(description="exact, ambiguous, unknown, conflicting or out_of_coverage")
    scope: dict[str, Any] | None
    scope_hash: str | None
    partial: bool | None
    reasons: list[str]
    candidates: list[Candidate]


class FormulaStatus(BaseModel):
    formula_id: str
    version: int
    status: str
    reasons: list[str]
    missing_evidence: list[str]


class DashboardTable(BaseModel):
    name: str
    columns: list[str]
    rows: list[dict[str, Any]]


class Dashboard(BaseModel):
    tables: list[DashboardTable]


class Run(BaseModel):
    run_id: str
    scope: dict[str, Any]
    scope_hash: str
    readiness: str
    formulas: list[FormulaStatus]
    result: dict[str, Any] = Field(description="the calculation result of the registry (calculations.md section 5)")
    rejected_rows_omitted: int = Field(description="how many of result.data_quality.rejected_rows this answer "
                                       "leaves out: it lists the first 1000; rows_rejected counts them all")
    lineage: dict[str, Any]
    dashboard: Dashboard
    artifacts: list[ArtifactRef] = Field(description="the run's published files")


class Registry(BaseModel):
    registry_version: str
    formulas: list[dict[str, Any]]
    evidence_rules: list[dict[str, Any]]
    decisions: list[str]


class SufficiencyRequest(ScopeRequest):
    formula_ids: list[str] = Field(default_factory=list, max_length=20, description="empty: every formula")
    proposal_id: str = Field("", **PROPOSAL_ID)


class EvidenceRef(BaseModel):
    evidence_id: str
    kind: str
    governance: str
    sha256: str
    version: int


class Sufficiency(BaseModel):
    scope: dict[str, Any]
    scope_hash: str
    formulas: list[FormulaStatus]
    evidence: list[EvidenceRef]


class SourceDocument(BaseModel):
    system: str
    name: str
    sha256: str
    size: int
    retrieved_at: str


class Packet(BaseModel):
    packet_id: str
    version: int
    kind: str
    client_id: str
    pbm_id: str
    governance: str
    effective_from: str = Field(**DAY_TEXT)
    effective_to: str = Field(**DAY_TEXT)
    sha256: str
    document: SourceDocument


class PacketWithBody(Packet):
    body: dict[str, Any]


class Packets(BaseModel):
    packets: list[Packet]


class Problem(BaseModel):
    type: str
    title: str
    status: int
    code: str
    detail: str
    resolution: Resolution | None = None
    plan: dict[str, Any] | None = Field(None, description="plan_not_submittable: the ITR request's plan, with why")


class Health(BaseModel):
    status: str
    services: dict[str, str] = Field(default_factory=dict)


class ArtifactRef(BaseModel):
    artifact_id: str
    name: str = Field(description="e.g. report.pdf, report.xlsx, extract.csv, dashboard/readiness.csv")
    content_type: str
    sha256: str
    size: int
    href: str = Field(description="where to download it")


class ArtifactList(BaseModel):
    run_id: str
    artifacts: list[ArtifactRef]


class EntitlementEntry(BaseModel):
    principal: str = Field(min_length=1, max_length=MAX_PRINCIPAL, pattern=ENTITLED_PATTERN,
                           description="user:<email>, group:<name> or service:<common_name>, matched exactly")
    client_id: str = Field(min_length=1, max_length=64)
    group_ids: list[str] = Field(default_factory=list, max_length=200, description="empty: every group of the client")


class EntitlementGrant(RequestBody, EntitlementEntry):
    reason: str = Field(min_length=1, max_length=500)


class Entitlements(BaseModel):
    entitlements: list[EntitlementEntry]


class Revoked(BaseModel):
    revoked: bool


# Kinds a caller submits by POST /v1/tasks; compute_run is POST /v1/runs, which resolves the scope first.
SUBMITTABLE_KINDS = ("publish_run", "itr_sync", "takeover_ingest")


class TaskRequest(RequestBody):
    kind: Literal["publish_run", "itr_sync", "takeover_ingest"] = Field(
        description="publish_run (params: run_id), itr_sync (operators), takeover_ingest (operators, with "
                    "operator_intent; params: path — the export as the takeover service sees it — and client_id)")
    params: dict[str, str] = Field(default_factory=dict, max_length=10,
                                   description="the kind's parameters; a name the kind does not take is refused")
    operator_intent: bool = Field(False, description="the operator flag: required for kinds that change curated data")


class TaskMove(RequestBody):
    reason: str = Field(min_length=1, max_length=500, description="why, for the task's history")


class TaskPolicy(BaseModel):
    outcome: str = Field(description="allowed or denied")
    rule: str = Field(description="the kind's rule that decided, e.g. kind.takeover_ingest.operator_only")
    reason: str


class TaskProgress(BaseModel):
    done: int
    total: int = Field(description="0 while unknown")
    note: str


class TaskLineage(BaseModel):
    run_id: str = Field(description="the run the task makes or publishes (known before it is computed)")
    itr_request_id: str


class TaskArtifact(BaseModel):
    name: str
    sha256: str
    size: int
    href: str = Field(description="where to download it")


class TaskLinks(BaseModel):
    self: str
    run: str | None = Field(None, description="once the task succeeded: its run")
    artifacts: str | None = Field(None, description="once the task succeeded: its run's published files")


class TaskStateChange(BaseModel):
    from_state: str
    to_state: str
    attempt: int
    reason: str
    actor: str = Field(description="the principal or worker that moved it")
    at: str


class Task(BaseModel):
    task_id: str
    kind: str
    lane: str
    state: str = Field(description="queued, running, succeeded, failed, blocked, dead_lettered or cancelled")
    requested_by: str = Field(description="the verified principal that submitted it")
    scope_hash: str
    params: dict[str, Any]
    policy: TaskPolicy
    attempts: int
    max_attempts: int
    progress: TaskProgress
    lineage: TaskLineage
    artifacts: list[TaskArtifact]
    links: TaskLinks
    trace_id: str = Field(description="the trace of the request that submitted it; its work continues that trace")
    error: str = Field(description="the last error")
    created_at: str
    updated_at: str
    started_at: str
    finished_at: str
    history: list[TaskStateChange] = Field(description="every move, oldest first (GET only)")

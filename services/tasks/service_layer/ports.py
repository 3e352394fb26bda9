"""What the task use cases need from outside (style.md 11): the ledger, the effect log, a unit of work over both,
and the other services a lane worker calls.

The queue's port lives with its contract in domain/queue.py.
"""
from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Any, Protocol

from services.tasks.domain.states import StateChange
from services.tasks.domain.tasks import Artifact, Task


class EffectAlreadyApplied(Exception):
    """Another delivery of the same task recorded its effect first."""


class TaskLedger(Protocol):
    def add(self, task: Task, first: StateChange) -> Task:
        """Record a new task and its first history line; a used idempotency key returns the earlier task instead."""

    def get(self, task_id: str) -> Task | None: ...

    # `list` names the query, so below it the builtin is spelt builtins.list
    def list(self, *, lane: str = "", state: str = "", kind: str = "", itr_request_id: str = "") -> list[Task]: ...

    def history(self, task_id: str) -> builtins.list[StateChange]: ...

    def move(self, change: StateChange, **fields: Any) -> Task:
        """Move the task from `change.from_state` (StateConflict if it is elsewhere now), set `fields`, append
        the history line — all at once."""

    def note(self, task_id: str, **fields: Any) -> None:
        """Set fields that are no state (progress, lineage, artifacts), without a history line."""

    def mark_dispatched(self, task_id: str, at: str) -> None: ...

    def undispatched(self, limit: int) -> builtins.list[Task]:
        """Queued tasks not yet put on their lane's queue (the queue was down when they were submitted)."""


class EffectLog(Protocol):
    def outcome(self, task_id: str) -> str | None:
        """The recorded outcome of the task's effect, or None when it has not been applied."""

    def record(self, task_id: str, outcome_json: str, at: str) -> None:
        """Record the effect as applied; EffectAlreadyApplied when it already was."""


class TaskUnitOfWork(Protocol):
    """One transaction over the ledger and the effect log; an effect's own writes may join it (`connection`)."""

    tasks: TaskLedger
    effects: EffectLog
    connection: Any

    def __enter__(self) -> TaskUnitOfWork: ...

    def __exit__(self, *exc_info: object) -> None:
        """Roll back whatever was not committed."""

    def commit(self) -> None: ...


@dataclass(frozen=True)
class RunMade:
    run_id: str
    readiness: str


class ActingFor(Protocol):
    """Proof to the other services of whom a call is made for: the submitter's identity and its re-issued grant."""


class WorkerMesh(Protocol):
    """The services a lane worker calls, always for the task's submitter, never as itself: domain errors come back
    as the services answered them (`kernel/errors.py`)."""

    async def acting_for(self, task: Task, timeout: float) -> ActingFor:
        """A freshly signed identity of the task's submitter and a grant the scope service issues it now for the
        task's recorded scope (a read grant when none is recorded); the scope service's refusal as it answered."""

    async def create_run(self, acting: ActingFor, scope_json: str, itr_request_id: str, timeout: float,
                         proposal_id: str = "") -> RunMade: ...

    async def publish_run(self, acting: ActingFor, run_id: str, timeout: float) -> tuple[Artifact, ...]: ...

    async def sync_requests(self, acting: ActingFor, timeout: float) -> dict:
        """itr.SyncRequests: the mirror brought up to date; the counts it wrote (itr.md 3)."""

    async def ingest_export(self, acting: ActingFor, path: str, timeout: float) -> dict:
        """takeover.IngestExport: the load report (load_id, status, reasons, datasets) of the export at `path`."""

    async def compare_parity(self, acting: ActingFor, process_id: str, load_id: str, timeout: float) -> dict:
        """takeover.CompareParity: the kept report's summary (report_id, load_id, cards, match, explained,
        unexplained, worst_difference)."""

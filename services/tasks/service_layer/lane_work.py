"""What a lane worker does for each kind, acting for the task's submitter through the WorkerMesh port.

Each call to another service goes out under a freshly signed identity of the submitter and a grant the scope
service issues again for the scope recorded at submission, so an entitlement revoked while the task waited
stops it: the scope service refuses, and the task fails for good with that refusal. The work is idempotent by
the services' own ids (calc finds a run again by its inputs, the publisher publishes a run once), so a
redelivered task never computes or publishes twice.
"""
from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from kernel.errors import DomainError, TimedOut
from services.tasks.domain.failures import is_permanent
from services.tasks.domain.tasks import Artifact, Task
from services.tasks.service_layer.deliveries import PermanentFailure, Work
from services.tasks.service_layer.ports import ActingFor, TaskUnitOfWork, WorkerMesh

Progress = Callable[[int, int, str], Awaitable[None]]  # done, total, note


@dataclass(frozen=True)
class Outcome:
    """What the work made: recorded on the task when (and only when) it succeeds."""

    run_id: str = ""
    artifacts: tuple[Artifact, ...] = ()
    summary: dict = field(default_factory=dict)


class Deadline:
    """The kind's time limit for this attempt, as the budget of every call the work makes."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def left(self) -> float:
        left = self.ends - time.monotonic()
        if left <= 0:
            raise time_limit_exceeded(self.seconds)
        return left


def time_limit_exceeded(seconds: float) -> TimedOut:
    """A passing fault: the next attempt (after the kind's backoff) may finish in time."""
    return TimedOut("time_limit_exceeded", f"the task ran past its kind's time limit of {seconds:g} s")


async def compute_run(task: Task, mesh: WorkerMesh, progress: Progress, deadline: Deadline) -> Outcome:
    """calc.CreateRun for the recorded scope (and the payload's proposal_id), then publisher.PublishRun for the run
    it made."""
    if not task.granted_scope_json:
        raise PermanentFailure("compute_run needs the exact scope its submission was granted; none is recorded")
    await progress(0, 2, "computing the run")
    acting = await mesh.acting_for(task, deadline.left())
    itr_request_id = task.itr_request_id or str(_payload(task).get("itr_request_id") or "")
    proposal_id = str(_payload(task).get("proposal_id") or "")
    run = await mesh.create_run(acting, task.granted_scope_json, itr_request_id, deadline.left(), proposal_id)
    await progress(1, 2, f"publishing {run.run_id}")
    artifacts = await _publish(task, mesh, run.run_id, deadline)
    await progress(2, 2, "published")
    return Outcome(run.run_id, artifacts, {"run_id": run.run_id, "readiness": run.readiness,
                                           "artifacts": len(artifacts)})


async def publish_run(task: Task, mesh: WorkerMesh, progress: Progress, deadline: Deadline) -> Outcome:
    """publisher.PublishRun for a run computed already (the task's run_id, or `run_id` in its payload)."""
    run_id = task.run_id or str(_payload(task).get("run_id") or "")
    if not run_id:
        raise PermanentFailure("publish_run needs a run_id")
    await progress(0, 1, f"publishing {run_id}")
    artifacts = await _publish(task, mesh, run_id, deadline)
    await progress(1, 1, "published")
    return Outcome(run_id, artifacts, {"run_id": run_id, "artifacts": len(artifacts)})


async def _publish(task: Task, mesh: WorkerMesh, run_id: str, deadline: Deadline) -> tuple[Artifact, ...]:
    # Asked again: computing may have outlived the first identity and grant, and a revocation since counts.
    acting: ActingFor = await mesh.acting_for(task, deadline.left())
    return await mesh.publish_run(acting, run_id, deadline.left())


async def itr_sync(task: Task, mesh: WorkerMesh, progress: Progress, deadline: Deadline) -> Outcome:
    """itr.SyncRequests for the operator who submitted it: the Salesforce mirror brought up to date (idempotent: a
    redelivered task syncs again and writes only what changed since)."""
    await progress(0, 1, "syncing the ITR mirror")
    acting = await mesh.acting_for(task, deadline.left())
    summary = await mesh.sync_requests(acting, deadline.left())
    await progress(1, 1, "synced")
    return Outcome(summary=summary)


async def takeover_ingest(task: Task, mesh: WorkerMesh, progress: Progress, deadline: Deadline) -> Outcome:
    """takeover.IngestExport of the payload's `path` for the operator who submitted it. Idempotent: a redelivered
    task ingests the same export again and finds it unchanged. A quarantined load is a finished task whose summary
    carries the reasons (the guardrails did their job), not a failure to retry."""
    path = str(_payload(task).get("path") or "")
    if not path:
        raise PermanentFailure("takeover_ingest needs a `path` in its payload (the export folder or .zip)")
    await progress(0, 1, "ingesting the export")
    acting = await mesh.acting_for(task, deadline.left())
    summary = await mesh.ingest_export(acting, path, deadline.left())
    await progress(1, 1, str(summary.get("status", "")))
    return Outcome(summary=summary)


async def takeover_parity(task: Task, mesh: WorkerMesh, progress: Progress, deadline: Deadline) -> Outcome:
    """takeover.CompareParity of the payload's process and load for the operator who submitted it, under a grant of
    the scope recorded at submission (the process's own: takeover refuses any other). Idempotent: a redelivered task
    compares again, and the same comparison is the same report (its id a digest of its packets)."""
    payload = _payload(task)
    process_id, load_id = str(payload.get("process_id") or ""), str(payload.get("load_id") or "")
    if not process_id or not load_id:
        raise PermanentFailure("takeover_parity needs a `process_id` and a `load_id` in its payload")
    if not task.granted_scope_json:
        raise PermanentFailure("takeover_parity needs the exact scope its submission was granted; none is recorded")
    await progress(0, 1, f"comparing {process_id} on {load_id}")
    acting = await mesh.acting_for(task, deadline.left())
    summary = await mesh.compare_parity(acting, process_id, load_id, deadline.left())
    await progress(1, 1, f"{summary.get('unexplained', 0)} unexplained")
    return Outcome(summary=summary)


def _payload(task: Task) -> dict:
    try:
        payload = json.loads(task.payload_json or "{}")
    except ValueError:
        raise PermanentFailure("the task's payload is not JSON") from None
    return payload if isinstance(payload, dict) else {}


WORK: dict[str, Callable[[Task, WorkerMesh, Progress, Deadline], Awaitable[Outcome]]] = {
    "compute_run": compute_run,
    "publish_run": publish_run,
    "itr_sync": itr_sync,
    "takeover_ingest": takeover_ingest,
    "takeover_parity": takeover_parity,
}
NOT_BUILT: dict[str, str] = {}  # kinds with a lane and a policy but no work yet: they fail at once, saying so


async def perform(task: Task, mesh: WorkerMesh, progress: Progress, deadline: Deadline) -> Outcome:
    """The kind's work; a refusal a retry cannot change is a PermanentFailure carrying the service's reason."""
    work = WORK.get(task.kind)
    if work is None:
        raise PermanentFailure(f"{task.kind}: {NOT_BUILT.get(task.kind, 'no worker does this kind')}")
    try:
        return await work(task, mesh, progress, deadline)
    except DomainError as error:
        if isinstance(error, TimedOut) and deadline.ends <= time.monotonic() + 0.5:  # the call's budget was ours
            raise time_limit_exceeded(deadline.seconds) from None
        if is_permanent(error):
            raise PermanentFailure(f"{error.code}: {error.message}") from None
        raise


def record(outcome: Outcome) -> Work:
    """Inside the ledger's transaction, with the move to succeeded: the run and artifacts the work made."""
    def write(task: Task, uow: TaskUnitOfWork) -> str:
        uow.tasks.note(task.task_id, run_id=outcome.run_id or task.run_id, artifacts=outcome.artifacts)
        return json.dumps(outcome.summary, sort_keys=True, separators=(",", ":"))
    return write

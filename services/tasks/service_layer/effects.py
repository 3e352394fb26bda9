"""Effects idempotent by task id: a redelivered task never applies its effect twice."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from services.tasks.domain.states import RUNNING, SUCCEEDED, StateChange
from services.tasks.service_layer.ports import EffectAlreadyApplied, TaskUnitOfWork


@dataclass(frozen=True)
class EffectOutcome:
    outcome_json: str
    replayed: bool  # True: an earlier delivery applied it; this one applied nothing


def run_once(task_id: str, attempt: int, effect: Callable[[TaskUnitOfWork], str],
             units: Callable[[], TaskUnitOfWork], actor: str, at: str) -> EffectOutcome:
    """Apply `effect` at most once for `task_id`: its writes, its effect record and the task's move to succeeded
    commit in one transaction, so a delivery that dies anywhere before the commit leaves no trace, and one that
    comes after it finds the record and applies nothing. Two deliveries racing both run `effect`, but only one
    commits: the other's record clashes and its transaction, effect included, rolls back."""
    try:
        with units() as uow:
            done = uow.effects.outcome(task_id)
            if done is not None:
                return EffectOutcome(done, replayed=True)
            outcome = effect(uow)
            uow.effects.record(task_id, outcome, at)
            uow.tasks.move(StateChange(task_id, RUNNING, SUCCEEDED, attempt, "effect applied", actor, at),
                           result_json=outcome, finished_at=at)
            uow.commit()
            return EffectOutcome(outcome, replayed=False)
    except EffectAlreadyApplied:
        pass  # that transaction is spoilt (PostgreSQL aborts it): read the winner's outcome in a fresh one
    with units() as uow:
        return EffectOutcome(uow.effects.outcome(task_id) or "", replayed=True)

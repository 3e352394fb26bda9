"""The takeover-process registry (issue #13 item 6, docs/takeover-states.md): processes, their proofs, their
transitions. Operator-only: the verified operator identity is an argument the entrypoint takes from the request's
identity (or `local:<OS user>` in the CLI), never from a request field."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from kernel.errors import Conflict, InputError, NotFound, Refused
from services.takeover.domain.processes import (
    LEGACY_REFERENCE,
    MAX_NOTE,
    ParityResult,
    Process,
    ProcessRecord,
    Proof,
    Refusal,
    Transition,
    check_proof,
    check_state,
    refusals,
)


class ProcessRegistry(Protocol):
    """The registry's store. `transition` is the unit of work: it appends the history line and moves the state in
    one transaction, and only if the state is still `from_state` (Conflict `state_changed` otherwise)."""

    def define(self, process: Process, at: str) -> bool:
        """Add the process at legacy_reference, or update its definition (never its state); True when added."""

    def get(self, process_id: str) -> ProcessRecord | None: ...

    def all(self) -> list[ProcessRecord]: ...

    def add_proof(self, proof: Proof) -> None:
        """Append: a later proof of the same kind supersedes the earlier one, which is kept."""

    def proofs(self, process_id: str) -> list[Proof]:
        """Every proof ever recorded, in recording order."""

    def transition(self, transition: Transition) -> None: ...

    def history(self, process_id: str) -> list[Transition]: ...

    def refuse(self, refusal: Refusal) -> None: ...

    def refusals(self, process_id: str) -> list[Refusal]: ...


class ParityResults(Protocol):
    def latest(self, process_id: str) -> ParityResult | None:
        """The process's latest golden comparison (parity report), None when it has none."""


@dataclass(frozen=True)
class Outcome:
    """What `advance` did: the transition made, or the refusal with every reason (nothing changed)."""

    process_id: str
    from_state: str
    to_state: str
    reasons: tuple[str, ...]
    transition: Transition | None = None

    @property
    def done(self) -> bool:
        return self.transition is not None

    def as_json(self) -> dict:
        return {"process_id": self.process_id, "from": self.from_state, "to": self.to_state,
                "status": "done" if self.done else "refused", "reasons": list(self.reasons),
                "transition": None if self.transition is None else self.transition.as_json()}


def _operator(operator: str) -> str:
    """The entrypoint verified the operator (kernel.identity.operator_of, or cli.operator's local:<OS user>); here
    only that one is named at all."""
    if not operator or any(c.isspace() for c in operator) or ":" not in operator:
        raise Refused("operator_required", "takeover transitions and proofs are recorded by a verified operator")
    return operator


def _record(registry: ProcessRegistry, process_id: str) -> ProcessRecord:
    record = registry.get(process_id)
    if record is None:
        raise NotFound("process_not_found", f"no takeover process {process_id!r}")
    return record


def define_processes(registry: ProcessRegistry, processes: Iterable[Process], at: str) -> list[str]:
    """Load process definitions (the demo's processes file, an operator's list); states are never touched.
    Returns the ids added."""
    return [p.process_id for p in processes if registry.define(p, at)]


def list_processes(registry: ProcessRegistry, parity: ParityResults) -> list[dict]:
    """Every process with its state, proofs present and missing, and its latest parity result."""
    return [r.as_json(parity.latest(r.process.process_id)) for r in registry.all()]


def show_process(registry: ProcessRegistry, parity: ParityResults, process_id: str) -> dict:
    record = _record(registry, process_id)
    return {**record.as_json(parity.latest(process_id)),
            "history": [t.as_json() for t in registry.history(process_id)],
            "refusals": [r.as_json() for r in registry.refusals(process_id)]}


def record_proof(registry: ProcessRegistry, process_id: str, proof: str, ref: str, operator: str, at: str,
                 note: str = "") -> Proof:
    check_proof(proof)
    _record(registry, process_id)
    recorded = Proof(process_id, proof, ref.strip(), _operator(operator), at, note)
    registry.add_proof(recorded)
    return recorded


def advance(registry: ProcessRegistry, parity: ParityResults, process_id: str, to_state: str, operator: str,
            at: str, note: str = "") -> Outcome:
    """Move the process to `to_state` when the rules allow it; else record the refusal (not a transition) and
    return every reason. A concurrent transition between the read and the write is a Conflict, nothing written."""
    check_state(to_state)
    _operator(operator)
    if len(note) > MAX_NOTE:
        raise InputError("bad_input:note", f"a note is at most {MAX_NOTE} characters")
    record = _record(registry, process_id)
    reasons = refusals(record, to_state, parity.latest(process_id), note)
    if reasons:
        registry.refuse(Refusal(process_id, record.state, to_state, at, operator, tuple(reasons), note))
        return Outcome(process_id, record.state, to_state, tuple(reasons))
    transition = Transition(process_id, record.state, to_state, at, operator, note)
    registry.transition(transition)
    return Outcome(process_id, record.state, to_state, (), transition)


def check_history(history: Sequence[Transition]) -> None:
    """The history replays from legacy_reference to the current state with no gap (a store's invariant)."""
    state = LEGACY_REFERENCE
    for line in history:
        if line.from_state != state:
            raise Conflict("history_gap", f"{line.process_id}: {line.from_state} after {state}")
        state = line.to_state


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")

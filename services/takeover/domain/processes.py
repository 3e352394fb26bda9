"""Takeover states of a Domo-backed process (takeover.md section 5, docs/takeover-states.md): the rules only.

`legacy_reference → candidate_evidence → golden_comparison → presentation_consumer → retired_backend_dependency`,
forward one step at a time. Leaving `golden_comparison` forward (and every step after it) needs the eight required
proofs and a latest parity result with no unexplained difference. One step back is allowed from
`presentation_consumer` and `golden_comparison` (parity broke, a proof was withdrawn) with a note saying why; nothing
goes back from `retired_backend_dependency`. A refused transition names every reason and changes nothing.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from kernel.errors import InputError
from kernel.grants import Grant
from kernel.scope import Scope
from services.takeover.domain.parity import EXPLAINED, UNEXPLAINED

LEGACY_REFERENCE = "legacy_reference"
CANDIDATE_EVIDENCE = "candidate_evidence"
GOLDEN_COMPARISON = "golden_comparison"
PRESENTATION_CONSUMER = "presentation_consumer"
RETIRED_BACKEND_DEPENDENCY = "retired_backend_dependency"
STATES = (LEGACY_REFERENCE, CANDIDATE_EVIDENCE, GOLDEN_COMPARISON, PRESENTATION_CONSUMER, RETIRED_BACKEND_DEPENDENCY)

# The eight required proofs of section 5, in the spec's order, with what the reference names.
PROOFS: Mapping[str, str] = {
    "source_lineage": "a promoted load id (bronze file hashes and row lineage), e.g. LD-2026-11-01-C001",
    "scope_fields": "the exact scope fields and allowed ambiguity states, e.g. a scope spec path or scope rule id",
    "formula_implementation": "formula@version and its test path, e.g. generic_dispensing_rate@1 tests/unit/...",
    "evidence_sufficiency": "the evidence sufficiency rule, e.g. a packet id or a sufficiency rule id",
    "output_parity_target": "the parity target: exact, or a stated tolerance, e.g. exact or tolerance:0.01",
    "dashboard_publish_contract": "the dashboard-publish contract the presentation consumes, e.g. a publisher table",
    "golden_comparison": "a validation packet or golden comparison (parity report) id with no unexplained difference",
    "owner_remediation": "the owner and the remediation path, e.g. a runbook path or queue",
}
MAX_REF = 512
MAX_NOTE = 2000
PROCESS_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,127}$")
# A reference is a name, never a secret: a URL's query string (SAS tokens, signatures) or userinfo is refused.
SECRET_IN_URL = re.compile(r"[a-z][a-z0-9+.-]*://([^/\s]*@|[^\s]*\?)", re.IGNORECASE)

# Stable reason codes of a refused transition (more in docs/takeover-states.md).
SAME_STATE = "same_state"
PARITY_MISSING = "parity_missing"
NOTE_REQUIRED = "note_required"
TERMINAL_STATE = "terminal_state"


def proof_missing(proof: str) -> str:
    return f"proof_missing:{proof}"


def unexplained_difference(card_id: str) -> str:
    return f"unexplained_difference:{card_id}"


def not_adjacent(from_state: str, to_state: str) -> str:
    return f"not_adjacent:{from_state}->{to_state}"


def backward_not_allowed(from_state: str, to_state: str) -> str:
    return f"backward_not_allowed:{from_state}->{to_state}"


BACKWARD_ALLOWED = frozenset({(PRESENTATION_CONSUMER, GOLDEN_COMPARISON), (GOLDEN_COMPARISON, CANDIDATE_EVIDENCE)})


@dataclass(frozen=True)
class Process:
    """A Domo-backed process: the Domo cards and datasets it covers, the registry formula behind them, its owner."""

    process_id: str
    name: str
    owner: str
    cards: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()
    formulas: tuple[str, ...] = ()  # calc registry formula ids (formula@version when pinned)
    # card id → the "formula_id.field" of the calc registry it is compared with (CompareParity reads it)
    card_formulas: Mapping[str, str] = field(default_factory=dict, hash=False)
    # The client scope its cards aggregate (client_id, pbm_id, date_from, date_to, tpa_id?, group_ids comma-separated):
    # card values are that client's aggregates, so reading the process's parity needs a grant covering it; without
    # one, only operators read it (docs/takeover-states.md, "Who reads parity").
    scope: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not PROCESS_ID.fullmatch(self.process_id):
            raise InputError("bad_input:process_id", f"{self.process_id!r} is not a process id ([a-z0-9_.-], ≤128)")
        if not self.name.strip() or not self.owner.strip():
            raise InputError("bad_input:process", "a process has a name and an owner")
        if self.scope:
            unknown = sorted(set(self.scope) - SCOPE_FIELDS)
            if unknown:
                raise InputError("bad_input:scope", f"a process's scope has no field {', '.join(unknown)}")
            process_scope(self.scope)  # refused now, with the reason, rather than when parity is read

    def as_json(self) -> dict:
        rendered: dict = {"process_id": self.process_id, "name": self.name, "owner": self.owner,
                          "cards": list(self.cards), "datasets": list(self.datasets), "formulas": list(self.formulas)}
        if self.card_formulas:  # absent when none: definitions written before it read the same
            rendered["card_formulas"] = dict(self.card_formulas)
        if self.scope:  # likewise absent when none
            rendered["scope"] = dict(self.scope)
        return rendered

    @classmethod
    def from_json(cls, data: Mapping) -> Process:
        return cls(str(data["process_id"]), str(data["name"]), str(data["owner"]),
                   tuple(map(str, data.get("cards", ()))), tuple(map(str, data.get("datasets", ()))),
                   tuple(map(str, data.get("formulas", ()))),
                   {str(k): str(v) for k, v in (data.get("card_formulas") or {}).items()},
                   {str(k): str(v) for k, v in (data.get("scope") or {}).items()})


SCOPE_FIELDS = frozenset({"client_id", "pbm_id", "date_from", "date_to", "tpa_id", "group_ids"})


def process_scope(fields: Mapping[str, str]) -> Scope:
    """A process's scope fields (group_ids comma-separated) as an exact scope; InputError naming what is wrong."""
    return Scope.from_fields(fields)


def may_read_parity(process: Process | None, grant: Grant, operator: bool) -> bool:
    """Card values are a client's aggregates: a process's parity is read under a grant covering its scope; a process
    with no scope (or none defined) only by an operator, whose grant does not name it."""
    if process is None or not process.scope:
        return operator
    return grant.covers_scope(process_scope(process.scope))


@dataclass(frozen=True)
class Proof:
    """A recorded proof: its reference and the verified operator who recorded it. A later proof of the same kind
    supersedes an earlier one; none is ever deleted."""

    process_id: str
    proof: str
    ref: str
    recorded_by: str
    recorded_at: str
    note: str = ""

    def __post_init__(self) -> None:
        check_proof(self.proof)
        ref = self.ref.strip()
        if not ref or len(ref) > MAX_REF:
            raise InputError("bad_input:ref", f"a proof's reference is 1 to {MAX_REF} characters")
        if SECRET_IN_URL.search(ref):
            raise InputError("bad_input:ref", "a reference names a thing; a URL with a query or credentials is refused")
        if not self.recorded_by:
            raise InputError("operator_required", "a proof is recorded by a verified operator")
        if len(self.note) > MAX_NOTE:
            raise InputError("bad_input:note", f"a note is at most {MAX_NOTE} characters")

    def as_json(self) -> dict:
        return {"proof": self.proof, "ref": self.ref, "recorded_by": self.recorded_by,
                "recorded_at": self.recorded_at, "note": self.note}


@dataclass(frozen=True)
class Transition:
    """One line of the append-only history."""

    process_id: str
    from_state: str
    to_state: str
    at: str
    operator: str
    note: str = ""

    def as_json(self) -> dict:
        return {"process_id": self.process_id, "from": self.from_state, "to": self.to_state, "at": self.at,
                "operator": self.operator, "note": self.note}


@dataclass(frozen=True)
class Refusal:
    """A refused attempt: recorded for the audit trail, never a transition (the state did not change)."""

    process_id: str
    from_state: str
    to_state: str
    at: str
    operator: str
    reasons: tuple[str, ...]
    note: str = ""

    def as_json(self) -> dict:
        return {"process_id": self.process_id, "from": self.from_state, "to": self.to_state, "at": self.at,
                "operator": self.operator, "reasons": list(self.reasons), "note": self.note}


@dataclass(frozen=True)
class ParityResult:
    """The latest golden comparison of a process (T2's parity report, docs/takeover-states.md): which cards remain
    unexplained."""

    report_id: str
    cards: int
    unexplained: tuple[str, ...] = ()
    explained: tuple[str, ...] = ()

    def as_json(self) -> dict:
        return {"report_id": self.report_id, "cards": self.cards, "unexplained": list(self.unexplained),
                "explained": list(self.explained)}


@dataclass(frozen=True)
class ProcessRecord:
    """A process as the registry holds it: its definition, its state and its latest proof of each kind."""

    process: Process
    state: str
    proofs: Mapping[str, Proof] = field(default_factory=dict)

    def missing(self) -> list[str]:
        return [p for p in PROOFS if p not in self.proofs]

    def as_json(self, parity: ParityResult | None = None) -> dict:
        return {**self.process.as_json(), "state": self.state,
                "proofs": {name: proof.as_json() for name, proof in sorted(self.proofs.items(),
                                                                            key=lambda kv: list(PROOFS).index(kv[0]))},
                "proofs_present": [p for p in PROOFS if p in self.proofs], "proofs_missing": self.missing(),
                "parity": None if parity is None else parity.as_json(), "next": next_state(self.state)}


def check_state(state: str) -> str:
    if state not in STATES:
        raise InputError("bad_input:state", f"{state!r} is not a takeover state ({', '.join(STATES)})")
    return state


def check_proof(proof: str) -> str:
    if proof not in PROOFS:
        raise InputError("bad_input:proof", f"{proof!r} is not a required proof ({', '.join(PROOFS)})")
    return proof


def next_state(state: str) -> str | None:
    at = STATES.index(state)
    return STATES[at + 1] if at + 1 < len(STATES) else None


def latest_proofs(proofs: Iterable[Proof]) -> dict[str, Proof]:
    """The last recorded proof of each kind (the history is in recording order)."""
    out: dict[str, Proof] = {}
    for proof in proofs:
        out[proof.proof] = proof
    return out


def refusals(record: ProcessRecord, to_state: str, parity: ParityResult | None, note: str = "") -> list[str]:
    """Every reason the transition is refused, in a stable order; [] when it may happen."""
    check_state(to_state)
    here, there = STATES.index(record.state), STATES.index(to_state)
    if there == here:
        return [SAME_STATE]
    if there < here:
        if record.state == RETIRED_BACKEND_DEPENDENCY:
            return [TERMINAL_STATE]
        if (record.state, to_state) not in BACKWARD_ALLOWED:
            return [backward_not_allowed(record.state, to_state)]
        return [] if note.strip() else [NOTE_REQUIRED]
    if there != here + 1:
        return [not_adjacent(record.state, to_state)]
    if here < STATES.index(GOLDEN_COMPARISON):
        return []
    # Leaving golden_comparison, and every step after it: all eight proofs and clean parity.
    reasons = [proof_missing(p) for p in record.missing()]
    if parity is None:
        reasons.append(PARITY_MISSING)
    else:
        reasons.extend(unexplained_difference(card) for card in sorted(set(parity.unexplained)))
    return reasons


def parity_result(report: Mapping, report_id: str) -> ParityResult:
    """T2's parity report (services.takeover.domain.parity.parity_report: {"process", "cards", "match",
    "explained", "unexplained", "worst_difference", "packets": [{"card_id", "classification", …}]}) as the registry
    reads it. A report whose counts say unexplained but whose packets are missing is read as unexplained on every
    card it could not name (`?`), never as clean."""
    packets = list(report.get("packets") or [])
    unexplained = sorted({str(p["card_id"]) for p in packets if p.get("classification") == UNEXPLAINED})
    explained = sorted({str(p["card_id"]) for p in packets if p.get("classification") == EXPLAINED})
    if int(report.get("unexplained") or 0) > len(unexplained):
        unexplained.append("?")
    return ParityResult(report_id, int(report.get("cards") or len(packets)), tuple(unexplained), tuple(explained))

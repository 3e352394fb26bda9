"""The takeover-process state machine on fakes of its ports (style.md 11): every refusal reason, nothing changed by
a refusal, the append-only history, proofs superseded and kept, and a property over random attempt sequences."""
from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.errors import Conflict, InputError, NotFound, Refused
from services.takeover.domain.processes import (
    CANDIDATE_EVIDENCE,
    GOLDEN_COMPARISON,
    LEGACY_REFERENCE,
    PRESENTATION_CONSUMER,
    PROOFS,
    RETIRED_BACKEND_DEPENDENCY,
    STATES,
    ParityResult,
    Process,
    ProcessRecord,
    Proof,
    Refusal,
    Transition,
    latest_proofs,
    parity_result,
    refusals,
)
from services.takeover.service_layer.processes import (
    advance,
    check_history,
    define_processes,
    list_processes,
    record_proof,
    show_process,
)

OPERATOR = "user:ops@leaf.example"
AT = "2026-11-01T06:00:00Z"
GDR = Process("gdr", "Generic dispensing rate", "user:analytics@leaf.example", ("CARD-105",), ("ds",),
              ("generic_dispensing_rate",))
CLEAN = ParityResult("PR-1", 1)


class FakeRegistry:
    def __init__(self) -> None:
        self.processes: dict[str, Process] = {}
        self.states: dict[str, str] = {}
        self.proof_log: list[Proof] = []
        self.lines: list[Transition] = []
        self.refused: list[Refusal] = []

    def define(self, process: Process, at: str) -> bool:
        added = process.process_id not in self.processes
        self.processes[process.process_id] = process
        self.states.setdefault(process.process_id, LEGACY_REFERENCE)
        return added

    def get(self, process_id: str) -> ProcessRecord | None:
        if process_id not in self.processes:
            return None
        return ProcessRecord(self.processes[process_id], self.states[process_id],
                             latest_proofs(p for p in self.proof_log if p.process_id == process_id))

    def all(self) -> list[ProcessRecord]:
        return [r for r in (self.get(p) for p in sorted(self.processes)) if r is not None]

    def add_proof(self, proof: Proof) -> None:
        self.proof_log.append(proof)

    def proofs(self, process_id: str) -> list[Proof]:
        return [p for p in self.proof_log if p.process_id == process_id]

    def transition(self, transition: Transition) -> None:
        if self.states[transition.process_id] != transition.from_state:
            raise Conflict("state_changed", transition.process_id)
        self.states[transition.process_id] = transition.to_state
        self.lines.append(transition)

    def history(self, process_id: str) -> list[Transition]:
        return [t for t in self.lines if t.process_id == process_id]

    def refuse(self, refusal: Refusal) -> None:
        self.refused.append(refusal)

    def refusals(self, process_id: str) -> list[Refusal]:
        return [r for r in self.refused if r.process_id == process_id]


class FakeParity:
    def __init__(self, results: dict[str, ParityResult] | None = None) -> None:
        self.results = dict(results or {})

    def latest(self, process_id: str) -> ParityResult | None:
        return self.results.get(process_id)


def registry_at(state: str, proofs=PROOFS) -> FakeRegistry:
    registry = FakeRegistry()
    define_processes(registry, [GDR], AT)
    registry.states["gdr"] = state
    for proof in proofs:
        record_proof(registry, "gdr", proof, f"ref-{proof}", OPERATOR, AT)
    return registry


def snapshot(registry: FakeRegistry) -> tuple:
    return dict(registry.states), list(registry.lines), list(registry.proof_log)


def test_forward_one_step_at_a_time_is_recorded_with_the_operator():
    registry, parity = registry_at(LEGACY_REFERENCE), FakeParity({"gdr": CLEAN})
    for to in STATES[1:]:
        outcome = advance(registry, parity, "gdr", to, OPERATOR, AT, note=f"to {to}")
        assert outcome.done and outcome.reasons == ()
    assert registry.states["gdr"] == RETIRED_BACKEND_DEPENDENCY
    assert [(t.from_state, t.to_state) for t in registry.history("gdr")] == list(zip(STATES, STATES[1:]))
    assert {t.operator for t in registry.history("gdr")} == {OPERATOR}
    check_history(registry.history("gdr"))
    assert registry.refused == []


def test_the_early_steps_need_no_proof():
    registry, parity = registry_at(LEGACY_REFERENCE, proofs=()), FakeParity()
    assert advance(registry, parity, "gdr", CANDIDATE_EVIDENCE, OPERATOR, AT).done
    assert advance(registry, parity, "gdr", GOLDEN_COMPARISON, OPERATOR, AT).done


@pytest.mark.parametrize("missing", list(PROOFS))
def test_leaving_golden_comparison_names_each_missing_proof_and_changes_nothing(missing):
    registry = registry_at(GOLDEN_COMPARISON, proofs=[p for p in PROOFS if p != missing])
    before = snapshot(registry)
    outcome = advance(registry, FakeParity({"gdr": CLEAN}), "gdr", PRESENTATION_CONSUMER, OPERATOR, AT)
    assert not outcome.done
    assert outcome.reasons == (f"proof_missing:{missing}",)
    assert snapshot(registry) == before
    assert registry.refused[-1].reasons == (f"proof_missing:{missing}",)
    assert registry.refused[-1].operator == OPERATOR


def test_every_reason_at_once_in_a_stable_order():
    registry = registry_at(GOLDEN_COMPARISON, proofs=())
    outcome = advance(registry, FakeParity(), "gdr", PRESENTATION_CONSUMER, OPERATOR, AT)
    assert outcome.reasons == (*(f"proof_missing:{p}" for p in PROOFS), "parity_missing")


def test_an_unexplained_difference_is_named_by_card():
    registry = registry_at(GOLDEN_COMPARISON)
    parity = FakeParity({"gdr": ParityResult("PR-2", 3, ("CARD-107", "CARD-102"), ("CARD-104",))})
    outcome = advance(registry, parity, "gdr", PRESENTATION_CONSUMER, OPERATOR, AT)
    assert outcome.reasons == ("unexplained_difference:CARD-102", "unexplained_difference:CARD-107")
    assert registry.states["gdr"] == GOLDEN_COMPARISON


def test_an_explained_difference_does_not_block():
    registry = registry_at(GOLDEN_COMPARISON)
    parity = FakeParity({"gdr": ParityResult("PR-3", 2, (), ("CARD-102",))})
    assert advance(registry, parity, "gdr", PRESENTATION_CONSUMER, OPERATOR, AT).done


def test_retiring_checks_parity_again():
    registry = registry_at(PRESENTATION_CONSUMER)
    parity = FakeParity({"gdr": ParityResult("PR-4", 1, ("CARD-105",))})
    outcome = advance(registry, parity, "gdr", RETIRED_BACKEND_DEPENDENCY, OPERATOR, AT)
    assert outcome.reasons == ("unexplained_difference:CARD-105",)


@pytest.mark.parametrize(("start", "to", "reason"), [
    (LEGACY_REFERENCE, LEGACY_REFERENCE, "same_state"),
    (LEGACY_REFERENCE, GOLDEN_COMPARISON, "not_adjacent:legacy_reference->golden_comparison"),
    (CANDIDATE_EVIDENCE, RETIRED_BACKEND_DEPENDENCY, "not_adjacent:candidate_evidence->retired_backend_dependency"),
    (CANDIDATE_EVIDENCE, LEGACY_REFERENCE, "backward_not_allowed:candidate_evidence->legacy_reference"),
    (PRESENTATION_CONSUMER, CANDIDATE_EVIDENCE, "backward_not_allowed:presentation_consumer->candidate_evidence"),
    (RETIRED_BACKEND_DEPENDENCY, PRESENTATION_CONSUMER, "terminal_state"),
    (PRESENTATION_CONSUMER, GOLDEN_COMPARISON, "note_required"),
])
def test_structural_refusals(start, to, reason):
    registry = registry_at(start)
    before = snapshot(registry)
    outcome = advance(registry, FakeParity({"gdr": CLEAN}), "gdr", to, OPERATOR, AT)
    assert outcome.reasons == (reason,)
    assert snapshot(registry) == before


def test_going_back_when_parity_breaks_needs_a_note_and_is_recorded():
    registry = registry_at(PRESENTATION_CONSUMER)
    broken = FakeParity({"gdr": ParityResult("PR-5", 1, ("CARD-105",))})
    outcome = advance(registry, broken, "gdr", GOLDEN_COMPARISON, OPERATOR, AT, note="CARD-105 differs since PR-5")
    assert outcome.done and registry.states["gdr"] == GOLDEN_COMPARISON
    assert registry.history("gdr")[-1].note == "CARD-105 differs since PR-5"
    assert advance(registry, broken, "gdr", CANDIDATE_EVIDENCE, OPERATOR, AT, note="formula withdrawn").done


def test_proofs_are_superseded_and_kept():
    registry = registry_at(GOLDEN_COMPARISON)
    record_proof(registry, "gdr", "formula_implementation", "generic_dispensing_rate@2", "local:alice", AT)
    record = registry.get("gdr")
    assert record is not None
    assert record.proofs["formula_implementation"].ref == "generic_dispensing_rate@2"
    assert record.proofs["formula_implementation"].recorded_by == "local:alice"
    assert [p.ref for p in registry.proofs("gdr") if p.proof == "formula_implementation"] == [
        "ref-formula_implementation", "generic_dispensing_rate@2"]


@pytest.mark.parametrize(("proof", "ref", "code"), [
    ("no_such_proof", "x", "bad_input:proof"),
    ("source_lineage", "  ", "bad_input:ref"),
    ("source_lineage", "x" * 513, "bad_input:ref"),
    ("source_lineage", "https://acct.dfs.core.windows.net/lake/x?sig=abc", "bad_input:ref"),
    ("source_lineage", "postgresql://user:secret@db/test", "bad_input:ref"),
])
def test_bad_proofs_are_refused(proof, ref, code):
    registry = registry_at(LEGACY_REFERENCE, proofs=())
    with pytest.raises(InputError) as err:
        record_proof(registry, "gdr", proof, ref, OPERATOR, AT)
    assert err.value.code == code
    assert registry.proof_log == []


def test_operator_and_process_and_state_are_checked_before_anything_is_written():
    registry = registry_at(GOLDEN_COMPARISON)
    before = snapshot(registry)
    for operator in ("", "anonymous", "user: x"):
        with pytest.raises(Refused):
            advance(registry, FakeParity({"gdr": CLEAN}), "gdr", PRESENTATION_CONSUMER, operator, AT)
        with pytest.raises(Refused):
            record_proof(registry, "gdr", "source_lineage", "LD-1", operator, AT)
    with pytest.raises(NotFound):
        advance(registry, FakeParity(), "nope", CANDIDATE_EVIDENCE, OPERATOR, AT)
    with pytest.raises(NotFound):
        record_proof(registry, "nope", "source_lineage", "LD-1", OPERATOR, AT)
    with pytest.raises(InputError):
        advance(registry, FakeParity(), "gdr", "live", OPERATOR, AT)
    assert snapshot(registry) == before and registry.refused == []


def test_a_concurrent_move_is_a_conflict_and_appends_nothing():
    class Racing(FakeRegistry):
        def transition(self, transition: Transition) -> None:
            self.states[transition.process_id] = PRESENTATION_CONSUMER  # another operator got there first
            super().transition(transition)

    registry = Racing()
    define_processes(registry, [GDR], AT)
    with pytest.raises(Conflict):
        advance(registry, FakeParity(), "gdr", CANDIDATE_EVIDENCE, OPERATOR, AT)
    assert registry.lines == []


def test_redefining_keeps_the_state():
    registry = registry_at(GOLDEN_COMPARISON)
    assert define_processes(registry, [replace(GDR, owner="user:new@leaf.example")], AT) == []
    assert registry.states["gdr"] == GOLDEN_COMPARISON


def test_listing_says_what_is_present_and_missing():
    registry = registry_at(GOLDEN_COMPARISON, proofs=["source_lineage", "owner_remediation"])
    [listed] = list_processes(registry, FakeParity({"gdr": CLEAN}))
    assert listed["state"] == GOLDEN_COMPARISON and listed["next"] == PRESENTATION_CONSUMER
    assert listed["proofs_present"] == ["source_lineage", "owner_remediation"]
    assert listed["proofs_missing"] == [p for p in PROOFS if p not in ("source_lineage", "owner_remediation")]
    assert listed["parity"] == {"report_id": "PR-1", "cards": 1, "unexplained": [], "explained": []}
    advance(registry, FakeParity(), "gdr", PRESENTATION_CONSUMER, OPERATOR, AT)
    shown = show_process(registry, FakeParity(), "gdr")
    assert shown["history"] == [] and shown["refusals"][0]["reasons"][-1] == "parity_missing"


def test_process_ids_and_definitions_are_checked():
    with pytest.raises(InputError):
        Process("Has Spaces", "n", "o")
    with pytest.raises(InputError):
        Process("ok", " ", "o")


def test_a_parity_report_is_read_from_its_packets():
    report = {"process": "gdr", "cards": 3, "match": 1, "explained": 1, "unexplained": 1,
              "packets": [{"card_id": "A", "classification": "match"},
                          {"card_id": "B", "classification": "explained"},
                          {"card_id": "C", "classification": "unexplained"}]}
    assert parity_result(report, "PR-9") == ParityResult("PR-9", 3, ("C",), ("B",))
    assert parity_result({"cards": 2, "unexplained": 1, "packets": []}, "PR-10").unexplained == ("?",)


ATTEMPT = st.tuples(st.sampled_from(STATES), st.sampled_from(["", "why"]),
                    st.sets(st.sampled_from(list(PROOFS))), st.booleans())


@settings(max_examples=150, deadline=None)
@given(st.lists(ATTEMPT, max_size=25))
def test_any_sequence_of_attempts_keeps_the_invariants(attempts):
    """Whatever is attempted: the state is the history's last `to`, each line one legal step, each refusal changed
    nothing, and a forward move past golden_comparison only ever happened with all proofs and clean parity."""
    registry = FakeRegistry()
    define_processes(registry, [GDR], AT)
    for to, note, proofs, clean in attempts:
        for proof in proofs:
            record_proof(registry, "gdr", proof, f"r-{proof}", OPERATOR, AT)
        before = snapshot(registry)
        record = registry.get("gdr")
        assert record is not None
        parity = FakeParity({"gdr": CLEAN if clean else ParityResult("PR-x", 1, ("CARD-1",))})
        outcome = advance(registry, parity, "gdr", to, OPERATOR, AT, note)
        if outcome.done:
            here, there = STATES.index(record.state), STATES.index(to)
            assert there == here + 1 or (there == here - 1 and note)
            if there > here >= STATES.index(GOLDEN_COMPARISON):
                assert not record.missing() and clean
        else:
            assert snapshot(registry)[:2] == before[:2]
            assert outcome.reasons == tuple(refusals(record, to, parity.latest("gdr"), note))
    history = registry.history("gdr")
    check_history(history)
    assert registry.states["gdr"] == (history[-1].to_state if history else LEGACY_REFERENCE)

"""Reading a kept parity report on fakes of its ports (style.md 11): GetParity classifies the latest report again with
the explanations recorded since, only for a caller who may read the process (anyone else is told exactly what a
process with no report tells); an explanation is proposed only for a card of that report; and the registry's gate
sees an approved explanation at once."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kernel.errors import NotFound
from kernel.grants import Area, Grant
from services.takeover.domain.parity import BackendValue, Explanation, packet, parity_report
from services.takeover.domain.processes import ParityResult, Process
from services.takeover.service_layer.parity import (
    ExplainedParityResults,
    approve_explanation,
    current_parity,
    parity_for_reader,
    propose_for_report,
)
from tests.unit.takeover.fakes import FakeExplanations, FakeParityReports, FakeProcessDefinitions

NOW = datetime(2026, 11, 2, tzinfo=UTC)
SCOPE = {"client_id": "C001", "pbm_id": "PBM_A", "date_from": "2025-01-01", "date_to": "2025-01-31",
         "group_ids": "C001-G01"}
SCOPED = Process("plan_paid", "Plan paid", "ops", cards=("M", "R"), scope=SCOPE)
UNSCOPED = Process("legacy_gdr", "GDR", "ops", cards=("M", "R"))


def kept(process: str, load_id: str = "LD-1") -> dict:
    """M matches; R shows 12 where the backend has 10 (unexplained until an explanation is approved)."""
    packets = [packet(process, {"card_id": card, "recorded_value": domo, "status": "match"},
                      BackendValue("claims.plan_paid_net", "1", backend))
               for card, domo, backend in (("M", "5", "5"), ("R", "12", "10"))]
    return {**parity_report(process, packets), "load_id": load_id}


def ports(*processes: str) -> tuple[FakeParityReports, FakeExplanations]:
    reports = FakeParityReports()
    for process in processes:
        reports.write(process, kept(process))
    return reports, FakeExplanations()


def read_grant(*areas: Area) -> Grant:
    return Grant(None, areas, "user:ana@leaf.example", NOW, NOW, "k1")


def classes(report: dict) -> dict[str, str]:
    return {p["card_id"]: p["classification"] for p in report["packets"]}


def refusal(call) -> tuple[str, str]:
    with pytest.raises(NotFound) as refused:
        call()
    return refused.value.code, refused.value.message


def test_the_latest_report_is_answered_with_the_explanations_recorded_since():
    reports, explanations = ports("plan_paid")
    assert classes(current_parity(reports, explanations, "plan_paid")) == {"M": "match", "R": "unexplained"}
    explanations.append("plan_paid", Explanation("R", "domo_includes_reversals", "", "op:a", "op:b", "t1"))
    now = current_parity(reports, explanations, "plan_paid", "LD-1")
    assert classes(now) == {"M": "match", "R": "explained"} and now["base_report_id"] == kept("plan_paid")["report_id"]
    assert reports.latest_report("plan_paid") == kept("plan_paid")  # the kept report is never rewritten


def test_no_report_or_a_report_of_another_load_is_not_found():
    reports, explanations = ports("plan_paid")
    assert refusal(lambda: current_parity(reports, explanations, "legacy_gdr"))[0] == "parity_not_found"
    code, message = refusal(lambda: current_parity(reports, explanations, "plan_paid", "LD-2"))
    assert code == "parity_not_found" and "LD-2" in message


def test_a_scoped_process_is_read_under_a_grant_covering_its_scope_and_hidden_from_any_other_caller():
    definitions = FakeProcessDefinitions(SCOPED)
    empty, explanations = ports()
    reports, _ = ports("plan_paid")
    for grant in (read_grant(Area("C001")), read_grant(Area("C001", ("C001-G01",)))):
        assert parity_for_reader(reports, explanations, definitions, "plan_paid", None, grant, False)["cards"] == 2
    unreported = refusal(lambda: parity_for_reader(empty, explanations, definitions, "plan_paid", None,
                                                   read_grant(Area("C001")), False))
    for grant in (read_grant(Area("C002")), read_grant(Area("C001", ("C001-G02",))), read_grant()):
        for operator in (False, True):  # an operator's identity does not stand in for a scoped process's grant
            assert refusal(lambda: parity_for_reader(reports, explanations, definitions, "plan_paid", None, grant,
                                                     operator)) == unreported


def test_a_process_without_a_scope_or_unknown_is_read_by_operators_only():
    definitions = FakeProcessDefinitions(UNSCOPED)
    reports, explanations = ports("legacy_gdr")
    anyone = read_grant(Area("C001"))
    assert parity_for_reader(reports, explanations, definitions, "legacy_gdr", "LD-1", anyone, True)["load_id"] == "LD-1"
    assert refusal(lambda: parity_for_reader(reports, explanations, definitions, "legacy_gdr", None, anyone, False)) \
        == ("parity_not_found", "no parity report for process legacy_gdr")
    reports.write("ghost", kept("ghost"))  # a report whose process is not (or no longer) defined
    assert refusal(lambda: parity_for_reader(reports, explanations, definitions, "ghost", None, anyone, False))[0] \
        == "parity_not_found"
    assert parity_for_reader(reports, explanations, definitions, "ghost", None, anyone, True)["process"] == "ghost"


def test_an_explanation_is_proposed_only_for_a_card_of_the_latest_report():
    reports, explanations = ports("plan_paid")
    assert refusal(lambda: propose_for_report(reports, explanations, "plan_paid", "X", "domo_excludes_rows", "",
                                              "op:a"))[0] == "card_not_found"
    assert refusal(lambda: propose_for_report(reports, explanations, "legacy_gdr", "R", "domo_excludes_rows", "",
                                              "op:a"))[0] == "parity_not_found"
    assert explanations.history == []
    proposed = propose_for_report(reports, explanations, "plan_paid", "R", "domo_includes_reversals", "nets", "op:a")
    assert explanations.history == [("plan_paid", proposed)] and proposed.approved_by is None
    packets = {p["card_id"]: p for p in current_parity(reports, explanations, "plan_paid")["packets"]}
    assert packets["R"]["classification"] == "unexplained" and packets["R"]["proposed"] == ["domo_includes_reversals"]


def test_the_registrys_gate_sees_an_approved_explanation_at_once():
    reports, explanations = ports("plan_paid")
    gate = ExplainedParityResults(reports, explanations)
    assert gate.latest("legacy_gdr") is None
    before = gate.latest("plan_paid")
    assert before == ParityResult(kept("plan_paid")["report_id"], 2, ("R",), ())
    propose_for_report(reports, explanations, "plan_paid", "R", "domo_includes_reversals", "", "op:a")
    proposed = gate.latest("plan_paid")
    assert proposed is not None and (proposed.unexplained, proposed.explained) == (("R",), ())  # not yet explained
    approve_explanation(explanations, "plan_paid", "R", "domo_includes_reversals", "op:b", "t1")
    after = gate.latest("plan_paid")
    assert after is not None and (after.unexplained, after.explained) == ((), ("R",))
    assert after.report_id != before.report_id  # the reclassified report's own id

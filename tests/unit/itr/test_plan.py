"""The ask of a run plan from an IT request's fields (issue #14 item 4): the scope request, the deliverables mapped to
what the publisher makes, and each problem as a stable code and a sentence; an operator's choice settles what the
request leaves open, never widens its period."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.itr.domain.plan import DELIVERABLES, UNRESOLVABLE, Choice, ask_to_json, plan_ask

REQUEST = {"Id": "a0B5g0000000001EAA", "Name": "ITR-000001", "Status__c": "Triage", "Client_Id__c": "C001",
           "PBM_Id__c": "PBM_A", "TPA_Id__c": "TPA_1", "Group_Ids__c": "C001-G02;C001-G01",
           "Period_Start__c": "2025-01-01", "Period_End__c": "2025-12-31", "Deliverables__c": "Workbook;PDF",
           "IsDeleted": False}


def codes(ask) -> list[str]:
    return [p.code for p in ask.problems]


def test_a_complete_request_asks_for_its_scope_and_deliverables_with_no_problem():
    ask = plan_ask(REQUEST)
    assert ask.problems == () and ask.resolvable and ask.settled == ()
    assert (ask.scope.client_id, ask.scope.pbm_id, ask.scope.tpa_id, ask.scope.group_ids) == (
        "C001", "PBM_A", "TPA_1", ("C001-G01", "C001-G02"))
    assert (ask.scope.date_from, ask.scope.date_to) == ("2025-01-01", "2025-12-31")
    assert [(d.name, d.artifacts) for d in ask.deliverables] == [("Workbook", ("report.xlsx",)),
                                                                 ("PDF", ("report.pdf",))]
    assert all("rebate_guarantee" in d.formula_ids for d in ask.deliverables)


def test_blank_pbm_and_tpa_are_left_to_the_scope_service():
    ask = plan_ask({**REQUEST, "PBM_Id__c": None, "TPA_Id__c": "", "Group_Ids__c": None})
    assert (ask.scope.pbm_id, ask.scope.tpa_id, ask.scope.group_ids) == ("", None, ())
    assert ask.problems == ()


def test_each_problem_has_its_code_and_a_sentence():
    cases = {
        "missing_client": {"Client_Id__c": None},
        "missing_period": {"Period_End__c": None},
        "bad_period": {"Period_Start__c": "01/01/2025"},
        "period_reversed": {"Period_Start__c": "2026-01-01"},
        "unknown_deliverable": {"Deliverables__c": "Workbook;Fax"},
        "no_deliverables": {"Deliverables__c": None},
        "request_deleted": {"IsDeleted": True},
        "request_cancelled": {"Status__c": "Cancelled"},
        "request_done": {"Status__c": "Done"},
        "proposal_not_chosen": {"Deliverables__c": "Repricing;Workbook"},
    }
    for code, change in cases.items():
        ask = plan_ask({**REQUEST, **change})
        assert codes(ask) == [code], (code, ask.problems)
        assert len(ask.problems[0].message) > 20
        assert ask.resolvable is (code not in UNRESOLVABLE)
    fax = plan_ask({**REQUEST, "Deliverables__c": "Workbook;Fax"})
    assert "'Fax'" in fax.problems[0].message and [d.name for d in fax.deliverables] == ["Workbook"]
    missing = plan_ask({**REQUEST, "Period_Start__c": None, "Period_End__c": ""}).problems[0].message
    assert "Period_Start__c and Period_End__c" in missing


def test_a_choice_settles_the_pbm_narrows_the_window_and_names_the_proposal():
    ambiguous = {**REQUEST, "PBM_Id__c": None, "Deliverables__c": "Repricing;PDF"}
    ask = plan_ask(ambiguous, Choice(pbm_id="PBM_B", date_from="2025-07-01", proposal_id="PR-C001-PBMA-2026"))
    assert ask.problems == ()
    assert (ask.scope.pbm_id, ask.scope.date_from, ask.scope.date_to, ask.proposal_id) == (
        "PBM_B", "2025-07-01", "2025-12-31", "PR-C001-PBMA-2026")
    assert ask.settled == ("date_from", "pbm_id", "proposal_id")
    assert ask_to_json(ask)["settled"] == {"date_from": {"asked": "2025-01-01", "chosen": "2025-07-01"},
                                           "pbm_id": {"asked": "", "chosen": "PBM_B"},
                                           "proposal_id": {"asked": "", "chosen": "PR-C001-PBMA-2026"}}
    # Choosing what the request says already settles nothing.
    assert plan_ask(REQUEST, Choice(pbm_id="PBM_A")).settled == ()


def test_a_choice_never_widens_the_period_nor_names_what_is_not_an_id():
    assert codes(plan_ask(REQUEST, Choice(date_from="2024-12-01"))) == ["choice_outside_period"]
    assert codes(plan_ask(REQUEST, Choice(date_from="2025-08-01", date_to="2025-07-01"))) == ["bad_choice"]
    assert codes(plan_ask(REQUEST, Choice(pbm_id="PBM A; drop"))) == ["bad_choice"]
    assert codes(plan_ask(REQUEST, Choice(proposal_id="PR-1"))) == ["proposal_not_asked"]
    assert not plan_ask(REQUEST, Choice(date_to="2025-13-01")).resolvable


@given(st.lists(st.sampled_from([*DELIVERABLES, "Fax", "", " PDF "]), max_size=8),
       st.sampled_from(["New", "Triage", "In Progress", "Blocked", "Done", "Cancelled", None]),
       st.booleans(), st.booleans())
def test_deliverables_map_in_order_once_and_problems_never_hide(names, status, deleted, client):
    fields = {**REQUEST, "Deliverables__c": ";".join(names) or None, "Status__c": status, "IsDeleted": deleted,
              "Client_Id__c": "C001" if client else None}
    ask = plan_ask(fields)
    known = list(dict.fromkeys(n.strip() for n in names if n.strip() in DELIVERABLES))
    assert [d.name for d in ask.deliverables] == known
    found = set(codes(ask))
    assert ("request_deleted" in found) is deleted and ("missing_client" in found) is not client
    assert ("request_done" in found) is (status == "Done") and ("request_cancelled" in found) is (status == "Cancelled")
    assert ("unknown_deliverable" in found) is ("Fax" in names)
    assert ("proposal_not_chosen" in found) is ("Repricing" in known)
    assert ask.resolvable is client
    body = ask_to_json(ask)
    assert [p["code"] for p in body["problems"]] == codes(ask) and body["request_id"] == REQUEST["Id"]

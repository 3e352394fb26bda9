"""The plan-ask use cases on a fake mirror (style.md 11): inside the caller's grant (another client's request is not
found, exactly like an unknown one), and for `leaf itr plan` any request but a deleted one."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from kernel.errors import NotFound
from kernel.grants import Area, Grant
from services.itr.domain.plan import Choice
from services.itr.service_layer.mirrored_requests import operator_plan_ask, request_plan_ask

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def row(request_id: str, client_id: str, groups: str = "", deleted: bool = False, **fields) -> dict:
    api = {"Id": request_id, "Name": f"ITR-{request_id[-3:]}", "Status__c": "Triage", "Client_Id__c": client_id,
           "PBM_Id__c": "PBM_A", "Group_Ids__c": groups or None, "Period_Start__c": "2025-01-01",
           "Period_End__c": "2025-12-31", "Deliverables__c": "PDF", "IsDeleted": deleted, **fields}
    return {"request_id": request_id, "name": api["Name"], "client_id": client_id, "group_ids": groups,
            "is_deleted": deleted, "fields_json": json.dumps(api)}


class FakeMirror:
    def __init__(self, *rows: dict) -> None:
        self.rows = {r["request_id"]: r for r in rows}

    def get(self, request_id: str, include_deleted: bool = False) -> dict | None:
        found = self.rows.get(request_id)
        return found if found and (include_deleted or not found["is_deleted"]) else None


MIRROR = FakeMirror(row("a0B000000000001AAA", "C001"), row("a0B000000000002AAA", "C002"),
                    row("a0B000000000003AAA", "C001", groups="C001-G01"),
                    row("a0B000000000004AAA", "C001", deleted=True))


def grant(*areas: Area) -> Grant:
    return Grant(None, areas, "user:ana@leaf.example", NOW, NOW, "k1")


def test_a_request_in_the_grant_is_asked_with_the_choice_and_others_are_not_found_alike():
    found, ask = request_plan_ask("a0B000000000001AAA", Choice(pbm_id="PBM_B"), grant(Area("C001")), MIRROR)
    assert found["client_id"] == "C001" and (ask.scope.pbm_id, ask.settled) == ("PBM_B", ("pbm_id",))
    refusals = []
    for request_id, areas in (("a0B000000000002AAA", (Area("C001"),)),          # another client's
                              ("a0B000000000003AAA", (Area("C001", ("C001-G02",)),)),  # another group's
                              ("a0B000000000004AAA", (Area("C001"),)),          # deleted
                              ("a0B0000000NOSUCHAA", (Area("C001"),))):         # never mirrored
        with pytest.raises(NotFound) as refused:
            request_plan_ask(request_id, Choice(), grant(*areas), MIRROR)
        refusals.append((refused.value.code, refused.value.message.replace(request_id, "x")))
    assert len(set(refusals)) == 1 and refusals[0][0] == "request_not_found"


def test_the_operators_ask_reaches_any_client_but_says_a_deleted_request_was_deleted():
    assert operator_plan_ask("a0B000000000002AAA", MIRROR).scope.client_id == "C002"
    with pytest.raises(NotFound) as deleted:
        operator_plan_ask("a0B000000000004AAA", MIRROR)
    assert deleted.value.code == "request_deleted"
    with pytest.raises(NotFound) as unknown:
        operator_plan_ask("a0B0000000NOSUCHAA", MIRROR)
    assert unknown.value.code == "request_not_found"

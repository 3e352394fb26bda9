"""The mirror's read use cases on a fake mirror (style.md 11): requests listed and found only inside the caller's grant
(another client's or group's is answered as one not mirrored), bundles built from the mirror's parts and checked, and
`leaf itr bundle` for any request but a deleted one."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from kernel.errors import Internal, NotFound
from kernel.grants import Area, Grant
from services.itr.service_layer.mirrored_requests import get_bundle, get_request, list_requests, operator_bundle
from tests.unit.itr.fakes import FakeRequestMirror

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def row(n: int, client_id: str, groups: str = "", status: str = "Triage", deleted: bool = False, **fields) -> dict:
    request_id = f"a0B00000000000{n}AAA"
    api = {"Id": request_id, "Client_Id__c": client_id, **fields}
    return {"request_id": request_id, "name": f"ITR-00000{n}", "client_id": client_id, "group_ids": groups,
            "status": status, "is_deleted": deleted, "system_modstamp": "2025-01-02T00:00:00.000+0000",
            "content_sha256": "ab" * 32, "fields_json": json.dumps(api)}


FEED = [{"feed_item_id": "0D51", "type": "TextPost", "body": "started", "created_by_id": "005", "created_date": "1",
         "is_deleted": False}]
MIRROR = FakeRequestMirror(row(1, "C001"), row(2, "C002"), row(3, "C001", groups="C001-G01", status="Done"),
                           row(4, "C001", groups="C001-G02"), row(5, "C001", deleted=True),
                           row(6, "C001", Note__c="see https://sf.internal.example/x"),
                           parts={"a0B000000000001AAA": {"feed": FEED}})


def grant(*areas: Area) -> Grant:
    return Grant(None, areas, "user:ana@leaf.example", NOW, NOW, "k1")


def names(rows: list[dict]) -> list[str]:
    return [r["name"] for r in rows]


def test_a_listing_holds_only_what_the_grant_covers_groups_included():
    assert names(list_requests("", "", grant(Area("C001")), MIRROR)) == [
        "ITR-000001", "ITR-000003", "ITR-000004", "ITR-000006"]
    assert names(list_requests("", "", grant(Area("C001", ("C001-G01",))), MIRROR)) == ["ITR-000003"]
    assert names(list_requests("C001", "Done", grant(Area("C001"), Area("C002")), MIRROR)) == ["ITR-000003"]


def test_a_named_client_outside_the_grant_is_refused_whether_it_exists_or_not():
    for client_id in ("C002", "C999"):
        with pytest.raises(NotFound) as refused:
            list_requests(client_id, "", grant(Area("C001")), MIRROR)
        assert refused.value.code == "client_not_found"


def test_another_clients_or_groups_or_a_deleted_request_is_not_found_like_an_unknown_one():
    assert get_request("a0B000000000004AAA", grant(Area("C001")), MIRROR)["name"] == "ITR-000004"
    refused = []
    for request_id, areas in (("a0B000000000002AAA", (Area("C001"),)), ("a0B000000000004AAA",
                              (Area("C001", ("C001-G01",)),)), ("a0B000000000005AAA", (Area("C001"),)),
                              ("a0B00000000000XAAA", (Area("C001"),))):
        with pytest.raises(NotFound) as error:
            get_bundle(request_id, grant(*areas), MIRROR)
        refused.append((error.value.code, error.value.message.replace(request_id, "<id>")))
    assert set(refused) == {("request_not_found", "no request '<id>' in the mirror")}


def test_a_bundle_is_built_from_the_mirrors_parts_for_the_caller():
    found, text = get_bundle("a0B000000000001AAA", grant(Area("C001")), MIRROR)
    bundle = json.loads(text)
    assert found["request_id"] == "a0B000000000001AAA" == bundle["lineage"]["request_id"]
    assert bundle["request"] == {"Id": "a0B000000000001AAA", "Client_Id__c": "C001"}
    assert [(f["body"], f["comments"]) for f in bundle["feed"]] == [("started", [])]


def test_a_bundle_that_would_lead_to_the_instance_is_refused_not_sent():
    with pytest.raises(Internal) as refused:
        get_bundle("a0B000000000006AAA", grant(Area("C001")), MIRROR, hosts=("sf.internal.example",))
    assert refused.value.code == "bundle_not_clean"


def test_the_operators_bundle_is_any_clients_but_a_deleted_request_says_so():
    assert json.loads(operator_bundle("a0B000000000002AAA", MIRROR))["request"]["Client_Id__c"] == "C002"
    with pytest.raises(NotFound) as deleted:
        operator_bundle("a0B000000000005AAA", MIRROR)
    assert deleted.value.code == "request_deleted" and "ITR-000005" in deleted.value.message
    with pytest.raises(NotFound) as unknown:
        operator_bundle("a0B00000000000XAAA", MIRROR)
    assert unknown.value.code == "request_not_found"

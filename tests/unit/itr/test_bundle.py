"""The evidence bundle: ordered, normalized, deleted feed left out, and refused if anything could lead into Salesforce."""
import json

import pytest

from kernel.errors import Internal
from services.itr.domain.bundle import build_bundle, checked

REQUEST = {"request_id": "a0B1", "name": "ITR-1", "system_modstamp": "2025-01-02T00:00:00.000+0000",
           "content_sha256": "ab" * 32, "fields_json": json.dumps({"Id": "a0B1", "Client_Id__c": "C001"})}
HISTORY = [{"history_id": f"017{n}", "field": "Status__c", "old_value": "New", "new_value": "Triage",
            "created_by_id": "005", "created_date": f"2025-01-0{n}T00:00:00.000+0000"} for n in (3, 1, 2)]
VERSIONS = [{"document_id": "069A", "version_id": f"068{n}", "title": "t", "file_extension": "pdf", "content_size": 9,
             "checksum": "c" * 32, "version_number": str(n), "is_latest": n == 2, "system_modstamp": ""} for n in (1, 2)]
FEED = [{"feed_item_id": "0D51", "type": "TextPost", "body": "kept", "created_by_id": "005", "created_date": "1",
         "is_deleted": False},
        {"feed_item_id": "0D52", "type": "TextPost", "body": "gone", "created_by_id": "005", "created_date": "2",
         "is_deleted": True}]
COMMENTS = [{"comment_id": "0D71", "feed_item_id": "0D51", "body": "reply", "created_by_id": "005", "created_date": "3",
             "is_deleted": False}]


def test_the_bundle_is_ordered_and_leaves_deleted_feed_out():
    bundle = build_bundle(REQUEST, HISTORY, VERSIONS, [], FEED, COMMENTS, [])
    assert [h["history_id"] for h in bundle["history"]] == ["0171", "0172", "0173"]
    assert [f["version_id"] for f in bundle["files"]] == ["0682", "0681"]  # latest first
    assert [(f["body"], [c["body"] for c in f["comments"]]) for f in bundle["feed"]] == [("kept", ["reply"])]
    assert bundle["request"] == {"Id": "a0B1", "Client_Id__c": "C001"} and len(bundle["lineage"]["bundle_sha256"]) == 64
    assert json.loads(checked(bundle)) == bundle


def test_a_bundle_that_would_carry_a_salesforce_link_or_the_instance_host_is_refused():
    for dirty in ({"Id": "a0B1", "url": "/services/data/v62.0/sobjects/IT_Request__c/a0B1"},
                  {"Id": "a0B1", "Note__c": "https://acme.my.salesforce.com/x"},
                  {"Id": "a0B1", "Note__c": "see sf.internal.example/a"}):
        bundle = build_bundle({**REQUEST, "fields_json": json.dumps(dirty)}, [], [], [], [], [], [])
        with pytest.raises(Internal):
            checked(bundle, ("sf.internal.example",))

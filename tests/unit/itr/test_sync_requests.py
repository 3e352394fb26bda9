"""SyncRequests on a fake source and a fake mirror store (style.md 11): every stream mirrored and counted, a second
identical sync writes nothing, the watermark is read less the overlap and never lowered, history is only added, bad
records are kept with their flags, purged requests are tombstoned, a document linked late gets all its versions, and a
sync cut off mid-way keeps what it committed."""
from __future__ import annotations

import copy

import pytest

from services.itr.domain.records import LINK_REMOVED
from services.itr.domain.watermarks import read_from
from services.itr.service_layer.sync import SyncOptions, sync_requests
from tests.unit.itr.fakes import FakeMirrorStore, FakeRecordSource, SourceDown


def stamp(day: int) -> str:
    return f"2025-03-{day:02d}T10:00:00.000+0000"


def request(n: int, day: int, **fields) -> dict:
    return {"attributes": {"type": "IT_Request__c", "url": f"/services/data/v62.0/sobjects/IT_Request__c/a0B{n}"},
            "Id": f"a0B00000000000{n}AAA", "Name": f"ITR-00000{n}", "Subject__c": f"audit {n}", "Status__c": "Triage",
            "Priority__c": "High", "Client_Id__c": "C001", "Group_Ids__c": "C001-G01", "Deliverables__c": "PDF",
            "IsDeleted": False, "SystemModstamp": stamp(day), **fields}


def org() -> dict[str, list[dict]]:
    r1, r2 = "a0B000000000001AAA", "a0B000000000002AAA"
    return {
        "IT_Request__c": [request(1, 2), request(2, 4), request(3, 3)],
        "IT_Request__History": [
            {"Id": "0171", "ParentId": r1, "Field": "Status__c", "OldValue": "New", "NewValue": "Triage",
             "CreatedById": "005", "CreatedDate": stamp(2)},
            {"Id": "0172", "ParentId": r2, "Field": "Priority__c", "OldValue": "Low", "NewValue": "High",
             "CreatedById": "005", "CreatedDate": stamp(3)}],
        "ContentDocumentLink": [{"Id": "06A1", "LinkedEntityId": r1, "ContentDocumentId": "069A"},
                                {"Id": "06A2", "LinkedEntityId": r2, "ContentDocumentId": "069N"}],
        "ContentVersion": [
            {"Id": f"068{n}", "ContentDocumentId": "069A", "Title": "Claims", "FileExtension": "csv",
             "ContentSize": 10 * n, "Checksum": "c" * 32, "VersionNumber": str(n), "IsLatest": n == 2,
             "SystemModstamp": stamp(n)} for n in (1, 2)] + [
            {"Id": "068Z", "ContentDocumentId": "069Z", "Title": "Unlinked", "FileExtension": "pdf", "ContentSize": 1,
             "Checksum": "d" * 32, "VersionNumber": "1", "IsLatest": True, "SystemModstamp": stamp(1)}],
        "ContentNote": [{"Id": "069N", "Title": "Call", "TextPreview": "agreed", "CreatedDate": stamp(2),
                         "LastModifiedDate": stamp(2)}],
        "FeedItem": [{"Id": f"0D5{n}", "ParentId": r1, "Type": "TextPost", "Body": f"post {n}", "CreatedById": "005",
                      "CreatedDate": stamp(n), "SystemModstamp": stamp(n), "IsDeleted": False} for n in (1, 2)],
        "FeedComment": [{"Id": "0D71", "FeedItemId": "0D51", "ParentId": r1, "CommentBody": "reply",
                         "CreatedById": "005", "CreatedDate": stamp(3), "IsDeleted": False}],
    }


def counts(summary) -> dict:
    return {k: v for k, v in summary.as_json().items() if k != "watermark"}


def test_a_first_sync_mirrors_every_stream_and_counts_what_it_wrote():
    store = FakeMirrorStore()
    summary = sync_requests(FakeRecordSource(org()), store)
    assert counts(summary) == {"requests_upserted": 3, "requests_deleted": 0, "history_added": 2, "files": 2,
                               "feed_items": 2, "comments": 1, "notes": 1, "flags": 0}
    assert summary.watermark == stamp(4) == store.watermark("requests")  # the highest SystemModstamp seen
    assert set(store.table("versions")) == {"0681", "0682"}  # a document no link names is not mirrored
    assert store.unresolved == set()  # every linked document was fetched
    assert "/services/data" not in store.table("requests")["a0B000000000001AAA"]["fields_json"]


def test_a_second_identical_sync_writes_nothing_and_reads_from_the_watermark_less_the_overlap():
    source, store = FakeRecordSource(org()), FakeMirrorStore()
    sync_requests(source, store)
    before = copy.deepcopy(store.tables)
    again = sync_requests(source, store, SyncOptions(overlap_seconds=600))
    assert set(counts(again).values()) == {0} and again.watermark == stamp(4)
    assert source.asked_since["requests"] == read_from(stamp(4), 600) == "2025-03-04T09:50:00.000+0000"
    assert store.tables == before


def test_a_changed_request_is_written_again_but_a_history_row_only_ever_added():
    records = org()
    source, store = FakeRecordSource(records), FakeMirrorStore()
    sync_requests(source, store)
    records["IT_Request__c"][0] = request(1, 5, Status__c="In Progress")
    records["IT_Request__History"][0] = {**records["IT_Request__History"][0], "NewValue": "Blocked",
                                         "CreatedDate": stamp(5)}
    summary = sync_requests(source, store)
    assert (summary.requests_upserted, summary.history_added, summary.watermark) == (1, 0, stamp(5))
    assert store.table("requests")["a0B000000000001AAA"]["status"] == "In Progress"
    assert store.table("history")["0171"]["new_value"] == "Triage"  # history is append-only


def test_a_bad_record_is_mirrored_with_its_flags_and_the_instance_host_scrubbed():
    records = org()
    records["IT_Request__c"][1] = request(2, 4, Client_Id__c="", Status__c="Waiting",
                                          Description__c="see https://sf.internal.example/a0B2")
    store = FakeMirrorStore()
    summary = sync_requests(FakeRecordSource(records, hosts=("sf.internal.example",)), store)
    row = store.table("requests")["a0B000000000002AAA"]  # kept, never dropped
    assert row["description"] == f"see {LINK_REMOVED}" and summary.requests_upserted == 3
    assert summary.flags == 2 and [(f["record_id"], f["rule"], f["detail"]) for f in summary.flagged] == [
        ("a0B000000000002AAA", "missing_field:Client_Id__c", ""),
        ("a0B000000000002AAA", "unknown_picklist:Status__c", "Waiting")]


def test_purged_requests_are_tombstoned_once_and_the_deleted_endpoint_is_asked_only_from_a_watermark():
    empty = FakeRecordSource({}, deleted={"IT_Request__c": ["a0B000000000003AAA"]})
    assert sync_requests(empty, FakeMirrorStore()).requests_deleted == 0 and empty.deletions_asked == []
    source = FakeRecordSource(org(), deleted={"IT_Request__c": ["a0B000000000003AAA", "a0B00000000000XAAA"]})
    store = FakeMirrorStore()
    first = sync_requests(source, store)  # the requests followed first, so their watermark bounds the ask
    assert source.deletions_asked == [read_from(stamp(4), 300)]
    assert (first.requests_deleted, first.requests_upserted) == (1, 3)  # an id never mirrored is no tombstone
    assert store.table("requests")["a0B000000000003AAA"]["is_deleted"]
    assert sync_requests(source, store).requests_deleted == 0  # already a tombstone


def test_a_document_linked_later_gets_all_its_versions_however_old_and_a_link_gone_is_removed():
    records = org()
    source, store = FakeRecordSource(records), FakeMirrorStore()
    sync_requests(source, store)
    records["ContentDocumentLink"] = [records["ContentDocumentLink"][0],
                                      {"Id": "06A3", "LinkedEntityId": "a0B000000000003AAA", "ContentDocumentId": "069Z"}]
    summary = sync_requests(source, store)
    assert summary.files == 1 and "068Z" in store.table("versions")  # stamped below the versions' watermark
    assert set(store.table("links")) == {"06A1", "06A3"} and store.unresolved == set()


def test_a_sync_cut_off_mid_way_keeps_each_committed_page_with_its_watermark():
    source, store = FakeRecordSource(org(), page_size=1), FakeMirrorStore()
    source.fail_after_pages = 2
    with pytest.raises(SourceDown):
        sync_requests(source, store)
    assert set(store.table("requests")) == {"a0B000000000001AAA", "a0B000000000003AAA"}  # oldest first
    assert store.watermark("requests") == stamp(3)  # what was committed, not what was in flight
    source.fail_after_pages = None
    resumed = sync_requests(source, store)
    assert resumed.requests_upserted == 1 and resumed.watermark == stamp(4)  # the pages read again write nothing
    assert set(store.table("requests")) == {"a0B000000000001AAA", "a0B000000000002AAA", "a0B000000000003AAA"}

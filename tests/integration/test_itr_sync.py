"""The ITR mirror's sync from a local export (itr.md 2, issue #14 item 2): incremental by watermark with an overlap
window, idempotent (a second sync writes nothing), deletions applied, history appended once, bad records flagged."""
from __future__ import annotations

import copy
import json

from sqlalchemy import select

from services.itr.adapters import tables
from tests.integration.itr_fixtures import digest, export_at, mirror_at, rewrite, sync, zeros

STEP = "2025-06-01T10:00:00.000+0000"


def test_first_sync_mirrors_everything_and_the_second_writes_nothing(tmp_path, db_url):
    folder, records = export_at(tmp_path / "export")
    engine = mirror_at(db_url)
    first = sync(folder, engine)
    assert (first.requests_upserted, first.requests_deleted) == (23, 1)
    assert first.history_added == len(records["IT_Request__History"])
    # A request in the recycle bin has no links (Salesforce deletes them with it): its files are not mirrored.
    live = {r["Id"] for r in records["IT_Request__c"] if not r["IsDeleted"]}
    linked = {link["ContentDocumentId"] for link in records["ContentDocumentLink"] if link["LinkedEntityId"] in live}
    assert first.files == sum(v["ContentDocumentId"] in linked for v in records["ContentVersion"]) == 29
    assert first.notes == len(records["ContentNote"])
    assert (first.feed_items, first.comments) == (len(records["FeedItem"]), len(records["FeedComment"]))
    assert first.watermark == max(r["SystemModstamp"] for r in records["IT_Request__c"])
    # The bad records are mirrored with their flags, and the summary says which.
    assert sorted(f["rule"] for f in first.flagged) == [
        "missing_field:Checksum", "missing_field:Subject__c", "unknown_picklist:Status__c"]
    assert first.flags == 3
    before = digest(engine)
    second = sync(folder, engine)
    assert zeros(second) and second.watermark == first.watermark
    assert digest(engine) == before and before["unresolved"] == []


def test_a_newer_export_syncs_only_what_changed(tmp_path):
    folder, records = export_at(tmp_path / "export")
    engine = mirror_at(f"sqlite:///{tmp_path / 'itr.sqlite'}")
    sync(folder, engine)
    newer = copy.deepcopy(records)
    request = newer["IT_Request__c"][0]
    request.update(Status__c="Done", SystemModstamp=STEP, LastModifiedDate=STEP)
    history = dict(newer["IT_Request__History"][0], Id="0175g00000ZZZZZAAA", Field="Status__c",
                   OldValue="In Progress", NewValue="Done", CreatedDate=STEP)
    newer["IT_Request__History"].append(history)
    deleted = newer["IT_Request__c"][2]
    deleted.update(IsDeleted=True, SystemModstamp=STEP)
    fixed = newer["IT_Request__c"][1]
    fixed.update(Subject__c="2025 audit, subject filled in", SystemModstamp=STEP)
    newer["FeedItem"][0].update(IsDeleted=True, SystemModstamp=STEP)
    dropped_link = newer["ContentDocumentLink"].pop()
    rewrite(folder, newer)
    summary = sync(folder, engine)
    assert (summary.requests_upserted, summary.requests_deleted, summary.history_added) == (2, 1, 1)
    assert (summary.feed_items, summary.files, summary.notes, summary.comments, summary.flags) == (1, 0, 0, 0, 0)
    assert summary.watermark == STEP
    with engine.connect() as db:
        rows = {r.request_id: r for r in db.execute(select(tables.requests))}
        flags = {r.record_id for r in db.execute(select(tables.quality_flags))}
        links = {r[0] for r in db.execute(select(tables.links.c.link_id))}
    assert rows[request["Id"]].status == "Done" and rows[deleted["Id"]].is_deleted
    assert fixed["Id"] not in flags  # a fixed record loses its flag
    assert dropped_link["Id"] not in links
    assert zeros(sync(folder, engine))


def test_new_files_on_old_documents_and_late_records_inside_the_overlap(tmp_path):
    folder, records = export_at(tmp_path / "export")
    engine = mirror_at(f"sqlite:///{tmp_path / 'itr.sqlite'}")
    first = sync(folder, engine, overlap=3600)
    newer = copy.deepcopy(records)
    # A document linked today whose only version was saved long ago: the link brings its history of versions.
    old_version = dict(newer["ContentVersion"][1], Id="0685g00000YYYYYAAA", ContentDocumentId="0695g00000YYYYYAAA",
                       SystemModstamp="2024-01-01T00:00:00.000+0000", Checksum="0" * 32)
    newer["ContentVersion"].append(old_version)
    newer["ContentDocumentLink"].append(dict(newer["ContentDocumentLink"][0], Id="06A5g00000YYYYYAAA",
                                             ContentDocumentId="0695g00000YYYYYAAA"))
    # A request committed late: its SystemModstamp is 30 minutes under the watermark, inside the 1 h overlap.
    late = dict(newer["IT_Request__c"][0], Id="a0B5g00000LATE1AAA", Name="ITR-LATE-1",
                SystemModstamp="2025-01-18T08:42:13.000+0000")
    # One 2 h under it lies outside the window: the next full read would need a wider overlap (documented limit).
    too_late = dict(late, Id="a0B5g00000LATE2AAA", Name="ITR-LATE-2", SystemModstamp="2025-01-18T07:12:13.000+0000")
    newer["IT_Request__c"] += [late, too_late]
    rewrite(folder, newer)
    summary = sync(folder, engine, overlap=3600)
    assert (summary.files, summary.requests_upserted) == (1, 1)
    assert first.watermark == "2025-01-18T09:12:13.000+0000" == summary.watermark
    with engine.connect() as db:
        mirrored = {r[0] for r in db.execute(select(tables.requests.c.request_id))}
    assert "a0B5g00000LATE1AAA" in mirrored and "a0B5g00000LATE2AAA" not in mirrored


def test_the_order_of_syncs_does_not_change_the_mirror(tmp_path):
    """Syncing an old export, then the newer one, ends where syncing the newer one alone does."""
    folder, records = export_at(tmp_path / "export")
    stepwise = mirror_at(f"sqlite:///{tmp_path / 'a.sqlite'}")
    sync(folder, stepwise)
    newer = copy.deepcopy(records)
    newer["IT_Request__c"][5].update(Priority__c="Urgent", SystemModstamp=STEP)
    newer["ContentVersion"][0].update(Checksum="d41d8cd98f00b204e9800998ecf8427e", SystemModstamp=STEP)
    rewrite(folder, newer)
    sync(folder, stepwise)
    direct = mirror_at(f"sqlite:///{tmp_path / 'b.sqlite'}")
    sync(folder, direct)
    assert digest(stepwise) == digest(direct)


def test_leaf_itr_bundle_prints_a_bundle_and_refuses_deleted_and_unknown_requests(tmp_path, monkeypatch, capsys):
    from cli.main import main

    folder, records = export_at(tmp_path / "export")
    monkeypatch.setenv("LEAF_ITR_DB_URL", f"sqlite:///{tmp_path / 'itr.sqlite'}")
    assert main(["itr", "sync", "--export", str(folder)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["requests_upserted"] == 23 and set(summary) == {
        "requests_upserted", "requests_deleted", "history_added", "files", "feed_items", "comments", "notes",
        "flags", "watermark"}
    first = records["IT_Request__c"][0]
    assert main(["itr", "bundle", first["Id"]]) == 0
    bundle = json.loads(capsys.readouterr().out)
    assert set(bundle) >= {"request", "history", "files", "notes", "feed", "lineage"}
    assert bundle["request"]["Name"] == first["Name"]
    deleted = next(r for r in records["IT_Request__c"] if r["IsDeleted"])
    assert main(["itr", "bundle", deleted["Id"]]) == 1
    assert "was deleted in Salesforce" in capsys.readouterr().err
    assert main(["itr", "bundle", "a0B5g0000NOSUCHAAA"]) == 1
    assert "request_not_found" in capsys.readouterr().err

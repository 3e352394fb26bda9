"""Search over the ITR mirror, embedded (issue #14 item 5; docs/search.md): SQLite FTS5 kept in step with the mirror
after each sync (a second sync reindexes nothing, deleted requests leave), found by a word of a request's subject,
description, feed or notes, only inside the caller's grant (property-tested), and no Salesforce link or token in any
document."""
from __future__ import annotations

import copy
import json
import sqlite3
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernel.grants import Area, Grant
from services.itr.adapters.fts_index import FtsSearchIndex
from services.itr.adapters.search_source import SqlSearchSource
from services.itr.domain.search_documents import documents_of
from services.itr.service_layer.search import index_mirror, search
from tests.integration.itr_fixtures import export_at, mirror_at, rewrite, sync

CLIENTS = ("C001", "C002", "C003", "C004", "C005", "C006")
FORBIDDEN = ("salesforce.com", "force.com", "/services/data", "/services/oauth2", "VersionData", '"attributes"', "!AQ",
             "sfc/servlet", "0055g")  # no link, path, session id, nor any user id


def grant_of(*areas: Area) -> Grant:
    now = datetime.now(UTC)
    return Grant(None, tuple(areas), "user:analyst@leaf.example", now, now + timedelta(minutes=5), "test")


def plant(records: dict) -> tuple[str, str]:
    """Words no generated record holds: in one C001 request's subject and description, and one feed item's body."""
    request = next(r for r in records["IT_Request__c"] if r["Client_Id__c"] == "C001" and not r["IsDeleted"]
                   and not r["Group_Ids__c"] and any(f["ParentId"] == r["Id"] for f in records["FeedItem"]))
    request["Subject__c"] += " zephyrquartz"
    request["Description__c"] += " Marmalade rebates were reconciled."
    feed = next(f for f in records["FeedItem"] if f["ParentId"] == request["Id"])
    feed["Body"] = "<p>The kumquat file arrived; see https://acme.my.salesforce.com/069xx and token " \
                   "00D5g000000StAnD!AQsecretsessionvalue1234567890</p>"
    return request["Id"], feed["Id"]


def indexed_mirror(tmp_path):
    folder, records = export_at(tmp_path / "export")
    request_id, _ = plant(records)
    rewrite(folder, records)
    engine = mirror_at(f"sqlite:///{tmp_path / 'itr.sqlite'}")
    sync(folder, engine)
    index = FtsSearchIndex(tmp_path / "search.sqlite")
    return folder, records, engine, index, request_id


def test_a_request_is_found_by_a_word_of_its_subject_description_or_feed(tmp_path):
    _, _, engine, index, request_id = indexed_mirror(tmp_path)
    first = index_mirror(SqlSearchSource(engine), index)
    live = [r for r in SqlSearchSource(engine).texts() if r.request["client_id"]]
    assert first.as_json() == {"indexed": 2 * len(live), "removed": 0}
    c001 = grant_of(Area("C001"))
    # The subject is in both documents' titles (the request's first: it holds the word twice); the description is
    # the request's; the feed is the bundle's. Case and plural do not matter (porter stemming).
    for word, kinds in (("zephyrquartz", ["request", "bundle"]), ("ZEPHYRQUARTZ", ["request", "bundle"]),
                        ("marmalade", ["request"]), ("rebate", ["request"]), ("kumquat", ["bundle"])):
        hits = search(word, 10, c001, index)
        assert [(h["kind"], h["request_id"]) for h in hits] == [(k, request_id) for k in kinds], word
        assert hits[0]["allowed_clients"] == ["C001"] and hits[0]["score"] > 0
    # Every word is required, in one document; FTS5's own syntax in a query is only words.
    assert [h["kind"] for h in search("zephyrquartz kumquat", 10, c001, index)] == ["bundle"]
    assert search("marmalade kumquat", 10, c001, index) == []
    assert [h["kind"] for h in search('zephyrquartz OR "x" NEAR(', 10, c001, index)] == []
    # The same request is nobody else's.
    assert search("zephyrquartz", 10, grant_of(Area("C002")), index) == []


def test_a_second_sync_reindexes_nothing_and_a_deleted_request_leaves_the_index(tmp_path):
    folder, records, engine, index, request_id = indexed_mirror(tmp_path)
    index_mirror(SqlSearchSource(engine), index)
    sync(folder, engine)
    assert index_mirror(SqlSearchSource(engine), index).as_json() == {"indexed": 0, "removed": 0}

    # A new comment changes only the bundle's document; deleting the request removes both of its documents.
    changed = copy.deepcopy(records)
    request = next(r for r in changed["IT_Request__c"] if r["Id"] == request_id)
    comment = next(c for c in changed["FeedComment"] if c["ParentId"] == request_id)
    comment["CommentBody"] = "Persimmon totals attached."
    comment["CreatedDate"] = request["SystemModstamp"] = "2099-01-01T00:00:00.000+0000"
    rewrite(folder, changed)
    sync(folder, engine)
    assert index_mirror(SqlSearchSource(engine), index).as_json() == {"indexed": 2, "removed": 0}
    assert [h["request_id"] for h in search("persimmon", 5, grant_of(Area("C001")), index)] == [request_id]

    request["IsDeleted"], request["SystemModstamp"] = True, "2099-01-02T00:00:00.000+0000"
    rewrite(folder, changed)
    sync(folder, engine)
    assert index_mirror(SqlSearchSource(engine), index).as_json() == {"indexed": 0, "removed": 2}
    assert search("zephyrquartz", 5, grant_of(Area("C001")), index) == []
    assert set(index.indexed()).isdisjoint({f"itr-request-{request_id}", f"itr-bundle-{request_id}"})


def test_no_document_holds_a_salesforce_link_token_or_user_id(tmp_path):
    _, _, engine, index, _ = indexed_mirror(tmp_path)
    index_mirror(SqlSearchSource(engine), index)
    built = [d for text in SqlSearchSource(engine).texts() for d in documents_of(text)]
    with sqlite3.connect(tmp_path / "search.sqlite") as db:
        stored = [body for (body,) in db.execute("SELECT body FROM search_documents")]
        searchable = [f"{t}\n{c}" for t, c in db.execute("SELECT title, content FROM search_text")]
    assert len(stored) == len(built) == len(searchable) > 0
    scanned = [*stored, *searchable, *(json.dumps(d) for d in built)]
    for text in scanned:
        for marker in FORBIDDEN:
            assert marker not in text, (marker, text[:200])
    assert any("[salesforce link removed]" in text and "[token removed]" in text for text in stored)


@st.composite
def grants(draw) -> Grant:
    """A read grant over some clients, each whole or narrowed to some of the groups the export uses."""
    chosen = draw(st.lists(st.sampled_from(CLIENTS), min_size=1, max_size=3, unique=True))
    areas = []
    for client in chosen:
        groups = draw(st.lists(st.sampled_from([f"{client}-G0{i}" for i in range(1, 4)]), max_size=2, unique=True))
        areas.append(Area(client, tuple(groups)))
    return grant_of(*areas)


def test_a_search_never_returns_a_document_outside_the_callers_grant(tmp_path):
    _, _, engine, index, _ = indexed_mirror(tmp_path)
    index_mirror(SqlSearchSource(engine), index)
    words = sorted({w.lower() for text in SqlSearchSource(engine).texts()
                    for w in (text.request["subject"] + " " + text.request["description"]).split() if w.isalpha()})

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(grant=grants(), word=st.sampled_from(words), size=st.integers(1, 30))
    def holds(grant: Grant, word: str, size: int) -> None:
        hits = search(word, size, grant, index)
        assert len(hits) <= size
        for hit in hits:
            assert any(a.covers(hit["client_id"], tuple(hit["group_ids"])) for a in grant.areas), (hit["id"], grant)
        # And nothing the grant covers is missed when the page has room: the index's filter only narrows.
        if len(hits) < size:
            every = search(word, 100, grant_of(*(Area(c) for c in CLIENTS)), index)
            assert {h["id"] for h in hits} == {h["id"] for h in every if any(
                a.covers(h["client_id"], tuple(h["group_ids"])) for a in grant.areas)}

    holds()

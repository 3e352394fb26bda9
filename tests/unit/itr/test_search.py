"""Search over the mirror on a fake index (style.md 11): indexing pushes only what changed and removes what is gone,
in batches, and refuses a document that is not clean; a query is checked, and answered only inside the caller's
grant (the index filters by client, the grant's own rule then decides groups), reading on until the page is full."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kernel.errors import InputError, Internal
from kernel.grants import Area, Grant
from services.itr.domain.search_documents import RequestText
from services.itr.service_layer.search import (
    DEFAULT_PAGE_SIZE,
    MAX_QUERY,
    MAX_SCANNED,
    PUSH_BATCH,
    SNIPPET,
    checked_query,
    index_mirror,
    search,
    snippet,
)
from tests.unit.itr.fakes import FakeSearchIndex, FakeSearchSource

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def text(n: int, client_id: str = "C001", groups: str = "", subject: str = "rebate audit", **row) -> RequestText:
    return RequestText({"request_id": f"a0B{n:015d}", "name": f"ITR-{n:06d}", "subject": subject, "description": "",
                        "status": "Triage", "priority": "Low", "client_id": client_id, "pbm_id": "PBM_A",
                        "tpa_id": "", "group_ids": groups, "period_start": "2025-01-01", "period_end": "2025-12-31",
                        "deliverables": "PDF", "system_modstamp": "2025-01-02T00:00:00.000+0000",
                        "content_sha256": f"{n:064d}", **row})


def grant(*areas: Area) -> Grant:
    return Grant(None, areas, "user:ana@leaf.example", NOW, NOW, "k1")


def test_indexing_pushes_only_what_changed_and_removes_what_is_gone():
    texts = [text(1), text(2), text(3)]
    index = FakeSearchIndex()
    assert index_mirror(FakeSearchSource(texts), index).as_json() == {"indexed": 6, "removed": 0}
    assert index_mirror(FakeSearchSource(texts), index).as_json() == {"indexed": 0, "removed": 0}
    index.upserts.clear()
    changed = [text(1, subject="rebate audit again"), text(2, client_id="")]  # 2 lost its client, 3 was deleted
    assert index_mirror(FakeSearchSource(changed), index).as_json() == {"indexed": 2, "removed": 4}
    assert index.upserts == [["itr-request-a0B000000000000001", "itr-bundle-a0B000000000000001"]]
    assert sorted(index.documents) == ["itr-bundle-a0B000000000000001", "itr-request-a0B000000000000001"]


def test_an_index_that_missed_a_sync_is_brought_level_by_the_next():
    index = FakeSearchIndex()
    index_mirror(FakeSearchSource([text(1)]), index)
    del index.documents["itr-bundle-a0B000000000000001"]  # the push after the mirror's commit never happened
    assert index_mirror(FakeSearchSource([text(1)]), index).indexed == 1
    assert len(index.documents) == 2


def test_indexing_pushes_in_batches_under_the_services_limit():
    index = FakeSearchIndex()
    summary = index_mirror(FakeSearchSource([text(n) for n in range(PUSH_BATCH // 2 + 1)]), index)
    assert summary.indexed == PUSH_BATCH + 2 and [len(batch) for batch in index.upserts] == [PUSH_BATCH, 2]


def test_a_document_carrying_the_instance_host_is_refused_and_nothing_is_pushed():
    index = FakeSearchIndex()
    with pytest.raises(Internal) as refused:
        index_mirror(FakeSearchSource([text(1), text(2, description="at https://sf.internal.example/x")]), index,
                     hosts=("sf.internal.example",))
    assert refused.value.code == "search_document_not_clean" and index.upserts == []


@pytest.mark.parametrize(("query", "page_size", "code"), [
    ("   ", 10, "query_empty"), ("x" * (MAX_QUERY + 1), 10, "query_too_long"), ("rebate", -1, "page_size_invalid"),
    ("rebate", 101, "page_size_invalid")])
def test_a_bad_query_is_refused_with_its_code(query, page_size, code):
    with pytest.raises(InputError) as refused:
        checked_query(query, page_size)
    assert refused.value.code == code


def test_a_query_is_its_words_and_no_page_size_means_the_default():
    assert checked_query("  rebate \n audit ", 0) == ("rebate audit", DEFAULT_PAGE_SIZE)
    assert checked_query("rebate", 5) == ("rebate", 5)


def test_a_search_answers_only_inside_the_grant_groups_included():
    index = FakeSearchIndex()
    index_mirror(FakeSearchSource([text(1, groups="C001-G01"), text(2, groups="C001-G02"), text(3, client_id="C002"),
                                   text(4, subject="formulary review")]), index)
    hits = search("rebate", 10, grant(Area("C001", ("C001-G01",))), index)
    assert {h["request_id"] for h in hits} == {"a0B000000000000001"}
    assert index.queries[-1][1] == ("C001",)  # the index is asked only for the grant's clients
    assert {h["request_id"] for h in search("rebate", 10, grant(Area("C001")), index)} == {
        "a0B000000000000001", "a0B000000000000002"}


def test_a_search_reads_past_hits_of_other_groups_to_fill_its_page():
    index = FakeSearchIndex()
    index_mirror(FakeSearchSource([text(n, groups="C001-G02") for n in range(1, 6)] +
                                  [text(n, groups="C001-G01") for n in range(6, 8)]), index)
    hits = search("rebate", 2, grant(Area("C001", ("C001-G01",))), index)
    assert [h["id"] for h in hits] == ["itr-bundle-a0B000000000000006", "itr-bundle-a0B000000000000007"]
    assert [q[2:] for q in index.queries] == [(4, 0), (4, 4)]  # twice the page, until it is full


def test_a_search_stops_reading_after_its_limit_of_hits_the_grant_does_not_cover():
    index = FakeSearchIndex()
    index_mirror(FakeSearchSource([text(n, groups="C001-G02") for n in range(1, MAX_SCANNED // 2 + 50)]), index)
    assert search("rebate", 2, grant(Area("C001", ("C001-G01",))), index) == []
    assert len(index.queries) == MAX_SCANNED // 4 and index.queries[-1][3] == MAX_SCANNED - 4


def test_a_grant_with_no_areas_asks_the_index_nothing():
    index = FakeSearchIndex()
    index_mirror(FakeSearchSource([text(1)]), index)
    assert search("rebate", 10, grant(), index) == [] and index.queries == []


def test_a_snippet_is_the_contents_words_cut_to_its_length():
    assert snippet(" rebate\n\naudit ") == "rebate audit"
    long = snippet("word " * 100)
    assert len(long) == SNIPPET and long.endswith("…") and " " not in long[-2:]

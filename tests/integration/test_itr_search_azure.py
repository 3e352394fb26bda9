"""The Azure AI Search adapter (issue #14 item 5; docs/search.md) through azure-search-documents, unpatched, against a
local HTTPS stand-in of the documents REST API (its throwaway CA trusted through REQUESTS_CA_BUNDLE): documents pushed
with merge_or_upload as the schema in the repo defines them, nothing pushed by a second sync, deleted requests
deleted, every query carrying the security filter of the caller's clients, errors without endpoint or key."""
from __future__ import annotations

import copy
import json

import pytest
import trustme
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernel.errors import Unavailable
from kernel.grants import Area
from services.itr.adapters import azure_search
from services.itr.adapters.azure_search import AzureSearchIndex
from services.itr.adapters.search_settings import SearchSettings
from services.itr.adapters.search_source import SqlSearchSource
from services.itr.service_layer.search import index_mirror, search
from tests.integration.azure_search_standin import AzureSearchStandIn
from tests.integration.itr_fixtures import export_at, mirror_at, rewrite, sync
from tests.integration.test_itr_search import FORBIDDEN, grant_of, grants, plant

KEY = "standin-admin-key-0123456789abcdef"


@pytest.fixture
def service(tmp_path, monkeypatch):
    ca = trustme.CA()
    ca_file = tmp_path / "search-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_file))
    with AzureSearchStandIn(ca, azure_search.schema(), KEY) as standin:
        yield standin


@pytest.fixture
def mirrored(tmp_path):
    folder, records = export_at(tmp_path / "export")
    request_id, _ = plant(records)
    rewrite(folder, records)
    engine = mirror_at(f"sqlite:///{tmp_path / 'itr.sqlite'}")
    sync(folder, engine)
    return folder, records, engine, request_id


def index_on(standin: AzureSearchStandIn, key: str = KEY) -> AzureSearchIndex:
    """Built from the settings a deployment sets, as the service builds it."""
    configured = SearchSettings.model_validate({"LEAF_SEARCH_ENDPOINT": standin.endpoint, "LEAF_SEARCH_KEY": key,
                                                "LEAF_SEARCH_INDEX": standin.schema["name"]}).search_index()
    assert isinstance(configured, AzureSearchIndex)
    return configured


def test_documents_are_pushed_once_as_the_schema_defines_them_and_deleted_with_their_request(
        service, mirrored, monkeypatch):
    folder, records, engine, request_id = mirrored
    monkeypatch.setattr(azure_search, "SCAN_PAGE", 7)  # the listing of what the index holds pages by skip
    index = index_on(service)
    first = index_mirror(SqlSearchSource(engine), index)
    assert first.indexed == len(service.documents) > 0 and first.removed == 0
    assert {d["id"]: d["content_sha256"] for d in service.documents.values()} == index.indexed()
    pushed = [action for op, body in service.calls if op == "index" for action in body["value"]]
    assert {a["@search.action"] for a in pushed} == {"mergeOrUpload"}
    assert service.api_versions == {"2026-04-01"}  # the SDK's own api-version, on every call

    service.calls.clear()
    sync(folder, engine)
    assert index_mirror(SqlSearchSource(engine), index).as_json() == {"indexed": 0, "removed": 0}
    assert [op for op, _ in service.calls] == ["search"] * (len(service.documents) // 7 + 1)  # listing only

    changed = copy.deepcopy(records)
    request = next(r for r in changed["IT_Request__c"] if r["Id"] == request_id)
    request["IsDeleted"], request["SystemModstamp"] = True, "2099-01-02T00:00:00.000+0000"
    rewrite(folder, changed)
    sync(folder, engine)
    service.calls.clear()
    assert index_mirror(SqlSearchSource(engine), index).as_json() == {"indexed": 0, "removed": 2}
    deleted = [a for op, body in service.calls if op == "index" for a in body["value"]]
    assert sorted((a["@search.action"], a["id"]) for a in deleted) == [
        ("delete", f"itr-bundle-{request_id}"), ("delete", f"itr-request-{request_id}")]
    assert f"itr-request-{request_id}" not in service.documents


def test_a_query_carries_the_callers_clients_as_its_security_filter(service, mirrored):
    _, _, engine, request_id = mirrored
    index = index_on(service)
    index_mirror(SqlSearchSource(engine), index)
    service.calls.clear()
    hits = search("zephyrquartz", 10, grant_of(Area("C001"), Area("C003", ("C003-G01",))), index)
    assert {(h["kind"], h["request_id"]) for h in hits} == {("request", request_id), ("bundle", request_id)}
    assert all(h["allowed_clients"] == ["C001"] and h["score"] > 0 and "content_sha256" not in h for h in hits)
    (op, body), = service.calls
    assert op == "search" and body["filter"] == "allowed_clients/any(c: search.in(c, 'C001,C003', ','))"
    assert body["search"] == "zephyrquartz" and body["searchMode"] == "all"
    assert search("zephyrquartz", 10, grant_of(Area("C002")), index) == []
    # A client id that could break out of the list is left out of the filter, never passed through.
    assert azure_search.security_filter(["C001", "x') or true or ('"]) == \
        "allowed_clients/any(c: search.in(c, 'C001', ','))"


def test_a_search_through_azure_never_returns_a_document_outside_the_grant(service, mirrored):
    _, _, engine, _ = mirrored
    index = index_on(service)
    index_mirror(SqlSearchSource(engine), index)
    words = sorted({w.lower() for d in service.documents.values() for w in d["content"].split() if w.isalpha()})

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(grant=grants(), word=st.sampled_from(words), size=st.integers(1, 30))
    def holds(grant, word, size) -> None:
        for hit in search(word, size, grant, index):
            assert any(a.covers(hit["client_id"], tuple(hit["group_ids"])) for a in grant.areas), (hit["id"], grant)

    holds()


def test_nothing_sent_or_said_carries_a_salesforce_link_the_endpoint_or_the_key(service, mirrored):
    _, _, engine, _ = mirrored
    index_mirror(SqlSearchSource(engine), index_on(service))
    sent = json.dumps(service.calls)
    for marker in FORBIDDEN:
        assert marker not in sent, marker
    assert "[salesforce link removed]" in sent and "[token removed]" in sent
    with pytest.raises(Unavailable) as refused:
        search("audit", 5, grant_of(Area("C001")), index_on(service, key="a-wrong-key-0000"))
    said = f"{refused.value.code} {refused.value.message}"
    assert refused.value.code == "search_unavailable" and "HTTP 403" in said
    for secret in (KEY, "a-wrong-key-0000", str(service.port), "127.0.0.1"):
        assert secret not in said

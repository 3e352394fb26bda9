"""Search documents from mirror rows (docs/search.md): the contract's fields, no document for a request without a
client, and the last look that refuses a document still carrying a Salesforce link or token."""
from __future__ import annotations

import pytest

from kernel.errors import Internal
from services.itr.domain.search_documents import RequestText, clean, documents_of

ROW = {"request_id": "a0B5g0000000001EAA", "name": "ITR-000001", "subject": "AWP audit", "description": "For 2025.",
       "status": "Triage", "priority": "Low", "client_id": "C001", "pbm_id": "PBM_A", "tpa_id": "TPA_1",
       "group_ids": "C001-G01;C001-G02", "period_start": "2025-01-01", "period_end": "2025-12-31",
       "deliverables": "Workbook;PDF", "system_modstamp": "2025-01-07T08:00:47.000+0000", "content_sha256": "ab" * 32}


def test_a_request_and_its_bundle_make_two_documents_of_the_contract():
    text = RequestText(ROW, feed=["<p>Extract <b>started</b></p>", "Thanks"], notes=["Call notes", "Period agreed"],
                       files=["Contract.pdf"], stamps=["2025-02-01T00:00:00.000+0000"])
    request, bundle = clean(documents_of(text))
    assert set(request) == {"id", "kind", "title", "content", "client_id", "pbm_id", "tpa_id", "group_ids",
                            "allowed_clients", "request_id", "status", "record_sha256", "updated", "content_sha256"}
    assert (request["id"], bundle["id"]) == ("itr-request-a0B5g0000000001EAA", "itr-bundle-a0B5g0000000001EAA")
    assert request["allowed_clients"] == ["C001"] and request["group_ids"] == ["C001-G01", "C001-G02"]
    assert request["title"] == "ITR-000001: AWP audit" and "deliverables Workbook PDF" in request["content"]
    assert bundle["content"] == "Extract started\nThanks\nCall notes\nPeriod agreed\nContract.pdf"
    assert (request["updated"], bundle["updated"]) == ("2025-01-07T08:00:47.000Z", "2025-02-01T00:00:00.000Z")
    again = documents_of(text)
    assert [d["content_sha256"] for d in again] == [request["content_sha256"], bundle["content_sha256"]]
    assert documents_of(RequestText({**ROW, "subject": "AWP audit again"}))[0]["content_sha256"] != \
        request["content_sha256"]


def test_a_request_without_a_client_has_no_document():
    assert documents_of(RequestText({**ROW, "client_id": ""})) == []


@pytest.mark.parametrize("leak", ["see https://acme.my.salesforce.com/0695g000", "/services/data/v62.0/sobjects/x",
                                  "00D5g000000StAnD!AQsecretsessionvalue1234567890", "https://sf.leaf.example/x"])
def test_a_document_still_carrying_a_link_or_token_is_refused(leak):
    documents = documents_of(RequestText({**ROW, "description": f"Details: {leak}"}))
    with pytest.raises(Internal) as refused:
        clean(documents, hosts=("sf.leaf.example",))
    assert refused.value.code == "search_document_not_clean" and leak not in refused.value.message

"""The edge's reads on a fake mesh (style.md 11): artifacts, evidence, ITR requests and search, each asked under the
caller's read grant (sufficiency under an exact one), answered as public metadata only, a refusal raised before any
byte is streamed, and a read retried when its service was briefly unreachable."""
from __future__ import annotations

import json

import pytest

from kernel.errors import NotFound, Unavailable
from leaf.common.v1 import common_pb2
from leaf.evidence.v1 import evidence_pb2
from leaf.itr.v1 import itr_pb2
from leaf.publisher.v1 import publisher_pb2
from leaf.scope.v1 import scope_pb2
from leaf.tasks.v1 import tasks_pb2
from services.gateway.service_layer import artifacts, evidence, itr, search
from tests.unit.gateway.fakes import (
    ANA,
    FakeMesh,
    FakeService,
    Streamed,
    exact_grant_of,
    read_grant_of,
    rpc_failure,
    scope,
)

ARTIFACT = publisher_pb2.Artifact(artifact_id="A1", run_id="run_1", name="report.pdf", content_type="application/pdf",
                                  sha256="a" * 64, size=9)
PACKET = evidence_pb2.Packet(
    packet_id="CP-1", kind=common_pb2.CONTRACT_PACKET, client_id="C001", pbm_id="PBM_A",
    governance=common_pb2.GOVERNED_EXACT, effective_from="2025-01-01", effective_to="2025-12-31", sha256="b" * 64,
    version=2, body_json=b'{"terms": {"awp_discount": "0.18"}}',
    document=evidence_pb2.SourceDocument(system="onedrive", name="C001/contract.pdf", sha256="c" * 64, size=5,
                                         retrieved_at="2025-01-02T00:00:00Z"))
REQUEST = itr_pb2.ItRequest(request_id="a0B1", name="ITR-000001", client_id="C001", group_ids=["C001-G01"],
                            deliverables=["PDF"])


def tasks_of(*kinds_states: tuple[str, int, str]) -> tasks_pb2.ListTasksResponse:
    return tasks_pb2.ListTasksResponse(tasks=[tasks_pb2.Task(task_id=f"t{n}", kind=kind, state=state, run_id=run_id)
                                              for n, (kind, state, run_id) in enumerate(kinds_states)])


async def test_a_runs_artifacts_are_listed_under_the_read_grant_with_their_links():
    m = FakeMesh(publisher=FakeService(ListArtifacts=publisher_pb2.ListArtifactsResponse(artifacts=[ARTIFACT])))
    listed = await artifacts.list_artifacts(m, ANA, "run_1")
    assert listed == {"run_id": "run_1", "artifacts": [{"artifact_id": "A1", "name": "report.pdf",
                                                        "content_type": "application/pdf", "sha256": "a" * 64,
                                                        "size": 9, "href": "/v1/runs/run_1/artifacts/report.pdf"}]}
    assert m.publisher.metadata("ListArtifacts") == [read_grant_of(ANA)]


async def test_an_artifact_is_its_record_from_the_first_chunk_then_every_byte():
    chunks = Streamed(publisher_pb2.ArtifactChunk(artifact=ARTIFACT, data=b"%PDF"),
                      publisher_pb2.ArtifactChunk(data=b"-1."), publisher_pb2.ArtifactChunk(data=b"7\n"))
    m = FakeMesh(publisher=FakeService(GetArtifact=chunks))
    record, data = await artifacts.open_artifact(m, ANA, "run_1", "report.pdf")
    assert record == ARTIFACT and b"".join([chunk async for chunk in data]) == b"%PDF-1.7\n"
    assert m.publisher.metadata("GetArtifact") == [read_grant_of(ANA)]


async def test_an_artifact_refused_or_empty_is_not_found_before_any_byte():
    refused = FakeMesh(publisher=FakeService(GetArtifact=Streamed(rpc_failure(NotFound("run_not_found", "no run")))))
    with pytest.raises(NotFound) as error:
        await artifacts.open_artifact(refused, ANA, "run_1", "report.pdf")
    assert error.value.code == "run_not_found"
    empty = FakeMesh(publisher=FakeService(GetArtifact=Streamed()))
    with pytest.raises(NotFound) as error:
        await artifacts.open_artifact(empty, ANA, "run_1", "report.pdf")
    assert error.value.code == "artifact_not_found"


async def test_packets_are_public_metadata_and_one_packet_adds_its_body():
    m = FakeMesh(evidence=FakeService(ListPackets=evidence_pb2.ListPacketsResponse(packets=[PACKET]), GetPacket=PACKET))
    (listed,) = (await evidence.list_packets(m, ANA, "C001", "PBM_A"))["packets"]
    assert (listed["kind"], listed["governance"], listed["document"]["name"]) == (
        "contract_packet", "governed_exact", "C001/contract.pdf")
    assert "body" not in listed and "data" not in listed["document"]
    one = await evidence.get_packet(m, ANA, "CP-1", "C001")
    assert one["body"] == {"terms": {"awp_discount": "0.18"}} and one["version"] == 2
    request = m.evidence.requests("GetPacket")[0]
    assert (request.packet_id, request.client_id) == ("CP-1", "C001")
    assert set(m.evidence.metadata("ListPackets") + m.evidence.metadata("GetPacket")) == {read_grant_of(ANA)}


async def test_a_document_is_read_under_the_read_grant_and_retried_when_briefly_unreachable():
    document = evidence_pb2.Document(name="C001/contract.pdf", content_type="application/pdf", data=b"%PDF")
    down = rpc_failure(Unavailable("unavailable", "evidence is restarting"))
    m = FakeMesh(evidence=FakeService(GetDocument=[down, document]))
    assert await evidence.get_document(m, ANA, "CP-1", "C001") == document
    assert len(m.evidence.requests("GetDocument")) == 2


async def test_sufficiency_is_asked_under_an_exact_grant_of_the_resolved_scope():
    exact = scope()
    m = FakeMesh(scope=FakeService(ResolveScope=scope_pb2.ResolveScopeResponse(state=scope_pb2.EXACT, exact=exact)),
                 evidence=FakeService(CheckSufficiency=evidence_pb2.CheckSufficiencyResponse(
                     formulas=[common_pb2.FormulaStatus(formula_id="rebate_guarantee", version=1,
                                                        status=common_pb2.BLOCKED, reasons=["rebate_evidence_missing"],
                                                        missing_evidence=["rebate_evidence"])],
                     evidence=[common_pb2.EvidenceRef(evidence_id="CP-1", kind=common_pb2.CONTRACT_PACKET,
                                                      governance=common_pb2.GOVERNED_EXACT, sha256="b" * 64,
                                                      version=2)])))
    answer = await evidence.check_sufficiency(m, ANA, scope_pb2.ResolveScopeRequest(client_id="C001"),
                                              ["rebate_guarantee"], "P-1")
    assert answer["scope_hash"] == exact.scope_hash and answer["scope"] == json.loads(exact.canonical_json)
    assert answer["formulas"][0]["status"] == "blocked" and answer["evidence"][0]["kind"] == "contract_packet"
    (request,) = m.evidence.requests("CheckSufficiency")
    assert (list(request.formula_ids), request.proposal_id, request.scope) == (["rebate_guarantee"], "P-1", exact)
    assert m.evidence.metadata("CheckSufficiency") == [exact_grant_of(ANA, exact)]


async def test_a_request_comes_with_the_runs_its_tasks_made_and_no_other_task():
    listed = tasks_of(("compute_run", tasks_pb2.SUCCEEDED, "run_1"), ("publish_run", tasks_pb2.RUNNING, "run_1"),
                      ("itr_sync", tasks_pb2.SUCCEEDED, ""))
    m = FakeMesh(itr=FakeService(GetRequest=REQUEST), tasks=FakeService(ListTasks=listed))
    found = await itr.get_request(m, ANA, "a0B1")
    assert found["request"]["links"] == {"self": "/v1/itr/requests/a0B1", "bundle": "/v1/itr/requests/a0B1/bundle"}
    assert [(r["kind"], r["state"], r["links"].get("run")) for r in found["runs"]] == [
        ("compute_run", "succeeded", "/v1/runs/run_1"), ("publish_run", "running", None)]
    assert m.tasks.requests("ListTasks")[0].itr_request_id == "a0B1"
    assert m.itr.metadata("GetRequest") == m.tasks.metadata("ListTasks") == [read_grant_of(ANA)]


async def test_a_request_the_caller_may_not_see_is_not_found_and_its_tasks_are_not_asked_for():
    m = FakeMesh(itr=FakeService(GetRequest=NotFound("request_not_found", "no request")),
                 tasks=FakeService(ListTasks=tasks_of()))
    with pytest.raises(NotFound):
        await itr.get_request(m, ANA, "a0B2")
    assert m.called() == ["itr.GetRequest"]


async def test_a_bundle_and_the_callers_requests_are_read_under_the_read_grant():
    m = FakeMesh(itr=FakeService(GetBundle=itr_pb2.Bundle(request=REQUEST, bundle_json='{"history": []}'),
                                 ListRequests=itr_pb2.ListRequestsResponse(requests=[REQUEST])))
    request, bundle = await itr.get_bundle(m, ANA, "a0B1")
    assert request == REQUEST and bundle == {"history": []}
    listed = await itr.list_requests(m, ANA, "C001", "Triage")
    assert [r["group_ids"] for r in listed["requests"]] == [["C001-G01"]]
    asked = m.itr.requests("ListRequests")[0]
    assert (asked.client_id, asked.status) == ("C001", "Triage")
    assert set(m.itr.metadata("GetBundle") + m.itr.metadata("ListRequests")) == {read_grant_of(ANA)}


async def test_search_hits_carry_their_requests_runs_asked_once_per_request():
    hits = [itr_pb2.SearchHit(id=f"itr-{kind}-a0B1", kind=kind, title="ITR-000001", request_id="a0B1",
                              client_id="C001", score=2.0) for kind in ("request", "bundle")]
    hits.append(itr_pb2.SearchHit(id="itr-request-a0B2", kind="request", request_id="a0B2", client_id="C001"))
    runs = {"a0B1": tasks_of(("compute_run", tasks_pb2.SUCCEEDED, "run_1")), "a0B2": tasks_of()}
    m = FakeMesh(itr=FakeService(Search=itr_pb2.SearchResponse(hits=hits)),
                 tasks=FakeService(ListTasks=lambda request: runs[request.itr_request_id]))
    found = await search.search(m, ANA, "rebate audit", 10)
    assert [h["lineage"]["request_id"] for h in found["hits"]] == ["a0B1", "a0B1", "a0B2"]
    assert [len(h["lineage"]["runs"]) for h in found["hits"]] == [1, 1, 0]
    assert found["hits"][0]["links"]["bundle"] == "/v1/itr/requests/a0B1/bundle" and found["hits"][2]["updated"] is None
    assert sorted(r.itr_request_id for r in m.tasks.requests("ListTasks")) == ["a0B1", "a0B2"]
    (asked,) = m.itr.requests("Search")
    assert (asked.query, asked.page_size) == ("rebate audit", 10)
    assert set(m.itr.metadata("Search") + m.tasks.metadata("ListTasks")) == {read_grant_of(ANA)}


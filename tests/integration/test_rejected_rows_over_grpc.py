"""A run whose input has more rejected rows than a message lists: over gRPC the result carries the first 1000 and
counts the rest, ListRunRejects pages every row exactly once, and the publication holds the whole list; a result
too large for LEAF_GRPC_MAX_MESSAGE_BYTES is result_too_large, from the server and from a client alike."""
import contextlib
import csv
import json
import sqlite3

import grpc
import pytest

from demo.generator import generate_claims
from kernel.errors import DomainError, TooLarge
from kernel.scope import Scope
from leaf.calc.v1 import calc_pb2, calc_pb2_grpc
from leaf.publisher.v1 import publisher_pb2, publisher_pb2_grpc
from runtime.clients import call, open_channel
from runtime.convert import scope_to_proto
from runtime.grpc_errors import from_rpc_error
from runtime.settings import DEFAULT_MAX_MESSAGE_BYTES
from services.calc.domain.rejected_rows import REJECTED_ROWS_IN_MESSAGE
from tests.integration.mesh_fixtures import channel_to, grant_for, publishing_mesh, read_grant, running
from tests.integration.test_run_over_grpc import offline

C001 = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31")
BAD_ROWS = 1500  # every client's rows, so most of them count against some other scope
SMALL_LIMIT = 16 * 1024  # above any request or page here, below a run listing 1000 rejected rows


@pytest.fixture(scope="module")
def claims_csv(tmp_path_factory):
    """4000 demo claims (10 rejected), then copies of 1500 of them with a fresh claim id and a 3-digit NDC."""
    path = tmp_path_factory.mktemp("claims") / "claims.csv"
    generate_claims(path, n_claims=4000, seed=11)
    with path.open(newline="") as source:
        header, *rows = list(csv.reader(source))
    with path.open("a", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        for i, cells in enumerate(rows[::2][:BAD_ROWS]):  # every other row: both years, so some in C001 2025
            cells[header.index("claim_id")], cells[header.index("ndc")] = f"BAD{i:07d}", "123"
            writer.writerow(cells)
    return path


@pytest.fixture(scope="module")
def whole_result(claims_csv) -> dict:
    """The result as `leaf calc` gives it (and calc stores it): every rejected row listed."""
    return json.loads(offline(claims_csv, "C001", "PBM_A", 2025))


async def pages(stub, run_id: str, whole_input: bool, page_size: int) -> list[list[calc_pb2.RejectedRow]]:
    found, token = [], ""
    while True:
        reply = await stub.ListRunRejects(calc_pb2.ListRunRejectsRequest(
            run_id=run_id, whole_input=whole_input, page_size=page_size, page_token=token), metadata=read_grant("C001"))
        found.append(list(reply.rejects))
        token = reply.next_page_token
        if not token:
            return found


def without_rejected_rows(result: dict) -> dict:
    return {**result, "data_quality": {k: v for k, v in result["data_quality"].items() if k != "rejected_rows"}}


async def test_a_run_lists_the_first_rejected_rows_counts_the_rest_and_pages_them_all(
        tmp_path, claims_csv, whole_result, leaf_home):
    from cli.commands.claims import load_claims

    load_claims(claims_csv)
    every = whole_result["data_quality"]["rejected_rows"]
    assert len(every) == whole_result["data_quality"]["rows_rejected"] == BAD_ROWS + 10
    async with publishing_mesh(tmp_path) as mesh, channel_to(mesh["calc"]) as calc_channel, \
            channel_to(mesh["publisher"]) as publisher_channel:
        calc = calc_pb2_grpc.CalcServiceStub(calc_channel)
        run = await calc.CreateRun(calc_pb2.CreateRunRequest(scope=scope_to_proto(C001)), metadata=grant_for(C001))
        stored = await calc.GetRun(calc_pb2.GetRunRequest(run_id=run.run_id), metadata=read_grant("C001"))
        whole_pages = await pages(calc, run.run_id, whole_input=True, page_size=333)
        scope_pages = await pages(calc, run.run_id, whole_input=False, page_size=7)
        with pytest.raises(grpc.aio.AioRpcError) as mixed:  # a whole-input token walking the in-scope listing
            await calc.ListRunRejects(calc_pb2.ListRunRejectsRequest(
                run_id=run.run_id, page_size=333, page_token=(await calc.ListRunRejects(calc_pb2.ListRunRejectsRequest(
                    run_id=run.run_id, whole_input=True, page_size=333), metadata=read_grant("C001"))).next_page_token),
                metadata=read_grant("C001"))
        publisher = publisher_pb2_grpc.PublisherServiceStub(publisher_channel)
        await publisher.PublishRun(publisher_pb2.PublishRunRequest(run_id=run.run_id), metadata=grant_for(C001))
        run_json = b"".join([c.data async for c in publisher.GetArtifact(publisher_pb2.GetArtifactRequest(
            run_id=run.run_id, name="run.json"), metadata=read_grant("C001"))])

    travelled = json.loads(run.result_json)
    assert travelled["data_quality"]["rejected_rows"] == every[:REJECTED_ROWS_IN_MESSAGE]
    assert run.rejected_rows_omitted == len(every) - REJECTED_ROWS_IN_MESSAGE
    assert without_rejected_rows(travelled) == without_rejected_rows(whole_result)  # counts and by-reason whole
    assert stored == run
    assert run.ByteSize() < 100_000 < DEFAULT_MAX_MESSAGE_BYTES  # tens of KiB, not the whole file's rejects
    paged = [{"row": r.row, "reason": r.reason} for page in whole_pages for r in page]
    assert paged == every  # every reject exactly once, in row order
    assert [len(page) for page in whole_pages] == [333] * (len(every) // 333) + [len(every) % 333]
    in_scope = [r.row for page in scope_pages for r in page]
    assert len(in_scope) == whole_result["data_quality"]["rejected_in_scope"] > 7
    assert in_scope == sorted(set(in_scope)) and set(in_scope) < {r["row"] for r in every}
    assert from_rpc_error(mixed.value).code == "bad_input:page_token"
    assert json.loads(run_json)["result"] == whole_result  # the publication holds the whole list, as calc stored it


@contextlib.asynccontextmanager
async def calc_limited_to(limit: int, folder):
    """evidence and calc on their own SQLite under `folder`, calc's message limit `limit`; yields calc's address."""
    from services.calc.bootstrap import CalcSettings
    from services.calc.bootstrap import bootstrap as calc_bootstrap
    from services.evidence.bootstrap import EvidenceServiceSettings
    from services.evidence.bootstrap import bootstrap as evidence_bootstrap

    evidence = evidence_bootstrap(EvidenceServiceSettings(LEAF_EVIDENCE_DB_URL=f"sqlite:///{folder / 'e.sqlite'}"))
    async with contextlib.AsyncExitStack() as stack:
        evidence_address = await stack.enter_async_context(running(evidence))
        yield await stack.enter_async_context(running(calc_bootstrap(CalcSettings(
            EVIDENCE_ADDR=evidence_address, LEAF_CALC_DB_URL=f"sqlite:///{folder / 'c.sqlite'}",
            LEAF_GRPC_MAX_MESSAGE_BYTES=limit))))


async def test_a_result_larger_than_the_message_limit_is_result_too_large(tmp_path, claims_csv, leaf_home):
    from cli.commands.claims import load_claims

    load_claims(claims_csv)
    create = calc_pb2.CreateRunRequest(scope=scope_to_proto(C001))
    async with calc_limited_to(SMALL_LIMIT, tmp_path) as small, channel_to(small) as channel:
        stub = calc_pb2_grpc.CalcServiceStub(channel)
        with pytest.raises(DomainError) as computed:
            await call(stub.CreateRun, create, metadata=grant_for(C001))
        request = calc_pb2.CreateRunRequest(scope=scope_to_proto(C001), itr_request_id="a" * SMALL_LIMIT)
        with pytest.raises(DomainError) as asked:  # the client sends it, the server refuses to receive it
            await call(stub.CreateRun, request, metadata=grant_for(C001))
    # The run was computed and stored whole; only its reply was refused. The same database under the default
    # limit serves it.
    [(run_id, stored_result)] = stored_runs(tmp_path)
    async with calc_limited_to(DEFAULT_MAX_MESSAGE_BYTES, tmp_path) as roomy, channel_to(roomy) as channel:
        run = await calc_pb2_grpc.CalcServiceStub(channel).GetRun(calc_pb2.GetRunRequest(run_id=run_id),
                                                                  metadata=read_grant("C001"))
        narrow = open_channel(roomy, max_bytes=SMALL_LIMIT)
        try:
            with pytest.raises(DomainError) as received:  # this client's own limit refuses what the server sends
                await call(calc_pb2_grpc.CalcServiceStub(narrow).GetRun, calc_pb2.GetRunRequest(run_id=run.run_id),
                           metadata=read_grant("C001"))
        finally:
            await narrow.close()
    assert json.loads(stored_result)["data_quality"]["rejected_rows"][:REJECTED_ROWS_IN_MESSAGE] == \
        json.loads(run.result_json)["data_quality"]["rejected_rows"]
    assert SMALL_LIMIT < run.ByteSize() < DEFAULT_MAX_MESSAGE_BYTES
    for refused in (computed.value, received.value):
        assert isinstance(refused, TooLarge) and refused.code == "result_too_large"
    assert "LEAF_GRPC_MAX_MESSAGE_BYTES" in computed.value.message and f"{SMALL_LIMIT:,}" in computed.value.message
    assert isinstance(asked.value, TooLarge) and asked.value.code == "request_too_large"


def stored_runs(folder) -> list[tuple[str, bytes]]:
    """(run_id, result_json) of every run in calc's own database under `folder`."""
    with contextlib.closing(sqlite3.connect(folder / "c.sqlite")) as db:
        return db.execute("SELECT run_id, result_json FROM runs").fetchall()

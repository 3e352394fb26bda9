"""The Graph adapter against a local HTTPS stand-in: delta paging, stored cursor, 429, expired token, no leaks."""
from __future__ import annotations

import logging

import pytest

from kernel.errors import Unavailable
from runtime.db import open_database
from services.evidence.adapters.cursors import SqlCursorRepository
from services.evidence.adapters.folder_source import ContractsFolder
from services.evidence.adapters.graph_client import GraphConnection
from services.evidence.adapters.graph_source import GraphContractsSource
from services.evidence.adapters.repository import SqlPacketRepository
from services.evidence.bootstrap import DEMO_CONTRACTS, MIGRATIONS
from services.evidence.domain.packets import CONTRACT, PROPOSAL, REBATES
from services.evidence.service_layer.handlers import sync_documents
from tests.integration.graph_standin import (
    CLIENT_ID,
    CLIENT_SECRET,
    DOWNLOAD_PATH,
    DRIVE_ID,
    TENANT_ID,
    GraphStandIn,
    graph_standin,  # noqa: F401 (a fixture)
)

CHANGED = "Clients/C001/PBM_A/rebates-2025.rebates.json"


@pytest.fixture
def standin(graph_standin):
    return graph_standin


@pytest.fixture
def engine(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'evidence.sqlite'}", "evidence", MIGRATIONS)
    yield engine
    engine.dispose()


def source_for(standin: GraphStandIn, engine, secret: str = CLIENT_SECRET, trusted: bool = True) -> GraphContractsSource:
    conn = GraphConnection(standin.graph_url, TENANT_ID, CLIENT_ID, secret, DRIVE_ID, "Clients",
                           authority=standin.base, ca_file=standin.ca_file if trusted else None)
    return GraphContractsSource(conn, SqlCursorRepository(engine))


def folder_documents() -> dict[str, bytes]:
    return {d.name: d.data for d in ContractsFolder(DEMO_CONTRACTS).documents()}


async def test_first_sync_reads_every_document_like_the_folder_source(standin, engine):
    batch = await source_for(standin, engine).fetch()
    assert {d.name: d.data for d in batch.documents} == folder_documents()
    assert len(standin.routes("delta")) >= 3          # 38 items at 10 a page: nextLink pages, then the deltaLink
    assert standin.routes("content").count(302) == len(batch.documents) == standin.routes("download").count(200)
    assert {status for _, status in standin.requests} == {200, 302}   # no discovery or other unexpected request
    assert standin.routes("token") == [200]


async def test_the_delta_cursor_is_stored_and_the_next_sync_reads_only_the_change(standin, engine):
    source = source_for(standin, engine)
    source.commit(await source.fetch())
    cursor = SqlCursorRepository(engine).get(source.source_key)
    assert cursor and "://" not in cursor and "token" not in cursor
    standin.change(CHANGED, folder_documents()[CHANGED].replace(b"\n", b"\n ", 1))
    standin.delete("Clients/C006/PBM_B/contract-2024.packet.json")
    again = source_for(standin, engine)
    batch = await again.fetch()
    assert [d.name for d in batch.documents] == [CHANGED]
    again.commit(batch)
    assert (await source_for(standin, engine).fetch()).documents == []


async def test_an_expired_cursor_reads_the_whole_tree_again(standin, engine):
    source = source_for(standin, engine)
    source.commit(await source.fetch())
    standin.cursors_expired = True
    batch = await source_for(standin, engine).fetch()
    assert 410 in standin.routes("delta") and len(batch.documents) == len(folder_documents())


async def test_throttling_and_an_expired_token_are_survived(standin, engine):
    standin.fail_once("delta", 429)
    standin.fail_once("content", 401)
    batch = await source_for(standin, engine).fetch()
    assert len(batch.documents) == len(folder_documents())
    assert standin.routes("delta")[:2] == [429, 200]   # the SDK's retry handler honoured Retry-After
    assert 401 in standin.routes("content") and len(standin.tokens) == 2   # a second token after the 401


async def test_synced_documents_become_packets_like_the_folders(standin, engine, tmp_path):
    packets = SqlPacketRepository(engine)
    source = source_for(standin, engine)
    batch = await source.fetch()
    report = sync_documents(batch.documents, packets)
    source.commit(batch)
    from_folder = SqlPacketRepository(open_database(f"sqlite:///{tmp_path / 'folder.sqlite'}", "evidence", MIGRATIONS))
    sync_documents(ContractsFolder(DEMO_CONTRACTS).documents(), from_folder)
    assert report.refused == [] and report.added
    assert shape(packets) == shape(from_folder)
    # The drive's proposals are synced like the folder's (docs/proposals.md).
    assert {p.kind for p in packets.in_force(client_id="C001", pbm_id="PBM_A")} == {CONTRACT, REBATES, PROPOSAL}
    from_folder.engine.dispose()


def shape(packets: SqlPacketRepository) -> set[tuple]:
    return {(p.packet_id, p.version, p.kind, p.sha256, p.document_name) for p in packets.in_force()}


async def test_failures_are_unavailable_without_secrets(standin, engine):
    for _ in range(4):                                  # more 429s than the SDK retries
        standin.fail_once("delta", 429)
    with pytest.raises(Unavailable) as throttled:
        await source_for(standin, engine).fetch()
    with pytest.raises(Unavailable) as refused:
        await source_for(standin, engine, secret="wrong").fetch()
    tokens = len(standin.tokens)
    with pytest.raises(Unavailable) as untrusted:        # the system trust store does not know the stand-in's CA
        await source_for(standin, engine, trusted=False).fetch()
    assert len(standin.tokens) == tokens
    for err in (throttled.value, refused.value, untrusted.value):
        assert err.code == "graph_unavailable"
        assert_no_leak(str(err), standin)


async def test_nothing_secret_reaches_logs_names_or_errors(standin, engine, caplog):
    caplog.set_level(logging.DEBUG)
    standin.fail_once("content", 401)
    batch = await source_for(standin, engine).fetch()
    sync_documents(batch.documents, SqlPacketRepository(engine))
    texts = [r.getMessage() for r in caplog.records] + [str(extras(r)) for r in caplog.records]
    texts += [d.name for d in batch.documents]
    assert standin.tokens and any("HTTP Request" in t for t in texts)   # httpx did log, with the URL redacted
    for text in texts:
        assert_no_leak(text, standin)


STANDARD_RECORD_FIELDS = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


def extras(record: logging.LogRecord) -> dict:
    """What a caller passed in `extra=` (the source file path of the logging call is not the service's to hide)."""
    return {k: v for k, v in record.__dict__.items() if k not in STANDARD_RECORD_FIELDS}


def assert_no_leak(text: str, standin: GraphStandIn) -> None:
    forbidden = ["tempauth", "Bearer", DOWNLOAD_PATH, "/tmp", "/work", CLIENT_SECRET, standin.ca_file,
                 *standin.tokens, *standin.download_tokens]
    assert not [f for f in forbidden if f in text], text

"""The evidence service reads the drive through Graph when every LEAF_GRAPH_* setting is given."""
from __future__ import annotations

import logging

import pytest

from leaf.evidence.v1 import evidence_pb2, evidence_pb2_grpc
from runtime.settings import SettingsError, load_settings
from services.evidence.bootstrap import GRAPH_SETTINGS, EvidenceServiceSettings, bootstrap
from tests.integration.graph_standin import (
    CLIENT_ID,
    CLIENT_SECRET,
    DOWNLOAD_PATH,
    DRIVE_ID,
    TENANT_ID,
    graph_standin,  # noqa: F401 (a fixture)
)
from tests.integration.mesh_fixtures import channel_to, read_grant, running


def graph_env(standin, tmp_path, secret: str = CLIENT_SECRET) -> dict[str, str]:
    return {"LEAF_EVIDENCE_DB_URL": f"sqlite:///{tmp_path / 'evidence.sqlite'}", "LEAF_GRAPH_BASE_URL": standin.graph_url,
            "LEAF_GRAPH_TENANT_ID": TENANT_ID, "LEAF_GRAPH_CLIENT_ID": CLIENT_ID, "LEAF_GRAPH_CLIENT_SECRET": secret,
            "LEAF_GRAPH_DRIVE_ID": DRIVE_ID, "LEAF_GRAPH_ROOT": "Clients", "LEAF_GRAPH_AUTHORITY": standin.base,
            "LEAF_GRAPH_CA_FILE": standin.ca_file}


async def test_the_service_serves_packets_read_from_graph(graph_standin, tmp_path, monkeypatch):
    for name, value in graph_env(graph_standin, tmp_path).items():
        monkeypatch.setenv(name, value)
    deps = bootstrap(load_settings(EvidenceServiceSettings))
    async with running(deps) as address, channel_to(address) as channel:
        reply = await evidence_pb2_grpc.EvidenceServiceStub(channel).ListPackets(
            evidence_pb2.ListPacketsRequest(client_id="C001", pbm_id="PBM_A"), metadata=read_grant("C001"))
    assert {p.packet_id for p in reply.packets} >= {"CP-C001-PBMA-2025", "RB-C001-PBMA-2025"}
    assert graph_standin.routes("delta") and graph_standin.routes("download")
    for leak in ("tempauth", DOWNLOAD_PATH, "/tmp", "/work", *graph_standin.tokens):
        assert leak not in str(reply)


@pytest.mark.parametrize("missing", GRAPH_SETTINGS)
def test_a_missing_graph_setting_fails_fast_naming_it(missing, monkeypatch, capsys):
    for name in GRAPH_SETTINGS:
        monkeypatch.setenv(name, "s3cret-value-never-logged" if name == "LEAF_GRAPH_CLIENT_SECRET" else "x")
    monkeypatch.delenv(missing)
    with pytest.raises(SettingsError):
        load_settings(EvidenceServiceSettings)
    err = capsys.readouterr().err
    assert missing in err and "s3cret" not in err


async def test_graph_down_keeps_the_service_not_ready_without_leaking(graph_standin, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    deps = bootstrap(EvidenceServiceSettings(**graph_env(graph_standin, tmp_path, secret="wrong-secret")))
    try:
        assert await deps.ready() is False
        assert await deps.ready() is False          # within the retry interval: Graph is not asked again
        assert graph_standin.routes("token") == [401]
    finally:
        await deps.close()
    warnings = [r for r in caplog.records if r.getMessage() == "graph sync failed"]
    assert warnings and warnings[0].code == "graph_unavailable"
    for record in caplog.records:
        text = record.getMessage() + str(getattr(record, "reason", ""))
        assert "wrong-secret" not in text and graph_standin.ca_file not in text

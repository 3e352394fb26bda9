"""Composition root of the evidence service: migrate, packetize the configured source, then serve."""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from kernel.errors import Unavailable
from leaf.evidence.v1 import evidence_pb2, evidence_pb2_grpc
from runtime.db import open_database
from runtime.grant_keys import GrantKeys, GrantKeySettings
from runtime.home import sqlite_url
from runtime.identity_keys import IdentitySettings
from runtime.server import ServiceDeps
from runtime.settings import ServiceSettings
from services.evidence.adapters.cursors import SqlCursorRepository
from services.evidence.adapters.folder_source import ContractsFolder
from services.evidence.adapters.repository import SqlPacketRepository
from services.evidence.entrypoints.grpc_servicer import EvidenceServicer
from services.evidence.service_layer.handlers import sync_documents

if TYPE_CHECKING:  # the Graph SDK is imported only when the Graph lane is configured (it takes ~0.5 s)
    from services.evidence.adapters.graph_source import GraphContractsSource

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = evidence_pb2.DESCRIPTOR.services_by_name["EvidenceService"].full_name
DEMO_CONTRACTS = Path(__file__).resolve().parents[2] / "demo" / "onedrive"
GRAPH_SETTINGS = ("LEAF_GRAPH_BASE_URL", "LEAF_GRAPH_TENANT_ID", "LEAF_GRAPH_CLIENT_ID", "LEAF_GRAPH_CLIENT_SECRET",
                  "LEAF_GRAPH_DRIVE_ID", "LEAF_GRAPH_ROOT")
GRAPH_RETRY_SECONDS = 30.0  # a Graph outage at start is retried this often, not at the readiness poll's pace
log = logging.getLogger(__name__)


class EvidenceSettings(ServiceSettings):
    model_config = SettingsConfigDict(**ServiceSettings.model_config, hide_input_in_errors=True)  # secrets in input
    embedded_defaults = ("LEAF_EVIDENCE_DB_URL",)
    LEAF_EVIDENCE_DB_URL: str = Field(default_factory=lambda: sqlite_url("evidence"))
    LEAF_CONTRACTS_DIR: str = str(DEMO_CONTRACTS)
    # Microsoft Graph / OneDrive lane: all six set → the contract tree is read from the drive instead of the folder.
    LEAF_GRAPH_BASE_URL: str | None = None
    LEAF_GRAPH_TENANT_ID: str | None = None
    LEAF_GRAPH_CLIENT_ID: str | None = None
    LEAF_GRAPH_CLIENT_SECRET: SecretStr | None = None
    LEAF_GRAPH_DRIVE_ID: str | None = None
    LEAF_GRAPH_ROOT: str | None = None
    LEAF_GRAPH_AUTHORITY: str = "https://login.microsoftonline.com"
    LEAF_GRAPH_CA_FILE: str | None = None   # trust only this CA for Graph and its token endpoint (tests' stand-in)

    @model_validator(mode="after")
    def _graph_settings_come_together(self):
        missing = [name for name in GRAPH_SETTINGS if not getattr(self, name)]
        if len(missing) < len(GRAPH_SETTINGS) and missing:
            raise ValueError(f"the Graph lane needs every LEAF_GRAPH_* setting; set {', '.join(missing)}")
        if self.LEAF_GRAPH_CA_FILE and not Path(self.LEAF_GRAPH_CA_FILE).is_file():
            raise ValueError("LEAF_GRAPH_CA_FILE names no file")
        return self

    def graph_source(self, cursors: SqlCursorRepository) -> GraphContractsSource | None:
        if not self.LEAF_GRAPH_BASE_URL:
            return None
        from services.evidence.adapters.graph_client import GraphConnection
        from services.evidence.adapters.graph_source import GraphContractsSource
        conn = GraphConnection(self.LEAF_GRAPH_BASE_URL, self.LEAF_GRAPH_TENANT_ID, self.LEAF_GRAPH_CLIENT_ID,
                               self.LEAF_GRAPH_CLIENT_SECRET.get_secret_value(), self.LEAF_GRAPH_DRIVE_ID,
                               self.LEAF_GRAPH_ROOT, self.LEAF_GRAPH_AUTHORITY, self.LEAF_GRAPH_CA_FILE)
        return GraphContractsSource(conn, cursors)


class EvidenceServiceSettings(EvidenceSettings, GrantKeySettings, IdentitySettings):
    """The running service also verifies scope grants; the operator's tools (`leaf evidence`) need no key."""

    embedded_defaults = (*EvidenceSettings.embedded_defaults, "LEAF_GRANT_KEYS", "LEAF_IDENTITY_KEYS")


def open_packets(url: str) -> SqlPacketRepository:
    return SqlPacketRepository(open_database(url, "evidence", MIGRATIONS))


def sync_folder(packets: SqlPacketRepository, folder: str):
    report = sync_documents(ContractsFolder(Path(folder)).documents(), packets)
    log.info("evidence synced", extra={"added": len(report.added), "unchanged": report.unchanged,
                                        "refused": len(report.refused)})
    return report


async def sync_graph(packets: SqlPacketRepository, source: GraphContractsSource):
    """Packetize what changed in the drive; the cursor advances only once the batch is stored."""
    batch = await source.fetch()
    report = await asyncio.to_thread(sync_documents, batch.documents, packets)
    source.commit(batch)
    log.info("evidence synced from graph", extra={"added": len(report.added), "unchanged": report.unchanged,
                                                   "refused": len(report.refused)})
    return report


def bootstrap(settings: EvidenceServiceSettings, packets: SqlPacketRepository | None = None,
              keys: GrantKeys | None = None) -> ServiceDeps:
    packets = packets or open_packets(settings.LEAF_EVIDENCE_DB_URL)
    graph = settings.graph_source(SqlCursorRepository(packets.engine))
    synced, retry_at = False, 0.0

    async def ready() -> bool:
        nonlocal synced, retry_at
        if synced:
            return True
        if graph is None:
            await asyncio.to_thread(sync_folder, packets, settings.LEAF_CONTRACTS_DIR)
        elif asyncio.get_running_loop().time() < retry_at:
            return False
        else:
            try:
                await sync_graph(packets, graph)
            except Unavailable as err:  # not ready yet; the message names no URL or token
                log.warning("graph sync failed", extra={"code": err.code, "reason": err.message})
                retry_at = asyncio.get_running_loop().time() + GRAPH_RETRY_SECONDS
                return False
        synced = True
        return True

    async def close() -> None:
        packets.engine.dispose()

    # Every RPC answers client evidence: none is open.
    return ServiceDeps("evidence", [(evidence_pb2_grpc.add_EvidenceServiceServicer_to_server, EvidenceServicer(packets))],
                       [SERVICE_NAME], ready=ready, close=close, grant_keys=keys or settings.grant_keys(),
                       identity_keys=settings.identity_keys())

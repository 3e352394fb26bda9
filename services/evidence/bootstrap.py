"""Composition root of the evidence service: migrate, packetize the configured source, then serve."""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from leaf.evidence.v1 import evidence_pb2, evidence_pb2_grpc
from pydantic import Field

from runtime.db import open_database
from runtime.home import sqlite_url
from runtime.server import ServiceDeps
from runtime.settings import ServiceSettings
from services.evidence.adapters.folder_source import ContractsFolder
from services.evidence.adapters.repository import SqlPacketRepository
from services.evidence.entrypoints.grpc_servicer import EvidenceServicer
from services.evidence.service_layer.handlers import sync_documents

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = evidence_pb2.DESCRIPTOR.services_by_name["EvidenceService"].full_name
DEMO_CONTRACTS = Path(__file__).resolve().parents[2] / "demo" / "onedrive"
log = logging.getLogger(__name__)


class EvidenceSettings(ServiceSettings):
    embedded_defaults = ("LEAF_EVIDENCE_DB_URL",)
    LEAF_EVIDENCE_DB_URL: str = Field(default_factory=lambda: sqlite_url("evidence"))
    LEAF_CONTRACTS_DIR: str = str(DEMO_CONTRACTS)


def open_packets(url: str) -> SqlPacketRepository:
    return SqlPacketRepository(open_database(url, "evidence", MIGRATIONS))


def sync_folder(packets: SqlPacketRepository, folder: str):
    report = sync_documents(ContractsFolder(Path(folder)).documents(), packets)
    log.info("evidence synced", extra={"added": len(report.added), "unchanged": report.unchanged,
                                        "refused": len(report.refused)})
    return report


def bootstrap(settings: EvidenceSettings, packets: SqlPacketRepository | None = None) -> ServiceDeps:
    packets = packets or open_packets(settings.LEAF_EVIDENCE_DB_URL)
    synced = False

    async def ready() -> bool:
        nonlocal synced
        if not synced:
            await asyncio.to_thread(sync_folder, packets, settings.LEAF_CONTRACTS_DIR)
            synced = True
        return True

    async def close() -> None:
        packets.engine.dispose()

    return ServiceDeps("evidence", [(evidence_pb2_grpc.add_EvidenceServiceServicer_to_server, EvidenceServicer(packets))],
                       [SERVICE_NAME], ready=ready, close=close)

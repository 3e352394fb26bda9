"""The evidence service offline: what the `leaf` CLI may call on the evidence database in-process, with no mesh
(`leaf evidence promote|audit`, `leaf demo`, docs/cli.md). The CLI imports this module and nothing else of
evidence (tests/unit/test_imports.py).

The OS account that can open that database (LEAF_EVIDENCE_DB_URL) is the proof of authority, so `operator` is
`local:<OS user>`; over gRPC, PromotePacket records the caller's verified operator identity instead.
"""
from __future__ import annotations

from pathlib import Path

from runtime.settings import load_settings
from services.evidence.bootstrap import EvidenceSettings, open_packets, sync_folder
from services.evidence.domain.governance import GOVERNED as GOVERNED
from services.evidence.domain.governance import PromotePacket
from services.evidence.service_layer.handlers import promote_packet


def _packets():
    return open_packets(load_settings(EvidenceSettings).LEAF_EVIDENCE_DB_URL)


def promote(packet_id: str, client_id: str, governance: str, operator: str, reason: str):
    """The service's own PromotePacket use case: a candidate packet to a GOVERNED level, with a reason. Returns the
    packet (packet_id, version, governance, sha256)."""
    return promote_packet(PromotePacket(packet_id, client_id, governance, operator, reason), _packets())


def audit(packet_id: str) -> list:
    """The append-only governance log of a packet (dataclasses, oldest first)."""
    return _packets().audit_of(packet_id)


def sync_contracts(default_folder: Path):
    """The contracts folder (LEAF_CONTRACTS_DIR, else `default_folder`) synced into the evidence database, as the
    service syncs it; returns the report (added, unchanged, refused)."""
    settings = load_settings(EvidenceSettings)
    return sync_folder(open_packets(settings.LEAF_EVIDENCE_DB_URL), settings.LEAF_CONTRACTS_DIR or str(default_folder))

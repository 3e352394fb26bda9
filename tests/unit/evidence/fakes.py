"""A fake of the evidence service's port (services/evidence/service_layer/ports.py) and the documents a source yields,
in memory: the use cases run on these in unit tests without a database, a folder or OneDrive (style.md 11)."""
from __future__ import annotations

import hashlib
import json

from services.evidence.domain.documents import Document
from services.evidence.domain.governance import AuditEntry
from services.evidence.domain.packets import StoredPacket
from services.evidence.service_layer.ports import SourceDocument

TREE = "Clients/C001/PBM_A/"
PDF = b"%PDF-1.7 the signed 2025 contract"


class FakePackets:
    """Append-only packet versions (the newest of each id is in force), their audit log and content-addressed
    documents; a packet and its audit entry land together, as in one transaction."""

    def __init__(self) -> None:
        self.versions: list[StoredPacket] = []
        self.audit: list[AuditEntry] = []
        self.documents: dict[str, Document] = {}

    def add(self, packet: StoredPacket, audit: AuditEntry) -> None:
        if self.version_of(packet.packet_id, packet.version) is not None:
            raise AssertionError(f"{packet.packet_id}@{packet.version} stored twice: versions are never replaced")
        self.versions.append(packet)
        self.audit.append(audit)

    def add_document(self, document: Document) -> None:
        self.documents.setdefault(document.sha256, document)

    def document(self, sha256: str) -> Document | None:
        return self.documents.get(sha256)

    def has_sha(self, sha256: str) -> bool:
        return any(p.sha256 == sha256 for p in self.versions)

    def next_version(self, packet_id: str) -> int:
        return max((p.version for p in self.versions if p.packet_id == packet_id), default=0) + 1

    def version_of(self, packet_id: str, version: int) -> StoredPacket | None:
        return next((p for p in self.versions if (p.packet_id, p.version) == (packet_id, version)), None)

    def in_force(self, kind: str | None = None, client_id: str | None = None,
                 pbm_id: str | None = None) -> list[StoredPacket]:
        newest: dict[str, StoredPacket] = {}
        for p in self.versions:
            if p.packet_id not in newest or p.version > newest[p.packet_id].version:
                newest[p.packet_id] = p
        wanted = {"kind": kind, "client_id": client_id, "pbm_id": pbm_id}
        return [p for _, p in sorted(newest.items())
                if all(not value or getattr(p, name) == value for name, value in wanted.items())]


def contract_body(**changes) -> dict:
    term = {"channel": "RETAIL_30", "brand_generic": "B", "awp_discount": "0.1950", "dispensing_fee": "1.00",
            "rebate_per_claim": "210.00"}
    return {"packet_id": "CP-C001-PBMA-2025", "client_id": "C001", "pbm_id": "PBM_A",
            "effective_from": "2025-01-01", "effective_to": "2025-12-31", "governance": "governed_exact",
            "source": {"system": "onedrive", "path": TREE + "2025 contract.pdf",
                       "sha256": hashlib.sha256(PDF).hexdigest()},
            "offset": "none", "exclusions": {"uc_claims": True, "compounds": True}, "terms": [term], **changes}


def rebates_body(**changes) -> dict:
    return {"evidence_id": "RB-C001-PBMA-2025", "client_id": "C001", "pbm_id": "PBM_A", "period_from": "2025-01-01",
            "period_to": "2025-12-31", "governance": "governed_exact",
            "received": [{"channel": "RETAIL_30", "amount": "100.00"}], **changes}


def as_file(body: dict, name: str) -> SourceDocument:
    return SourceDocument(TREE + name if "/" not in name else name, json.dumps(body).encode())


def the_pdf(data: bytes = PDF) -> SourceDocument:
    return SourceDocument(TREE + "2025 contract.pdf", data)

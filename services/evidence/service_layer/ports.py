"""What the evidence use cases need from outside (style.md 11): the documents a source yields, and the packet
store, as a port that adapters/ implements on SQLAlchemy and a unit test can fake."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from services.evidence.domain.documents import Document
from services.evidence.domain.governance import AuditEntry
from services.evidence.domain.packets import StoredPacket


@dataclass(frozen=True)
class SourceDocument:
    """One file of a contract tree (a local folder, OneDrive) as a source yields it."""

    name: str   # the tree-relative name, e.g. "Clients/C001/PBM_A/contract-2025.packet.json"
    data: bytes


class PacketRepository(Protocol):
    def add(self, packet: StoredPacket, audit: AuditEntry) -> None:
        """The packet version and its audit entry land together or not at all."""

    def add_document(self, document: Document) -> None:
        """Content-addressed: a document already stored under its sha256 is not stored again."""

    def document(self, sha256: str) -> Document | None: ...

    def has_sha(self, sha256: str) -> bool: ...

    def next_version(self, packet_id: str) -> int: ...

    def version_of(self, packet_id: str, version: int) -> StoredPacket | None:
        """Exactly that version, in force or not: versions are appended, never removed."""

    def in_force(self, kind: str | None = None, client_id: str | None = None,
                 pbm_id: str | None = None) -> list[StoredPacket]:
        """The newest version of every packet matching the filters, ordered by packet id."""

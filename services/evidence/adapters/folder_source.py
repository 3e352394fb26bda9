"""The embedded evidence source: a local folder laid out like the OneDrive contract tree."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Packets (contracts, rebates, proposals), and the documents they came from.
SUFFIXES = (".packet.json", ".rebates.json", ".proposal.json", ".pdf", ".docx")


@dataclass(frozen=True)
class SourceDocument:
    name: str   # the tree-relative name, e.g. "Clients/C001/PBM_A/contract-2025.packet.json"
    data: bytes


class ContractsFolder:
    """`Clients/<client_id>/<pbm_id>/<document>`; only the tree-relative name ever leaves this adapter."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def documents(self) -> Iterator[SourceDocument]:
        for path in sorted((self.root / "Clients").rglob("*")):
            if path.is_file() and path.name.endswith(SUFFIXES):
                yield SourceDocument(path.relative_to(self.root).as_posix(), path.read_bytes())

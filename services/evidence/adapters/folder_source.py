"""The embedded evidence source: a local folder laid out like the OneDrive contract tree."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from services.evidence.service_layer.ports import SourceDocument

# Packets (contracts, rebates, proposals), and the documents they came from.
SUFFIXES = (".packet.json", ".rebates.json", ".proposal.json", ".pdf", ".docx")


class ContractsFolder:
    """`Clients/<client_id>/<pbm_id>/<document>`; only the tree-relative name ever leaves this adapter."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def documents(self) -> Iterator[SourceDocument]:
        for path in sorted((self.root / "Clients").rglob("*")):
            if path.is_file() and path.name.endswith(SUFFIXES):
                yield SourceDocument(path.relative_to(self.root).as_posix(), path.read_bytes())

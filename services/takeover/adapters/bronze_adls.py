"""Bronze in ADLS Gen2 (production): `<filesystem>/bronze/sha256/<aa>/<sha256>`, the same keys as the local lake.

A file is hashed where the export is, then uploaded only when its hash is not stored yet: the same export twice
sends nothing. An upload goes to a hidden sibling and is renamed to its hash once flushed (atomic on a
hierarchical namespace), so a reader never sees half a file; the bytes sent are hashed again on the way and must
be the bytes that were hashed, else nothing is renamed.
"""
from __future__ import annotations

from pathlib import Path

from azure.core.exceptions import ResourceExistsError
from azure.storage.filedatalake import FileSystemClient

from kernel.errors import Conflict
from services.takeover.adapters.bronze_local import bronze_key, hash_file
from services.takeover.adapters.lake_adls import adls_filesystem, upload_verified
from services.takeover.domain.export import ExportFile


class AdlsBronze:
    def __init__(self, filesystem: FileSystemClient) -> None:
        self.filesystem = filesystem
        self._ready = False

    @classmethod
    def connect(cls, account_url: str, filesystem: str, credential=None, **client_options) -> AdlsBronze:
        return cls(adls_filesystem(account_url, filesystem, credential, **client_options))

    def _ensure_filesystem(self) -> None:
        if self._ready:
            return
        try:
            self.filesystem.create_file_system()
        except ResourceExistsError:
            pass
        self._ready = True

    def has(self, sha256: str) -> bool:
        return self.filesystem.get_file_client(bronze_key(sha256)).exists()

    def hash(self, source: Path) -> ExportFile:
        sha256, size = hash_file(source)
        return ExportFile("", sha256, size)

    def store(self, source: Path, sha256: str) -> None:
        self._ensure_filesystem()
        final = bronze_key(sha256)
        if self.filesystem.get_file_client(final).exists():
            return
        upload_verified(self.filesystem, source, final, sha256,
                        Conflict("export_changed", "a file of the export changed while it was being stored"))

"""Bronze on a local folder: each file under bronze/sha256/<aa>/<sha256>, written once, never overwritten."""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from kernel.errors import Conflict
from services.takeover.domain.export import ExportFile

CHUNK = 4 * 1024 * 1024


def bronze_key(sha256: str) -> str:
    return f"bronze/sha256/{sha256[:2]}/{sha256}"


def hash_file(source: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(source, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


class LocalBronze:
    def __init__(self, lake: Path) -> None:
        self.lake = lake

    def path_of(self, sha256: str) -> Path:
        return self.lake / bronze_key(sha256)

    def hash(self, source: Path) -> ExportFile:
        sha256, size = hash_file(source)
        return ExportFile("", sha256, size)

    def store(self, source: Path, sha256: str) -> None:
        """Copy while hashing into a temp file beside the store, and link it under its hash once the copy's hash
        is the one expected (a half-copied file never has its final name)."""
        if self.path_of(sha256).exists():
            return
        folder = self.lake / "bronze" / "incoming"
        folder.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        fd, temp = tempfile.mkstemp(dir=folder)
        try:
            with open(source, "rb") as src, os.fdopen(fd, "wb") as dst:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    dst.write(chunk)
                dst.flush()
                os.fsync(dst.fileno())
            if digest.hexdigest() != sha256:
                raise Conflict("export_changed", "a file of the export changed while it was being stored")
            final = self.path_of(sha256)
            final.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(temp, final)
            except FileExistsError:
                pass  # another ingest stored the same bytes meanwhile
        finally:
            _unlink_quietly(temp)


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass

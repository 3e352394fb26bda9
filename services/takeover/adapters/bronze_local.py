"""Bronze on a local folder: each file under bronze/sha256/<aa>/<sha256>, written once, never overwritten."""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

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

    def store(self, source: Path) -> ExportFile:
        """Hash the file; if that hash is stored, nothing is written. Otherwise copy while hashing into a temp file
        beside the store and link it under the hash the copy found (a half-copied file never has its final name)."""
        known, size = hash_file(source)
        if self.path_of(known).exists():
            return ExportFile("", known, size)
        folder = self.lake / "bronze" / "incoming"
        folder.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        fd, temp = tempfile.mkstemp(dir=folder)
        try:
            with open(source, "rb") as src, os.fdopen(fd, "wb") as dst:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    dst.write(chunk)
                dst.flush()
                os.fsync(dst.fileno())
            final = self.path_of(digest.hexdigest())
            if final.exists():
                os.unlink(temp)
            else:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.link(temp, final)  # fails if another ingest won the race: the same bytes are there then
                os.unlink(temp)
        except FileExistsError:
            os.unlink(temp)
        except BaseException:
            _unlink_quietly(temp)
            raise
        return ExportFile("", digest.hexdigest(), size)


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass

"""Where artifact bytes live: the store protocol, the embedded folder under LEAF_HOME, and the factory."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from runtime.errors import NotFound
from runtime.home import leaf_home
from services.publisher.domain.artifacts import check_name, check_run_id

Chunks = bytes | Iterable[bytes]


class ArtifactStore(Protocol):
    def put(self, run_id: str, name: str, data: Chunks, content_type: str = "application/octet-stream") -> None:
        """Store the bytes under (run_id, name), replacing what was there all at once or not at all."""

    def open(self, run_id: str, name: str) -> bytes:
        """The stored bytes; NotFound if nothing is stored under that name."""

    def exists(self, run_id: str, name: str) -> bool: ...


def chunks_of(data: Chunks) -> Iterable[bytes]:
    return (data,) if isinstance(data, (bytes, bytearray, memoryview)) else data


class LocalArtifactStore:
    """Files under `root/<run_id>/<name>`; a write lands in a hidden temp file beside its target, then is renamed."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, run_id: str, name: str) -> Path:
        check_run_id(run_id)
        check_name(name)
        return self.root / run_id / name

    def put(self, run_id: str, name: str, data: Chunks, content_type: str = "application/octet-stream") -> None:
        final = self.path_of(run_id, name)
        final.parent.mkdir(parents=True, exist_ok=True)
        # Same folder as the target, so the rename never crosses a filesystem and is atomic; the leading dot is a
        # name no artifact may have, so a temp file a crash leaves behind can never be mistaken for one.
        fd, temp = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=".partial")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks_of(data):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())  # the bytes are on disk before the name points at them
            os.replace(temp, final)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        _fsync_folder(final.parent)  # and the rename itself survives a power cut

    def open(self, run_id: str, name: str) -> bytes:
        try:
            return self.path_of(run_id, name).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            raise NotFound("artifact_not_found", f"artifact {name!r} of run {run_id} is not stored") from None

    def exists(self, run_id: str, name: str) -> bool:
        return self.path_of(run_id, name).is_file()


def _fsync_folder(folder: Path) -> None:
    if os.name == "nt":  # Windows cannot open a folder for fsync; NTFS journals the rename
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def artifact_store(account_url: str | None, filesystem: str | None, credential=None) -> ArtifactStore:
    """ADLS Gen2 when LEAF_ADLS_ACCOUNT_URL is set, else the embedded folder LEAF_HOME/artifacts."""
    if not account_url:
        return LocalArtifactStore(leaf_home() / "artifacts")
    if not filesystem:
        raise ValueError("LEAF_ADLS_ACCOUNT_URL is set but LEAF_ADLS_FILESYSTEM is not: "
                         "name the filesystem to store into")
    from services.publisher.adapters.adls_store import AdlsArtifactStore  # the Azure SDK loads only when used
    return AdlsArtifactStore.connect(account_url, filesystem, credential)

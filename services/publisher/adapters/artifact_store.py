"""Where artifact bytes live: the embedded folder under LEAF_HOME, and the factory that picks it or ADLS Gen2.

Bytes move as streams both ways: a write reads its source a block at a time and hashes each block as it is
written (the ledger records that sha256 and size), a read hands out blocks, and no artifact is ever held whole.
The store's port (ArtifactStore) is the service layer's (service_layer/ports.py); the blocks and the hashing are
shared with the ADLS store (streams.py).
"""
from __future__ import annotations

import os
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from kernel.errors import NotFound
from runtime.home import leaf_home
from services.publisher.adapters.streams import BLOCK_BYTES, Hashing, blocks_of
from services.publisher.domain.artifacts import check_name, check_run_id
from services.publisher.service_layer.ports import ArtifactStore, Chunks, Written

__all__ = ["ArtifactStore", "LocalArtifactStore", "LocalStoredFile", "Written", "artifact_store"]

class LocalArtifactStore:
    """Files under `root/<run_id>/<name>`; a write lands in a hidden temp file beside its target, then is renamed."""

    # A temp file untouched this long belongs to a publication that died (a live write touches it at every block).
    ABANDONED_AFTER_SECONDS = 3600

    def __init__(self, root: Path) -> None:
        self.root = root

    def sweep_abandoned(self, now: float | None = None) -> int:
        """Delete the temp files of publications killed mid-write (never listed or served, only taking room);
        returns how many. A retry writes its own temp file, so nothing in flight is ever one of these."""
        now = time.time() if now is None else now
        swept = 0
        for temp in self.root.glob("*/**/.*.partial"):
            try:
                if now - temp.stat().st_mtime > self.ABANDONED_AFTER_SECONDS:
                    temp.unlink()
                    swept += 1
            except FileNotFoundError:  # its own writer finished or gave up meanwhile
                continue
        return swept

    def path_of(self, run_id: str, name: str) -> Path:
        check_run_id(run_id)
        check_name(name)
        return self.root / run_id / name

    def put(self, run_id: str, name: str, data: Chunks, content_type: str = "application/octet-stream") -> Written:
        final = self.path_of(run_id, name)
        final.parent.mkdir(parents=True, exist_ok=True)
        # Same folder as the target, so the rename never crosses a filesystem and is atomic; the leading dot is a
        # name no artifact may have, so a temp file a crash leaves behind can never be mistaken for one.
        fd, temp = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=".partial")
        hashing = Hashing()
        try:
            with os.fdopen(fd, "wb") as out:
                for block in blocks_of(data):
                    out.write(hashing(block))
                out.flush()
                os.fsync(out.fileno())  # the bytes are on disk before the name points at them
            os.replace(temp, final)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        _fsync_folder(final.parent)  # and the rename itself survives a power cut
        return hashing.written()

    def open(self, run_id: str, name: str) -> LocalStoredFile:
        path = self.path_of(run_id, name)
        try:
            fd = os.open(path, os.O_RDONLY)
        except (FileNotFoundError, IsADirectoryError):
            fd = -1
        if fd >= 0 and not stat.S_ISREG(os.fstat(fd).st_mode):  # a folder opens too, and is no artifact
            os.close(fd)
            fd = -1
        if fd < 0:
            raise NotFound("artifact_not_found", f"artifact {name!r} of run {run_id} is not stored")
        return LocalStoredFile(fd)

    def exists(self, run_id: str, name: str) -> bool:
        return self.path_of(run_id, name).is_file()


class LocalStoredFile:
    """An open descriptor: a rename over the name (a republish) cannot change what it reads."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self.size = os.fstat(fd).st_size

    def chunks(self) -> Iterator[bytes]:
        offset = 0
        while block := os.pread(self._fd, BLOCK_BYTES, offset):
            offset += len(block)
            yield block

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


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
        store = LocalArtifactStore(leaf_home() / "artifacts")
        store.sweep_abandoned()  # once at start: what a killed publisher left behind
        return store
    if not filesystem:
        raise ValueError("LEAF_ADLS_ACCOUNT_URL is set but LEAF_ADLS_FILESYSTEM is not: "
                         "name the filesystem to store into")
    from services.publisher.adapters.adls_store import AdlsArtifactStore  # the Azure SDK loads only when used
    return AdlsArtifactStore.connect(account_url, filesystem, credential)

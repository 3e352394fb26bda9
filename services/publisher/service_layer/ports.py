"""What the publisher's use cases need from outside (style.md 11): where artifact bytes live, the ledger that lists
them, and the lease one Domo writer holds, as ports that adapters/ implements (a local folder or ADLS Gen2; the
publisher database) and a unit test can fake."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from services.publisher.domain.artifacts import StoredArtifact

Chunks = bytes | Iterable[bytes] | BinaryIO  # an artifact's bytes as a store takes them: whole, in chunks, a file


@dataclass(frozen=True)
class Written:
    """What a store wrote, measured while writing it."""

    sha256: str
    size: int


class StoredFile(Protocol):
    size: int

    def chunks(self) -> Iterator[bytes]:
        """The bytes from the first, in blocks; every call reads the same stored version again."""

    def close(self) -> None: ...


class ArtifactStore(Protocol):
    def put(self, run_id: str, name: str, data: Chunks, content_type: str = "application/octet-stream") -> Written:
        """Store the bytes under (run_id, name), replacing what was there all at once or not at all."""

    def open(self, run_id: str, name: str) -> StoredFile:
        """The stored bytes, to be read as a stream; NotFound if nothing is stored under that name."""

    def exists(self, run_id: str, name: str) -> bool: ...


class LedgerRace(Exception):
    """Another publication of the same run recorded first; the caller re-reads and compares."""


class ArtifactLedger(Protocol):
    def record(self, client_id: str, artifacts: list[StoredArtifact]) -> None:
        """All rows at once: a publication is listed whole or not at all; LedgerRace if one of them is there."""

    def of_run(self, run_id: str) -> list[StoredArtifact]:
        """The run's artifacts, by name."""

    def client_of(self, run_id: str) -> str | None:
        """The client whose run it is, once anything of it is recorded."""


Fence = Callable[[], None]  # raises when the lease was lost; called before each write


class Lease(Protocol):
    def held(self) -> AbstractAsyncContextManager[Fence]:
        """Hold the lease for the block (waiting for it), renewing it meanwhile; yields the fence to call before
        each write."""

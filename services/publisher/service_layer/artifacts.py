"""A run's artifacts published as a set (bytes first, then the ledger in one transaction) and read back verified.

Bytes stream both ways. Publishing streams each file into the store, which hashes it while writing; the ledger
records that sha256 and size. Reading streams the stored file through a hash first and serves it only if it
matches the ledger, then streams it again to the caller (hashing once more, in case it changed in between).
Verify-then-serve rather than serve-then-fail: the caller gets nothing of a changed file, not a whole body
followed by an error (the gateway has already sent its status line and headers when the first byte arrives).
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from io import BytesIO
from typing import BinaryIO

from kernel.errors import NotFound
from services.publisher.domain.artifacts import (
    ArtifactCorrupted,
    StoredArtifact,
    artifact_id,
    check_publication,
    check_unchanged,
)
from services.publisher.service_layer.ports import ArtifactLedger, ArtifactStore, LedgerRace, StoredFile


@dataclass(frozen=True)
class ArtifactSource:
    name: str
    content_type: str
    open: Callable[[], BinaryIO]


def _source(artifact) -> ArtifactSource:
    """(name, content_type, bytes) as tests give it, or a rendered file with name, content_type and open()."""
    if isinstance(artifact, tuple):
        name, content_type, data = artifact
        return ArtifactSource(name, content_type, lambda: BytesIO(data))
    return ArtifactSource(artifact.name, artifact.content_type, artifact.open)


def store_artifacts(run_id: str, client_id: str, artifacts: Iterable, store: ArtifactStore,
                    ledger: ArtifactLedger) -> list[StoredArtifact]:
    """The publication as recorded; a replay with the same bytes writes nothing, changed bytes are refused."""
    sources = [_source(a) for a in artifacts]
    check_publication(client_id, ledger.client_of(run_id), [s.name for s in sources])
    known = {a.name: a for a in ledger.of_run(run_id)}
    # Checked before any byte is written: refusing after the write would already have replaced a published file.
    for source in sources:
        if source.name in known:
            with source.open() as data:
                check_unchanged(known[source.name], _sha256(data), source.content_type)
    fresh = [_put(run_id, source, store) for source in sources if source.name not in known]
    try:
        ledger.record(client_id, fresh)
    except LedgerRace:
        # A concurrent publication of this run recorded first: the same bytes make this a replay, others are refused.
        raced = {a.name: a for a in ledger.of_run(run_id)}
        for artifact in fresh:
            if artifact.name in raced:
                check_unchanged(raced[artifact.name], artifact.sha256, artifact.content_type)
        ledger.record(client_id, [a for a in fresh if a.name not in raced])
    wanted = {s.name for s in sources}
    return [a for a in ledger.of_run(run_id) if a.name in wanted]


def _put(run_id: str, source: ArtifactSource, store: ArtifactStore) -> StoredArtifact:
    with source.open() as data:
        written = store.put(run_id, source.name, data, source.content_type)  # hashed while written
    return StoredArtifact(artifact_id(run_id, source.name), run_id, source.name, source.content_type,
                          written.sha256, written.size)


def _sha256(data: BinaryIO) -> str:
    return hashlib.file_digest(data, "sha256").hexdigest()  # type: ignore[arg-type]  # any binary reader


def list_artifacts(run_id: str, ledger: ArtifactLedger) -> list[StoredArtifact]:
    """What the ledger lists, which is only ever what is stored."""
    return ledger.of_run(run_id)


def open_artifact(run_id: str, key: str, store: ArtifactStore,
                  ledger: ArtifactLedger) -> tuple[StoredArtifact, Iterator[bytes]]:
    """One artifact by artifact_id or name and its bytes as a stream, if the stored bytes still have the recorded
    sha256 (checked by streaming them through a hash before the first block is handed out)."""
    artifact = next((a for a in ledger.of_run(run_id) if key in (a.artifact_id, a.name)), None)
    if artifact is None:
        raise NotFound("artifact_not_found", f"run {run_id} has no artifact {key!r}")
    stored = store.open(run_id, artifact.name)
    try:
        _verify(stored.chunks(), artifact)
    except BaseException:
        stored.close()
        raise
    return artifact, _served(stored, artifact)


def _verify(chunks: Iterable[bytes], artifact: StoredArtifact) -> None:
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    if size != artifact.size or digest.hexdigest() != artifact.sha256:
        raise ArtifactCorrupted(f"artifact {artifact.name!r} of run {artifact.run_id}: stored bytes do not match the "
                                f"ledger (sha256 {artifact.sha256}, {artifact.size} bytes)")


def _served(stored: StoredFile, artifact: StoredArtifact) -> Iterator[bytes]:
    """The verified bytes; if they changed after the check, the stream fails at its end rather than end cleanly."""
    digest, size = hashlib.sha256(), 0
    try:
        for chunk in stored.chunks():
            digest.update(chunk)
            size += len(chunk)
            yield chunk
        if size != artifact.size or digest.hexdigest() != artifact.sha256:
            raise ArtifactCorrupted(f"artifact {artifact.name!r} of run {artifact.run_id} changed while being served")
    finally:
        stored.close()


"""A run's artifacts published as a set (bytes first, then the ledger in one transaction) and read back verified."""
from __future__ import annotations

from collections.abc import Iterable

from runtime.errors import NotFound
from services.publisher.adapters.artifact_ledger import LedgerRace, SqlArtifactLedger
from services.publisher.adapters.artifact_store import ArtifactStore
from services.publisher.domain.artifacts import ArtifactCorrupted, StoredArtifact, new_artifacts, sha256_of

NewArtifact = tuple[str, str, bytes]   # (name, content_type, data); objects with those attributes are accepted too


def _parts(artifact) -> NewArtifact:
    if isinstance(artifact, tuple):
        return artifact
    return artifact.name, artifact.content_type, artifact.data


def store_artifacts(run_id: str, client_id: str, artifacts: Iterable[NewArtifact], store: ArtifactStore,
                    ledger: SqlArtifactLedger) -> list[StoredArtifact]:
    """The publication as recorded; a replay with the same bytes writes nothing, changed bytes are refused."""
    parts = [_parts(a) for a in artifacts]
    data = {name: body for name, _, body in parts}
    incoming = [StoredArtifact.of(run_id, name, content_type, body) for name, content_type, body in parts]
    # Checked before any byte is written: refusing after the write would already have replaced a published file.
    fresh = _unrecorded(run_id, client_id, incoming, ledger)
    for artifact in fresh:
        store.put(run_id, artifact.name, data[artifact.name], artifact.content_type)
    try:
        ledger.record(client_id, fresh)
    except LedgerRace:
        # A concurrent publication of this run recorded first: the same bytes make this a replay, others are refused.
        ledger.record(client_id, _unrecorded(run_id, client_id, incoming, ledger))
    wanted = {a.name for a in incoming}
    return [a for a in ledger.of_run(run_id) if a.name in wanted]


def _unrecorded(run_id: str, client_id: str, incoming: list[StoredArtifact],
                ledger: SqlArtifactLedger) -> list[StoredArtifact]:
    return new_artifacts(client_id, ledger.client_of(run_id), ledger.of_run(run_id), incoming)


def list_artifacts(run_id: str, ledger: SqlArtifactLedger) -> list[StoredArtifact]:
    """What the ledger lists, which is only ever what is stored."""
    return ledger.of_run(run_id)


def get_artifact(run_id: str, key: str, store: ArtifactStore,
                 ledger: SqlArtifactLedger) -> tuple[StoredArtifact, bytes]:
    """One artifact by artifact_id or name, served only if the stored bytes still have the recorded sha256."""
    artifact = next((a for a in ledger.of_run(run_id) if key in (a.artifact_id, a.name)), None)
    if artifact is None:
        raise NotFound("artifact_not_found", f"run {run_id} has no artifact {key!r}")
    data = store.open(run_id, artifact.name)
    if len(data) != artifact.size or sha256_of(data) != artifact.sha256:
        raise ArtifactCorrupted(f"artifact {artifact.name!r} of run {run_id}: stored bytes do not match the ledger "
                                f"(sha256 {artifact.sha256}, {artifact.size} bytes)")
    return artifact, data

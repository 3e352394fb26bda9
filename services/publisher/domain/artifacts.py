"""Stored artifacts: what a run published, named and fingerprinted so a reader can prove its bytes (pure)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from kernel.errors import Conflict, InputError

MAX_SEGMENT = 200
# A name is a file or one folder deep (dashboard/<table>.csv): deeper trees have no reader that expects them.
MAX_DEPTH = 2


class ArtifactChanged(Conflict):
    """A run's artifacts never change (a replay yields the same bytes): other bytes under a stored name are refused."""


class ArtifactCorrupted(Exception):
    """The store returned bytes whose sha256 differs from the ledger's: an operator problem, never served.

    Not a DomainError on purpose: the caller did nothing wrong, so it surfaces as INTERNAL with nothing leaked.
    """


@dataclass(frozen=True)
class StoredArtifact:
    artifact_id: str
    run_id: str
    name: str
    content_type: str
    sha256: str
    size: int

    @classmethod
    def of(cls, run_id: str, name: str, content_type: str, data: bytes) -> StoredArtifact:
        check_run_id(run_id)
        check_name(name)
        return cls(artifact_id(run_id, name), run_id, name, content_type, sha256_of(data), len(data))


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def artifact_id(run_id: str, name: str) -> str:
    """Deterministic, so a replayed run names its artifacts exactly as the first publication did."""
    # NUL cannot occur in either part, so no two (run_id, name) pairs share the hashed text.
    return "art_" + hashlib.sha256(f"{run_id}\0{name}".encode()).hexdigest()[:32]


def _check_segment(segment: str, what: str, value: str) -> None:
    # A leading dot refuses "." and "..", and keeps every name apart from the stores' hidden temp files.
    if not segment or segment.startswith(".") or len(segment) > MAX_SEGMENT:
        raise InputError(f"bad_input:{what}", f"{what} {value!r}: each part must be 1–{MAX_SEGMENT} characters "
                                              "and must not start with '.'")
    if "\\" in segment or ":" in segment or any(ord(c) < 32 or ord(c) == 127 for c in segment):
        raise InputError(f"bad_input:{what}", f"{what} {value!r} must not contain '\\', ':' or control characters")


def check_name(name: str) -> None:
    """A relative name of at most one folder and a file; anything that could escape the run's folder is refused."""
    if name.startswith("/"):
        raise InputError("bad_input:artifact_name", f"artifact name {name!r} must be relative")
    segments = name.split("/")
    if len(segments) > MAX_DEPTH:
        raise InputError("bad_input:artifact_name", f"artifact name {name!r} may hold at most one folder")
    for segment in segments:
        _check_segment(segment, "artifact_name", name)


def check_run_id(run_id: str) -> None:
    """A run id becomes a folder name, so it is held to the same rule as one part of a name."""
    if "/" in run_id:
        raise InputError("bad_input:run_id", f"run_id {run_id!r} must not contain '/'")
    _check_segment(run_id, "run_id", run_id)


def check_publication(client_id: str, recorded_client: str | None, names: list[str]) -> None:
    """A publication names each artifact once, validly, and belongs to the client the run was first published for."""
    for name in names:
        check_name(name)
    if len(set(names)) != len(names):
        raise InputError("bad_input:artifact_name", "each artifact name may appear once in a publication")
    if recorded_client is not None and recorded_client != client_id:
        raise ArtifactChanged("conflict:artifact_client",
                              "the run was published for another client; a run belongs to one client")


def check_unchanged(recorded: StoredArtifact, sha256: str, content_type: str) -> None:
    """An artifact already recorded may be published again only with the same bytes: a replay, never a change."""
    if (recorded.sha256, recorded.content_type) != (sha256, content_type):
        raise ArtifactChanged("conflict:artifact_changed",
                              f"artifact {recorded.name!r} of run {recorded.run_id} is already stored with other "
                              "content; a run's artifacts never change — publish a new run instead")

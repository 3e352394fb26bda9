"""The lake on this pod's disk alone (no LEAF_TAKEOVER_ADLS_URL): nothing to share, every key read where it is."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from kernel.errors import InputError, NotFound


def lake_path(lake: Path, key: str) -> Path:
    """A key as curated or the ledger names it (`silver/…`, `bronze/sha256/…`) as a path inside the lake; a key
    that could leave the lake is refused rather than followed."""
    parts = key.split("/")
    if not key or any(part in ("", ".", "..") or "\\" in part for part in parts):
        raise InputError("lake_key_invalid", "a lake key is a relative '/'-separated path inside the lake")
    return lake.joinpath(*parts)


class LocalLakeFiles:
    """LakeFiles over the local lake: the file where the key says (not re-hashed: it was written here)."""

    def __init__(self, lake: Path) -> None:
        self.lake = lake

    def local(self, key: str, sha256: str) -> Path:
        path = lake_path(self.lake, key)
        if not path.is_file():
            raise NotFound("lake_object_missing", f"{key} is not in the lake")
        return path


class NothingShared:
    """SharedLake when the local lake is the only one: the published silver folder is all there is."""

    def share(self, objects: Mapping[str, str]) -> None:
        pass

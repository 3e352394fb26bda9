"""The shared lake in ADLS Gen2 (production): silver uploaded beside bronze, and a read-through cache for readers.

Every replica (and the same pod after a restart: its lake is an emptyDir) reads what curated names from the one
file system, under the same keys as the local lake (docs/takeover.md, layout). An upload goes to a hidden sibling
and is renamed once flushed, as bronze's (adapters/bronze_adls.py): a reader never sees half an object. A read
keeps its download in the local lake only once its bytes hash to the sha256 curated (or the ledger) recorded.
"""
from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Mapping
from pathlib import Path

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.filedatalake import DataLakeServiceClient, FileSystemClient

from kernel.errors import Conflict, NotFound
from services.takeover.adapters.bronze_local import CHUNK
from services.takeover.adapters.lake_local import lake_path


def adls_filesystem(account_url: str, filesystem: str, credential=None, **client_options) -> FileSystemClient:
    if credential is None:  # in the cluster: the workload's managed identity, never a key in the environment
        from azure.identity import DefaultAzureCredential
        credential = DefaultAzureCredential()
    return DataLakeServiceClient(account_url, credential=credential, **client_options).get_file_system_client(filesystem)


def _hidden_sibling(key: str) -> str:
    folder, _, name = key.rpartition("/")
    return f"{folder}/.{name}.{uuid.uuid4().hex}.partial"


def upload_verified(filesystem: FileSystemClient, source: Path, key: str, sha256: str, changed: Exception) -> None:
    """Upload `source` to `key` whole or not at all, and only as the bytes of `sha256`: appended to a hidden sibling,
    hashed on the way, flushed, then renamed to `key` (atomic on a hierarchical namespace, replacing what is there);
    `changed` is raised (and the sibling deleted) when the bytes sent are not the ones hashed before."""
    temp = filesystem.get_file_client(_hidden_sibling(key))
    digest, offset = hashlib.sha256(), 0
    try:
        temp.create_file()
        with open(source, "rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                temp.append_data(chunk, offset=offset, length=len(chunk))
                offset += len(chunk)
        temp.flush_data(offset)
        if digest.hexdigest() != sha256:
            raise changed
        temp.rename_file(f"{filesystem.file_system_name}/{key}")
    except BaseException:
        try:
            temp.delete_file()
        except Exception:  # the original failure matters more; a hidden temp object is never read
            pass
        raise


class AdlsSharedLake:
    """SharedLake: the promoted silver Parquet uploaded from the local lake before curated names it."""

    def __init__(self, lake: Path, filesystem: FileSystemClient) -> None:
        self.lake, self.filesystem = lake, filesystem
        self._ready = False

    def share(self, objects: Mapping[str, str]) -> None:
        if objects and not self._ready:
            try:
                self.filesystem.create_file_system()
            except ResourceExistsError:
                pass
            self._ready = True
        for key, sha256 in objects.items():
            self._upload(key, sha256)

    def _upload(self, key: str, sha256: str) -> None:
        # Replaces an object already there: only a leftover of an ingest killed before its commit can be (the
        # load is not promoted, checked under the load id's lock), and curated names none of it.
        upload_verified(self.filesystem, lake_path(self.lake, key), key, sha256,
                        Conflict("lake_object_changed", f"{key} changed on the local lake while it was being shared"))


class AdlsLakeFiles:
    """LakeFiles: the local lake as a cache of the shared one — a key absent here is downloaded to a hidden temp
    file beside its place, hashed on the way, and renamed into the lake only when the hash is the one recorded."""

    def __init__(self, lake: Path, filesystem: FileSystemClient) -> None:
        self.lake, self.filesystem = lake, filesystem

    def local(self, key: str, sha256: str) -> Path:
        path = lake_path(self.lake, key)
        if path.is_file():
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.parent / f".{path.name}.{uuid.uuid4().hex}.partial"
        digest = hashlib.sha256()
        try:
            try:
                download = self.filesystem.get_file_client(key).download_file()
                with open(temp, "wb") as handle:
                    for chunk in download.chunks():
                        digest.update(chunk)
                        handle.write(chunk)
                    handle.flush()
                    os.fsync(handle.fileno())
            except ResourceNotFoundError:
                raise NotFound("lake_object_missing", f"{key} is neither in the local lake nor in the shared one") \
                    from None
            if digest.hexdigest() != sha256:
                raise Conflict("lake_object_corrupt",
                               f"{key} in the shared lake does not have the sha256 that was recorded: refused")
            os.replace(temp, path)  # another reader may have put the same bytes there meanwhile: same result
        finally:
            temp.unlink(missing_ok=True)
        return path

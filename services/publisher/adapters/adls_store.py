"""Artifacts in ADLS Gen2 (LEAF_ADLS_ACCOUNT_URL, LEAF_ADLS_FILESYSTEM): the folder's layout and write-then-rename.

A write creates a hidden temp file, appends the source a block at a time (hashing each block as it goes), flushes
once at the end (only a flush makes appended bytes part of the file) and renames the file over its target. A read
pins the version it first saw (its ETag) and streams it in blocks; a file changed since then is not read.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterator

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.filedatalake import ContentSettings, DataLakeFileClient, DataLakeServiceClient, FileSystemClient

from kernel.errors import NotFound
from services.publisher.adapters.streams import Hashing, blocks_of
from services.publisher.domain.artifacts import check_name, check_run_id
from services.publisher.service_layer.ports import Chunks, Written

# One append (and one download request) moves this much: the most a write or a read holds in memory at once.
BLOCK_BYTES = 4 << 20


class AdlsArtifactStore:
    """`<filesystem>/<run_id>/<name>`; the filesystem is created on first write if it does not exist yet."""

    def __init__(self, filesystem: FileSystemClient) -> None:
        self.filesystem = filesystem
        self._filesystem_ready = False

    @classmethod
    def connect(cls, account_url: str, filesystem: str, credential=None, **client_options) -> AdlsArtifactStore:
        if credential is None:  # in the cluster: the workload's managed identity, never a key in the environment
            from azure.identity import DefaultAzureCredential
            credential = DefaultAzureCredential()
        # Downloads fetch a block per request; the SDK's default first request would fetch 32 MiB at once.
        client_options = {"max_single_get_size": BLOCK_BYTES, "max_chunk_get_size": BLOCK_BYTES, **client_options}
        service = DataLakeServiceClient(account_url, credential=credential, **client_options)
        return cls(service.get_file_system_client(filesystem))

    def _path(self, run_id: str, name: str) -> str:
        check_run_id(run_id)
        check_name(name)
        return f"{run_id}/{name}"

    def _ensure_filesystem(self) -> None:
        if self._filesystem_ready:
            return
        try:
            self.filesystem.create_file_system()
        except ResourceExistsError:
            pass  # another writer, or an earlier start, made it
        self._filesystem_ready = True

    def put(self, run_id: str, name: str, data: Chunks, content_type: str = "application/octet-stream") -> Written:
        final = self._path(run_id, name)
        self._ensure_filesystem()
        folder, _, base = final.rpartition("/")
        # create+append+flush empties the target first; writing a hidden sibling and renaming it over the target
        # (atomic on a hierarchical namespace) means a reader sees the old bytes or the new, never a half.
        temp = self.filesystem.get_file_client(f"{folder}/.{base}.{uuid.uuid4().hex}.partial")
        settings = ContentSettings(content_type=content_type)
        hashing = Hashing()
        try:
            temp.create_file(content_settings=settings)
            for block in _joined(blocks_of(data, BLOCK_BYTES), BLOCK_BYTES):
                offset = hashing.size
                temp.append_data(hashing(block), offset=offset, length=len(block))
            temp.flush_data(hashing.size, content_settings=settings)
            temp.rename_file(f"{self.filesystem.file_system_name}/{final}")
        except BaseException:
            _delete_quietly(temp)
            raise
        return hashing.written()

    def open(self, run_id: str, name: str) -> AdlsStoredFile:
        client = self.filesystem.get_file_client(self._path(run_id, name))
        try:
            properties = client.get_file_properties()
        except ResourceNotFoundError:
            raise NotFound("artifact_not_found", f"artifact {name!r} of run {run_id} is not stored") from None
        return AdlsStoredFile(client, properties.size, properties.etag)

    def exists(self, run_id: str, name: str) -> bool:
        return self.filesystem.get_file_client(self._path(run_id, name)).exists()

    def content_type(self, run_id: str, name: str) -> str:
        """What the lake serves the file as (a consumer reading the lake directly sees this, not the ledger)."""
        properties = self.filesystem.get_file_client(self._path(run_id, name)).get_file_properties()
        return properties.content_settings.content_type


class AdlsStoredFile:
    """One version of a lake file (its ETag): every read is conditional on it, so a replaced file fails the read."""

    def __init__(self, client: DataLakeFileClient, size: int, etag: str) -> None:
        self._client, self.size, self._etag = client, size, etag

    def chunks(self) -> Iterator[bytes]:
        download = self._client.download_file(etag=self._etag, match_condition=MatchConditions.IfNotModified)
        yield from download.chunks()

    def close(self) -> None:
        pass  # every read is a request of its own; nothing stays open


def _joined(chunks: Iterator[bytes], size: int) -> Iterator[bytes]:
    """Small chunks gathered into blocks of `size` (the last may be shorter): fewer, larger appends."""
    pending = bytearray()
    for chunk in chunks:
        pending += chunk
        while len(pending) >= size:
            yield bytes(pending[:size])
            del pending[:size]
    if pending:
        yield bytes(pending)


def _delete_quietly(temp) -> None:
    try:
        temp.delete_file()
    except Exception:  # the original failure matters more; a leftover hidden temp file is never read
        pass

"""Artifacts in ADLS Gen2 (LEAF_ADLS_ACCOUNT_URL, LEAF_ADLS_FILESYSTEM): the folder's layout and write-then-rename."""
from __future__ import annotations

import uuid

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.filedatalake import ContentSettings, DataLakeServiceClient, FileSystemClient

from runtime.errors import NotFound
from services.publisher.adapters.artifact_store import Chunks, chunks_of
from services.publisher.domain.artifacts import check_name, check_run_id


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

    def put(self, run_id: str, name: str, data: Chunks, content_type: str = "application/octet-stream") -> None:
        final = self._path(run_id, name)
        self._ensure_filesystem()
        folder, _, base = final.rpartition("/")
        # create+append+flush empties the target first; writing a hidden sibling and renaming it over the target
        # (atomic on a hierarchical namespace) means a reader sees the old bytes or the new, never a half.
        temp = self.filesystem.get_file_client(f"{folder}/.{base}.{uuid.uuid4().hex}.partial")
        body = b"".join(chunks_of(data))
        settings = ContentSettings(content_type=content_type)
        try:
            if body:
                temp.upload_data(body, overwrite=True, content_settings=settings)
            else:  # upload_data sends nothing at all for empty data, so the file would never exist
                temp.create_file(content_settings=settings)
            temp.rename_file(f"{self.filesystem.file_system_name}/{final}")
        except BaseException:
            _delete_quietly(temp)
            raise

    def open(self, run_id: str, name: str) -> bytes:
        try:
            return self.filesystem.get_file_client(self._path(run_id, name)).download_file().readall()
        except ResourceNotFoundError:
            raise NotFound("artifact_not_found", f"artifact {name!r} of run {run_id} is not stored") from None

    def exists(self, run_id: str, name: str) -> bool:
        return self.filesystem.get_file_client(self._path(run_id, name)).exists()

    def content_type(self, run_id: str, name: str) -> str:
        """What the lake serves the file as (a consumer reading the lake directly sees this, not the ledger)."""
        properties = self.filesystem.get_file_client(self._path(run_id, name)).get_file_properties()
        return properties.content_settings.content_type


def _delete_quietly(temp) -> None:
    try:
        temp.delete_file()
    except Exception:  # the original failure matters more; a leftover hidden temp file is never read
        pass

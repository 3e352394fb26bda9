"""What the ITR use cases need from outside (style.md 11): a source of Salesforce records, the mirror store, and the
mirror's reads of one request."""
from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from services.itr.domain.objects import MirroredObject
from services.itr.domain.records import Normalized

Records = list[dict]  # one page: records as Salesforce's REST API answers them (attributes included)


class RecordSource(Protocol):
    """Salesforce, or a local export in its REST shapes. Pages come as the source pages them (nextRecordsUrl)."""

    hosts: tuple[str, ...]  # the instance's host names, scrubbed from every text the mirror keeps

    def picklists(self, obj: MirroredObject) -> Mapping[str, Sequence[str]]:
        """The request object's picklist fields and their values."""

    def changed(self, obj: MirroredObject, since: str) -> Iterator[Records]:
        """Records whose watermark field is at or after `since` ("" = all), deleted ones too, ordered by that field
        then Id."""

    def listing(self, obj: MirroredObject) -> Iterator[Records]:
        """Every record of an object followed in full (the links of every request)."""

    def by_documents(self, obj: MirroredObject, document_ids: Sequence[str]) -> Iterator[Records]:
        """Versions (by ContentDocumentId) or notes (by Id) of these documents."""

    def deleted_since(self, obj: MirroredObject, since: str) -> list[str]:
        """Ids of records deleted since `since`, purged ones included, where the source can tell (else [])."""


@dataclass
class Written:
    """What one transaction changed in the mirror: the rows inserted or changed, and flags written."""

    rows: list[dict] = field(default_factory=list)
    flagged: list[dict] = field(default_factory=list)  # {"stream", "record_id", "rule", "detail"}

    @property
    def flags(self) -> int:
        return len(self.flagged)

    def add(self, other: Written) -> None:
        self.rows += other.rows
        self.flagged += other.flagged


class MirrorStore(Protocol):
    def watermark(self, stream: str) -> str: ...

    def apply_page(self, obj: MirroredObject, page: Sequence[Normalized], watermark: str) -> Written:
        """Upsert (append, for history) the page's changed rows with their flags, and raise the stream's watermark to
        `watermark` — one transaction, so a crash leaves either all of it or none."""

    def linked_documents(self) -> set[str]: ...

    def unresolved_documents(self, limit: int) -> list[str]:
        """Documents named by links whose versions or note were not fetched yet."""

    def resolve_documents(self, document_ids: Sequence[str], parts: Sequence[tuple[MirroredObject, Sequence[Normalized]]]
                          ) -> Written:
        """The documents' versions and notes written and their links marked resolved, in one transaction."""

    def remove_links_except(self, seen: set[str]) -> int:
        """After a complete listing: links no longer in Salesforce are removed."""

    def mark_deleted(self, obj: MirroredObject, record_ids: Sequence[str]) -> Written:
        """Records the source says were deleted (purged ones too), tombstoned if not already."""


class RequestReader(Protocol):
    def get(self, request_id: str, include_deleted: bool = False) -> dict | None:
        """One request's mirror row (its columns and `fields_json`), deleted ones only when asked for."""


class RequestMirror(RequestReader, Protocol):
    def list(self, client_id: str = "", status: str = "") -> builtins.list[dict]:
        """The mirrored requests, of one client and in one status when named ("" = any)."""

    def bundle_parts(self, request_id: str) -> dict[str, builtins.list[dict]]:
        """A request's history, files, notes, feed, comments and flags, each a list of rows."""

"""SyncRequests: mirror the request object and what hangs off it, incrementally and safely (issue #14, item 2).

Each followed object has its own watermark (the highest SystemModstamp, CreatedDate or LastModifiedDate seen). A
sync reads from the watermark less an overlap window, page by page as the source pages it, and commits each page
together with the watermark it reached: a crash loses at most the page in flight, which the next sync reads again.
Rows are compared by content hash, so reading a record again writes nothing, and history rows are only added.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from services.itr.domain import watermarks
from services.itr.domain.objects import CHANGED, LISTING, MirroredObject, by_stream, mirrored_objects
from services.itr.domain.records import Normalized, normalize
from services.itr.service_layer.ports import MirrorStore, Records, RecordSource, Written

RESOLVE_BATCH = 200  # document ids per query: well inside SOQL's 100,000-character limit


@dataclass
class SyncSummary:
    """itr.md 3: counts of rows written by this sync (a second identical sync is all zeros) and the watermark."""

    requests_upserted: int = 0
    requests_deleted: int = 0
    history_added: int = 0
    files: int = 0
    feed_items: int = 0
    comments: int = 0
    notes: int = 0
    flags: int = 0
    watermark: str = ""
    flagged: list[dict] = field(default_factory=list)  # which records were flagged this sync, and why

    def count(self, obj: MirroredObject, written: Written) -> None:
        self.flags += written.flags
        self.flagged += written.flagged
        rows = written.rows
        if obj.stream == "requests":
            deleted = sum(1 for r in rows if r["is_deleted"])
            self.requests_deleted += deleted
            self.requests_upserted += len(rows) - deleted
        elif obj.stream in STREAM_COUNTER:
            name = STREAM_COUNTER[obj.stream]
            setattr(self, name, getattr(self, name) + len(rows))

    def as_json(self) -> dict:
        return {k: getattr(self, k) for k in ("requests_upserted", "requests_deleted", "history_added", "files",
                                              "feed_items", "comments", "notes", "flags", "watermark")}


STREAM_COUNTER = {"history": "history_added", "versions": "files", "notes": "notes", "feed_items": "feed_items",
                  "comments": "comments"}


@dataclass(frozen=True)
class SyncOptions:
    request_object: str = "IT_Request__c"
    overlap_seconds: float = watermarks.DEFAULT_OVERLAP_SECONDS


def sync_requests(source: RecordSource, store: MirrorStore, options: SyncOptions = SyncOptions()) -> SyncSummary:
    objects = by_stream(mirrored_objects(options.request_object))
    picklists = source.picklists(objects["requests"])
    summary = SyncSummary()
    mirror = _Mirror(source, store, summary, picklists, options.overlap_seconds)
    mirror.follow(objects["requests"])
    mirror.apply_deletions(objects["requests"])
    mirror.follow(objects["history"])
    mirror.list_in_full(objects["links"])
    mirror.resolve_documents(objects["versions"], objects["notes"])
    mirror.follow(objects["versions"], only_linked=True)
    mirror.follow(objects["notes"], only_linked=True)
    mirror.follow(objects["feed_items"])
    mirror.follow(objects["comments"])
    summary.watermark = store.watermark("requests")
    return summary


@dataclass
class _Mirror:
    source: RecordSource
    store: MirrorStore
    summary: SyncSummary
    picklists: Mapping[str, Sequence[str]]
    overlap_seconds: float

    def _normalized(self, obj: MirroredObject, records: Iterable[dict]) -> list[Normalized]:
        return [normalize(obj, r, self.picklists, self.source.hosts) for r in records if r.get("Id")]

    def _record(self, obj: MirroredObject, written: Written) -> None:
        self.summary.count(obj, written)

    def follow(self, obj: MirroredObject, only_linked: bool = False) -> None:
        """The object's records changed since its watermark (less the overlap), committed page by page."""
        assert obj.mode == CHANGED
        mark = self.store.watermark(obj.stream)
        linked = self.store.linked_documents() if only_linked else None
        stamp_column = _column_of(obj, obj.watermark_field)
        for page in self.source.changed(obj, watermarks.read_from(mark, self.overlap_seconds)):
            rows = self._normalized(obj, page)
            mark = max([mark, *(str(n.row[stamp_column]) for n in rows)])
            if linked is not None:
                rows = [n for n in rows if _document_of(obj, n.row) in linked]
            self._record(obj, self.store.apply_page(obj, rows, mark))

    def apply_deletions(self, obj: MirroredObject) -> None:
        """Records purged from the recycle bin never come back from queryAll; the deleted endpoint names them."""
        mark = self.store.watermark(obj.stream)
        if mark:
            gone = self.source.deleted_since(obj, watermarks.read_from(mark, self.overlap_seconds))
            if gone:
                self._record(obj, self.store.mark_deleted(obj, gone))

    def list_in_full(self, obj: MirroredObject) -> None:
        """An object with no watermark: every page upserted, then what the complete listing lacked removed."""
        assert obj.mode == LISTING
        seen: set[str] = set()
        for page in self.source.listing(obj):
            rows = self._normalized(obj, page)
            seen.update(str(n.row[obj.columns[0][0]]) for n in rows)
            self._record(obj, self.store.apply_page(obj, rows, ""))
        self.store.remove_links_except(seen)

    def resolve_documents(self, versions: MirroredObject, notes: MirroredObject) -> None:
        """Newly linked documents: all their versions (or their note), however old, since the changed-since reads
        only see what changed after their watermarks."""
        while batch := self.store.unresolved_documents(RESOLVE_BATCH):
            parts = [(obj, self._normalized(obj, _flatten(self.source.by_documents(obj, batch))))
                     for obj in (versions, notes)]
            written = self.store.resolve_documents(batch, parts)
            for obj, _ in parts:
                self._record(obj, Written([r for r in written.rows if _stream_of(r) == obj.stream],
                                          [f for f in written.flagged if f["stream"] == obj.stream]))


def _flatten(pages: Iterator[Records]) -> list[dict]:
    return [record for page in pages for record in page]


def _column_of(obj: MirroredObject, field_name: str) -> str:
    return next(column for column, name in obj.columns if name == field_name)


def _document_of(obj: MirroredObject, row: dict) -> str:
    return str(row.get("document_id") or row.get("note_id") or "") if obj.stream in ("versions", "notes") else ""


def _stream_of(row: dict) -> str:
    return "versions" if "version_id" in row else "notes"

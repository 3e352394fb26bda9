"""Fakes of the ITR use cases' ports (services/itr/service_layer/ports.py and search.py), in memory: the sync, the
mirror's reads and search run on these in unit tests without Salesforce, an export folder, SQL or FTS5 (style.md 11).
Each keeps the contract its port documents (the source's order and `since`, the store's content-hash compare and
never-lowered watermark), so a use case's rule is tested and not the fake's."""
from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping, Sequence

from services.itr.domain import watermarks
from services.itr.domain.objects import PICKLISTS, MirroredObject
from services.itr.domain.records import Normalized, content_hash
from services.itr.service_layer.ports import Records, Written


class SourceDown(Exception):
    """What FakeRecordSource raises once it has served `fail_after_pages` pages: a sync cut off mid-way."""


class FakeRecordSource:
    """Records by object API name, answered as Salesforce's queryAll answers: ordered by the watermark field then
    Id, from `since`, in pages of `page_size`."""

    def __init__(self, records: Mapping[str, list[dict]], hosts: tuple[str, ...] = (), page_size: int = 2,
                 deleted: Mapping[str, list[str]] | None = None) -> None:
        self.records = records  # held, not copied: a test changes the org between syncs
        self.hosts = hosts
        self.page_size = page_size
        self.deleted = dict(deleted or {})
        self.asked_since: dict[str, str] = {}  # stream -> the `since` its last changed() read started at
        self.deletions_asked: list[str] = []  # the `since` of each deleted_since() call
        self.fail_after_pages: int | None = None
        self.pages_served = 0

    def picklists(self, obj: MirroredObject) -> Mapping[str, Sequence[str]]:
        return PICKLISTS

    def changed(self, obj: MirroredObject, since: str) -> Iterator[Records]:
        self.asked_since[obj.stream] = since
        field = obj.watermark_field
        chosen = [r for r in self.records.get(obj.api_name, [])
                  if not since or watermarks.canonical(str(r.get(field) or "")) >= since]
        yield from self._pages(sorted(chosen, key=lambda r: (watermarks.canonical(str(r.get(field) or "")),
                                                             str(r.get("Id")))))

    def listing(self, obj: MirroredObject) -> Iterator[Records]:
        yield from self._pages(self.records.get(obj.api_name, []))

    def by_documents(self, obj: MirroredObject, document_ids: Sequence[str]) -> Iterator[Records]:
        field = "ContentDocumentId" if obj.stream == "versions" else "Id"
        yield from self._pages([r for r in self.records.get(obj.api_name, []) if r.get(field) in set(document_ids)])

    def deleted_since(self, obj: MirroredObject, since: str) -> list[str]:
        self.deletions_asked.append(since)
        return list(self.deleted.get(obj.api_name, []))

    def _pages(self, records: list[dict]) -> Iterator[Records]:
        for start in range(0, len(records), self.page_size):
            if self.fail_after_pages is not None and self.pages_served >= self.fail_after_pages:
                raise SourceDown()
            self.pages_served += 1
            yield records[start:start + self.page_size]


class FakeMirrorStore:
    """The mirror's tables as dicts by key; each method is one 'transaction' (it changes everything or nothing)."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, dict]] = {}
        self.flags: dict[tuple[str, str], list[dict]] = {}  # (stream, record_id) -> its current flags
        self.watermarks: dict[str, str] = {}
        self.unresolved: set[str] = set()  # link ids whose document was not fetched yet
        self.transactions = 0

    def table(self, stream: str) -> dict[str, dict]:
        return self.tables.setdefault(stream, {})

    def watermark(self, stream: str) -> str:
        return self.watermarks.get(stream, "")

    def apply_page(self, obj: MirroredObject, page: Sequence[Normalized], watermark: str) -> Written:
        self.transactions += 1
        written = self._apply(obj, page)
        if watermark and watermark > self.watermarks.get(obj.stream, ""):  # never lowered
            self.watermarks[obj.stream] = watermark
        return written

    def linked_documents(self) -> set[str]:
        return {row["document_id"] for row in self.table("links").values()}

    def unresolved_documents(self, limit: int) -> list[str]:
        return sorted({self.table("links")[link]["document_id"] for link in self.unresolved})[:limit]

    def resolve_documents(self, document_ids: Sequence[str],
                          parts: Sequence[tuple[MirroredObject, Sequence[Normalized]]]) -> Written:
        self.transactions += 1
        written = Written()
        for obj, page in parts:
            written.add(self._apply(obj, page))
        self.unresolved -= {k for k, row in self.table("links").items() if row["document_id"] in set(document_ids)}
        return written

    def remove_links_except(self, seen: set[str]) -> int:
        self.transactions += 1
        stale = [k for k in self.table("links") if k not in seen]
        for k in stale:
            del self.table("links")[k]
            self.unresolved.discard(k)
            self.flags.pop(("links", k), None)
        return len(stale)

    def mark_deleted(self, obj: MirroredObject, record_ids: Sequence[str]) -> Written:
        self.transactions += 1
        live = [row for k, row in self.table(obj.stream).items() if k in set(record_ids) and not row["is_deleted"]]
        for row in live:
            row["is_deleted"] = True
            row["content_sha256"] = content_hash(row)
        return Written([dict(r) for r in live])

    def _apply(self, obj: MirroredObject, page: Sequence[Normalized]) -> Written:
        table, key = self.table(obj.stream), obj.columns[0][0]
        latest = {n.row[key]: n for n in page}
        written = [n for k, n in latest.items() if k not in table or (
            not obj.append_only and table[k]["content_sha256"] != n.row["content_sha256"])]
        flagged: list[dict] = []
        for n in written:
            k = n.row[key]
            table[k] = dict(n.row)
            if obj.stream == "links":  # a new link, or one naming another document: that document is fetched again
                self.unresolved.add(k)
            self.flags[(obj.stream, k)] = [{"stream": obj.stream, "record_id": k, "rule": f.rule, "detail": f.detail}
                                           for f in dict.fromkeys(n.flags)]
            flagged += self.flags[(obj.stream, k)]
        return Written([n.row for n in written], flagged)


class FakeRequestMirror:
    """The mirror's reads (RequestMirror) over rows given whole: requests, and each request's bundle parts."""

    def __init__(self, *rows: dict, parts: Mapping[str, dict[str, builtins.list[dict]]] | None = None) -> None:
        self.rows = {r["request_id"]: r for r in rows}
        self.parts = dict(parts or {})

    def get(self, request_id: str, include_deleted: bool = False) -> dict | None:
        found = self.rows.get(request_id)
        return found if found and (include_deleted or not found["is_deleted"]) else None

    def list(self, client_id: str = "", status: str = "") -> builtins.list[dict]:
        return sorted((r for r in self.rows.values() if not r["is_deleted"] and (not client_id or r["client_id"] ==
                       client_id) and (not status or r["status"] == status)), key=lambda r: r["name"])

    def bundle_parts(self, request_id: str) -> dict[str, builtins.list[dict]]:
        empty: dict[str, builtins.list[dict]] = {k: [] for k in ("history", "files", "notes", "feed", "comments",
                                                                 "flags")}
        return {**empty, **self.parts.get(request_id, {})}


class FakeSearchSource:
    def __init__(self, texts: builtins.list) -> None:
        self.text_list = texts

    def texts(self) -> builtins.list:
        return list(self.text_list)


class FakeSearchIndex:
    """Documents by id; a query matches documents holding every word of it (case-blind) whose allowed_clients name
    one of those asked for, in id order (a stand-in for a ranking), as FTS5 and Azure AI Search filter."""

    def __init__(self) -> None:
        self.documents: dict[str, dict] = {}
        self.upserts: builtins.list[builtins.list[str]] = []  # ids of each upsert call (one batch each)
        self.deletes: builtins.list[builtins.list[str]] = []
        self.queries: builtins.list[tuple[str, tuple[str, ...], int, int]] = []

    def indexed(self) -> dict[str, str]:
        return {k: d["content_sha256"] for k, d in self.documents.items()}

    def upsert(self, documents: Sequence[dict]) -> None:
        self.upserts.append([d["id"] for d in documents])
        self.documents.update({d["id"]: dict(d) for d in documents})

    def delete(self, document_ids: Sequence[str]) -> None:
        self.deletes.append(list(document_ids))
        for k in document_ids:
            self.documents.pop(k, None)

    def query(self, text: str, allowed_clients: Sequence[str], top: int, skip: int) -> builtins.list[dict]:
        self.queries.append((text, tuple(allowed_clients), top, skip))
        words = text.lower().split()
        found = [d for _, d in sorted(self.documents.items())
                 if set(d["allowed_clients"]) & set(allowed_clients)
                 and all(w in f"{d['title']} {d['content']}".lower() for w in words)]
        return [{**d, "score": 1.0} for d in found[skip:skip + top]]

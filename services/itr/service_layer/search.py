"""Search over the ITR mirror (docs/search.md): keep an index's documents in step with the mirror after each sync, and
answer a query inside the caller's scope grant.

Indexing compares every document's sha256 with what the index holds: a second sync with nothing new sends nothing,
a request deleted in Salesforce (or one that lost its client) has its documents removed, and an index that missed a
sync (a crash between the mirror's commit and the push) is brought level by the next one.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from kernel.errors import InputError
from kernel.grants import Grant
from services.itr.domain.access import request_in_grant
from services.itr.domain.search_documents import RequestText, clean, documents_of

DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 20, 100
MAX_QUERY = 200  # characters
MAX_SCANNED = 1000  # hits read past the security filter to fill one page of the caller's groups
SNIPPET = 200  # characters of a hit's content shown with it
PUSH_BATCH = 500  # documents per push: under Azure AI Search's 1,000 per batch


class SearchSource(Protocol):
    def texts(self) -> list[RequestText]:
        """Every live request with the text that hangs off it."""


class SearchIndex(Protocol):
    """SQLite FTS5 (embedded) or Azure AI Search: documents by id, queried under a filter on `allowed_clients`."""

    def indexed(self) -> dict[str, str]:
        """The id and content_sha256 of every document the index holds."""

    def upsert(self, documents: Sequence[dict]) -> None: ...

    def delete(self, document_ids: Sequence[str]) -> None: ...

    def query(self, text: str, allowed_clients: Sequence[str], top: int, skip: int) -> list[dict]:
        """Documents matching `text` whose allowed_clients name one of `allowed_clients`, best first, with `score`."""


@dataclass(frozen=True)
class IndexSummary:
    indexed: int  # documents new or changed, pushed
    removed: int  # documents whose request is gone

    def as_json(self) -> dict:
        return {"indexed": self.indexed, "removed": self.removed}


def index_mirror(source: SearchSource, index: SearchIndex, hosts: Iterable[str] = ()) -> IndexSummary:
    documents = [d for text in source.texts() for d in documents_of(text)]
    held = index.indexed()
    # Only what is pushed is checked (the last look costs more than building): what the index holds passed it.
    changed = clean([d for d in documents if held.get(d["id"]) != d["content_sha256"]], hosts)
    gone = sorted(set(held) - {d["id"] for d in documents})
    for start in range(0, len(changed), PUSH_BATCH):
        index.upsert(changed[start:start + PUSH_BATCH])
    for start in range(0, len(gone), PUSH_BATCH):
        index.delete(gone[start:start + PUSH_BATCH])
    return IndexSummary(len(changed), len(gone))


def checked_query(query: str, page_size: int) -> tuple[str, int]:
    text = " ".join(query.split())
    if not text:
        raise InputError("query_empty", "a search needs some words (q)")
    if len(text) > MAX_QUERY:
        raise InputError("query_too_long", f"a search query is at most {MAX_QUERY} characters")
    if page_size < 0 or page_size > MAX_PAGE_SIZE:
        raise InputError("page_size_invalid", f"page_size is 1 to {MAX_PAGE_SIZE} (0 for {DEFAULT_PAGE_SIZE})")
    return text, page_size or DEFAULT_PAGE_SIZE


def search(query: str, page_size: int, grant: Grant, index: SearchIndex) -> list[dict]:
    """The best `page_size` documents the grant covers. The index filters by client (what a security filter can
    express); the grant's own rule, groups included, then decides each hit, as for GetRequest."""
    text, size = checked_query(query, page_size)
    allowed = sorted({area.client_id for area in grant.areas})
    hits: list[dict] = []
    skip = 0
    while allowed and len(hits) < size and skip < MAX_SCANNED:
        found = index.query(text, allowed, size * 2, skip)
        hits += [h for h in found if h["client_id"] in allowed and request_in_grant(grant, h["client_id"],
                                                                                    h["group_ids"])]
        if len(found) < size * 2:
            break
        skip += size * 2
    return hits[:size]


def snippet(content: str) -> str:
    text = " ".join(content.split())
    return text if len(text) <= SNIPPET else text[:SNIPPET - 1].rstrip() + "…"

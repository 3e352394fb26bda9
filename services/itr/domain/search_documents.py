"""Search documents (docs/search.md): one for each mirrored request and one for its bundle, built from the mirror's
rows, so full-text search can find a request by what its subject, description, feed, notes or files say.

A document carries its scope (client, PBM, TPA, groups) and `allowed_clients`, the security filter an index applies
before anything is returned; the service then applies the grant's own rule (groups too) to every hit. It holds no
Salesforce URL or token (the mirror scrubbed its text; `clean` looks once more) and no user or member ids.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from kernel.errors import Internal
from services.itr.domain.records import scrub

KINDS = ("request", "bundle")
CONTENT_LIMIT = 30_000  # characters: a search document is for finding a request, the bundle holds the rest
FORBIDDEN_KEYS = ('"attributes"', '"VersionData"', '"url"')
_TAG = re.compile(r"<[^>]{0,200}>")


@dataclass
class RequestText:
    """What a request's documents are made of: its mirror row and the text that hangs off it."""

    request: Mapping
    feed: list[str] = field(default_factory=list)  # feed item bodies and their comments, oldest first
    notes: list[str] = field(default_factory=list)  # note titles and previews
    files: list[str] = field(default_factory=list)  # file titles with their extensions
    stamps: list[str] = field(default_factory=list)  # when each part last changed


def document_id(kind: str, request_id: str) -> str:
    """Azure AI Search keys allow letters, digits, `_`, `-` and `=`; a Salesforce id is letters and digits."""
    return f"itr-{kind}-{request_id}"


def iso(stamp: str) -> str | None:
    """The mirror's `2025-01-02T03:04:05.000+0000` as ISO 8601 in UTC (`…Z`), what Edm.DateTimeOffset accepts; a
    stamp the mirror could not read is no time at all (None), never a value the index would refuse."""
    return f"{stamp[:-5]}Z" if len(stamp) == 28 and stamp.endswith("+0000") else None


def _groups(row: Mapping) -> list[str]:
    return [g for g in str(row["group_ids"]).split(";") if g]


def _joined(parts: Iterable[str]) -> str:
    """Plain text: feed bodies are rich text (`<p>…</p>`), whose tags are no words anyone searches for."""
    return "\n".join(" ".join(_TAG.sub(" ", p).split()) for p in parts if p)[:CONTENT_LIMIT]


def documents_of(text: RequestText) -> list[dict]:
    """The request's and its bundle's documents; a request with no client belongs to no one and gets none."""
    row = text.request
    if not row["client_id"]:
        return []
    base = {"client_id": row["client_id"], "pbm_id": row["pbm_id"], "tpa_id": row["tpa_id"], "group_ids": _groups(row),
            "allowed_clients": [row["client_id"]], "request_id": row["request_id"], "status": row["status"],
            "record_sha256": row["content_sha256"]}
    label = f"{row['name']}: {row['subject']}" if row["subject"] else row["name"]
    fields = [row["subject"], row["description"], f"status {row['status']}", f"priority {row['priority']}",
              f"deliverables {row['deliverables'].replace(';', ' ')}", f"pbm {row['pbm_id']}", f"tpa {row['tpa_id']}",
              f"period {row['period_start']} {row['period_end']}"]
    request = {"id": document_id("request", row["request_id"]), "kind": "request", "title": label,
               "content": _joined(fields), "updated": iso(row["system_modstamp"]), **base}
    bundle = {"id": document_id("bundle", row["request_id"]), "kind": "bundle", "title": f"{label} (evidence bundle)",
              "content": _joined([*text.feed, *text.notes, *text.files]),
              "updated": iso(max([row["system_modstamp"], *text.stamps])), **base}
    return [sealed(request), sealed(bundle)]


def sealed(document: dict) -> dict:
    """The document with the sha256 of its content, by which an index tells a changed document from the same one."""
    body = {k: v for k, v in document.items() if k != "content_sha256"}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())
    return {**body, "content_sha256": digest.hexdigest()}


def clean(documents: Sequence[dict], hosts: Iterable[str] = ()) -> Sequence[dict]:
    """Refuse (a server fault, never shown) to index a document that could lead back into Salesforce."""
    hosts = tuple(hosts)
    for document in documents:
        text = json.dumps(document, ensure_ascii=False)
        if scrub(text, hosts) != text or any(key in text for key in FORBIDDEN_KEYS):
            raise Internal("search_document_not_clean", "a search document would carry a Salesforce link or token")
    return documents

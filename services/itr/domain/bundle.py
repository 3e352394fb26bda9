"""The evidence bundle of one request (itr.md 3): its fields by API name, history timeline, files metadata with
checksums, notes, feed with comments, data-quality flags and lineage — normalized, ordered, and checked to hold no
Salesforce URL, body URL or token before anyone sees it."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence

from kernel.errors import Internal
from services.itr.domain.records import scrub

HISTORY = ("history_id", "field", "old_value", "new_value", "created_by_id", "created_date")
FILE = ("document_id", "version_id", "title", "file_extension", "content_size", "checksum", "version_number",
        "is_latest", "system_modstamp")
NOTE = ("note_id", "title", "text_preview", "created_date", "last_modified_date")
FEED = ("feed_item_id", "type", "body", "created_by_id", "created_date")
COMMENT = ("comment_id", "body", "created_by_id", "created_date")
FORBIDDEN_KEYS = ('"attributes"', '"VersionData"', '"url"')


def _pick(row: Mapping, keys: Sequence[str]) -> dict:
    return {k: row[k] for k in keys}


def canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def build_bundle(request: Mapping, history: Iterable[Mapping], files: Iterable[Mapping], notes: Iterable[Mapping],
                 feed: Iterable[Mapping], comments: Iterable[Mapping], flags: Iterable[Mapping]) -> dict:
    """Rows as the mirror keeps them → the bundle. Deleted feed items and comments are left out; files are every
    version of every linked document, latest first within a document."""
    replies: dict[str, list[dict]] = {}
    for c in sorted(comments, key=lambda c: (c["created_date"], c["comment_id"])):
        if not c["is_deleted"]:
            replies.setdefault(c["feed_item_id"], []).append(_pick(c, COMMENT))
    body = {
        "request": json.loads(request["fields_json"]),
        "history": [_pick(h, HISTORY) for h in sorted(history, key=lambda h: (h["created_date"], h["history_id"]))],
        "files": [_pick(f, FILE) for f in sorted(files, key=lambda f: (f["document_id"], not f["is_latest"],
                                                                      f["version_number"], f["version_id"]))],
        "notes": [_pick(n, NOTE) for n in sorted(notes, key=lambda n: (n["created_date"], n["note_id"]))],
        "feed": [{**_pick(f, FEED), "comments": replies.get(f["feed_item_id"], [])}
                 for f in sorted(feed, key=lambda f: (f["created_date"], f["feed_item_id"])) if not f["is_deleted"]],
        "data_quality": sorted(({"object": f["stream"], "record_id": f["record_id"], "rule": f["rule"],
                                 "detail": f["detail"]} for f in flags),
                               key=lambda f: (f["object"], f["record_id"], f["rule"])),
    }
    body["lineage"] = {"source": "salesforce", "request_id": request["request_id"], "name": request["name"],
                       "system_modstamp": request["system_modstamp"], "record_sha256": request["content_sha256"],
                       "bundle_sha256": hashlib.sha256(canonical_json(body).encode()).hexdigest()}
    return body


def checked(bundle: dict, hosts: Iterable[str] = ()) -> str:
    """The bundle's JSON, refused (a server fault, never shown) if anything in it could lead back into Salesforce:
    the mirror scrubs what it keeps, and this is the last look before the bundle leaves."""
    text = canonical_json(bundle)
    if scrub(text, tuple(hosts)) != text or any(key in text for key in FORBIDDEN_KEYS):
        raise Internal("bundle_not_clean", "the bundle would carry a Salesforce link or token")
    return text

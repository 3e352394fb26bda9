"""One Salesforce record → one mirror row: typed columns, Salesforce links and tokens scrubbed from its text, a content
hash (so a sync that sees the same record again writes nothing), and its data-quality flags (a bad record is
mirrored with them, never dropped)."""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from services.itr.domain.objects import MULTI_SELECT, MirroredObject
from services.itr.domain.watermarks import canonical

BOOLEAN_COLUMNS = frozenset({"is_deleted", "is_latest"})
INTEGER_COLUMNS = frozenset({"content_size"})
TIMESTAMP_COLUMNS = frozenset({"created_date", "last_modified_date", "system_modstamp"})
LINK_REMOVED, TOKEN_REMOVED = "[salesforce link removed]", "[token removed]"
DETAIL_LIMIT = 80
_SALESFORCE_HOSTS = r"(?:salesforce\.com|force\.com|salesforce-sites\.com|visualforce\.com|documentforce\.com|my\.site\.com)"
_SALESFORCE_URL = re.compile(rf"(?i)\b(?:https?://)?[A-Za-z0-9.-]*{_SALESFORCE_HOSTS}(?::\d+)?(?:/[^\s\"'<>]*)?")
# REST paths and file servlets whose host was left off: still a way into the org.
_SALESFORCE_PATH = re.compile(r"(?i)/(?:services/(?:data|oauth2|apexrest|Soap)|sfc/servlet\.shepherd)/[^\s\"'<>]*")
# A session id or OAuth access token: the org id (00D…), an exclamation mark, then the secret.
_SESSION_ID = re.compile(r"\b00D[A-Za-z0-9]{12,15}![A-Za-z0-9._-]{20,}")


@dataclass(frozen=True)
class Flag:
    """A data-quality finding on one mirrored record: `missing_field:<Field>` or `unknown_picklist:<Field>`."""

    rule: str
    detail: str = ""


@dataclass(frozen=True)
class Normalized:
    row: dict
    flags: tuple[Flag, ...]


def scrub(text: str, hosts: Iterable[str] = ()) -> str:
    """Text with every Salesforce URL (any of its hosts or the configured instance's), REST path and session id
    replaced, so nothing read from a record can lead a reader back into the org."""
    text = _SESSION_ID.sub(TOKEN_REMOVED, text)
    text = _SALESFORCE_URL.sub(LINK_REMOVED, text)
    for host in hosts:
        if host:
            text = re.sub(rf"(?i)(?:https?://)?{re.escape(host)}(?:/[^\s\"'<>]*)?", LINK_REMOVED, text)
    return _SALESFORCE_PATH.sub(LINK_REMOVED, text)


def _value(column: str, raw: object, hosts: tuple[str, ...]) -> object:
    if column in BOOLEAN_COLUMNS:
        return bool(raw)
    if column in INTEGER_COLUMNS:
        return int(raw) if isinstance(raw, int | float | str) and str(raw).strip().lstrip("-").isdigit() else None
    if raw is None:
        return ""
    if column in TIMESTAMP_COLUMNS and isinstance(raw, str):
        try:
            return canonical(raw)
        except ValueError:  # kept as written: a flag-worthy value is mirrored, never dropped
            return scrub(raw, hosts)
    return scrub(raw if isinstance(raw, str) else json.dumps(raw, sort_keys=True), hosts)


def _kept(raw: object, hosts: tuple[str, ...]) -> object:
    return scrub(raw, hosts) if isinstance(raw, str) else raw


def content_hash(row: Mapping[str, object]) -> str:
    body = json.dumps({k: v for k, v in row.items() if k != "content_sha256"}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def flags_of(obj: MirroredObject, record: Mapping[str, object], picklists: Mapping[str, Iterable[str]],
             hosts: tuple[str, ...] = ()) -> tuple[Flag, ...]:
    """Required fields that are absent or blank, then picklist values the object does not define, in field order."""
    found = [Flag(f"missing_field:{field}") for field in obj.required if record.get(field) in (None, "")]
    if obj.stream == "requests":
        for field, allowed in picklists.items():
            value = record.get(field)
            if value in (None, ""):
                continue
            chosen = str(value).split(";") if field in MULTI_SELECT else [str(value)]
            unknown = [v for v in chosen if v not in set(allowed)]
            if unknown:
                found.append(Flag(f"unknown_picklist:{field}", scrub(";".join(unknown), hosts)[:DETAIL_LIMIT]))
    return tuple(found)


def normalize(obj: MirroredObject, record: Mapping[str, object], picklists: Mapping[str, Iterable[str]],
              hosts: tuple[str, ...] = ()) -> Normalized:
    """The mirror row of `record` (its `attributes`, with the record's URL, and any field not read are left behind)."""
    row = {column: _value(column, record.get(field), hosts) for column, field in obj.columns}
    if obj.stream == "requests":
        kept = {field: _kept(record.get(field), hosts) for field in obj.fields}
        row["fields_json"] = json.dumps(kept, sort_keys=True, separators=(",", ":"))
    row["content_sha256"] = content_hash(row)
    return Normalized(row, flags_of(obj, record, picklists, hosts))

"""The embedded default source (itr.md 2): a folder with one `<ObjectName>.json` per object, each what Salesforce's
queryAll returns. It answers the RecordSource port as Salesforce does — ordered by the watermark field, filtered
from `since`, in pages of Salesforce's default batch size — so a newer export syncs incrementally like the org."""
from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from kernel.errors import Unavailable
from services.itr.domain import watermarks
from services.itr.domain.objects import PICKLISTS, MirroredObject
from services.itr.service_layer.ports import Records

PAGE_SIZE = 2000  # Salesforce's default query batch size


class ExportUnreadable(Unavailable):
    """The export folder or one of its files cannot be read as Salesforce's query JSON."""


class ExportSource:
    hosts: tuple[str, ...] = ()

    def __init__(self, folder: Path | str, request_object: str, page_size: int = PAGE_SIZE) -> None:
        self.folder = Path(folder)
        self.request_object = request_object
        self.page_size = page_size
        self._loaded: dict[str, list[dict]] = {}
        if not self.folder.is_dir():
            raise ExportUnreadable("itr_source_unreadable", f"no export folder at {self.folder}")
        if not (self.folder / f"{request_object}.json").is_file():
            raise ExportUnreadable("itr_source_unreadable", f"the export has no {request_object}.json")

    def records(self, api_name: str) -> list[dict]:
        """Every record of one object file (an object the export lacks has none)."""
        if api_name not in self._loaded:
            path = self.folder / f"{api_name}.json"
            self._loaded[api_name] = _read(path) if path.exists() else []
        return self._loaded[api_name]

    def picklists(self, obj: MirroredObject) -> Mapping[str, Sequence[str]]:
        return PICKLISTS

    def changed(self, obj: MirroredObject, since: str) -> Iterator[Records]:
        field = obj.watermark_field
        stamped = [(_stamp(r.get(field)), str(r.get("Id") or ""), r) for r in self.records(obj.api_name)]
        chosen = sorted((s for s in stamped if not since or s[0] >= since), key=lambda s: (s[0], s[1]))
        yield from self._pages([record for _, _, record in chosen])

    def listing(self, obj: MirroredObject) -> Iterator[Records]:
        # As in Salesforce, a request in the recycle bin takes its links with it (they come back when it is restored).
        requests = {r.get("Id") for r in self.records(self.request_object) if not r.get("IsDeleted")}
        yield from self._pages([r for r in self.records(obj.api_name) if r.get(obj.parent_field) in requests])

    def by_documents(self, obj: MirroredObject, document_ids: Sequence[str]) -> Iterator[Records]:
        wanted, field = set(document_ids), "ContentDocumentId" if obj.stream == "versions" else "Id"
        yield from self._pages([r for r in self.records(obj.api_name) if r.get(field) in wanted])

    def deleted_since(self, obj: MirroredObject, since: str) -> list[str]:
        return []  # an export lists deleted rows with IsDeleted: true, which `changed` returns

    def _pages(self, records: list[dict]) -> Iterator[Records]:
        for start in range(0, len(records), self.page_size):
            yield records[start:start + self.page_size]


def _stamp(value: object) -> str:
    try:
        return watermarks.canonical(value) if isinstance(value, str) else ""
    except ValueError:
        return ""


def _read(path: Path) -> list[dict]:
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        records = body["records"]
    except (OSError, ValueError, KeyError, TypeError):
        raise ExportUnreadable("itr_source_unreadable", f"{path.name} is not a Salesforce query result") from None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ExportUnreadable("itr_source_unreadable", f"{path.name} records are not objects")
    return records

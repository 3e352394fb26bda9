"""A Leaf IQ export as the guardrails see it (takeover.md section 1): the manifest and what the files hold."""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from services.takeover.domain import reasons as R
from services.takeover.domain.columns import DOMO_TYPES

MANIFEST = "manifest.json"
BEAST_MODES = "beastmodes.json"
DATASETS_DIR = "datasets/"


def data_path(dataset_id: str) -> str:
    return f"{DATASETS_DIR}{dataset_id}.csv"


def schema_path(dataset_id: str) -> str:
    return f"{DATASETS_DIR}{dataset_id}.schema.json"


def is_data_file(path: str) -> bool:
    """A dataset's data: the CSVs under datasets/ (what `unlisted_file` is about)."""
    return path.startswith(DATASETS_DIR) and path.endswith(".csv")


@dataclass(frozen=True)
class ExportFile:
    path: str      # relative, '/'-separated
    sha256: str
    bytes: int


def content_sha256(files: Sequence[ExportFile]) -> str:
    """The export's content: every file's path and hash. Same content = same export, whatever its load id."""
    digest = hashlib.sha256()
    for file in sorted(files, key=lambda f: f.path):
        digest.update(f"{file.path}\0{file.sha256}\n".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class ListedFile:
    path: str
    sha256: str
    bytes: int
    dataset_id: str | None
    rows: int | None


@dataclass(frozen=True)
class ListedDataset:
    dataset_id: str | None
    rows: int | None


@dataclass
class Manifest:
    export_id: str
    load_id: str | None
    complete: bool
    datasets: list[ListedDataset] = field(default_factory=list)
    files: list[ListedFile] = field(default_factory=list)

    def dataset_ids(self) -> list[str]:
        ids = {d.dataset_id for d in self.datasets} | {f.dataset_id for f in self.files}
        return sorted(i for i in ids if i)


_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def _valid_id(value) -> bool:
    """Load and dataset ids name folders and files in the lake: letters, digits, `.`, `_`, `-`, at most 128."""
    return value is None or (isinstance(value, str) and _ID.fullmatch(value.strip()) is not None)


def _text(value) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _count(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def parse_manifest(raw: bytes | None) -> tuple[Manifest | None, list[str]]:
    """The manifest and the reasons it gives by itself. Required: export_id, exported_at, datasets and files (each
    file with path, sha256 and bytes); load_id, complete and dataset ids have reasons of their own, but an id
    that is present must be a plain name (it names lake folders), else the manifest is invalid."""
    if raw is None:
        return None, [R.reason(R.MANIFEST_MISSING)]
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None, [R.reason(R.MANIFEST_INVALID)]
    if not isinstance(data, dict):
        return None, [R.reason(R.MANIFEST_INVALID)]
    found: list[str] = []
    datasets, files = data.get("datasets"), data.get("files")
    valid = (_text(data.get("export_id")) is not None and _text(data.get("exported_at")) is not None
             and isinstance(datasets, list) and all(isinstance(d, dict) for d in datasets)
             and isinstance(files, list) and all(isinstance(f, dict) and _text(f.get("path"))
                                                 and _text(f.get("sha256")) and _count(f.get("bytes")) is not None
                                                 for f in files)
             and _valid_id(data.get("load_id") or None)
             and all(_valid_id(d.get("dataset_id") or None) for d in [*datasets, *files]))
    if not valid or not isinstance(datasets, list) or not isinstance(files, list):
        return None, [R.reason(R.MANIFEST_INVALID)]
    manifest = Manifest(
        export_id=str(_text(data["export_id"])), load_id=_text(data.get("load_id")), complete=data.get("complete") is True,
        datasets=[ListedDataset(_text(d.get("dataset_id")), _count(d.get("rows"))) for d in datasets],
        files=[ListedFile(str(_text(f["path"])).replace("\\", "/"), str(f["sha256"]).strip().lower(), f["bytes"],
                          _text(f.get("dataset_id")), _count(f.get("rows"))) for f in files])
    if not manifest.complete:
        found.append(R.reason(R.MANIFEST_INCOMPLETE))
    if manifest.load_id is None:
        found.append(R.reason(R.LOAD_ID_MISSING))
    if any(d.dataset_id is None for d in manifest.datasets) or any(f.dataset_id is None for f in manifest.files):
        found.append(R.reason(R.DATASET_ID_MISSING))
    return manifest, found


@dataclass(frozen=True)
class SchemaColumn:
    name: str
    domo_type: str


def parse_schema(raw: bytes | None) -> list[SchemaColumn] | None:
    """`{"columns": [{"name", "type"}, …]}` with Domo types and unique names, else None (schema_invalid)."""
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    columns = data.get("columns") if isinstance(data, dict) else None
    if not isinstance(columns, list) or not columns:
        return None
    parsed = []
    for column in columns:
        if not isinstance(column, dict) or not isinstance(column.get("name"), str) or not column["name"]:
            return None
        kind = str(column.get("type", "")).upper()
        if kind not in DOMO_TYPES:
            return None
        parsed.append(SchemaColumn(column["name"], kind))
    if len({c.name for c in parsed}) != len(parsed):
        return None
    return parsed


@dataclass(frozen=True)
class BeastMode:
    id: str
    expression: str
    dataset_id: str | None  # the DATA_SOURCE link


def parse_beast_modes(raw: bytes | None) -> list[BeastMode] | None:
    """Domo's Beast Mode objects as its API returns them; None when the file is not a JSON list of objects."""
    if raw is None:
        return []
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, list) or not all(isinstance(b, dict) for b in data):
        return None
    modes = []
    for item in data:
        source = next((str(link["resource"].get("id")) for link in item.get("links") or []
                       if isinstance(link, dict) and isinstance(link.get("resource"), dict)
                       and link["resource"].get("type") == "DATA_SOURCE"), None)
        identifier = item.get("id", item.get("legacyId"))
        modes.append(BeastMode(str(identifier), str(item.get("expression") or ""), source))
    return modes


@dataclass(frozen=True)
class RejectedRow:
    row: int        # 1-based data row
    column: str     # the original column name
    domo_type: str

    def as_json(self) -> dict:
        return {"row": self.row, "column": self.column, "domo_type": self.domo_type}


@dataclass
class DatasetFacts:
    """What reading one dataset's CSV found (None: not read, e.g. the file is absent)."""

    header: list[str] | None = None
    rows: int | None = None
    unreadable: str | None = None      # the CSV could not be read as CSV
    rejected: list[RejectedRow] = field(default_factory=list)  # the first ones, for the report
    rejected_count: int = 0
    scales: Mapping[str, int] = field(default_factory=dict)

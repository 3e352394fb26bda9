"""Promotion guardrails (takeover.md section 3): every reason that applies, never the first one only."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from services.takeover.domain import reasons as R
from services.takeover.domain.export import (
    BeastMode,
    DatasetFacts,
    ExportFile,
    Manifest,
    SchemaColumn,
    data_path,
    is_data_file,
)

BeastModeCheck = Callable[[str, Mapping[str, str]], "str | None"]  # None, "unparseable" or "unknown_column"


@dataclass
class Findings:
    """Everything the guardrails look at, gathered by the ingest use case."""

    manifest: Manifest | None
    manifest_reasons: list[str]
    files: Mapping[str, ExportFile]                      # present, by path
    schemas: Mapping[str, list[SchemaColumn] | None]     # dataset id → its schema file (None: missing or invalid)
    facts: Mapping[str, DatasetFacts]                    # dataset id → what its CSV held
    beast_modes: list[BeastMode] | None                  # None: beastmodes.json does not parse
    promoted_content: str | None                         # content hash of the promoted load with this load id
    content: str                                          # this export's content hash
    last_schemas: Mapping[str, Mapping[str, str]]        # dataset id → {column: Domo type} last promoted


def schema_columns(schema: list[SchemaColumn] | None) -> dict[str, str]:
    return {c.name: c.domo_type for c in schema or ()}


def dataset_columns(found: Findings, dataset_id: str | None) -> dict[str, str]:
    """What a Beast Mode may name: the dataset's columns as its CSV header has them, typed by its schema (STRING
    where the schema is silent or missing); the schema's alone when the CSV was not read; none for a dataset
    that is not in the export."""
    if not dataset_id:
        return {}
    types = schema_columns(found.schemas.get(dataset_id))
    facts = found.facts.get(dataset_id)
    if facts is not None and facts.header is not None:
        return {name: types.get(name, "STRING") for name in facts.header}
    return types


def check_export(found: Findings, check: BeastModeCheck) -> list[str]:
    out = list(found.manifest_reasons)
    manifest = found.manifest
    if manifest is not None:
        out += _file_reasons(manifest, found.files)
        if found.promoted_content is not None and found.promoted_content != found.content:
            out.append(R.reason(R.DUPLICATE_LOAD_ID))
        for dataset_id in manifest.dataset_ids():
            out += _dataset_reasons(dataset_id, manifest, found)
    if found.beast_modes is None:
        out.append(R.reason(R.BEAST_MODE_UNPARSEABLE, "beastmodes.json"))
    for mode in found.beast_modes or ():
        verdict = check(mode.expression, dataset_columns(found, mode.dataset_id))
        if verdict == "unparseable":
            out.append(R.reason(R.BEAST_MODE_UNPARSEABLE, mode.id))
        elif verdict == "unknown_column":
            out.append(R.reason(R.BEAST_MODE_UNKNOWN_COLUMN, mode.id))
    return R.sorted_reasons(out)


def _file_reasons(manifest: Manifest, present: Mapping[str, ExportFile]) -> list[str]:
    out = []
    listed = {f.path for f in manifest.files}
    for entry in manifest.files:
        file = present.get(entry.path)
        if file is None:
            out.append(R.reason(R.FILE_MISSING, entry.path))
        elif file.sha256 != entry.sha256 or file.bytes != entry.bytes:
            out.append(R.reason(R.HASH_MISMATCH, entry.path))
    for dataset_id in manifest.dataset_ids():  # a dataset whose data file is listed nowhere and absent
        path = data_path(dataset_id)
        if path not in listed and path not in present:
            out.append(R.reason(R.FILE_MISSING, path))
    out += [R.reason(R.UNLISTED_FILE, path) for path in present if is_data_file(path) and path not in listed]
    return out


def _dataset_reasons(dataset_id: str, manifest: Manifest, found: Findings) -> list[str]:
    out = []
    facts = found.facts.get(dataset_id)
    schema = found.schemas.get(dataset_id)
    if schema is None:
        out.append(R.reason(R.SCHEMA_INVALID, dataset_id))
    if facts is not None and facts.unreadable is None and facts.rows is not None:
        expected = {d.rows for d in manifest.datasets if d.dataset_id == dataset_id and d.rows is not None}
        expected |= {f.rows for f in manifest.files
                     if f.dataset_id == dataset_id and f.path == data_path(dataset_id) and f.rows is not None}
        if any(rows != facts.rows for rows in expected):
            out.append(R.reason(R.ROW_COUNT_MISMATCH, dataset_id))
    if facts is not None and (facts.unreadable or facts.rejected_count
                              or (schema is not None and facts.header is not None
                                  and any(c.name not in facts.header for c in schema))):
        out.append(R.reason(R.SCHEMA_INVALID, dataset_id))
    last = found.last_schemas.get(dataset_id)
    if last is not None and schema is not None:
        now = schema_columns(schema)
        if any(name not in now or now[name] != kind for name, kind in last.items()):
            out.append(R.reason(R.SCHEMA_DRIFT, dataset_id))
    return out

"""Ingest a Leaf IQ export: bronze, guardrails, silver, curated — promoted whole or quarantined with every reason.

Order matters for a process killed at any point: bronze files are written by temp file + rename (a half-written
one never has its final name); silver is built in a staging folder and renamed to silver/<load_id>/ only once
every guardrail passed, and copied to the shared lake (production: ADLS) before curated changes in one transaction
that also writes the ledger entry. Until that commit nothing curated refers to the new silver folder, so curated is
either untouched or holds the whole load, and never names a silver object the shared lake lacks.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime

from services.takeover.domain import loads as L
from services.takeover.domain import reasons as R
from services.takeover.domain.columns import SilverColumn, silver_names, sql_type
from services.takeover.domain.export import (
    BEAST_MODES,
    MANIFEST,
    DatasetFacts,
    ExportFile,
    SchemaColumn,
    content_sha256,
    data_path,
    parse_beast_modes,
    parse_manifest,
    parse_schema,
    schema_path,
)
from services.takeover.domain.guardrails import BeastModeCheck, Findings, check_export
from services.takeover.domain.loads import DatasetRows, LoadReport
from services.takeover.service_layer.ports import BronzeStore, Curated, ExportReader, SharedLake, SilverLake

REJECTED_SHOWN = 20  # rejected rows named per dataset in the report (their count is always there)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _default_check() -> BeastModeCheck:
    from services.takeover.domain.beast_modes import check
    return check


def silver_columns(header: list[str], schema: list[SchemaColumn], scales: dict[str, int]) -> list[SilverColumn]:
    """The header's columns in order, typed by the schema (a column the schema does not name stays STRING)."""
    types = {c.name: c.domo_type for c in schema}
    names = silver_names(header)
    return [SilverColumn(name, silver, types.get(name, "STRING"), sql_type(types.get(name, "STRING"), scales.get(name, 0)))
            for name, silver in zip(header, names, strict=True)]


def ingest_export(export: ExportReader, bronze: BronzeStore, lake: SilverLake, curated: Curated, operator: str,
                  check: BeastModeCheck | None = None, now: Callable[[], str] = _now,
                  ingest_id: str | None = None, shared: SharedLake | None = None) -> LoadReport:
    """`shared` None: the local lake is the only one (no LEAF_TAKEOVER_ADLS_URL)."""
    ingest_id = ingest_id or uuid.uuid4().hex
    check = check or _default_check()
    # Every file hashed first: the export's content says at once whether it is the same export again.
    files: dict[str, ExportFile] = {}
    for path in export.paths():
        hashed = bronze.hash(export.local_path(path))
        files[path] = ExportFile(path, hashed.sha256, hashed.bytes)
    content = content_sha256(list(files.values()))
    manifest, manifest_reasons = parse_manifest(export.read(MANIFEST))

    def report(status: str, reasons: list[str], datasets: list[DatasetRows], rejected=None) -> LoadReport:
        return LoadReport(ingest_id=ingest_id, load_id=manifest.load_id if manifest else None,
                          export_id=manifest.export_id if manifest else None, status=status, reasons=reasons,
                          datasets=datasets, content_sha256=content, ingested_at=now(), ingested_by=operator,
                          source=export.name, files=[{"path": f.path, "sha256": f.sha256, "bytes": f.bytes}
                                                     for f in files.values()], rejected=rejected or {})

    promoted = curated.promoted_content(manifest.load_id) if manifest and manifest.load_id else None
    if manifest is not None and promoted == content:  # the same export again: nothing new anywhere
        _store_bronze(bronze, export, files)  # a no-op: its promotion stored every file
        unchanged = report(L.UNCHANGED, [], [])
        previous = next((r for r in curated.load(str(manifest.load_id)) if r.status == L.PROMOTED), None)
        if previous is not None:
            unchanged.datasets = previous.datasets
        curated.record(unchanged)
        return unchanged

    # Bronze is kept whatever the guardrails say (a quarantined load keeps its copy); it is written on a thread of
    # its own while DuckDB reads the same files, and finished before anything is recorded.
    with ThreadPoolExecutor(1, thread_name_prefix="bronze") as pool:
        storing = pool.submit(_store_bronze, bronze, export, files)
        try:
            return _guard_and_promote(export, lake, curated, operator, check, ingest_id, files, content, manifest,
                                      manifest_reasons, promoted, report, storing, shared)
        finally:
            storing.cancel()


def _store_bronze(bronze: BronzeStore, export: ExportReader, files: dict[str, ExportFile]) -> None:
    for path, file in files.items():
        bronze.store(export.local_path(path), file.sha256)


def _guard_and_promote(export, lake, curated, operator, check, ingest_id, files, content, manifest, manifest_reasons,
                       promoted, report, storing: Future, shared: SharedLake | None) -> LoadReport:
    dataset_ids = manifest.dataset_ids() if manifest else sorted(
        p[len("datasets/"):-len(".schema.json")] for p in files if p.startswith("datasets/") and p.endswith(".schema.json"))
    schemas = {d: parse_schema(export.read(schema_path(d))) for d in dataset_ids}
    facts: dict[str, DatasetFacts] = {}
    if manifest is not None:
        for dataset_id in manifest.dataset_ids():
            if data_path(dataset_id) in files:
                facts[dataset_id] = _read_dataset(lake, export.local_path(data_path(dataset_id)),
                                                  schemas.get(dataset_id))
    found = Findings(manifest=manifest, manifest_reasons=manifest_reasons, files=files, schemas=schemas, facts=facts,
                     beast_modes=parse_beast_modes(export.read(BEAST_MODES)), promoted_content=promoted,
                     content=content, last_schemas=curated.last_schemas(dataset_ids))
    reasons = check_export(found, check)
    datasets = [DatasetRows(d, facts[d].rows or 0) for d in sorted(facts) if facts[d].rows is not None]
    rejected = {d: {"count": f.rejected_count, "rows": [r.as_json() for r in f.rejected[:REJECTED_SHOWN]]}
                for d, f in sorted(facts.items()) if f.rejected_count}
    if reasons or manifest is None or manifest.load_id is None:
        storing.result()
        quarantined = report(L.QUARANTINED, reasons or [R.reason(R.MANIFEST_INVALID)], datasets, rejected)
        curated.record(quarantined)
        return quarantined

    load_id = manifest.load_id
    try:
        staged = []
        for dataset_id in manifest.dataset_ids():
            header, schema = facts[dataset_id].header, schemas[dataset_id]
            assert header is not None and schema is not None  # the guardrails passed
            staged.append(lake.stage(ingest_id, dataset_id, load_id, export.local_path(data_path(dataset_id)),
                                     files[data_path(dataset_id)].sha256,
                                     silver_columns(header, schema, dict(facts[dataset_id].scales))))
        storing.result()  # bronze whole before silver becomes the load's
        # Publishing and promoting hold the load id's lock — in the database (every replica) and on the lake (this
        # machine): another ingest of the same load id (another replica, the CLI beside the service) may have
        # promoted it since the guardrails looked, and its silver must not be replaced.
        with curated.promoting(load_id), lake.promoting(load_id):
            now_promoted = curated.promoted_content(load_id)
            if now_promoted is None:
                lake.publish(ingest_id, load_id)
                if shared is not None:  # every replica reads what curated names: in the shared lake first
                    shared.share({d.parquet_path: d.parquet_sha256 for d in staged})
                done = report(L.PROMOTED, [], datasets)
                done.promoted_at, done.promoted_by = done.ingested_at, operator
                curated.promote(done, staged)
                return done
        lake.discard(ingest_id)
    except BaseException:
        lake.discard(ingest_id)
        raise
    lost = report(L.UNCHANGED, [], datasets) if now_promoted == content else \
        report(L.QUARANTINED, [R.reason(R.DUPLICATE_LOAD_ID)], datasets)
    curated.record(lost)
    return lost


def _read_dataset(lake: SilverLake, csv, schema: list[SchemaColumn] | None) -> DatasetFacts:
    header = lake.header(csv)
    if header is None:
        return DatasetFacts(unreadable="no header row")
    types = {c.name: c.domo_type for c in schema or ()}
    facts = lake.profile(csv, [(name, types.get(name, "STRING")) for name in header])
    facts.header = header
    return facts

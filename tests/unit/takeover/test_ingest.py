"""The ingest use case on fakes of its ports (style.md 11): what reaches curated, the ledger and silver, and when."""
from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest

from services.takeover.domain.columns import silver_names, sql_type
from services.takeover.domain.export import DatasetFacts, ExportFile, parse_manifest
from services.takeover.domain.loads import CuratedDataset
from services.takeover.domain.reasons import sorted_reasons
from services.takeover.service_layer.ingest import ingest_export

SCHEMA = {"columns": [{"name": "Claim ID", "type": "STRING"}, {"name": "Plan Paid", "type": "DECIMAL"}]}
CSV = "Claim ID,Plan Paid\nC1,1.5\nC2,2.25\n"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def export_files(load_id: str = "LD-1", rows: int = 2, modes: list | None = None) -> dict[str, bytes]:
    data = CSV.encode()
    manifest = {"export_id": "EX-1", "load_id": load_id, "exported_at": "2026-11-01T06:00:00Z", "complete": True,
                "datasets": [{"dataset_id": "ds1", "rows": rows}],
                "files": [{"path": "datasets/ds1.csv", "sha256": _sha(data), "bytes": len(data), "dataset_id": "ds1",
                           "rows": rows}]}
    return {"manifest.json": json.dumps(manifest).encode(), "datasets/ds1.csv": data,
            "datasets/ds1.schema.json": json.dumps(SCHEMA).encode(),
            "beastmodes.json": json.dumps(modes or [{"id": 7, "expression": "SUM(`Plan Paid`)",
                                                     "links": [{"resource": {"type": "DATA_SOURCE", "id": "ds1"}}]}]).encode()}


class FakeExport:
    name = "export"

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def paths(self):
        return sorted(self.files)

    def local_path(self, path):
        return Path(path)

    def read(self, path):
        return self.files.get(path)


class FakeBronze:
    def __init__(self, export: FakeExport) -> None:
        self.export, self.stored = export, {}

    def hash(self, source: Path) -> ExportFile:
        data = self.export.files[source.as_posix()]
        return ExportFile("", _sha(data), len(data))

    def store(self, source: Path, sha256: str) -> None:
        data = self.export.files[source.as_posix()]
        assert _sha(data) == sha256
        self.stored.setdefault(sha256, data)


class FakeLake:
    def __init__(self, export: FakeExport, fail_stage: bool = False) -> None:
        self.export, self.fail_stage = export, fail_stage
        self.profiled, self.staged, self.published, self.discarded = [], [], [], []
        self.before_promoting = None

    def header(self, csv_path):
        return next(csv.reader(io.StringIO(self.export.files[csv_path.as_posix()].decode())))

    def profile(self, csv_path, columns):
        self.profiled.append(list(columns))
        rows = list(csv.reader(io.StringIO(self.export.files[csv_path.as_posix()].decode())))[1:]
        return DatasetFacts(rows=len(rows), scales={"Plan Paid": 2})

    def stage(self, ingest_id, dataset_id, load_id, csv_path, bronze_sha256, columns):
        if self.fail_stage:
            raise OSError("disk full")
        self.staged.append((dataset_id, [c.as_json() for c in columns]))
        return CuratedDataset(dataset_id, 2, f"silver/{load_id}/{dataset_id}.parquet", "p" * 64, bronze_sha256,
                              [c.as_json() for c in columns])

    @contextlib.contextmanager
    def promoting(self, load_id):
        if self.before_promoting:
            self.before_promoting()
        yield

    def publish(self, ingest_id, load_id):
        self.published.append(load_id)

    def discard(self, ingest_id):
        self.discarded.append(ingest_id)


class FakeCurated:
    def __init__(self) -> None:
        self.promoted: dict[str, tuple] = {}
        self.ledger: list = []
        self.schemas: dict[str, dict] = {}
        self.locked: list[str] = []  # load ids whose promotion was decided under the database's lock

    @contextlib.contextmanager
    def promoting(self, load_id):
        self.locked.append(load_id)
        yield

    def promoted_content(self, load_id):
        return self.promoted[load_id][0].content_sha256 if load_id in self.promoted else None

    def last_schemas(self, dataset_ids):
        return {d: self.schemas[d] for d in dataset_ids if d in self.schemas}

    def promote(self, report, datasets):
        self.promoted[report.load_id] = (report, list(datasets))
        self.ledger.append(report)

    def record(self, report):
        self.ledger.append(report)

    def loads(self):
        return list(self.ledger)

    def load(self, load_id):
        return [r for r in reversed(self.ledger) if r.load_id == load_id]


def _run(files, curated=None, check=None, fail_stage=False):
    export = FakeExport(files)
    lake = FakeLake(export, fail_stage)
    curated = curated or FakeCurated()
    seen = []

    def recording_check(expression, columns):
        seen.append((expression, dict(columns)))
        return check(expression, columns) if check else None

    report = ingest_export(export, FakeBronze(export), lake, curated, "operator:ops", recording_check,
                           now=lambda: "2026-12-05T00:00:00.000000Z", ingest_id="i1")
    return report, lake, curated, seen


def test_a_valid_export_is_staged_published_and_promoted_once():
    report, lake, curated, seen = _run(export_files())
    assert report.summary() == {"load_id": "LD-1", "status": "promoted", "reasons": [],
                                "datasets": [{"dataset_id": "ds1", "rows": 2}]}
    assert (report.promoted_by, report.promoted_at) == ("operator:ops", "2026-12-05T00:00:00.000000Z")
    assert lake.published == ["LD-1"] and lake.discarded == []
    assert lake.staged == [("ds1", [
        {"name": "Claim ID", "silver": "claim_id", "domo_type": "STRING", "type": "VARCHAR"},
        {"name": "Plan Paid", "silver": "plan_paid", "domo_type": "DECIMAL", "type": "DECIMAL(38,2)"}])]
    assert list(curated.promoted) == ["LD-1"] and curated.ledger == [report]
    assert seen == [("SUM(`Plan Paid`)", {"Claim ID": "STRING", "Plan Paid": "DECIMAL"})]
    assert curated.locked == ["LD-1"]  # decided under the database's lock of the load id (every replica)


def test_a_quarantined_export_reaches_the_ledger_only():
    report, lake, curated, _ = _run(export_files(rows=3), check=lambda e, c: "unknown_column")
    assert (report.status, report.reasons) == ("quarantined", ["row_count_mismatch:ds1", "beast_mode_unknown_column:7"])
    assert curated.promoted == {} and curated.ledger == [report]
    assert lake.staged == [] and lake.published == []


def test_the_same_content_again_is_unchanged_without_reading_the_data():
    curated = FakeCurated()
    first, _, _, _ = _run(export_files(), curated)
    again, lake, _, seen = _run(export_files(), curated)
    assert again.status == "unchanged" and again.datasets == first.datasets
    assert lake.profiled == [] and seen == [] and len(curated.promoted) == 1
    assert [r.status for r in curated.ledger] == ["promoted", "unchanged"]


def test_a_load_id_promoted_with_other_content_is_a_duplicate():
    curated = FakeCurated()
    _run(export_files(), curated)
    files = export_files()
    files["cards.json"] = b"[]"
    report, _, _, _ = _run(files, curated)
    assert report.reasons == ["duplicate_load_id"]


def test_schema_drift_is_against_the_last_promoted_columns():
    curated = FakeCurated()
    curated.schemas["ds1"] = {"Claim ID": "STRING", "Plan Paid": "DOUBLE"}
    report, _, _, _ = _run(export_files(), curated)
    assert report.reasons == ["schema_drift:ds1"]
    curated.schemas["ds1"] = {"Claim ID": "STRING"}  # a column added since is no drift
    assert _run(export_files(), curated)[0].status == "promoted"


def test_a_failure_while_staging_discards_silver_and_promotes_nothing():
    with pytest.raises(OSError):
        _run(export_files(), curated := FakeCurated(), fail_stage=True)
    assert curated.promoted == {} and curated.ledger == []


def test_reasons_follow_the_spec_order_then_their_argument():
    assert sorted_reasons(["schema_drift:b", "hash_mismatch:z", "manifest_incomplete", "hash_mismatch:a",
                           "beast_mode_unknown_column:1", "schema_drift:b", "file_missing:x"]) == [
        "manifest_incomplete", "file_missing:x", "hash_mismatch:a", "hash_mismatch:z", "schema_drift:b",
        "beast_mode_unknown_column:1"]


def test_silver_names_are_snake_case_and_unique():
    assert silver_names(["Fill Date", "fill-date", "1st Fill", "_bronze_row", "Plan Paid ($)"]) == [
        "fill_date", "fill_date_2", "c_1st_fill", "bronze_row", "plan_paid"]
    assert silver_names(["", "%%"]) == ["column", "column_2"]
    assert sql_type("DECIMAL", 4) == "DECIMAL(38,4)" and sql_type("DATETIME") == "TIMESTAMP"


@pytest.mark.parametrize(("manifest", "reasons"), [
    (None, ["manifest_missing"]),
    (b"[]", ["manifest_invalid"]),
    (b'{"export_id": "E", "exported_at": "t", "datasets": [], "files": []}', ["manifest_incomplete", "load_id_missing"]),
    (b'{"export_id": "E", "exported_at": "t", "load_id": "L", "complete": "true", "datasets": [], "files": []}',
     ["manifest_incomplete"]),
    (b'{"export_id": "E", "exported_at": "t", "load_id": "L", "complete": true, "datasets": [{}], "files": []}',
     ["dataset_id_missing"]),
    (b'{"export_id": "E", "exported_at": "t", "load_id": "L", "complete": true, "datasets": [],'
     b' "files": [{"path": "a", "sha256": "b", "bytes": -1}]}', ["manifest_invalid"]),
])
def test_the_manifest_gives_its_own_reasons(manifest, reasons):
    assert parse_manifest(manifest)[1] == reasons


def test_a_load_promoted_by_another_ingest_meanwhile_is_not_replaced():
    curated = FakeCurated()
    export = FakeExport(export_files())
    lake = FakeLake(export)
    other = FakeCurated()
    _run(export_files(), other)  # what a concurrent ingest of the same load id promoted, with other content
    lake.before_promoting = lambda: curated.promoted.update({"LD-1": (
        replace(other.promoted["LD-1"][0], content_sha256="0" * 64), [])})
    report = ingest_export(export, FakeBronze(export), lake, curated, "operator:ops", lambda e, c: None,
                           ingest_id="i2")
    assert (report.status, report.reasons) == ("quarantined", ["duplicate_load_id"])
    assert lake.published == [] and lake.discarded == ["i2"] and curated.ledger == [report]

"""Ingest through the real adapters (local bronze, DuckDB silver, SQLite and PostgreSQL curated): a corpus of
corrupted exports, each quarantined with exactly its reasons while curated stays byte-identical, and re-ingest."""
from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import duckdb
import pytest

from cli.main import main as leaf
from services.takeover.adapters.bronze_local import LocalBronze
from services.takeover.adapters.curated_sql import SqlCurated
from services.takeover.adapters.plane import Plane, open_takeover_db
from services.takeover.adapters.silver_duckdb import DuckDbLake
from tests.takeover_fixtures import CLAIMS, base_export, beast_modes, curated_dump, manifest_of, reseal

OPERATOR = "operator:ops@leaf.example"


@pytest.fixture
def plane(db_url, tmp_path) -> Plane:
    engine = open_takeover_db(db_url)
    lake = tmp_path / "lake"
    yield Plane(lake, LocalBronze(lake), DuckDbLake(lake), SqlCurated(engine))
    engine.dispose()


def _edit_manifest(folder: Path, change) -> None:
    manifest = manifest_of(folder)
    change(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest))


def _edit_schema(folder: Path, dataset: str, change) -> None:
    path = folder / "datasets" / f"{dataset}.schema.json"
    schema = json.loads(path.read_text())
    change(schema["columns"])
    path.write_text(json.dumps(schema))


def _set_modes(folder: Path, extra: list[dict]) -> None:
    modes = beast_modes() + extra
    (folder / "beastmodes.json").write_text(json.dumps(modes))


def _mode(identifier: str, expression: str, dataset: str = "ds-claims") -> dict:
    return {"id": identifier, "name": identifier, "expression": expression,
            "links": [{"resource": {"type": "DATA_SOURCE", "id": dataset}}]}


def _replace_in(folder: Path, path: str, old: str, new: str) -> None:
    file = folder / path
    text = file.read_text()
    assert old in text
    file.write_text(text.replace(old, new, 1))


CORPUS = {
    "manifest_missing": (lambda f: (f / "manifest.json").unlink(), ["manifest_missing"]),
    "manifest_not_json": (lambda f: (f / "manifest.json").write_text("{not json"), ["manifest_invalid"]),
    "manifest_without_export_id": (lambda f: _edit_manifest(f, lambda m: m.pop("export_id")), ["manifest_invalid"]),
    "manifest_file_without_hash": (lambda f: _edit_manifest(f, lambda m: m["files"][0].pop("sha256")),
                                   ["manifest_invalid"]),
    "load_id_with_a_path": (lambda f: _edit_manifest(f, lambda m: m.update(load_id="../x")), ["manifest_invalid"]),
    "manifest_incomplete": (lambda f: _edit_manifest(f, lambda m: m.update(complete=False)), ["manifest_incomplete"]),
    "complete_absent": (lambda f: _edit_manifest(f, lambda m: m.pop("complete")), ["manifest_incomplete"]),
    "load_id_missing": (lambda f: _edit_manifest(f, lambda m: m.pop("load_id")), ["load_id_missing"]),
    "dataset_id_missing_on_a_file": (lambda f: _edit_manifest(f, lambda m: m["files"][1].pop("dataset_id")),
                                     ["dataset_id_missing"]),
    "dataset_id_missing_on_a_dataset": (lambda f: _edit_manifest(f, lambda m: m["datasets"][1].update(dataset_id="")),
                                        ["dataset_id_missing"]),
    "duplicate_load_id": (lambda f: _edit_manifest(f, lambda m: m.update(load_id="LD-0000")), ["duplicate_load_id"]),
    "file_missing": (lambda f: (f / "datasets" / "ds-members.csv").unlink(), ["file_missing:datasets/ds-members.csv"]),
    "unlisted_file": (lambda f: (f / "datasets" / "stray.csv").write_text("a\n1\n"), ["unlisted_file:datasets/stray.csv"]),
    "hash_mismatch": (lambda f: _replace_in(f, "datasets/ds-members.csv", "M00001", "M0000X"),
                      ["hash_mismatch:datasets/ds-members.csv"]),
    "byte_count_mismatch": (lambda f: _edit_manifest(f, lambda m: m["files"][1].update(bytes=m["files"][1]["bytes"] + 1)),
                            ["hash_mismatch:datasets/ds-members.csv"]),
    "row_count_mismatch": (lambda f: _edit_manifest(f, lambda m: m["datasets"][0].update(rows=121)),
                           ["row_count_mismatch:ds-claims"]),
    "row_count_mismatch_on_the_file": (lambda f: _edit_manifest(f, lambda m: m["files"][0].update(rows=119)),
                                       ["row_count_mismatch:ds-claims"]),
    "schema_missing": (lambda f: (f / "datasets" / "ds-members.schema.json").unlink(), ["schema_invalid:ds-members"]),
    "schema_names_a_column_the_data_lacks": (
        lambda f: _edit_schema(f, "ds-members", lambda c: c.append({"name": "Zip", "type": "STRING"})),
        ["schema_invalid:ds-members"]),
    "schema_with_an_unknown_type": (lambda f: _edit_schema(f, "ds-members", lambda c: c[2].update(type="INTEGER")),
                                    ["schema_invalid:ds-members"]),
    "row_does_not_convert": (lambda f: (_replace_in(f, "datasets/ds-members.csv", "M00002,G2,22", "M00002,G2,twenty"),
                                        reseal(f, "datasets/ds-members.csv")), ["schema_invalid:ds-members"]),
    "schema_drift_type": (lambda f: _edit_schema(f, "ds-claims", lambda c: c[3].update(type="STRING")),
                          ["schema_drift:ds-claims"]),
    "beast_mode_unparseable": (lambda f: _set_modes(f, [_mode("BM9", "SUM(`Plan Paid`")]),
                               ["beast_mode_unparseable:BM9"]),
    "beast_mode_unknown_column": (lambda f: _set_modes(f, [_mode("BM8", "SUM(`Ingredient Cost`)")]),
                                  ["beast_mode_unknown_column:BM8"]),
    "beast_modes_not_json": (lambda f: (f / "beastmodes.json").write_text("[{"),
                             ["beast_mode_unparseable:beastmodes.json"]),
    "combination": (lambda f: (_edit_manifest(f, lambda m: (m.update(complete=False), m["datasets"][0].update(rows=7))),
                               (f / "datasets" / "zz.csv").write_text("a\n"),
                               (f / "datasets" / "aa.csv").write_text("a\n"),
                               _replace_in(f, "datasets/ds-members.csv", "M00001", "M0000X"),
                               _set_modes(f, [_mode("BM9", "CASE WHEN"), _mode("BM3", "MAX(`Nope`)")])),
                    ["manifest_incomplete", "unlisted_file:datasets/aa.csv", "unlisted_file:datasets/zz.csv",
                     "hash_mismatch:datasets/ds-members.csv", "row_count_mismatch:ds-claims",
                     "beast_mode_unparseable:BM9", "beast_mode_unknown_column:BM3"]),
    "no_manifest_and_bad_beast_mode": (lambda f: ((f / "manifest.json").unlink(),
                                                  _set_modes(f, [_mode("BM7", "`Nope` + 1")])),
                                       ["manifest_missing", "beast_mode_unknown_column:BM7"]),
    "everything_about_one_dataset": (lambda f: ((f / "datasets" / "ds-members.csv").unlink(),
                                                (f / "datasets" / "ds-members.schema.json").unlink(),
                                                _edit_manifest(f, lambda m: m.update(load_id="LD-0000"))),
                                     ["duplicate_load_id", "file_missing:datasets/ds-members.csv",
                                      "schema_invalid:ds-members"]),
}


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_a_corrupted_export_is_quarantined_with_exactly_its_reasons_and_curated_is_untouched(case, plane, tmp_path):
    base_export(tmp_path / "prior", load_id="LD-0000")
    assert plane.ingest(tmp_path / "prior", OPERATOR).status == "promoted"
    before = curated_dump(plane.curated.engine, plane.lake)
    folder = tmp_path / "export"
    base_export(folder, load_id="LD-0001")
    corrupt, expected = CORPUS[case]
    corrupt(folder)

    report = plane.ingest(folder, OPERATOR)

    assert (report.status, report.reasons) == ("quarantined", expected)
    assert curated_dump(plane.curated.engine, plane.lake) == before
    assert not (plane.lake / "silver" / "LD-0001").exists()
    # the quarantined load keeps its bronze copy, byte for byte, and its report is in the ledger
    for file in report.files:
        assert (plane.lake / "bronze" / "sha256" / file["sha256"][:2] / file["sha256"]).read_bytes() == \
            (folder / file["path"]).read_bytes()
    assert plane.curated.loads()[-1].as_json() == report.as_json()


def test_a_row_that_does_not_convert_is_named_in_the_report(plane, tmp_path):
    export = tmp_path / "ex"  # beside the lake, not around it
    base_export(export, claims=10)
    _replace_in(export, "datasets/ds-claims.csv", ",30,", ",3O,")  # row 1, a letter O in Days Supply
    _replace_in(export, "datasets/ds-claims.csv", "2025-03-03", "03/03/2025")  # row 3, not a Domo DATE
    reseal(export, "datasets/ds-claims.csv")
    report = plane.ingest(export, OPERATOR)
    assert report.reasons == ["schema_invalid:ds-claims"]
    assert report.rejected == {"ds-claims": {"count": 2, "rows": [
        {"row": 1, "column": "Days Supply", "domo_type": "LONG"},
        {"row": 3, "column": "Fill Date", "domo_type": "DATE"}]}}


def test_promoted_silver_is_typed_exactly_with_row_lineage(plane, tmp_path):
    export = tmp_path / "ex"
    base_export(export, claims=120)
    report = plane.ingest(export, OPERATOR)
    assert report.summary() == {"load_id": "LD-0001", "status": "promoted", "reasons": [],
                                "datasets": [{"dataset_id": "ds-claims", "rows": 120},
                                             {"dataset_id": "ds-members", "rows": 30}]}
    assert (report.promoted_by, report.promoted_at) == (OPERATOR, report.ingested_at)
    silver = plane.lake / "silver" / "LD-0001"
    columns = json.loads((silver / "ds-claims.columns.json").read_text())
    assert [(c["name"], c["silver"], c["type"]) for c in columns["columns"]] == [
        ("Claim ID", "claim_id", "VARCHAR"), ("Claim Status", "claim_status", "VARCHAR"), ("Fill Date", "fill_date", "DATE"),
        ("Days Supply", "days_supply", "BIGINT"), ("Plan Paid", "plan_paid", "DECIMAL(38,2)"),
        ("AWP Ratio", "awp_ratio", "DOUBLE"), ("Loaded At", "loaded_at", "TIMESTAMP")]
    bronze = manifest_of(export)["files"][0]["sha256"]
    rows = duckdb.sql(f"SELECT claim_id, plan_paid::VARCHAR, fill_date::VARCHAR, _bronze_sha256, _bronze_row "
                      f"FROM '{silver / 'ds-claims.parquet'}' ORDER BY _bronze_row").fetchall()
    lines = (export / "datasets" / "ds-claims.csv").read_text().splitlines()[1:]
    assert len(rows) == 120
    for (claim, paid, fill, sha, row), line in zip(rows, lines, strict=True):
        fields = line.split(",")
        assert (claim, paid, fill, sha) == (fields[0], fields[4], fields[2], bronze)
        assert lines[row - 1] == line
    (stored,) = plane.curated.curated_datasets("LD-0001")[:1]
    assert stored.parquet_path == "silver/LD-0001/ds-claims.parquet" and stored.rows == 120


def test_the_same_export_twice_is_a_no_op(plane, tmp_path):
    base_export(tmp_path / "ex")
    first = plane.ingest(tmp_path / "ex", OPERATOR)
    bronze = sorted((plane.lake / "bronze").rglob("*"))
    before = curated_dump(plane.curated.engine, plane.lake)
    again = plane.ingest(tmp_path / "ex", "operator:someone-else@leaf.example")
    assert again.summary() == {**first.summary(), "status": "unchanged"}
    assert sorted((plane.lake / "bronze").rglob("*")) == bronze
    assert curated_dump(plane.curated.engine, plane.lake) == before
    assert [r.status for r in plane.curated.loads()] == ["promoted", "unchanged"]
    # a zip of the same folder is the same content
    archive = tmp_path / "ex.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for file in sorted((tmp_path / "ex").rglob("*")):
            out.write(file, f"leafiq_export/{file.relative_to(tmp_path / 'ex').as_posix()}")
    assert plane.ingest(archive, OPERATOR).status == "unchanged"
    assert curated_dump(plane.curated.engine, plane.lake) == before


def test_a_zip_export_is_promoted_and_a_new_load_may_add_a_column(plane, tmp_path):
    base_export(tmp_path / "ex", load_id="LD-0001", claims_columns=CLAIMS[:-1])
    archive = tmp_path / "ex.zip"
    shutil.make_archive(str(archive.with_suffix("")), "zip", tmp_path / "ex")
    assert plane.ingest(archive, OPERATOR).status == "promoted"
    base_export(tmp_path / "next", load_id="LD-0002")  # a column added is not drift
    assert plane.ingest(tmp_path / "next", OPERATOR).status == "promoted"
    base_export(tmp_path / "third", load_id="LD-0003", claims_columns=CLAIMS[:-2])  # one removed is
    assert plane.ingest(tmp_path / "third", OPERATOR).reasons == ["schema_drift:ds-claims"]
    assert [r.load_id for r in plane.curated.loads() if r.status == "promoted"] == ["LD-0001", "LD-0002"]


def test_leaf_takeover_ingest_prints_the_report_and_exits_by_status(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LEAF_TAKEOVER_DB_URL", f"sqlite:///{tmp_path / 'takeover.sqlite'}")
    base_export(tmp_path / "ex")
    assert leaf(["takeover", "ingest", str(tmp_path / "ex")]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert list(printed) == ["load_id", "status", "reasons", "datasets"] and printed["status"] == "promoted"
    assert leaf(["takeover", "ingest", str(tmp_path / "ex")]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "unchanged"
    base_export(tmp_path / "bad", load_id="LD-0002")
    (tmp_path / "bad" / "manifest.json").unlink()
    assert leaf(["takeover", "ingest", str(tmp_path / "bad")]) == 1
    assert json.loads(capsys.readouterr().out) == {"load_id": None, "status": "quarantined",
                                                   "reasons": ["manifest_missing"], "datasets": []}
    assert leaf(["takeover", "ingest", str(tmp_path / "nowhere")]) == 2
    (tmp_path / "not.zip").write_text("hello")
    assert leaf(["takeover", "ingest", str(tmp_path / "not.zip")]) == 2
    with pytest.raises(SystemExit) as usage:
        leaf(["takeover", "ingest"])
    assert usage.value.code == 2
    capsys.readouterr()
    assert leaf(["takeover", "loads"]) == 0
    loads = json.loads(capsys.readouterr().out)
    assert [(entry["load_id"], entry["status"]) for entry in loads] == [
        ("LD-0001", "promoted"), ("LD-0001", "unchanged"), (None, "quarantined")]
    assert loads[0]["promoted_by"].startswith("local:")

"""The load's fast path writes the snapshot table once, in the store's types: the same table as the pure reader's path."""
from __future__ import annotations

import duckdb
import pytest

from services.calc.adapters import duckdb_load
from services.calc.adapters.claims_store import DuckDbClaimsStore
from tests.unit.calc.builders import csv_bytes, row

TOO_WIDE = "1234567890123456.5"  # a valid quantity DECIMAL(38,3) holds and the store's NUMERIC(18, 3) does not


def stored(path, snapshot) -> tuple:
    """Everything the load left: the snapshot's counts, its claims table (columns, types, rows) and its rejects."""
    with duckdb.connect(str(path), read_only=True) as db:
        claims, rejects = f"claims_{snapshot.snapshot_id}", f"rejects_{snapshot.snapshot_id}"
        return ((snapshot.claims_sha256, snapshot.rows_read, snapshot.rows_valid, snapshot.rows_rejected),
                db.execute(f"DESCRIBE {claims}").fetchall(),
                # An empty text ('' for a PAID claim's reverses_claim_id) is '' on both paths, never NULL.
                db.execute(f"SELECT * FROM {claims} ORDER BY row").fetchall(),
                db.execute(f"DESCRIBE {rejects}").fetchall(), db.execute(f"SELECT * FROM {rejects} ORDER BY row").fetchall())


def load(tmp_path, name, data, monkeypatch, path: str) -> tuple:
    """Load `data` by one path only: "fast" fails the test if the pure reader is used, "reference" skips DuckDB's."""
    csv_path = tmp_path / f"{name}.csv"
    csv_path.write_bytes(data)
    with monkeypatch.context() as patch:
        if path == "fast":
            patch.setattr(duckdb_load, "_write_valid", lambda *_: pytest.fail("the fast path stepped aside"))
        else:
            patch.setattr(duckdb_load, "_validated_by_duckdb", lambda *_: 1 / 0)
        store = DuckDbClaimsStore(tmp_path / f"{name}.duckdb")
        return stored(store.path, store.load(csv_path))


def test_a_file_with_rejects_keeps_row_numbers_rejects_and_types(tmp_path, monkeypatch):
    rows = [row("C1"), row("C2", ndc="123"), row("C1"), row("C3", quantity="2.5"),
            # rejected rows whose values the store's types cannot hold do not stop the fast path
            row("C4", quantity=TOO_WIDE, ndc="x"), row("C3", quantity=TOO_WIDE), row("C5", fill_date="2025-02-30"),
            row("C6", compound="Y", days_supply="90", awp_unit_price="1.23456")]
    data = csv_bytes(rows)
    fast = load(tmp_path, "fast", data, monkeypatch, "fast")
    assert fast == load(tmp_path, "reference", data, monkeypatch, "reference")
    assert [r[0] for r in fast[2]] == [1, 4, 8]
    assert [(r[0], r[1]) for r in fast[4]] == [(2, "bad_value:ndc"), (3, "duplicate_claim_id"),
                                               (5, "bad_value:ndc"), (6, "duplicate_claim_id"),
                                               (7, "bad_value:fill_date")]
    assert [name for name, *_ in fast[1]][:2] == ["row", "claim_id"]


def test_a_valid_value_too_wide_for_the_store_steps_aside(tmp_path, monkeypatch):
    """The narrowing never changes a value silently: the pure reader's path decides, as before."""
    data = csv_bytes([row("C1"), row("C2", quantity=TOO_WIDE)])
    csv_path = tmp_path / "wide.csv"
    csv_path.write_bytes(data)
    stepped_aside = []
    write_valid = duckdb_load._write_valid
    monkeypatch.setattr(duckdb_load, "_write_valid", lambda *a: stepped_aside.append(1) or write_valid(*a))
    store = DuckDbClaimsStore(tmp_path / "wide.duckdb")
    with pytest.raises(duckdb.Error):
        store.load(csv_path)
    assert stepped_aside == [1]
    with duckdb.connect(str(store.path), read_only=True) as db:
        # The fast path had committed its checked table, unpublished; its failure dropped it. No snapshot was made.
        assert db.execute("SELECT table_name FROM duckdb_tables()").fetchall() == [("snapshots",)]
        assert db.execute("SELECT count(*) FROM snapshots").fetchall() == [(0,)]


def test_a_load_killed_between_its_commits_leaves_a_table_the_next_load_drops(tmp_path, monkeypatch):
    """The checked table is committed before it is published: killed there, the old snapshot stays active, and
    the next load drops the orphan."""
    store = DuckDbClaimsStore(tmp_path / "claims.duckdb")
    (tmp_path / "first.csv").write_bytes(csv_bytes([row("C1")]))
    first = store.load(tmp_path / "first.csv")
    (tmp_path / "second.csv").write_bytes(csv_bytes([row("C2"), row("C2")]))

    class Killed(BaseException):  # not an Exception: nothing in the load catches it, as nothing survives a kill
        pass

    validate_into = duckdb_load.validate_into

    def killed_after_the_first_commit(db, path, table, **options):
        def commit_then_die():
            options["written"]()
            raise Killed
        return validate_into(db, path, table, **{**options, "written": commit_then_die})

    with monkeypatch.context() as patch:
        patch.setattr(duckdb_load, "validate_into", killed_after_the_first_commit)
        with pytest.raises(Killed):
            store.load(tmp_path / "second.csv")
    assert store.snapshot() == first
    with duckdb.connect(str(store.path), read_only=True) as db:
        orphans = db.execute("SELECT count(*) FROM duckdb_tables() WHERE starts_with(table_name, 'records_')").fetchall()
    assert orphans == [(2,)]  # the first snapshot's records and the orphan
    second = store.load(tmp_path / "second.csv")
    assert (second.rows_valid, second.rows_rejected) == (1, 1)
    with duckdb.connect(str(store.path), read_only=True) as db:
        records = {n for (n,) in db.execute("SELECT table_name FROM duckdb_tables() "
                                            "WHERE starts_with(table_name, 'records_')").fetchall()}
    assert records == {f"records_{first.snapshot_id}", f"records_{second.snapshot_id}"}


def test_a_file_without_rejects_is_written_once_with_the_same_table(tmp_path, monkeypatch):
    data = csv_bytes([row("C1"), row("C2", quantity="2.5"), row("C3", compound="Y", awp_unit_price="1.23456"),
                      row("C4", quantity="999999999999999.999", plan_paid="9999999999999999.99")])
    fast = load(tmp_path, "fast", data, monkeypatch, "fast")
    assert fast == load(tmp_path, "reference", data, monkeypatch, "reference")
    assert [r[0] for r in fast[2]] == [1, 2, 3, 4]
    assert fast[4] == []


def test_pruning_drops_old_snapshots_of_both_paths_and_leaves_no_orphan(tmp_path):
    """The fast path's snapshot is a view of its records table, the reference path's a table of its own."""
    store = DuckDbClaimsStore(tmp_path / "claims.duckdb")
    for n in range(5):
        data = csv_bytes([row(f"C{n}")]) + (b"only,three,fields\n" if n % 2 else b"")  # misshapen: the reference path
        (tmp_path / f"{n}.csv").write_bytes(data)
        store.load(tmp_path / f"{n}.csv")
    with duckdb.connect(str(store.path), read_only=True) as db:
        kept = {s for (s,) in db.execute("SELECT snapshot_id FROM snapshots").fetchall()}
        names = {n for (n,) in db.execute("SELECT table_name FROM information_schema.tables").fetchall()} - {"snapshots"}
    assert len(kept) == 3
    assert {name.split("_", 1)[1] for name in names} == kept
    assert {name.split("_", 1)[0] for name in names} == {"claims", "records", "rejects"}

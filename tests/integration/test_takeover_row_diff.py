"""The row-level diff inside DuckDB finds exactly the rows a full outer join finds, whatever the segment count."""
from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.takeover.adapters.row_diff_duckdb import row_diff


def tables(domo: dict[str, tuple[str, str]], backend: dict[str, tuple[str, str]]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name, rows in (("domo", domo), ("backend", backend)):
        con.execute(f"CREATE TABLE {name} (claim_id VARCHAR, status VARCHAR, plan_paid DECIMAL(18,2))")
        if rows:
            con.executemany(f"INSERT INTO {name} VALUES (?, ?, ?)", [[k, *v] for k, v in rows.items()])
    return con


def test_counts_sides_and_rows() -> None:
    domo = {f"C{i}": ("REVERSAL" if i % 10 == 9 else "PAID", f"{i}.50") for i in range(100)}
    backend = {k: v for k, v in domo.items() if v[0] == "PAID"}
    backend["C3"] = ("PAID", "3.51")
    backend["X1"] = ("PAID", "1.00")
    diff = row_diff(tables(domo, backend), "domo", "backend", "claim_id", ["status", "plan_paid"], segments=16)
    assert (diff["domo_rows"], diff["backend_rows"]) == (100, 91)
    assert (diff["only_domo"], diff["only_backend"], diff["changed"]) == (10, 1, 1)
    rows = {r["key"]: r for r in diff["rows"]}
    assert rows["C9"]["side"] == "only_domo" and rows["C9"]["backend"] is None and rows["C9"]["domo"]["status"] == "REVERSAL"
    assert rows["X1"]["side"] == "only_backend" and rows["X1"]["domo"] is None
    assert str(rows["C3"]["domo"]["plan_paid"]) == "3.50" and str(rows["C3"]["backend"]["plan_paid"]) == "3.51"
    assert 0 < diff["segments_differing"] <= 12


def test_identical_sides_touch_no_segment() -> None:
    same = {f"C{i}": ("PAID", "1.00") for i in range(50)}
    diff = row_diff(tables(same, dict(same)), "domo", "backend", "claim_id", ["status", "plan_paid"], segments=8)
    assert diff["segments_differing"] == 0 and diff["rows"] == [] and diff["changed"] == 0


_rows = st.dictionaries(st.sampled_from([f"C{i}" for i in range(30)]),
                        st.tuples(st.sampled_from(["PAID", "REVERSAL"]), st.sampled_from(["1.00", "2.00", "2.50"])),
                        max_size=30)


@settings(max_examples=40, deadline=None)
@given(_rows, _rows, st.sampled_from([1, 2, 7, 64]))
def test_same_rows_as_a_full_outer_join(domo, backend, segments) -> None:
    con = tables(domo, backend)
    expected = {k for k in set(domo) | set(backend) if domo.get(k) != backend.get(k)}
    diff = row_diff(con, "domo", "backend", "claim_id", ["status", "plan_paid"], segments=segments)
    assert {r["key"] for r in diff["rows"]} == expected
    assert diff["only_domo"] == len(set(domo) - set(backend))


@pytest.mark.parametrize("rows_kept", [0, 3])
def test_rows_kept_bounds_the_listing_not_the_counts(rows_kept: int) -> None:
    domo = {f"C{i}": ("PAID", "1.00") for i in range(20)}
    diff = row_diff(tables(domo, {}), "domo", "backend", "claim_id", ["status", "plan_paid"], rows_kept=rows_kept)
    assert diff["only_domo"] == 20 and len(diff["rows"]) == rows_kept

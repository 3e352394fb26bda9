"""The scoped fast path (hash pass for duplicates, text kept only where needed) decides every row as the pure reader."""
import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.calc.adapters.claims_file import read_claims
from services.calc.adapters.duckdb_scoped_validation import validate_scoped
from services.calc.adapters.duckdb_validation import Unshaped
from services.calc.adapters.file_aggregates import AGGREGATED, ValidatedFile, in_scope_as_written
from tests.unit.calc.builders import csv_bytes, row, scope

SCOPES = [scope(), scope(date_from="2025-04-01"), scope(tpa_id="TPA_1", group_ids=["GRP_1", "GRP_3"])]


@st.composite
def files_with_repeated_ids(draw) -> bytes:
    """Few claim ids for many rows: duplicates in and out of the scope, after valid and after rejected rows."""
    rows = []
    for _ in range(draw(st.integers(0, 14))):
        rows.append(row(draw(st.sampled_from(["A1", "A2", "A3", "", "a1"])),
                        client_id=draw(st.sampled_from(["C001", "C001", "C002", ""])),
                        tpa_id=draw(st.sampled_from(["TPA_1", "TPA_2"])), group_id=draw(st.sampled_from(["GRP_1", "GRP_2"])),
                        fill_date=draw(st.sampled_from(["2025-01-01", "2025-05-01", "2026-01-01", "2025-02-30"])),
                        ndc=draw(st.sampled_from(["00002123401"] * 4 + ["123"]))))
    return csv_bytes(rows)


def in_scope_ids(db, validated, run_scope) -> list[str]:
    """The claim ids of the valid rows in `run_scope`, in file order: the kept valid rows under the scope filter."""
    where, parameters = in_scope_as_written(run_scope)
    return [i for (i,) in db.execute(f"SELECT claim_id FROM ({validated.kept_valid}) WHERE "
                                     + where.format_map({name: name for name in AGGREGATED}), parameters).fetchall()]


def _scoped(tmp_path, data: bytes, run_scope):
    path = tmp_path / "claims.csv"
    path.write_bytes(data)
    db = duckdb.connect()
    try:
        validated = validate_scoped(db, path, "checked", AGGREGATED, *in_scope_as_written(run_scope))
        ids = in_scope_ids(db, validated, run_scope)
    finally:
        db.close()
    return validated, ids


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=files_with_repeated_ids(), run_scope=st.sampled_from(SCOPES))
def test_rejects_duplicates_and_scoped_rows_are_the_pure_readers(tmp_path, data, run_scope):
    batch = read_claims(data)
    validated, ids = _scoped(tmp_path, data, run_scope)
    assert validated.rejects == batch.rejects   # row numbers, reasons and every scope hint
    assert (validated.rows_read, validated.valid_count) == (batch.rows_read, batch.valid_count)
    assert ids == [c.claim_id for c in batch.claims
                   if run_scope.contains(c.client_id, c.pbm_id, c.tpa_id, c.group_id, c.fill_date)]


def test_an_out_of_scope_duplicate_keeps_its_hints(tmp_path):
    """Its text was not kept in the first pass: the second scan reads it back."""
    data = csv_bytes([row("X", client_id="C002"), row("Y"), row("X", client_id="C002", tpa_id="TPA_9"),
                      row("Y", client_id="C003")])
    validated, ids = _scoped(tmp_path, data, scope())
    assert validated.rejects == read_claims(data).rejects
    assert [(r.row, r.reason, r.client_id, r.tpa_id) for r in validated.rejects] == [
        (3, "duplicate_claim_id", "C002", "TPA_9"), (4, "duplicate_claim_id", "C003", "TPA_1")]
    assert ids == ["Y"]


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["by lines", "by columns"])
def test_a_number_too_long_for_a_decimal_goes_to_the_pure_reader(tmp_path, newline):
    """By columns the check refuses it; by lines the cast that types the scope's rows does."""
    path = tmp_path / "claims.csv"
    path.write_bytes(csv_bytes([row("X", quantity="1" * 31)], newline=newline))
    with pytest.raises((Unshaped, duckdb.Error)):
        ValidatedFile(path, scope())


def _out_of_scope_duplicates(newline: str = "\n", **quoted) -> bytes:
    return csv_bytes([row("X", client_id="C002"), row("Y"), row("X", client_id="C002", tpa_id="TPA_9", **quoted),
                      row("Y", client_id="C003")], newline=newline)


def test_hints_from_lines_and_from_a_second_parse_agree(tmp_path, monkeypatch):
    """One line per record: the hints come from counting lines. A quoted field with a comma or a newline, or
    CRLF line ends, make the line count unreliable: the file is parsed again. Both give the pure reader's rejects."""
    import services.calc.adapters.duckdb_scoped_validation as scoped
    parsed_again = []
    second_parse = scoped._with_hints_from_file
    monkeypatch.setattr(scoped, "_with_hints_from_file", lambda *a: parsed_again.append(1) or second_parse(*a))
    for data, parses in [(_out_of_scope_duplicates(), 0), (_out_of_scope_duplicates(newline="\r\n"), 1),
                         (_out_of_scope_duplicates(group_id="GRP,\n9"), 1)]:
        parsed_again.clear()
        validated, ids = _scoped(tmp_path, data, scope())
        assert validated.rejects == read_claims(data).rejects
        assert [(r.row, r.reason) for r in validated.rejects] == [(3, "duplicate_claim_id"), (4, "duplicate_claim_id")]
        assert len(parsed_again) == parses


def test_a_blank_line_never_shifts_a_duplicate_onto_its_neighbour(tmp_path):
    """The same claim sent twice on adjacent lines, after an empty line: line n is no longer record n."""
    data = csv_bytes([row("X", client_id="C002", group_id="GRP_1"), row("X", client_id="C002", group_id="GRP_2")])
    data = data.replace(b"\nX,", b"\n\nX,", 1)
    batch = read_claims(data)
    try:
        validated, _ = _scoped(tmp_path, data, scope())
    except Unshaped:
        return  # DuckDB would not shape it: the pure reader decides, as it must
    assert validated.rejects == batch.rejects

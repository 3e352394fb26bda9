"""The DuckDB validator never disagrees with the pure reader: same rows, rejects and typed claims, or it steps aside."""
from __future__ import annotations

import duckdb
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kernel.errors import InputError
from services.calc.adapters.claims_file import read_claims
from services.calc.adapters.duckdb_validation import Unshaped, validate_into
from services.calc.domain.claims import CLAIM_COLUMNS, Claim
from tests.unit.calc.builders import VALID_ROW, csv_bytes

# Values that break each rule in its own way, plus tricky but valid ones (quotes, commas, newlines, non-ASCII).
ODD_VALUES = ["", " ", "0", "007", "1.5", "1.50", "1.500", "1.5000", ".5", "5.", "+1", "-1", "1e3", "1,5", "٣",
              "2025-02-30", "2025-2-1", "0000-01-01", "20250301", "PAID", "REVERSAL", "paid", "C1", "C2",
              "a\"b", "x,y", "line\nbreak", "Ünïcode", "00002123401", "0000212340", "1234567890", "Y", "N", "B", "G",
              "RETAIL_30", "MAIL", "UC", "AWP", "9" * 40, "0.00000", "123456789012345678901234567.1", "\x00", "C\x001"]

rows = st.lists(st.fixed_dictionaries({column: st.one_of(st.just(VALID_ROW[column]), st.sampled_from(ODD_VALUES))
                                       for column in CLAIM_COLUMNS}), min_size=0, max_size=25)


def duckdb_view(path):
    db = duckdb.connect()
    validated = validate_into(db, path, "checked")
    claims = [Claim(*r) for r in db.execute(f"SELECT {validated.row_number}, {', '.join(CLAIM_COLUMNS)} FROM checked "
                                            "WHERE reason IS NULL ORDER BY rowid").fetchall()]
    return validated, claims


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows, newline=st.sampled_from(["\n", "\r\n"]), bom=st.booleans(), reorder=st.booleans())
def test_duckdb_agrees_with_the_pure_reader_or_steps_aside(tmp_path, rows, newline, bom, reorder):
    columns = tuple(reversed(CLAIM_COLUMNS)) if reorder else CLAIM_COLUMNS
    data = csv_bytes(rows, columns=columns, newline=newline, bom=bom)
    path = tmp_path / "claims.csv"
    path.write_bytes(data)
    try:
        expected = read_claims(data)
    except InputError:
        with pytest.raises((InputError, Unshaped)):
            duckdb_view(path)
        return
    try:
        validated, claims = duckdb_view(path)
    except Unshaped:
        event("stepped aside")
        return  # the pure reader decides such files
    event("compared")
    assert validated.rows_read == expected.rows_read
    assert validated.rejects == expected.rejects
    assert claims == expected.claims


def test_misshapen_records_step_aside(tmp_path):
    path = tmp_path / "claims.csv"
    path.write_bytes(csv_bytes([VALID_ROW]) + b"only,three,fields\n")
    with pytest.raises(Unshaped):
        duckdb_view(path)


def test_missing_column_is_the_same_input_error(tmp_path):
    path = tmp_path / "claims.csv"
    path.write_text("claim_id,claim_status\nX,PAID\n")
    with pytest.raises(InputError) as err:
        duckdb_view(path)
    assert err.value.code == "missing_column:reverses_claim_id"


def test_row_numbers_hold_inside_a_transaction_on_a_file_database(tmp_path):
    """A file-backed DuckDB numbers rows of an uncommitted table from a transaction-local base."""
    data = csv_bytes([VALID_ROW, {**VALID_ROW, "claim_id": "C2", "ndc": "123"}, VALID_ROW])
    path = tmp_path / "claims.csv"
    path.write_bytes(data)
    db = duckdb.connect(str(tmp_path / "store.duckdb"))
    db.execute("BEGIN")
    validated = validate_into(db, path, "checked")
    assert [(r.row, r.reason) for r in validated.rejects] == [(2, "bad_value:ndc"), (3, "duplicate_claim_id")]
    assert validated.rejects == read_claims(data).rejects
    db.execute("ROLLBACK")

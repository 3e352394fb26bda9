"""The line path: one record pattern per line accepts exactly the lines every column rule accepts, and a file read
as lines gives the pure reader's rejects and scope, or steps aside to the columns where a line is not plain."""
import random

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import services.calc.adapters.duckdb_scoped_validation as scoped
from kernel.errors import InputError
from services.calc.adapters.claims_file import read_claims
from services.calc.adapters.duckdb_line_validation import DATE_PATTERN, line_pattern, record_pattern
from services.calc.adapters.duckdb_scoped_validation import validate_scoped
from services.calc.adapters.duckdb_validation import REASON, RULES
from services.calc.adapters.file_aggregates import AGGREGATED, in_scope_as_written, written_in_scope
from services.calc.adapters.whole_read import LineRead
from services.calc.domain.claims import CLAIM_COLUMNS
from tests.integration.test_duckdb_scoped_validation import in_scope_ids
from tests.unit.calc.builders import VALID_ROW, csv_bytes, row, scope

# Texts near every rule's edge: empty, spaces, signs, points, exponents, a non-ASCII digit, the IN lists' cousins.
edgy = st.text(st.sampled_from("0000119..+-e _x٣YNGBPAIDREVSL"), max_size=12)
TRICKY = ["", " ", "0", "1", "0.0", "0.001", "1.", ".5", "1.234567", "00012", "Y", "N", "y", "G", "B", "PAID",
          "REVERSAL", "paid", "MAIL", "RETAIL_30", "RETAIL_3", "UC", "AWP", "2025-02-29", "2024-02-29", "0000-01-01",
          "1900-02-29", "2000-02-29", "2025-13-01", "2025-1-01", "12345678901", "1234567890", "٣"]


@pytest.fixture(scope="module")
def db():
    with duckdb.connect() as connection:
        yield connection


def _pattern_and_rules(db, lines: list[str]) -> list[tuple[bool, bool]]:
    """(the record pattern matches, no column rule refuses) for each line of the claim columns in table order."""
    columns = ", ".join(f"fields[{i + 1}] AS {name}" for i, name in enumerate(CLAIM_COLUMNS))
    return db.execute(
        f"SELECT regexp_full_match(line, ?), ({REASON}) IS NULL FROM (SELECT i, line, {columns} FROM ("
        "SELECT i, line, string_split(line, ',') AS fields FROM (SELECT unnest(?) AS line, "
        "generate_subscripts(?, 1) AS i))) ORDER BY i", [record_pattern(list(CLAIM_COLUMNS)), lines, lines]).fetchall()


@settings(max_examples=200, deadline=None)
@given(changes=st.lists(st.tuples(st.sampled_from(CLAIM_COLUMNS), st.one_of(edgy, st.sampled_from(TRICKY))),
                        min_size=1, max_size=3))
def test_the_record_pattern_accepts_exactly_what_the_rules_accept(db, changes):
    lines = []
    for column, text in changes:
        one = {**VALID_ROW, column: text}
        lines.append(",".join(one[c] for c in CLAIM_COLUMNS))
    every = {**VALID_ROW, **dict(changes)}
    lines.append(",".join(every[c] for c in CLAIM_COLUMNS))
    for line, (matched, valid) in zip(lines, _pattern_and_rules(db, lines)):
        assert matched == valid, line


def test_the_date_pattern_is_the_fill_date_rule_on_every_day_of_tricky_years(db):
    years = {0, 1, 4, 96, 100, 104, 400, 1600, 1700, 1900, 2000, 2024, 2025, 2100, 2400, 9996, 9999}
    years |= set(random.Random(15).sample(range(10000), 60))
    days = [f"{y:04d}-{m:02d}-{d:02d}" for y in sorted(years) for m in range(0, 14) for d in range(0, 33)]
    disagree = db.execute(f"SELECT count(*) FILTER (regexp_full_match(fill_date, ?) <> ({RULES['fill_date']})), "
                          "count(*) FILTER (regexp_full_match(fill_date, ?)) FROM (SELECT unnest(?) AS fill_date)",
                          [DATE_PATTERN, DATE_PATTERN, days]).fetchall()[0]
    assert disagree[0] == 0 and disagree[1] > 0


def test_a_header_in_another_order_with_an_extra_column_is_matched_in_its_order(db):
    header = ["note", *reversed(CLAIM_COLUMNS)]
    good = ",".join(["anything at all", *(VALID_ROW[c] for c in reversed(CLAIM_COLUMNS))])
    bad = good.replace(",MAIL,", ",BOAT,") if ",MAIL," in good else good.replace(VALID_ROW["channel"], "BOAT")
    matched = [m for (m,) in db.execute("SELECT regexp_full_match(unnest(?), ?)", [[good, bad], record_pattern(header)])
               .fetchall()]
    assert matched == [True, False]


@st.composite
def plain_files(draw) -> bytes:
    """Plain lines (no quote, no carriage return): valid rows in and out of scope, rows refused by each rule,
    repeated ids, and now and then a field in another column order."""
    rows = []
    for _ in range(draw(st.integers(0, 16))):
        changes = {"claim_id": draw(st.sampled_from(["A1", "A2", "A3", "", "a1"])),
                   "client_id": draw(st.sampled_from(["C001", "C001", "C002", "C0011"])),
                   "tpa_id": draw(st.sampled_from(["TPA_1", "TPA_2"])),
                   "group_id": draw(st.sampled_from(["GRP_1", "GRP_3", "C001"])),
                   "fill_date": draw(st.sampled_from(["2025-01-01", "2025-05-01", "2024-12-31", "2026-01-01",
                                                      "2025-02-30"]))}
        if draw(st.booleans()):
            column = draw(st.sampled_from(CLAIM_COLUMNS))
            changes[column] = draw(st.one_of(edgy, st.sampled_from(TRICKY)))
        rows.append({**VALID_ROW, **changes})
    columns = draw(st.sampled_from([CLAIM_COLUMNS, ("member_id", *[c for c in CLAIM_COLUMNS if c != "member_id"])]))
    return csv_bytes(rows, columns=columns)


SCOPES = [scope(), scope(date_from="2025-04-01"), scope(tpa_id="TPA_1", group_ids=["GRP_1", "GRP_3"])]


def _validated(tmp_path, data: bytes, run_scope):
    path = tmp_path / "claims.csv"
    path.write_bytes(data)
    with duckdb.connect() as db:
        validated = validate_scoped(db, path, "checked", AGGREGATED, *in_scope_as_written(run_scope),
                                    written_in_scope=written_in_scope(run_scope))
        ids = in_scope_ids(db, validated, run_scope)
    return validated, ids


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=plain_files(), run_scope=st.sampled_from(SCOPES))
def test_a_file_read_as_lines_is_decided_as_the_pure_reader_decides_it(tmp_path, monkeypatch, data, run_scope):
    by_columns = []
    monkeypatch.setattr(scoped, "_checked_by_columns", lambda *a: by_columns.append(a) or _by_columns(*a))
    batch = read_claims(data)
    validated, ids = _validated(tmp_path, data, run_scope)
    assert not by_columns  # plain lines are decided by the line path
    assert validated.rejects == batch.rejects
    assert (validated.rows_read, validated.valid_count) == (batch.rows_read, batch.valid_count)
    assert ids == [c.claim_id for c in batch.claims
                   if run_scope.contains(c.client_id, c.pbm_id, c.tpa_id, c.group_id, c.fill_date)]


_by_columns = scoped._checked_by_columns


@pytest.mark.parametrize("damage", ["a quote", "a blank line", "a short line", "a carriage return"])
def test_a_line_that_is_not_a_plain_record_sends_the_file_to_the_columns(tmp_path, monkeypatch, damage):
    """A quoted field, a blank line, a line of the wrong width, or a carriage return after the first MiB: the lines
    cannot vouch for the file, so it is read by columns, whose answer (rejects or a step aside) is the reference."""
    rows = [row(f"R{i}") for i in range(3)]
    data = csv_bytes(rows)
    lines = data.split(b"\n")
    filler = b"\n".join(csv_bytes([row(f"F{i}") for i in range(9000)]).split(b"\n")[1:-1])  # past the sniffed MiB
    damaged = {"a quote": lines[2].replace(b"C001", b'"C001"'), "a blank line": b"",
               "a short line": lines[2].rsplit(b",", 1)[0], "a carriage return": lines[2] + b"\r",
               "a 0x01 byte": lines[2].replace(b"Drug", b"Dr\x01ug")}[damage]
    data = b"\n".join([lines[0], filler, lines[1], damaged, lines[3]]) + b"\n"
    by_columns = []
    monkeypatch.setattr(scoped, "_checked_by_columns", lambda *a: by_columns.append(a) or _by_columns(*a))
    batch = read_claims(data)
    try:
        validated, _ = _validated(tmp_path, data, scope())
    except scoped.Unshaped:  # the columns step aside too (a short record): the pure reader decides
        validated = None
    assert by_columns
    if validated is not None:
        assert validated.rejects == batch.rejects
        assert (validated.rows_read, validated.valid_count) == (batch.rows_read, batch.valid_count)


def _validated_through(tmp_path, data: bytes, run_scope, **read):
    """validate_scoped with the file's read made here (LineRead: its block size, the refused texts it keeps)."""
    path = tmp_path / "claims.csv"
    path.write_bytes(data)
    reading = LineRead(path, line_pattern(path), feed=True, **read)
    with duckdb.connect() as db:
        validated = validate_scoped(db, path, "checked", AGGREGATED, *in_scope_as_written(run_scope),
                                    written_in_scope=written_in_scope(run_scope), reading=reading)
        ids = in_scope_ids(db, validated, run_scope)
    return validated, ids, reading.result()


def _mixed_rows(count: int) -> list[dict]:
    """Valid rows in and out of scope, a refused row every 97th, an id repeated every 89th, a longer drug name now
    and then (so lines straddle small blocks unevenly)."""
    rows = []
    for i in range(count):
        changes = {"client_id": "C001" if i % 3 else "C002", "drug_name": "Drug" * (1 + i % 11)}
        if i % 97 == 5:
            changes["quantity"] = "1.2345"  # refused: four places
        rows.append(row(f"A{i % 89 if i % 89 == 7 else i}", **changes))
    return rows


@pytest.mark.parametrize("block", [1 << 12, 1 << 16])
def test_many_small_blocks_reach_duckdb_in_file_order(tmp_path, block):
    """DuckDB takes the lines as Arrow batches while workers check them: in many blocks (their lines across block
    ends, refused and repeated rows in many of them) every reject names its row, and the scope is the pure
    reader's; the LineIndex finds lines in any block."""
    data = csv_bytes(_mixed_rows(3000))
    batch = read_claims(data)
    validated, ids, read = _validated_through(tmp_path, data, scope(), block=block)
    assert len(read.lines.chunk_starts) > 5
    assert validated.rejects == batch.rejects and len(validated.duplicates) > 10
    assert (validated.rows_read, validated.valid_count) == (batch.rows_read, batch.valid_count)
    assert ids == [c.claim_id for c in batch.claims if scope().contains(c.client_id, c.pbm_id, c.tpa_id,
                                                                          c.group_id, c.fill_date)]
    lines = data.decode().split("\n")
    assert read.lines.texts([1, 1500, 2999]) == {n: lines[n] for n in (1, 1500, 2999)}


def test_more_refused_lines_than_the_read_keeps_are_matched_by_duckdb(tmp_path):
    data = csv_bytes(_mixed_rows(1000))
    batch = read_claims(data)
    validated, ids, read = _validated_through(tmp_path, data, scope(), block=1 << 12, most_refused=3)
    assert read.refused is None  # eleven refused lines: DuckDB read the file and matched them itself
    assert validated.rejects == batch.rejects
    assert (validated.rows_read, validated.valid_count) == (batch.rows_read, batch.valid_count)


@pytest.mark.parametrize("text", ["Dr\x01ug", "Drüg ✓", "Dr\x00ug"], ids=["a 0x01 byte", "non-ASCII", "a NUL byte"])
def test_any_text_a_plain_line_can_hold_is_decided_on_the_lines(tmp_path, monkeypatch, text):
    """The lines reach DuckDB as Arrow text, so a control byte is a character like any other (DuckDB's CSV reader,
    splitting at 0x01, refused it), as the pure reader reads it."""
    rows = [row("R1"), row("R2", drug_name=text), row("R3", drug_name=text, quantity="")]
    data = csv_bytes(rows)
    by_columns = []
    monkeypatch.setattr(scoped, "_checked_by_columns", lambda *a: by_columns.append(a) or _by_columns(*a))
    batch = read_claims(data)
    validated, ids, _ = _validated_through(tmp_path, data, scope())
    assert not by_columns
    assert validated.rejects == batch.rejects and ids == ["R1", "R2"]


def test_a_line_that_is_not_utf8_is_left_to_the_pure_reader(tmp_path):
    """DuckDB takes Arrow text as it is, and RE2 would match a byte that is not UTF-8 like any other: the read
    checks that every block is UTF-8 and raises otherwise (a ValueError, which sends the file to the pure reader,
    whose error is the reference), as DuckDB's own CSV reader does."""
    data = csv_bytes([row(f"F{i}") for i in range(200)] + [row("R1", drug_name="Dr?ug")]).replace(b"Dr?ug", b"Dr\xffug")
    path = tmp_path / "claims.csv"
    path.write_bytes(data)
    with duckdb.connect() as db, pytest.raises(ValueError):
        validate_scoped(db, path, "checked", AGGREGATED, *in_scope_as_written(scope()),
                        written_in_scope=written_in_scope(scope()), reading=LineRead(path, line_pattern(path), True))
    with pytest.raises(InputError):
        read_claims(data)

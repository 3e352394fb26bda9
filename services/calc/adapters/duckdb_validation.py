"""Validate a claims CSV inside DuckDB: the rules of calculations.md 1.1 as one vectorized SQL pass.

The exact semantics live in the pure reader (services/calc/domain/reading.py). This fast path is used
only where DuckDB reads every record with the header's field count; on any record DuckDB cannot
shape, on a decoding error or an oversized number it raises `Unshaped` and the caller falls back to
the pure reader, so the two paths never disagree (a property test cross-checks them).
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from kernel.packets import BRAND_GENERIC, CHANNELS
from services.calc.domain.claims import BASES_OF_COST, CLAIM_COLUMNS, Reject
from services.calc.domain.reading import _column_positions

DECIMAL_TYPES = {"quantity": "DECIMAL(38,3)", "awp_unit_price": "DECIMAL(38,5)", "ingredient_cost_paid": "DECIMAL(38,2)",
                 "dispensing_fee_paid": "DECIMAL(38,2)", "member_paid": "DECIMAL(38,2)", "plan_paid": "DECIMAL(38,2)"}
LONGEST_NUMBER = 30  # beyond this a DECIMAL(38,x) could overflow where Python's Decimal would not


class Unshaped(Exception):
    """DuckDB cannot vouch for this file; use the pure reader."""


@dataclass(frozen=True)
class Validated:
    rows_read: int
    rejects: list[Reject]
    valid_count: int
    row_number: str  # SQL giving a record's 1-based number in the file from the table's rowid


def _quoted(values) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def decimal_pattern(places: int) -> str:
    """The regular expression (RE2) of a decimal with at most `places` places."""
    return f"[0-9]+(\\.[0-9]{{1,{places}}})?"


def positive_decimal_pattern(places: int) -> str:
    """A decimal with a non-zero digit, as one full match (a second regular expression per row cost ~10 %):
    a non-zero whole part with any fraction, or a zero whole part and a fraction with a non-zero digit."""
    fractions = "|".join("0" * zeros + f"[1-9][0-9]{{0,{places - zeros - 1}}}" for zeros in range(places))
    return f"0*[1-9][0-9]*(\\.[0-9]{{1,{places}}})?|0+\\.({fractions})"


# The regular expression of each column checked by one (the line path, duckdb_line_validation, matches a whole
# record with them).
PATTERNS = {"days_supply": "0*[1-9][0-9]*",  # an integer ≥ 1
            "quantity": positive_decimal_pattern(3), "awp_unit_price": decimal_pattern(5),
            **{money: decimal_pattern(2) for money in ("ingredient_cost_paid", "dispensing_fee_paid", "member_paid",
                                                      "plan_paid")}}


def _digits(count: int) -> str:
    """A GLOB for exactly `count` ASCII digits: the same strings as the full match of [0-9]{count}, cheaper."""
    return "[0-9]" * count


# The rule of each column, in table order: the first that fails names the reject reason.
RULES = {
    "claim_id": "claim_id <> ''",
    "claim_status": "claim_status IN ('PAID', 'REVERSAL')",
    "reverses_claim_id": "(claim_status = 'REVERSAL') = (reverses_claim_id <> '')",
    "client_id": "client_id <> ''", "pbm_id": "pbm_id <> ''", "tpa_id": "tpa_id <> ''", "group_id": "group_id <> ''",
    "fill_date": f"(fill_date GLOB '{_digits(4)}-{_digits(2)}-{_digits(2)}' AND fill_date NOT LIKE '0000%' "
                 "AND try_cast(fill_date AS DATE) IS NOT NULL)",
    "ndc": f"ndc GLOB '{_digits(11)}'",
    "brand_generic": f"brand_generic IN ({_quoted(BRAND_GENERIC)})",
    "channel": f"channel IN ({_quoted(CHANNELS)})",
    "basis_of_cost": f"basis_of_cost IN ({_quoted(BASES_OF_COST)})",
    "compound": "compound IN ('Y', 'N')",
    **{column: f"regexp_full_match({column}, '{pattern}')" for column, pattern in PATTERNS.items()},
    "pharmacy_npi": f"pharmacy_npi GLOB '{_digits(10)}'",
}
REASON = "CASE " + " ".join(f"WHEN NOT {rule} THEN 'bad_value:{column}'" for column, rule in RULES.items()) + " END"
# The columns a rejected row must keep: rejected_in_scope reads its scope hints.
REJECT_HINTS = ("claim_id", "client_id", "pbm_id", "tpa_id", "group_id", "fill_date")


def typed(column: str, value: str | None = None, decimal: str | None = None) -> str:
    """Exact where the row is valid (its reason is NULL); fill_date only where it is a valid date.

    `value` is the SQL of the column's text as written (the column itself unless given). `decimal` narrows a
    decimal column's type: on a valid row the value is then exact or, if too wide for it, NULL."""
    value = value or column
    if column in DECIMAL_TYPES:
        return f"TRY_CAST({value} AS {decimal or DECIMAL_TYPES[column]})"
    if column == "fill_date":
        return f"CASE WHEN {RULES['fill_date'].replace('fill_date', value)} THEN TRY_CAST({value} AS DATE) END"
    if column == "days_supply":
        return f"TRY_CAST({value} AS INTEGER)"
    return f"{value} = 'Y'" if column == "compound" else value


def header_of(path: Path) -> list[str]:
    """The header record, parsed like the pure reader parses it (BOM dropped)."""
    with path.open("r", encoding="utf-8-sig", newline="") as text:
        return next(csv.reader(io.StringIO(text.readline())), [])


# A number longer than this anywhere in the file: the pure reader decides.
OVERSIZED = " OR ".join(f"length({c}) > {LONGEST_NUMBER}" for c in (*DECIMAL_TYPES, "days_supply"))


def claims_source(path: Path, names: tuple[str, ...] = CLAIM_COLUMNS, again: bool = False) -> str:
    """SQL reading every record of the file with the claim columns `names` as written (one parameter: the path).

    A record DuckDB cannot shape lands in claims_shape_rejects (the caller must check it is empty). `again`:
    the file was already read so and found whole; read it the same way without keeping rejects (cheaper)."""
    header = header_of(path)
    positions = dict(zip(CLAIM_COLUMNS, _column_positions(header)))
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
    # Every field is text as written, never NULL (an empty field is ''): no NULL can slip past a rule.
    not_null = ", ".join(f"'c{i}'" for i in range(len(header)))
    picked = ", ".join(f"c{positions[name]} AS {name}" for name in names)
    rejects = "" if again else (", store_rejects = true, rejects_table = 'claims_shape_rejects', "
                                "rejects_scan = 'claims_shape_scans'")
    return (f"SELECT {picked} FROM read_csv(?, auto_detect = false, header = true, delim = ',', quote = '\"', "
            f"escape = '\"', force_not_null = [{not_null}], columns = {columns}, strict_mode = true{rejects})")


def validate_into(db: duckdb.DuckDBPyConnection, path: Path, table: str, keep: tuple[str, ...] = CLAIM_COLUMNS,
                  store_types: dict[str, str] | None = None, written: Callable[[], None] | None = None) -> Validated:
    """Create `table`: every record with its typed `keep` columns and `reason` (NULL when valid).

    Every column is checked; only `keep` (plus the reject hints) is stored, so a caller that
    aggregates a few columns does not hold the whole file in memory (one scope: duckdb_scoped_validation).

    One streaming pass reads, checks and types the records. DuckDB preserves insertion order and gives a
    new table contiguous rowids (from 0, or from a transaction-local base inside an open transaction), so
    `Validated.row_number` — rowid minus the first rowid, plus one — is the record's number in the file.
    Raises Unshaped where the pure reader must decide instead.

    `store_types` (column: SQL type, in table order) makes `table` the store's own table, written once: each
    claim column in the store's type, and a column that is not a claim column (`row`) NULL for the caller to
    fill. A valid row's decimal too wide for the store's type raises Unshaped; a rejected row's need not fit
    (it is never stored).

    `written` is called once the table is written and its shape checked, before duplicates are marked: the load
    commits there, because DuckDB applies an update (even of one row) to a table created in the same
    transaction by rewriting the whole table at COMMIT (4-5 s at 10M rows), and to a committed one in a moment.
    """
    source = claims_source(path)
    if store_types is None:
        stored = [f"{typed(c)} AS {c}" for c in CLAIM_COLUMNS if c in keep or c in REJECT_HINTS]
    else:
        stored = [f"{typed(c, decimal=store_types[c])} AS {c}" if c in CLAIM_COLUMNS else f"CAST(NULL AS {kind}) AS {c}"
                  for c, kind in store_types.items()]
    select = f"SELECT {', '.join(stored)}, {REASON} AS reason, {OVERSIZED} AS oversized FROM ({source})"
    try:
        db.execute("SET preserve_insertion_order = true")
        db.execute(f"CREATE TABLE {table} AS {select}", [str(path)])
    except duckdb.Error as exc:
        raise Unshaped(str(exc)) from None
    if db.execute("SELECT count(*) FROM claims_shape_rejects").fetchall()[0][0]:
        raise Unshaped("records DuckDB could not shape")
    if db.execute(f"SELECT count(*) FROM {table} WHERE oversized").fetchall()[0][0]:
        raise Unshaped("a number too long for an exact DECIMAL")
    if written is not None:
        written()
    # Read after `written`: a commit gives the rows their lasting rowids, and row numbers come from those.
    first, last, count = db.execute(f"SELECT min(rowid), max(rowid), count(*) FROM {table}").fetchall()[0]
    if count and last - first + 1 != count:
        raise Unshaped("rowids are not contiguous")
    row_number = f"(rowid - {first or 0} + 1)"
    # Duplicates are few: group the valid ids once, then mark the later rows of the ids seen twice.
    db.execute(f"UPDATE {table} SET reason = 'duplicate_claim_id' WHERE rowid IN (SELECT later.rowid FROM {table} later "
               f"JOIN (SELECT claim_id, min(rowid) AS first FROM {table} WHERE reason IS NULL GROUP BY claim_id "
               "HAVING count(*) > 1) twice ON later.claim_id = twice.claim_id "
               "WHERE later.reason IS NULL AND later.rowid > twice.first)")
    if store_types is not None:
        too_wide = " OR ".join(f"{c} IS NULL" for c in DECIMAL_TYPES)  # on a valid row, only where too wide
        if db.execute(f"SELECT count(*) FROM {table} WHERE reason IS NULL AND ({too_wide})").fetchall()[0][0]:
            raise Unshaped("a valid value the store's type cannot hold")
    rejects = [Reject(*found) for found in db.execute(
        f"SELECT {row_number}, reason, true, client_id, pbm_id, tpa_id, group_id, fill_date FROM {table} "
        "WHERE reason IS NOT NULL ORDER BY rowid").fetchall()]
    return Validated(count, rejects, count - len(rejects), row_number)

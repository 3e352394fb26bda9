"""Check a claims CSV one line at a time: where every record is one line, one regular expression checks a record.

In a file with no double quote and no carriage return a record is one line and a field is the text between two
commas, so a valid record can be spelled as one full match over its line: the rules of duckdb_validation in
the header's column order (the same patterns, the IN lists as alternatives, a calendar date spelled out).
Reading lines instead of 23 columns and matching each once cost 2.5 s at 10M rows where the rules over the
parsed columns cost 4.2 s (docs/benchmarks.md, round 5). Only a line the match fails is split and given its
reason by the column rules (REASON), so both paths name the same reason; a line that is not a plain record of
the header's width (a quote, too few or too many commas, a blank line) makes the caller read the file by
columns instead, and so does anything DuckDB cannot read as lines (a carriage return, a 0x01 byte).
"""
from __future__ import annotations

from pathlib import Path

from kernel.packets import BRAND_GENERIC, CHANNELS
from services.calc.adapters.duckdb_validation import PATTERNS, header_of
from services.calc.domain.claims import BASES_OF_COST, CLAIM_COLUMNS
from services.calc.domain.reading import _column_positions

# A field's text on a plain line: anything but the delimiter, a quote or a line end.
_TEXT = '[^,"\\r\\n]'
# Years 0001-9999 (DuckDB would also read year 0, which the fill_date rule refuses), and the leap years among them.
_YEAR = "(?:[0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})"
_LEAP_YEAR = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
# The fill_date rule: YYYY-MM-DD, a day that exists in the Gregorian calendar, year 0000 refused.
DATE_PATTERN = (f"(?:{_YEAR}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
                f"|02-(?:0[1-9]|1[0-9]|2[0-8]))|{_LEAP_YEAR}-02-29)")
# How much of a file is looked at before trying lines: a quote or a carriage return there means columns at once.
_SNIFF = 1 << 20


def _one_of(values) -> str:
    return "(?:" + "|".join("".join("\\" + c if c in "\\.^$|?*+()[]{}" else c for c in v) for v in values) + ")"


# Each claim column's pattern on a valid line; claim_status and reverses_claim_id are decided together below.
_FIELDS = {
    **{name: _TEXT + "+" for name in ("claim_id", "client_id", "pbm_id", "tpa_id", "group_id")},
    "fill_date": DATE_PATTERN, "ndc": "[0-9]{11}", "pharmacy_npi": "[0-9]{10}",
    "brand_generic": _one_of(BRAND_GENERIC), "channel": _one_of(CHANNELS), "basis_of_cost": _one_of(BASES_OF_COST),
    "compound": "[YN]", **{name: f"(?:{pattern})" for name, pattern in PATTERNS.items()},
}


def record_pattern(header: list[str]) -> str:
    """The RE2 full match of a valid record's line under `header`: a PAID claim reverses nothing, a REVERSAL
    names the claim it reverses; a column that is not a claim column, or has no rule, may hold any text."""
    def line(status: str, reverses: str) -> str:
        fields = {**_FIELDS, "claim_status": status, "reverses_claim_id": reverses}
        return ",".join(fields.get(name, _TEXT + "*") for name in header)
    return f"(?:{line('PAID', '')}|{line('REVERSAL', _TEXT + '+')})"


def plain_lines(path: Path) -> bool:
    """Whether the file's first MiB has no quote and no carriage return: only then are lines worth trying."""
    with path.open("rb") as stream:
        start = stream.read(_SNIFF)
    return b'"' not in start and b"\r" not in start


def line_pattern(path: Path) -> str | None:
    """The record pattern of the file's header where its lines are worth trying (plain_lines), else None."""
    return record_pattern(header_of(path)) if plain_lines(path) else None


def lines_source() -> str:
    """SQL reading every line after the header as one text `line` (one parameter: the path). A blank line is
    kept as ''; a carriage return or a 0x01 byte (the delimiter: a control character claims do not hold) makes
    DuckDB raise."""
    return ("SELECT line FROM read_csv(?, auto_detect = false, header = true, delim = '\x01', quote = '', "
            "escape = '', new_line = '\\n', columns = {'line': 'VARCHAR'}, force_not_null = ['line'], "
            "strict_mode = true)")


# A line split at its commas: what field_columns reads as `fields`.
SPLIT = "string_split(line, ',')"


def field_columns(header: list[str]) -> str:
    """SQL naming each claim column's text in `fields` (SPLIT of a line)."""
    return ", ".join(f"fields[{position + 1}] AS {name}"
                     for name, position in zip(CLAIM_COLUMNS, _column_positions(header)))


def claim_id_hash(header: list[str]) -> str:
    """SQL of hash(claim_id) on a valid line, with or without its newline, without splitting it (the id is the text
    before its comma)."""
    position = _column_positions(header)[CLAIM_COLUMNS.index("claim_id")]
    if position == 0:
        return "hash(substr(line, 1, strpos(line, ',') - 1))"
    return f"hash(regexp_extract(line, '^(?:[^,]*,){{{position}}}([^,\\n]*)', 1))"

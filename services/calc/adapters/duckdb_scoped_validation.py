"""Validate a claims CSV in DuckDB for one scope: every rule on every row, text kept only where it is needed.

`leaf calc` asks one scope of a file. Every record is still read and checked (the rules of
duckdb_validation, the pure reader's exact semantics) — as lines, one record pattern per line
(duckdb_line_validation), where every record is a plain line; else by DuckDB's CSV columns — but a row's text
is stored only where a result needs it: the scope's rows (their aggregated columns) and the rejected rows
(their scope hints). Every other row keeps an 8-byte hash of its claim_id and its reason (NULL) — a few bytes,
so a 10M-row file stays in memory instead of spilling. Read by lines, a row keeps its whole line (one text,
split once when the scope's rows are typed); read by columns, a list of its texts.

Duplicate claim ids are found exactly in two steps: sorting the hashes gives the candidates (the
real duplicates plus, very rarely, a collision); the candidates' ids are then compared as text, read from
the stored text or — for rows that stored none — from their lines, found by counting newlines where every
record is one line (no quote or carriage return in the file, one line per record after the header), else from
a second scan of the file restricted to the candidate hashes. Raises Unshaped wherever the pure reader must decide instead.
"""
from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy

from services.calc.adapters.duckdb_line_validation import (
    SPLIT,
    claim_id_hash,
    field_columns,
    line_pattern,
    lines_source,
    record_pattern,
)
from services.calc.adapters.duckdb_validation import (
    OVERSIZED,
    REASON,
    RULES,
    Unshaped,
    claims_source,
    header_of,
)
from services.calc.adapters.whole_read import LineIndex, LineRead, RefusedLines
from services.calc.domain.claims import CLAIM_COLUMNS, Reject
from services.calc.domain.reading import _column_positions

# What every stored list starts with: the claim id and the scope hints of calculations.md 1.1.
HINTS = ("claim_id", "client_id", "pbm_id", "tpa_id", "group_id", "fill_date")
# Beyond this many candidate hashes the second scan would compare each row against a long list: the
# caller takes the pure reader (a file with that many repeated ids is not the case to optimize).
MOST_CANDIDATES = 10_000
# `where` names each column as {column}: read by columns, a column is its name.
_NAMED = {name: name for name in CLAIM_COLUMNS}


@dataclass(frozen=True)
class ScopedValidation:
    rows_read: int
    rejects: list[Reject]
    valid_count: int
    # SQL of the valid rows that kept their texts: `id` (the row's rowid in the table), then one text column (as
    # written) per `keep` name, in file order; every valid row in scope, and read by lines perhaps a few more (see
    # _checked_by_lines). Read before the duplicates are marked (`alongside`), it holds them too.
    kept_valid: str
    duplicates: tuple[int, ...]  # the ids of the valid rows rejected as duplicate_claim_id


@dataclass(frozen=True)
class _Carried:
    """How a path's table carries the texts it kept."""
    hints: str  # SQL over one row of the table: the list of its HINTS as written, NULL where it kept no text
    kept_valid: str


def start_reading(path: Path) -> LineRead:
    """The read validate_scoped takes, begun at once: where the file is plain, its records fed to DuckDB and checked
    against its header's record pattern; in any case its SHA-256 and its lines counted."""
    pattern = line_pattern(path)
    return LineRead(path, pattern, feed=pattern is not None)


def listed(keep: tuple[str, ...]) -> tuple[str, ...]:
    """The columns of a stored list, in order: the hints, then the other `keep` columns."""
    return HINTS + tuple(c for c in keep if c not in HINTS)


def listed_text(column: str, keep: tuple[str, ...]) -> str:
    """The SQL of one column's text as written, from the stored list `kept`."""
    return f"kept[{listed(keep).index(column) + 1}]"


def validate_scoped(db: duckdb.DuckDBPyConnection, path: Path, table: str, keep: tuple[str, ...],
                    where: str, parameters: list, written_in_scope: dict[str, str] | None = None,
                    reading: LineRead | None = None,
                    alongside: Callable[[str], object] | None = None) -> ScopedValidation:
    """Create `table` (h, reason, and the texts kept) and mark the later duplicates; `where` is SQL over the columns
    as written, each named as {column}.

    Every rejected row and every row `where` holds for keeps its texts (read by lines: every row that holds the
    `written_in_scope` texts, which the caller's scope filter then decides on); after this call the valid ones among
    them are ScopedValidation.kept_valid. `written_in_scope`: column → a text that field starts with on every row
    `where` holds for (tested on lines, anywhere in the line). `reading` is the file's start_reading (leaf calc
    begins it before it imports what it needs later); one is begun here when it is not given. Its result gives
    the refused lines and the LineIndex (the hints of a repeated id that kept no text).

    `alongside` is work for DuckDB while numpy finds the duplicates (the sort leaves a core idle): it runs on a
    thread, given ScopedValidation.kept_valid as it is before the duplicates are marked, and the caller drops the
    rows ScopedValidation.duplicates names from whatever it made of them.
    """
    reading = reading or start_reading(path)
    try:
        db.execute("SET preserve_insertion_order = true")
        carried = reading.feeds and _checked_by_lines(db, path, table, keep, written_in_scope or {}, reading)
        if not carried:
            carried = _checked_by_columns(db, path, table, keep, where, parameters)
    except duckdb.Error as exc:
        raise Unshaped(str(exc)) from None
    finally:
        reading.close()  # whatever raised before DuckDB took the lines: the read goes on without feeding them
    oversized, first, last, count = db.execute(
        f"SELECT count(*) FILTER (reason = '!oversized'), min(rowid), max(rowid), count(*) FROM {table}").fetchall()[0]
    if oversized:
        raise Unshaped("a number too long for an exact DECIMAL")
    if count and last - first + 1 != count:
        raise Unshaped("rowids are not contiguous")
    first = first or 0
    with ThreadPoolExecutor(1) as beside:
        done = beside.submit(alongside, carried.kept_valid) if alongside is not None else None
        duplicates = _later_duplicates(db, path, table, carried.hints, first, count, lambda: reading.result().lines)
        if done is not None:
            done.result()
    if duplicates:
        db.execute(f"UPDATE {table} SET reason = 'duplicate_claim_id' WHERE rowid IN ({', '.join(map(str, duplicates))})")
    rejects = [Reject(*found) for found in db.execute(
        f"SELECT id - {first} + 1, reason, true, hints[2], hints[3], hints[4], hints[5], {_valid_date('hints[6]')} "
        f"FROM (SELECT rowid AS id, reason, {carried.hints} AS hints FROM {table} "
        "WHERE reason IS NOT NULL AND reason <> 'duplicate_claim_id') ORDER BY id").fetchall()]
    rejects = sorted(rejects + list(duplicates.values()), key=lambda r: r.row)
    return ScopedValidation(count, rejects, count - len(rejects), carried.kept_valid, tuple(duplicates))


def _checked_by_columns(db: duckdb.DuckDBPyConnection, path: Path, table: str, keep: tuple[str, ...], where: str,
                        parameters: list) -> _Carried:
    """`table` (h, reason, kept) from the file read by columns (DuckDB's CSV parser): every rule on the parsed
    columns; `kept` is the list of the `listed(keep)` texts on every rejected row and every row `where` holds for."""
    reason = f"CASE WHEN {OVERSIZED} THEN '!oversized' ELSE {REASON} END"
    db.execute(f"CREATE TABLE {table} AS SELECT hash(claim_id) AS h, reason, "
               f"CASE WHEN reason IS NOT NULL OR {where.format_map(_NAMED)} THEN [{', '.join(listed(keep))}] END AS kept "
               f"FROM (SELECT *, {reason} AS reason FROM ({claims_source(path)}))", [*parameters, str(path)])
    if db.execute("SELECT count(*) FROM claims_shape_rejects").fetchall()[0][0]:
        raise Unshaped("records DuckDB could not shape")
    texts = ", ".join(f"{listed_text(name, keep)} AS {name}" for name in keep)
    return _Carried(f"kept[1:{len(HINTS)}]",
                    f"SELECT rowid AS id, {texts} FROM {table} WHERE reason IS NULL AND kept IS NOT NULL")


def _checked_by_lines(db: duckdb.DuckDBPyConnection, path: Path, table: str, keep: tuple[str, ...],
                      written_in_scope: dict[str, str], reading: LineRead) -> _Carried | None:
    """`table` (h, reason, line) from the file's lines (duckdb_line_validation), or None, with no table, where a
    line is not a plain record of the header's width.

    DuckDB takes the lines from `reading` (whole_read: one read of the file, its lines matched with the record
    pattern by Arrow's RE2 beside DuckDB at half of DuckDB's cost); where that gave no answer (over MOST_REFUSED
    lines refused), DuckDB reads the file and matches the pattern itself. A file that is not UTF-8 raises the
    read's ValueError: the pure reader names its error.
    A line keeps its text where the pattern refuses it or where it holds every `written_in_scope` text (a
    few substring tests). That is every line in scope, and perhaps a few lines that only hold those texts (another
    client whose id begins with this one's): `where` is not applied here, because the aggregate SQL's own scope
    filter decides exactly, and applying it to split fields cost 0.9 s at 10M rows (DuckDB splits the line again
    for each field a filter reads). Nothing is split in this pass either: splitting and keeping 1.27M lists cost
    more than splitting their lines once when they are typed (docs/benchmarks.md, round 6). The refused lines are
    few: one more statement names their reasons with the column rules (an update of `reason` alone, which keeps
    the rows where they are). No number is typed here: one too wide for the store's type fails the cast that
    types the kept rows, and the pure reader decides."""
    header = header_of(path)
    position = dict(zip(CLAIM_COLUMNS, _column_positions(header)))
    try:
        try:
            db.register("claim_lines", reading.batches())
            _read_lines(db, table, header, written_in_scope, "claim_lines", [], checked_beside=True)
        finally:
            reading.close()
            db.unregister("claim_lines")
        found = reading.result().refused
        if found is None:
            db.execute(f"DROP TABLE {table}")
            _read_lines(db, table, header, written_in_scope,
                        f"(SELECT line, regexp_full_match(line, ?) AS ok FROM ({lines_source()}))",
                        [record_pattern(header), str(path)], checked_beside=False)
        elif not _marked(db, table, found):
            db.execute(f"DROP TABLE {table}")
            return None
    except duckdb.Error:  # on DuckDB's own read: a carriage return or a 0x01 byte, not lines its CSV reader takes
        reading.result()  # unless the read failed (a file that is not UTF-8): then its error is the cause
        db.execute(f"DROP TABLE IF EXISTS {table}")
        return None
    db.execute(
        f"UPDATE {table} SET reason = found.reason FROM ("
        f"SELECT *, CASE WHEN len(fields) <> {len(header)} OR contains(line, '\"') OR contains(line, chr(13)) "
        f"THEN '!unshaped' ELSE coalesce({REASON}, '!unmatched') END AS reason FROM ("
        f"SELECT id, line, fields, {field_columns(header)} FROM ("
        f"SELECT rowid AS id, line, {SPLIT} AS fields FROM {table} WHERE reason = '!check'))) AS found "
        f"WHERE {table}.rowid = found.id")
    unshaped, unmatched = db.execute(f"SELECT count(*) FILTER (reason = '!unshaped'), "
                                     f"count(*) FILTER (reason = '!unmatched') FROM {table}").fetchall()[0]
    if unmatched:  # the pattern refused a line no rule refuses: never expected, and never guessed at
        raise Unshaped("the record pattern and the rules disagree")
    if unshaped:
        db.execute(f"DROP TABLE {table}")
        return None
    # A line DuckDB took from Arrow ends with its newline: only in the last field, where it is dropped.
    last = len(header) - 1
    texts = ", ".join((f"rtrim(fields[{last + 1}], chr(10))" if position[name] == last else f"fields[{position[name] + 1}]")
                      + f" AS {name}" for name in keep)
    hints = f"list_select({SPLIT}, {[position[name] + 1 for name in HINTS]})"
    if last in (position[name] for name in HINTS):
        hints = f"list_transform({hints}, lambda text: rtrim(text, chr(10)))"
    return _Carried(hints,
                    f"SELECT id, {texts} FROM (SELECT rowid AS id, {SPLIT} AS fields FROM {table} "
                    "WHERE reason IS NULL AND line IS NOT NULL)")


def _read_lines(db: duckdb.DuckDBPyConnection, table: str, header: list[str], written_in_scope: dict[str, str],
                lines: str, parameters: list, checked_beside: bool) -> None:
    """Create `table` (h, reason, line) from `lines` (SQL of a relation with `line`): every line gets its claim id's
    hash and keeps its text only where it holds every `written_in_scope` text. Unless `checked_beside` (the lines
    from Arrow, each with its newline), `lines` also has `ok`, whether the record pattern takes the line: a line
    it refuses gets reason '!check' and no hash, and keeps its text."""
    # Nested CASEs test only the lines that passed the test before (an AND would test every line), and a needle
    # without a leading comma is found several times faster: each text is still in every line in scope.
    maybe_in_scope = "true"
    for _ in written_in_scope:
        maybe_in_scope = f"CASE WHEN contains(line, ?) THEN {maybe_in_scope} END"
    if checked_beside:  # one CASE on every row costs DuckDB a tenth of the statement: none where none is needed
        columns = f"{claim_id_hash(header)} AS h, NULL::VARCHAR AS reason, CASE WHEN {maybe_in_scope} THEN line END"
    else:
        columns = (f"CASE WHEN ok THEN {claim_id_hash(header)} END AS h, CASE WHEN ok THEN NULL ELSE '!check' END "
                   f"AS reason, CASE WHEN NOT ok OR {maybe_in_scope} THEN line END")
    db.execute(f"CREATE TABLE {table} AS SELECT {columns} AS line FROM {lines}",
               [*written_in_scope.values(), *parameters])


def _marked(db: duckdb.DuckDBPyConnection, table: str, refused: RefusedLines) -> bool:
    """Mark the `refused` lines in `table` as the pattern would have (no hash, reason '!check', the line's text);
    False where DuckDB read another number of lines than the file has records (then no line is known by number)."""
    first, count = db.execute(f"SELECT coalesce(min(rowid), 0), count(*) FROM {table}").fetchall()[0]
    if count != refused.records:
        return False
    if refused.texts:
        db.execute(f"UPDATE {table} SET h = NULL, reason = '!check', line = found.line FROM ("
                   f"SELECT unnest(?::BIGINT[]) + {first} - 1 AS id, unnest(?::VARCHAR[]) AS line) AS found "
                   f"WHERE {table}.rowid = found.id", [list(refused.texts), list(refused.texts.values())])
    return True


def _valid_date(text: str) -> str:
    """A Reject's fill_date: the date where the text passes the fill_date rule, else NULL."""
    return f"CASE WHEN {RULES['fill_date'].replace('fill_date', text)} THEN TRY_CAST({text} AS DATE) END"


def _later_duplicates(db: duckdb.DuckDBPyConnection, path: Path, table: str, hints: str, first: int, count: int,
                      line_index: Callable[[], LineIndex | None]) -> dict[int, Reject]:
    """rowid → the duplicate_claim_id Reject of every valid row whose id an earlier valid row has."""
    # The valid rows' hashes, sorted where they were fetched; only where some repeat are all the hashes fetched in
    # rowid order to find those rows. One array of hashes at a time, streamed into it (80 MB at 10M rows).
    candidates = _repeated(_hashes(db, f"SELECT h FROM {table} WHERE reason IS NULL", count))
    if not candidates:
        return {}
    if len(candidates) > MOST_CANDIDATES:
        raise Unshaped("too many repeated claim ids for the hash pass")
    # Every row (valid or not) with a candidate hash, in file order (the second scan returns the same rows): found
    # among the fetched hashes and read by rowid, instead of a scan comparing every row's hash (0.1-0.35 s). A
    # refused line has no hash: it gets a value that is no candidate.
    no_candidate = min(set(range(len(candidates) + 1)) - set(candidates))
    # As UBIGINT: a list of Python ints past 2**63 would make numpy compare every hash as a float (0.1-0.2 s each).
    found = numpy.flatnonzero(numpy.isin(_hashes(db, f"SELECT coalesce(h, {no_candidate}) FROM {table}", count),
                                         numpy.array(candidates, dtype=numpy.uint64))) + first
    rows = db.execute(f"SELECT rowid, h, reason, {hints} FROM {table} "
                      f"WHERE rowid IN ({', '.join(map(str, found.tolist()))}) ORDER BY rowid").fetchall()
    if any(reason is None and hints is None for _, _, reason, hints in rows):
        rows = _with_hints_from_lines(db, path, first, count, line_index(), rows) \
            or _with_hints_from_file(db, path, ", ".join(map(str, candidates)), rows)
    seen: set[str] = set()
    later: dict[int, Reject] = {}
    for rowid, _, reason, hints in rows:
        if reason is not None:
            continue
        claim_id, client_id, pbm_id, tpa_id, group_id, fill_date = hints
        if claim_id in seen:
            # A valid row: every hint is as written and its fill_date is a valid ISO date.
            later[rowid] = Reject(rowid - first + 1, "duplicate_claim_id", True, client_id, pbm_id, tpa_id, group_id,
                                  date.fromisoformat(fill_date))
        seen.add(claim_id)
    return later


def _hashes(db: duckdb.DuckDBPyConnection, query: str, most: int) -> numpy.ndarray:
    """The one UBIGINT column of `query` (no NULL, at most `most` rows), in its order: streamed in batches into one
    array, not materialized by DuckDB first and copied (a third of the time, half the memory)."""
    hashes = numpy.empty(most, numpy.uint64)
    filled = 0
    for batch in db.sql(query).to_arrow_reader(1 << 20):
        column = batch.column(0)
        if column.null_count:
            raise Unshaped("a hash fetched as NULL")
        # The values buffer as is: Arrow's to_numpy would import pandas (0.4 s).
        hashes[filled:filled + len(column)] = numpy.frombuffer(column.buffers()[1], numpy.uint64, len(column),
                                                               column.offset * 8)
        filled += len(column)
    return hashes[:filled]


def _repeated(hashes: numpy.ndarray) -> list[int]:
    """The values found more than once (`hashes` is sorted in place). Sorting 10M hashes takes a fraction of DuckDB's
    GROUP BY (docs/benchmarks.md, rounds 3 and 6)."""
    hashes.sort()
    return numpy.unique(hashes[1:][hashes[1:] == hashes[:-1]]).tolist()


def _with_hints_from_lines(db: duckdb.DuckDBPyConnection, path: Path, first: int, count: int,
                           lines: LineIndex | None, rows: list) -> list | None:
    """The candidate rows with their hints taken from their lines, where every record of the file is one line.

    That holds when no quote or carriage return can join or split lines and the file has one line per record
    after its header (so DuckDB skipped none, blank ones included): record n (rowid - first + 1) is then line n.
    Each line must also have the header's field count and a claim_id whose hash is the row's; otherwise None,
    and the caller parses the file again."""
    if lines is None or lines.lines != count + 1:
        return None
    header = header_of(path)
    texts = lines.texts([rowid - first + 1 for rowid, *_ in rows])
    fields = [texts[rowid - first + 1].split(",") for rowid, *_ in rows]
    if any(len(written) != len(header) for written in fields):
        return None
    positions = [header.index(name) for name in HINTS]
    hints = [[written[i] for i in positions] for written in fields]
    hashes = db.execute("SELECT list_transform(?::VARCHAR[], lambda id: hash(id))", [[h[0] for h in hints]]).fetchall()[0][0]
    if any(h != found for (_, h, _, _), found in zip(rows, hashes)):
        return None
    return [(rowid, h, reason, written) for (rowid, h, reason, _), written in zip(rows, hints)]


def _with_hints_from_file(db: duckdb.DuckDBPyConnection, path: Path, hashes: str, rows: list) -> list:
    """The candidate rows with their hints read again from the file (only the candidate hashes' records).

    A filtered scan keeps file order (insertion order is preserved), so the n-th record found is the n-th
    candidate row; the hashes are compared pairwise, and any mismatch hands the file to the pure reader."""
    again = db.execute(f"SELECT hash(claim_id), [{', '.join(HINTS)}] FROM ({claims_source(path, HINTS, again=True)}) "
                       f"WHERE hash(claim_id) IN ({hashes})", [str(path)]).fetchall()
    if len(again) != len(rows) or any(h != found for (_, h, _, _), (found, _) in zip(rows, again)):
        raise Unshaped("the second scan does not match the first")
    return [(rowid, h, reason, hints) for (rowid, h, reason, _), (_, hints) in zip(rows, again)]

"""Small-cell suppression of the dashboard tables (the CMS rule), with complementary suppression.

Rule. A *member table* is a table with a `members` column (the awp_discount and dispensing_fee
bucket tables). In it:
1. small_cell: a row with 1 <= members <= 10 (or a members value that is not an int: fail closed)
   has every measure (every column but the run/scope/formula context, channel and brand_generic),
   `members` included, replaced by None. Zero members is published.
2. complementary: the groups a reader can total are the rows of one channel, the rows of one
   brand_generic, and the whole table. While some group of >= 2 rows holds exactly one suppressed
   row, one more row of that group is suppressed, flagged "complementary". Groups are visited
   channels first, then drug types, then the whole table; the pick prefers the row that closes
   other lonely groups over one that opens new ones, then a non-empty row (an empty cell hides
   nothing), then fewest members, then channel, then brand_generic. A single-row group's subtotal is
   the cell itself and is published nowhere: no per-channel or per-drug-type subtotal is a column.
3. linked: a bucket (channel, brand_generic) suppressed in one member table is suppressed in every
   member table, iterated to a fixpoint, because both tables describe nearly the same claims.
4. totals: the formula_totals row of a formula stays published when its member table has 0 or >= 2
   suppressed rows: a total then yields only the sum over >= 2 hidden cells, never one cell. When
   exactly one row is suppressed (a one-row table) its totals row is suppressed too.
Every row of a member table and of formula_totals gains `suppressed` and `suppression_reason`
("small_cell" | "complementary" | None); other tables pass through unchanged. Pure: the input is
not mutated and the same input gives the same output.
"""
from __future__ import annotations

from services.publisher.domain.dashboard import SCOPE_COLUMNS, Table

CONTEXT_COLUMNS = frozenset((*SCOPE_COLUMNS, "formula_id", "formula_version", "status", "channel", "brand_generic"))
FLAG_COLUMNS = ("suppressed", "suppression_reason")
SMALL_CELL, COMPLEMENTARY = "small_cell", "complementary"
TOTALS_TABLE = "formula_totals"
MAX_SMALL = 10


def is_small(members: object) -> bool:
    """A cell describing 1..10 members; an unknown count is treated as small, so errors hide data."""
    if isinstance(members, int) and not isinstance(members, bool):
        return 1 <= members <= MAX_SMALL
    return True


def suppress_tables(tables: list[Table]) -> list[Table]:
    """The tables with small cells and their complements suppressed and flagged."""
    member_tables = [i for i, t in enumerate(tables) if "members" in t.columns]
    linked: set[tuple[str, str]] = set()
    while True:  # terminates: `linked` only grows and is bounded by the buckets present
        decisions = {i: _decide(tables[i].rows, linked) for i in member_tables}
        hidden = linked | {_key(tables[i].rows[r]) for i in member_tables for r in decisions[i]}
        if hidden == linked:
            break
        linked = hidden
    lonely = {tables[i].rows[0].get("formula_id") for i in member_tables if len(decisions[i]) == 1}
    out = []
    for i, table in enumerate(tables):
        if i in decisions:
            out.append(_apply(table, decisions[i]))
        elif table.name == TOTALS_TABLE:
            out.append(_apply(table, {r: COMPLEMENTARY for r, row in enumerate(table.rows)
                                      if row.get("formula_id") in lonely}))
        else:
            out.append(table)
    return out


def _key(row: dict) -> tuple[str, str]:
    return str(row.get("channel")), str(row.get("brand_generic"))


def _groups(rows: tuple[dict, ...]) -> list[list[int]]:
    groups = []
    for field in ("channel", "brand_generic"):
        for value in sorted({str(r.get(field)) for r in rows}):
            groups.append([i for i, r in enumerate(rows) if str(r.get(field)) == value])
    return [*groups, list(range(len(rows)))]


def _decide(rows: tuple[dict, ...], linked: set[tuple[str, str]]) -> dict[int, str]:
    """Row index -> reason, for every row to suppress."""
    reasons = {i: SMALL_CELL for i, r in enumerate(rows) if is_small(r.get("members"))}
    reasons.update({i: COMPLEMENTARY for i, r in enumerate(rows) if _key(r) in linked and i not in reasons})
    groups = _groups(rows)
    changed = True
    while changed:
        changed = False
        for group in groups:
            if len(group) >= 2 and sum(i in reasons for i in group) == 1:
                candidates = [i for i in group if i not in reasons]
                reasons[min(candidates, key=lambda i: _rank(i, rows, groups, reasons))] = COMPLEMENTARY
                changed = True
    return reasons


def _rank(i: int, rows: tuple[dict, ...], groups: list[list[int]], reasons: dict[int, str]) -> tuple:
    # Hiding row i opens each of its groups that had no hidden row and closes each that had one.
    balance = 0
    for group in groups:
        if i in group and len(group) >= 2:
            hidden = sum(j in reasons for j in group)
            balance += (hidden == 0) - (hidden == 1)
    members = rows[i]["members"]  # an int here: rows whose members is not an int are already hidden
    return balance, members == 0, members, *_key(rows[i])


def _apply(table: Table, reasons: dict[int, str]) -> Table:
    columns = (*table.columns, *(c for c in FLAG_COLUMNS if c not in table.columns))
    rows = []
    for i, row in enumerate(table.rows):
        hidden = {k: None for k in row if k not in CONTEXT_COLUMNS and k not in FLAG_COLUMNS} if i in reasons else {}
        rows.append({**row, **hidden, "suppressed": i in reasons, "suppression_reason": reasons.get(i)})
    return Table(table.name, columns, tuple(rows))

"""Small-cell suppression of the dashboard tables (the CMS rule), with complementary suppression.

Rule. A *member table* is a table with a `members` column: the awp_discount, dispensing_fee, rebate and
repricing bucket tables (rebate and repricing rows take theirs from the run's claim findings) and the
unguaranteed buckets. In it:
1. small_cell: a row with 1 <= members <= 10 (or a members value that is not an int: fail closed, so a
   bucket whose count was never gathered is hidden) has every measure (every column but the words and
   labels of dashboard_table.TEXT_COLUMNS and formula_version), `members` included, replaced by None.
   Zero members is published.
2. complementary: the groups a reader can total are the rows of one channel, the rows of one
   brand_generic, and the whole table. While some group of >= 2 rows holds exactly one suppressed
   row, one more row of that group is suppressed, flagged "complementary". Groups are visited
   channels first, then drug types, then the whole table; the pick prefers the row that closes
   other lonely groups over one that opens new ones, then a non-empty row (an empty cell hides
   nothing), then fewest members, then channel, then brand_generic.
3. linked: a bucket (channel, brand_generic) suppressed in one member table is suppressed in every
   member table, iterated to a fixpoint, because they describe nearly the same claims.
4. netting: an offset_groups row sums the variances of its group's buckets (calculations.md 3). Each
   offset's groups are single buckets, channels, drug types or the whole table, the groups of rule 2,
   and disjoint; so a row is suppressed exactly when its group holds one hidden bucket of its formula's
   table (then it would show that cell), with that bucket's reason. A sum over >= 2 hidden cells stays.
5. totals: the formula_totals and rebate_totals rows of a formula stay published when its member table
   has 0 or >= 2 suppressed rows and its netting 0 or >= 2: a total then yields only a sum over >= 2
   hidden cells, never one cell. Otherwise (a one-row table; a lone one-bucket channel hidden among
   netting rows that are published) its totals rows are suppressed too, and so are run_summary's total
   owed figures when that formula is a guarantee (they add its shortfall).
6. counts: a finding table without members (suspect_channel) is judged on its claim count, 1..10 hidden:
   at most ten claims describe at most ten members.
Every row of a table these rules judge gains `suppressed` and `suppression_reason` ("small_cell" |
"complementary" | None); other tables (readiness, generic_dispensing_rate) pass through unchanged. Pure:
the input is not mutated and the same input gives the same output.
"""
from __future__ import annotations

from collections import Counter

from kernel.sufficiency import GUARANTEES
from services.publisher.domain.dashboard_netting import group_of
from services.publisher.domain.dashboard_table import TEXT_COLUMNS, Table

CONTEXT_COLUMNS = frozenset((*TEXT_COLUMNS, "formula_version"))
FLAG_COLUMNS = ("suppressed", "suppression_reason")
SMALL_CELL, COMPLEMENTARY = "small_cell", "complementary"
TOTALS_TABLES = frozenset(("formula_totals", "rebate_totals"))
NETTING_TABLE, SUMMARY_TABLE = "offset_groups", "run_summary"
COUNT_TABLES = {"suspect_channel": "claims"}   # table → the count it is judged on
MAX_SMALL = 10
Bucket = tuple[str, str]


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
    lonely = {str(tables[i].rows[0].get("formula_id")) for i in member_tables if len(decisions[i]) == 1}
    hidden_buckets = _hidden_buckets(tables, decisions)
    netting = {i: _netting(t.rows, hidden_buckets) for i, t in enumerate(tables) if t.name == NETTING_TABLE}
    for i, reasons in netting.items():   # one hidden group: the formula's shortfall less the others would show it
        hidden_per_formula = Counter(str(tables[i].rows[r].get("formula_id")) for r in reasons)
        lonely |= {formula for formula, count in hidden_per_formula.items() if count == 1}
    out = []
    for i, table in enumerate(tables):
        if i in decisions:
            reasons = decisions[i]
        elif table.name in TOTALS_TABLES:
            reasons = {r: COMPLEMENTARY for r, row in enumerate(table.rows) if str(row.get("formula_id")) in lonely}
        elif i in netting:
            reasons = netting[i]
        elif table.name == SUMMARY_TABLE:
            reasons = {r: COMPLEMENTARY for r in range(len(table.rows)) if lonely & set(GUARANTEES)}
        elif table.name in COUNT_TABLES:
            reasons = {r: SMALL_CELL for r, row in enumerate(table.rows) if is_small(row.get(COUNT_TABLES[table.name]))}
        else:
            out.append(table)
            continue
        out.append(_apply(table, reasons))
    return out


def _hidden_buckets(tables: list[Table], decisions: dict[int, dict[int, str]]) -> dict[str, dict[Bucket, str | None]]:
    """formula_id → each bucket of its member table → why it is hidden (None: published)."""
    found: dict[str, dict[Bucket, str | None]] = {}
    for i, reasons in decisions.items():
        for r, row in enumerate(tables[i].rows):
            if row.get("formula_id") is not None:
                found.setdefault(str(row["formula_id"]), {})[_key(row)] = reasons.get(r)
    return found


def _netting(rows: tuple[dict, ...], hidden_buckets: dict[str, dict[Bucket, str | None]]) -> dict[int, str]:
    reasons: dict[int, str] = {}
    for r, row in enumerate(rows):
        buckets = hidden_buckets.get(str(row.get("formula_id")), {})
        offset = str(row.get("offset"))
        known = group_of(offset, "", "") is not None   # an offset this code does not know: any hidden bucket hides
        hidden = [why for (channel, bg), why in buckets.items()
                  if why is not None and (not known or group_of(offset, channel, bg) == row.get("group"))]
        if len(hidden) == 1 or (hidden and not known):
            reasons[r] = hidden[0]
    return reasons


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

"""The Beast Mode corpus: each expression replayed on a small claims dataset and compared with a value computed here
in plain Python (Decimal over the rows, never by the code under test), or reported untranslatable with a reason."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

import pytest

from services.takeover.domain.beast_modes.translate import DIVISION_FLAG
from services.takeover.service_layer.replay import replay
from tests.unit.beast_modes.claims_rows import COLUMNS, ROWS, add_months, dayofweek, week_mode0
from tests.unit.beast_modes.fakes import FakeExportObjects, RowsSilver

R = ROWS
PAID = [r for r in R if r.status == "PAID"]
Expected = Callable[[], object]


def total(values) -> Decimal:
    return sum((Decimal(v) for v in values if v is not None), Decimal(0))


# (id, expression, card aggregation, expected value computed here)
EXACT: list[tuple[str, str, str | None, Expected]] = [
    ("sum", "SUM(`Plan Paid`)", None, lambda: total(r.paid for r in R)),
    ("row-level default SUM", "`Plan Paid`", None, lambda: total(r.paid for r in R)),
    ("sum of case with else", "SUM(CASE WHEN `Claim Status` = 'PAID' THEN `Plan Paid` ELSE 0 END)", None,
     lambda: total(r.paid for r in PAID)),
    ("case without else is NULL", "CASE WHEN `Claim Status` = 'PAID' THEN `Plan Paid` END", "SUM",
     lambda: total(r.paid for r in PAID)),
    ("count", "COUNT(`Claim ID`)", None, lambda: len(R)),
    ("count distinct", "COUNT(DISTINCT `Drug Name`)", None, lambda: len({r.drug for r in R if r.drug is not None})),
    ("min date", "MIN(`Fill Date`)", None, lambda: min(r.fill for r in R).isoformat()),
    ("max decimal", "MAX(`Plan Paid`)", None, lambda: max(r.paid for r in R)),
    ("ifnull", "SUM(IFNULL(`Copay`, 0))", None, lambda: total(r.copay or 0 for r in R)),
    ("coalesce", "SUM(COALESCE(`Copay`, `Plan Paid`))", None,
     lambda: total(r.paid if r.copay is None else r.copay for r in R)),
    ("simple case", "SUM(CASE `Claim Status` WHEN 'PAID' THEN 1 WHEN 'REVERSAL' THEN -1 ELSE 0 END)", None,
     lambda: sum({"PAID": 1, "REVERSAL": -1}.get(r.status, 0) for r in R)),
    ("if", "IF(`Qty` > 0, `Plan Paid`, 0)", "SUM", lambda: total(r.paid for r in R if r.qty > 0)),
    ("null arithmetic skips the row", "`Plan Paid` * `Qty` - `Copay`", "SUM",
     lambda: total(r.paid * r.qty - r.copay for r in R if r.copay is not None)),
    ("greatest", "GREATEST(`Days Supply`, `Qty`)", "SUM", lambda: sum(max(r.days, r.qty) for r in R)),
    ("integer DIV", "`Days Supply` DIV 7", "SUM", lambda: sum(r.days // 7 for r in R)),
    ("year", "YEAR(`Fill Date`)", "MIN", lambda: min(r.fill.year for r in R)),
    ("month in a condition", "SUM(CASE WHEN MONTH(`Fill Date`) = 3 THEN `Plan Paid` ELSE 0 END)", None,
     lambda: total(r.paid for r in R if r.fill.month == 3)),
    ("quarter", "QUARTER(`Fill Date`)", "SUM", lambda: sum((r.fill.month - 1) // 3 + 1 for r in R)),
    ("datediff", "DATEDIFF(`Loaded At`, `Fill Date`)", "SUM", lambda: sum((r.loaded.date() - r.fill).days for r in R)),
    ("date_add month stays a date", "DATE_ADD(`Fill Date`, INTERVAL 1 MONTH)", "MAX",
     lambda: max(add_months(r.fill, 1) for r in R).isoformat()),
    ("date_sub days", "MIN(DATE_SUB(`Fill Date`, INTERVAL 7 DAY))", None,
     lambda: (min(r.fill for r in R) - dt.timedelta(days=7)).isoformat()),
    ("date_format year-month", "COUNT(DISTINCT DATE_FORMAT(`Fill Date`, '%Y-%m'))", None,
     lambda: len({f"{r.fill.year}-{r.fill.month:02d}" for r in R})),
    ("date_format names", "DATE_FORMAT(`Fill Date`, '%M %e, %Y')", "MAX",
     lambda: max(f"{r.fill.strftime('%B')} {r.fill.day}, {r.fill.year}" for r in R)),
    ("week default mode 0", "WEEK(`Fill Date`)", "SUM", lambda: sum(week_mode0(r.fill) for r in R)),
    ("week mode 3 is ISO", "WEEK(`Fill Date`, 3)", "SUM", lambda: sum(r.fill.isocalendar()[1] for r in R)),
    ("dayofweek", "DAYOFWEEK(`Fill Date`)", "SUM", lambda: sum(dayofweek(r.fill) for r in R)),
    ("concat", "CONCAT(`Claim Status`, '-', `Drug Name`)", "MAX",
     lambda: max(f"{r.status}-{r.drug}" for r in R if r.drug is not None)),
    ("concat with NULL is NULL", "COUNT(CONCAT(`Drug Name`, `Copay`))", None,
     lambda: sum(1 for r in R if r.drug is not None and r.copay is not None)),
    ("upper trim", "COUNT(DISTINCT UPPER(TRIM(`Drug Name`)))", None,
     lambda: len({r.drug.strip().upper() for r in R if r.drug is not None})),
    ("aggregated text", "CASE WHEN SUM(`Plan Paid`) > 1000 THEN 'big' ELSE 'small' END", None,
     lambda: "big" if total(r.paid for r in R) > 1000 else "small"),
    ("card COUNT_DISTINCT", "`Drug Name`", "COUNT_DISTINCT", lambda: len({r.drug for r in R if r.drug is not None})),
    ("card MIN", "`Days Supply`", "MIN", lambda: min(r.days for r in R)),
    ("card COUNT skips NULL", "`Copay`", "COUNT", lambda: sum(1 for r in R if r.copay is not None)),
    # Quirks of pasted text: the value is the plain expression's.
    ("no-break and zero-width spaces", "SUM(\u00a0`Plan\u00a0Paid`\u200b)\u00a0", None, lambda: total(r.paid for r in R)),
    ("curly quotes", "SUM(CASE WHEN \u201cClaim Status\u201d = \u2018PAID\u2019 THEN \u201cPlan Paid\u201d END)", None,
     lambda: total(r.paid for r in PAID)),
    ("comments", "-- paid, all rows\nSUM(`Plan Paid`) /* reversals included */", None, lambda: total(r.paid for r in R)),
    ("double-quoted name with a space", 'SUM("Days Supply")', None, lambda: sum(r.days for r in R)),
    ("doubled quote in a string", "SUM(CASE WHEN `Drug Name` = 'O''Brien''s Tonic' THEN `Qty` ELSE 0 END)", None,
     lambda: sum(r.qty for r in R if r.drug == "O'Brien's Tonic")),
    ("SUM(CASE) per row", "SUM(CASE WHEN `Qty` > 50 THEN `Plan Paid` ELSE 0 END)", None,
     lambda: total(r.paid for r in R if r.qty > 50)),
    ("CASE over SUM once per card", "CASE WHEN SUM(`Qty`) > 50 THEN SUM(`Plan Paid`) ELSE 0 END", None,
     lambda: total(r.paid for r in R) if sum(r.qty for r in R) > 50 else 0),
]

# Quotients and averages are DOUBLE in DuckDB: compared to the exact Decimal within 1e-12 (relative).
APPROX: list[tuple[str, str, str | None, Expected]] = [
    ("avg", "AVG(`Days Supply`)", None, lambda: Decimal(sum(r.days for r in R)) / len(R)),
    ("round of a quotient", "ROUND(SUM(`Plan Paid`) / COUNT(`Claim ID`), 2)", None,
     lambda: (total(r.paid for r in R) / len(R)).quantize(Decimal("0.01"), ROUND_HALF_UP)),
    ("ratio of sums", "SUM(`Plan Paid`) / SUM(`Qty`)", None, lambda: total(r.paid for r in R) / sum(r.qty for r in R)),
    ("row division by zero is NULL", "`Plan Paid` / `Qty`", "SUM", lambda: total(r.paid / r.qty for r in R if r.qty)),
    ("double column", "ROUND(`AWP Ratio` * 100, 1)", "AVG",
     lambda: sum(Decimal(r.ratio) * 100 for r in R) / len(R)),
    ("sum over count distinct", "SUM(`Plan Paid`) / COUNT(DISTINCT `Claim ID`)", None,
     lambda: total(r.paid for r in R) / len({r.claim_id for r in R})),
]

UNTRANSLATABLE = [
    ("WEEK(`Fill Date`, 11)", "unsupported: WEEK mode 11"),
    ("WEEK(`Fill Date`, 22)", "unsupported: WEEK mode 22"),
    ("SUM(CASE WHEN `Fill Date` > CURDATE() THEN 1 END)", "not_deterministic: CURDATE()"),
    ("DATEDIFF(NOW(), `Fill Date`)", "not_deterministic: NOW()"),
    ("SUM(`Billed Amount`)", "unknown_column: Billed Amount"),
    ("SUM(`plan paid`)", "unknown_column: plan paid"),
    ("SUM(`Plan Paid`", "unparseable"),
    ("CASE WHEN SUM(`Qty`) > 1 THEN `Qty` END", "mixed_aggregation"),
    ("SUM(MAX(`Qty`))", "nested_aggregate"),
    ("REGEXP_LIKE(`Drug Name`, 'in$')", "unsupported: function REGEXP_LIKE"),
    ("DATE_FORMAT(`Fill Date`, '%U')", "unsupported: DATE_FORMAT specifier"),
    ("SELECT SUM(`Qty`)", "unparseable"),
]


@pytest.fixture(scope="module")
def silver() -> RowsSilver:
    return RowsSilver("ds-claims", COLUMNS, [list(r) for r in R])


def replay_one(silver: RowsSilver, expression: str, aggregation: str | None = None, filters=(), recorded=None) -> dict:
    card = {"card_id": "CARD", "dataset_id": "ds-claims", "beast_mode_ids": ["calculation_x"], "filters": list(filters),
            "recorded_value": recorded}
    if aggregation:
        card["aggregation"] = aggregation
    mode = {"id": "BM", "legacyId": "calculation_x", "expression": expression,
            "links": [{"resource": {"type": "DATA_SOURCE", "id": "ds-claims"}}]}
    [entry] = replay("LD-1", FakeExportObjects("LD-1", [card], [mode]), silver)
    return entry


def test_the_corpus_has_at_least_30_expressions() -> None:
    assert len(EXACT) + len(APPROX) + len(UNTRANSLATABLE) >= 30


@pytest.mark.parametrize(("expression", "aggregation", "expected"), [c[1:] for c in EXACT], ids=[c[0] for c in EXACT])
def test_exact_values(silver: RowsSilver, expression: str, aggregation: str | None, expected: Expected) -> None:
    entry = replay_one(silver, expression, aggregation)
    want = expected()
    assert entry["reason"] is None and entry["sql"]
    if isinstance(want, str):
        assert entry["replayed_value"] == want
    else:
        assert Decimal(entry["replayed_value"]) == Decimal(want)


@pytest.mark.parametrize(("expression", "aggregation", "expected"), [c[1:] for c in APPROX], ids=[c[0] for c in APPROX])
def test_double_values(silver: RowsSilver, expression: str, aggregation: str | None, expected: Expected) -> None:
    entry = replay_one(silver, expression, aggregation)
    want = Decimal(expected())
    assert entry["reason"] is None
    assert abs(Decimal(entry["replayed_value"]) - want) <= Decimal("1e-12") * max(Decimal(1), abs(want))


@pytest.mark.parametrize(("expression", "reason"), UNTRANSLATABLE)
def test_untranslatable_with_a_reason(silver: RowsSilver, expression: str, reason: str) -> None:
    entry = replay_one(silver, expression)
    assert entry["status"] == "untranslatable" and entry["sql"] is None and entry["replayed_value"] is None
    assert entry["reason"].startswith(reason)


def test_domo_week_modes_are_never_guessed(silver: RowsSilver) -> None:
    for mode in (11, 22):
        assert "not guessed" in replay_one(silver, f"WEEK(`Fill Date`, {mode})")["reason"]


def test_sum_of_case_and_case_of_sum_differ(silver: RowsSilver) -> None:
    per_row = replay_one(silver, "SUM(CASE WHEN `Qty` > 50 THEN `Plan Paid` ELSE 0 END)")["replayed_value"]
    per_card = replay_one(silver, "CASE WHEN SUM(`Qty`) > 50 THEN SUM(`Plan Paid`) ELSE 0 END")["replayed_value"]
    assert Decimal(per_row) != Decimal(per_card)


def test_unguarded_division_gives_null_and_is_flagged(silver: RowsSilver) -> None:
    entry = replay_one(silver, "SUM(`Plan Paid`) / SUM(`Qty` * 0)", recorded=None)
    assert entry["replayed_value"] is None and entry["flags"] == [DIVISION_FLAG]
    assert "NULLIF" in entry["sql"] and entry["status"] == "match"
    assert replay_one(silver, "SUM(`Plan Paid`)")["flags"] == []


def test_division_of_row_values_by_zero_drops_those_rows(silver: RowsSilver) -> None:
    entry = replay_one(silver, "`Plan Paid` / `Qty`", "COUNT")
    assert entry["replayed_value"] == str(sum(1 for r in R if r.qty)) and entry["flags"] == [DIVISION_FLAG]


def test_double_sums_render_without_float_noise() -> None:
    silver = RowsSilver("ds", [("x", "x", "DOUBLE", 0)], [[0.1], [0.2]])
    card = {"card_id": "C", "dataset_id": "ds", "beast_mode_ids": ["B"], "recorded_value": "0.3"}
    mode = {"id": "B", "expression": "SUM(`x`)"}
    [entry] = replay("L", FakeExportObjects("L", [card], [mode]), silver)
    assert 0.1 + 0.2 != 0.3 and entry["replayed_value"] == "0.3" and entry["status"] == "match"


def test_decimal_sums_keep_their_scale(silver: RowsSilver) -> None:
    assert replay_one(silver, "SUM(`Copay`)")["replayed_value"] == f"{total(r.copay for r in R):.2f}"

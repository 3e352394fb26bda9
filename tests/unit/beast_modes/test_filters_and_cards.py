"""Card filters (every Domo operator replay states) and the card-level rules of replay, on the corpus dataset."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kernel.errors import NotFound
from services.takeover.service_layer.replay import replay
from tests.unit.beast_modes.claims_rows import COLUMNS, ROWS
from tests.unit.beast_modes.fakes import FakeExportObjects, RowsSilver

R = ROWS
MODE = {"id": "BM-PAID", "legacyId": "calculation_paid", "expression": "SUM(`Plan Paid`)",
        "links": [{"resource": {"type": "DATA_SOURCE", "id": "ds-claims"}}]}


def paid(keep) -> str:
    return str(sum((r.paid for r in R if keep(r)), Decimal("0.00")))


FILTERS = [
    ("IN", "Claim Status", ["PAID"], lambda r: r.status == "PAID"),
    ("NOT_IN", "Claim Status", ["REVERSAL", "REJECTED"], lambda r: r.status not in ("REVERSAL", "REJECTED")),
    ("EQUALS", "Drug Name", ["O'Brien's Tonic"], lambda r: r.drug == "O'Brien's Tonic"),
    ("NOT_EQUALS", "Claim Status", ["PAID"], lambda r: r.status != "PAID"),
    ("GREATER_THAN", "Plan Paid", ["100"], lambda r: r.paid > 100),
    ("GREATER_THAN_EQUAL", "Loaded At", ["2025-03-01T00:00:00"], lambda r: r.loaded >= dt.datetime(2025, 3, 1)),
    ("LESS_THAN", "Qty", ["30"], lambda r: r.qty < 30),
    ("LESS_THAN_EQUAL", "Days Supply", ["30"], lambda r: r.days <= 30),
    ("BETWEEN", "Fill Date", ["2025-01-01", "2025-03-31"], lambda r: dt.date(2025, 1, 1) <= r.fill <= dt.date(2025, 3, 31)),
    ("CONTAINS", "Drug Name", ["pril"], lambda r: r.drug is not None and "pril" in r.drug),
    ("NOT_CONTAINS", "Drug Name", ["pril"], lambda r: r.drug is not None and "pril" not in r.drug),
    ("BEGINS_WITH", "Drug Name", ["Hum"], lambda r: r.drug is not None and r.drug.startswith("Hum")),
    ("ENDS_WITH", "Drug Name", ["in"], lambda r: r.drug is not None and r.drug.endswith("in")),
    ("LIKE", "Drug Name", ["%o%"], lambda r: r.drug is not None and "o" in r.drug),
    ("IS_NULL", "Copay", [], lambda r: r.copay is None),
    ("IS_NOT_NULL", "Copay", [], lambda r: r.copay is not None),
    ("GREATER_THAN", "AWP Ratio", ["0.5"], lambda r: r.ratio > 0.5),
]


@pytest.fixture(scope="module")
def silver() -> RowsSilver:
    return RowsSilver("ds-claims", COLUMNS, [list(r) for r in R])


def run(silver: RowsSilver, cards: list[dict], modes=(MODE,), card_id: str | None = None) -> list[dict]:
    return replay("LD-1", FakeExportObjects("LD-1", cards, list(modes)), silver, card_id)


def card(**fields) -> dict:
    return {"card_id": "CARD", "dataset_id": "ds-claims", "beast_mode_ids": ["BM-PAID"], **fields}


@pytest.mark.parametrize(("operator", "column", "values", "keep"), FILTERS, ids=[f"{f[0]}-{f[1]}" for f in FILTERS])
def test_filter(silver: RowsSilver, operator: str, column: str, values: list[str], keep) -> None:
    [entry] = run(silver, [card(filters=[{"column": column, "operator": operator, "values": values}])])
    assert entry["reason"] is None
    assert Decimal(entry["replayed_value"] or "0") == Decimal(paid(keep))


def test_filters_combine_with_and(silver: RowsSilver) -> None:
    filters = [{"column": "Claim Status", "operator": "IN", "values": ["PAID"]},
               {"column": "Qty", "operator": "GREATER_THAN", "values": ["29"]}]
    [entry] = run(silver, [card(filters=filters)])
    assert entry["replayed_value"] == paid(lambda r: r.status == "PAID" and r.qty > 29)


@pytest.mark.parametrize(
    ("bad_filter", "reason"),
    [
        ({"column": "Plan paid", "operator": "IN", "values": ["1"]}, "unknown_column: filter on Plan paid"),
        ({"column": "Qty", "operator": "FUZZY", "values": ["1"]}, "unsupported_filter: operator FUZZY"),
        ({"column": "Qty", "operator": "EQUALS", "values": ["1.5"]}, "filter_value: '1.5' is not a LONG"),
        ({"column": "Fill Date", "operator": "EQUALS", "values": ["31/01/2025"]}, "filter_value"),
        ({"column": "Qty", "operator": "BETWEEN", "values": ["1"]}, "filter_values: BETWEEN with 1"),
        ({"column": "Qty", "operator": "IN", "values": []}, "filter_values: IN with 0"),
    ],
)
def test_a_filter_replay_cannot_state_exactly_is_a_reason(silver: RowsSilver, bad_filter: dict, reason: str) -> None:
    [entry] = run(silver, [card(filters=[bad_filter])])
    assert entry["status"] == "untranslatable" and entry["reason"].startswith(reason)


def test_filter_values_are_literals_not_sql(silver: RowsSilver) -> None:
    [entry] = run(silver, [card(filters=[{"column": "Drug Name", "operator": "IN", "values": ["x') OR ('1'='1"]}])])
    assert entry["replayed_value"] is None and entry["reason"] is None


def test_status_match_differs_and_recorded_rounding(silver: RowsSilver) -> None:
    exact = paid(lambda r: True)
    cards = [card(card_id="A", recorded_value=exact), card(card_id="B", recorded_value="1"),
             card(card_id="C", recorded_value=str(Decimal(exact).quantize(Decimal(1)))),
             card(card_id="D", recorded_value=f"{Decimal(exact):,}")]
    assert [e["status"] for e in run(silver, cards)] == ["match", "differs", "match", "match"]


def test_cards_refer_to_beast_modes_by_id_or_legacy_id_and_only_the_first_counts(silver: RowsSilver) -> None:
    count = {"id": "BM-COUNT", "expression": "COUNT(`Claim ID`)"}
    entries = run(silver, [card(card_id="A", beast_mode_ids=["calculation_paid", "BM-COUNT"]),
                           card(card_id="B", beast_mode_ids=["BM-COUNT", "BM-PAID"])], modes=(MODE, count))
    assert [e["replayed_value"] for e in entries] == [paid(lambda r: True), str(len(R))]
    assert entries[0]["beast_mode_ids"] == ["calculation_paid", "BM-COUNT"]


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"beast_mode_ids": []}, "card_without_beast_mode"),
        ({"beast_mode_ids": ["nope"]}, "unknown_beast_mode: nope"),
        ({"dataset_id": "ds-other"}, "dataset_not_in_load: ds-other"),
        ({"aggregation": "MEDIAN", "beast_mode_ids": ["BM-ROW"]}, "unsupported: card aggregation MEDIAN"),
    ],
)
def test_card_level_reasons(silver: RowsSilver, fields: dict, reason: str) -> None:
    row_level = {"id": "BM-ROW", "expression": "`Qty`"}
    [entry] = run(silver, [card(**fields)], modes=(MODE, row_level))
    assert entry["status"] == "untranslatable" and entry["reason"] == reason


def test_an_engine_refusal_is_reported_with_the_sql_it_ran(silver: RowsSilver) -> None:
    [entry] = run(silver, [card(beast_mode_ids=["BM-TEXT"])], modes=({"id": "BM-TEXT", "expression": "`Drug Name`"},))
    assert entry["status"] == "untranslatable" and entry["reason"].startswith("evaluation_failed:")
    assert entry["sql"].startswith('SELECT SUM("drug_name")')


def test_entry_keys_and_one_card_or_none(silver: RowsSilver) -> None:
    entries = run(silver, [card(card_id="A"), card(card_id="B")], card_id="B")
    assert [e["card_id"] for e in entries] == ["B"]
    assert set(entries[0]) == {"card_id", "beast_mode_ids", "sql", "replayed_value", "recorded_value", "status",
                               "reason", "flags"}
    with pytest.raises(NotFound):
        run(silver, [card()], card_id="Z")
    with pytest.raises(NotFound):
        replay("LD-404", FakeExportObjects("LD-1", [], []), silver)

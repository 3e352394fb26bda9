"""Each number rule of the DuckDB validator accepts exactly the strings the pure reader's parser accepts."""
import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.calc.adapters.duckdb_validation import RULES
from services.calc.domain import values as v

PARSERS = {"days_supply": v.positive_integer, "quantity": v.decimal(3, positive=True), "awp_unit_price": v.decimal(5),
           "ingredient_cost_paid": v.decimal(2), "plan_paid": v.decimal(2), "ndc": v.digits(11),
           "pharmacy_npi": v.digits(10), "fill_date": v.iso_date}
# Mostly zeros, digits and points, so the boundary cases (0, 0.000, 00.001, 1.0000, 1., .5) come up often.
numberish = st.text(st.sampled_from("0000011999..+-e ٣x"), max_size=9)
TRICKY = ["0", "00", "0.0", "0.000", "0.001", "00.010", "0.0001", "1.0000", "1.", ".5", "01", "10", "0.100", "1.234",
          "0.00001", "0.000001", "2025-02-28", "2025-02-29", "0000-01-01", "2024-02-29", "٣"]


@pytest.fixture(scope="module")
def db():
    with duckdb.connect() as connection:
        yield connection


def _accepted(db, column: str, texts: list[str]) -> list[bool]:
    rows = db.execute(f"SELECT coalesce({RULES[column]}, false) FROM (SELECT unnest(?) AS {column}, "
                      "generate_subscripts(?, 1) AS i) ORDER BY i", [texts, texts]).fetchall()
    return [bool(ok) for (ok,) in rows]


@settings(max_examples=150, deadline=None)
@given(texts=st.lists(numberish, min_size=1, max_size=40))
def test_every_number_rule_is_the_parsers(db, texts):
    texts = texts + TRICKY
    for column, parse in PARSERS.items():
        assert _accepted(db, column, texts) == [parse(t) is not v.INVALID for t in texts], column

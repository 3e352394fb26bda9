"""Client C002's deliberate data-quality defects: a few malformed rows and orphan reversals."""

import random
from collections.abc import Callable

DEFECT_CLIENT = "C002"
# Ten malformed rows (each breaks exactly one rule of calculations.md 1.1) and three reversals of
# claims from a prior extract; spread evenly over the file, so over both contract years.
KINDS = ("ndc_10_digits", "negative_member_paid", "orphan_reversal", "unknown_channel",
         "duplicate_claim_id", "ndc_10_digits", "orphan_reversal", "negative_ingredient_cost",
         "lowercase_channel", "duplicate_claim_id", "zero_days_supply", "orphan_reversal",
         "awp_six_places")
ROWS_PER_DEFECT = 100  # small files get proportionally fewer defects


class Defects:
    """Where the defects go, and how a clean C002 claim is turned into each of them."""

    def __init__(self, rng: random.Random, n_claims: int, columns: tuple[str, ...]):
        count = min(len(KINDS), n_claims // ROWS_PER_DEFECT)
        self.rows = {_position(rng, k, count, n_claims): KINDS[k] for k in range(count)}
        self._col = {name: i for i, name in enumerate(columns)}
        self._repeat: list[str] = []

    def row(self, row: int, clean_claim: Callable[[], list[str]]) -> list[str]:
        """The row to write at a defect position; `clean_claim` draws a clean PAID claim of C002."""
        kind = self.rows[row]
        if kind == "repeat":
            return self._repeat
        fields = clean_claim()
        if kind == "duplicate_claim_id":  # the same claim sent twice: now, and on the next row
            self.rows[row + 1], self._repeat = "repeat", list(fields)
            return fields
        if kind == "orphan_reversal":
            return self._orphan(fields)
        column, breaks = _EDITS[kind]
        fields[self._col[column]] = breaks(fields[self._col[column]])
        return fields

    def _orphan(self, fields: list[str]) -> list[str]:
        """A reversal of a claim from an earlier extract, which this file does not contain."""
        col = self._col
        prior = "RXP" + fields[col["claim_id"]][2:]
        fields[col["claim_status"]], fields[col["reverses_claim_id"]] = "REVERSAL", prior
        return fields


_EDITS = {  # kind -> (column, how its value gets broken); each breaks exactly one rule of 1.1
    "ndc_10_digits": ("ndc", lambda value: value[1:]),  # as spreadsheets drop leading zeros
    "negative_member_paid": ("member_paid", lambda value: "-" + value),
    "negative_ingredient_cost": ("ingredient_cost_paid", lambda value: "-" + value),
    "unknown_channel": ("channel", lambda value: "RETAIL_60"),
    "lowercase_channel": ("channel", str.lower),
    "zero_days_supply": ("days_supply", lambda value: "0"),
    "awp_six_places": ("awp_unit_price", lambda value: value + "1"),
}


def _position(rng: random.Random, k: int, count: int, n_claims: int) -> int:
    """A row inside the k-th of `count` equal stretches of the file, never its last row (a
    duplicate is repeated on the row after it)."""
    low, high = k * n_claims // count, (k + 1) * n_claims // count
    return low + rng.getrandbits(32) % (high - low - 1)

"""The scoped claim-level extract: the minimum-necessary columns of a run's netted claims.

Member ids never appear: each is replaced by a keyed, per-client pseudonym (HMAC-SHA256 under a key
derived from the publisher's secret and the client id). The same member gets the same pseudonym in
every run of that client, so an analyst can follow a member across runs; without the key the
pseudonym cannot be reversed, and the same member under two clients gets unrelated pseudonyms.
"""
from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import astuple, dataclass, fields
from datetime import date
from decimal import Decimal
from typing import IO

PSEUDONYM_PREFIX = "mk_"  # never shaped like a member id (the contract refuses `M` + digits)


@dataclass(frozen=True, slots=True)
class ExtractRow:
    """One netted (PAID, not reversed) in-scope claim, as the extract shows it. Columns in this order."""

    run_id: str
    row: int            # the claim's 1-based data row in the claims input, for tracing back to the source
    claim_id: str
    member_key: str     # the keyed pseudonym, never the member id
    tpa_id: str
    group_id: str
    fill_date: date
    ndc: str
    drug_name: str
    channel: str
    brand_generic: str
    basis_of_cost: str
    compound: bool
    days_supply: int
    quantity: Decimal
    awp_unit_price: Decimal
    awp_ext: Decimal    # round2(awp_unit_price × quantity), as every formula uses it
    ingredient_cost_paid: Decimal
    dispensing_fee_paid: Decimal


EXTRACT_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(ExtractRow))
MONEY_COLUMNS = ("awp_ext", "ingredient_cost_paid", "dispensing_fee_paid")


class Pseudonymizer:
    """member_id → `mk_` + 24 hex chars of HMAC-SHA256(client key, member_id); one instance per client."""

    def __init__(self, secret: bytes, client_id: str) -> None:
        if len(secret) < 32:
            raise ValueError("the pseudonym secret must be at least 32 bytes")
        # A per-client key: pseudonyms of one client say nothing about another's.
        self._key = hmac.new(secret, b"leaf-member-key/v1/" + client_id.encode("utf-8"), hashlib.sha256).digest()

    def __call__(self, member_id: str) -> str:
        return PSEUDONYM_PREFIX + hmac.new(self._key, member_id.encode("utf-8"), hashlib.sha256).hexdigest()[:24]


def cell(value) -> str:
    if isinstance(value, bool):
        return "Y" if value else "N"
    return value.isoformat() if isinstance(value, date) else str(value)


def write_csv(rows: Iterable[ExtractRow], out: IO[str]) -> None:
    """RFC 4180 CSV, one row at a time (constant memory)."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXTRACT_COLUMNS)
    for row in rows:
        writer.writerow(cell(v) for v in astuple(row))


def write_json(rows: Iterable[ExtractRow], out: IO[str]) -> None:
    """A JSON array of row objects; decimals and dates as strings, counts as integers, one row at a time."""
    out.write("[")
    for i, row in enumerate(rows):
        values = {name: (v if isinstance(v, (int, str)) and not isinstance(v, bool) else cell(v))
                  for name, v in zip(EXTRACT_COLUMNS, astuple(row))}
        out.write(("," if i else "") + json.dumps(values, ensure_ascii=False, separators=(",", ":")))
    out.write("]")


def to_csv(rows: Iterable[ExtractRow]) -> bytes:
    out = io.StringIO()
    write_csv(rows, out)
    return out.getvalue().encode("utf-8")


def to_json(rows: Iterable[ExtractRow]) -> bytes:
    out = io.StringIO()
    write_json(rows, out)
    return out.getvalue().encode("utf-8")


def rows_of(run_id: str, claims: Iterable, pseudonym: Pseudonymizer) -> Iterator[ExtractRow]:
    """Extract rows from calc's claim lines (the NettedClaim fields: amounts at their places, awp_ext computed)."""
    for c in claims:
        yield ExtractRow(
            run_id, c.row, c.claim_id, pseudonym(c.member_id), c.tpa_id, c.group_id, c.fill_date, c.ndc, c.drug_name,
            c.channel, c.brand_generic, c.basis_of_cost, c.compound, c.days_supply, c.quantity, c.awp_unit_price,
            c.awp_ext, c.ingredient_cost_paid, c.dispensing_fee_paid)

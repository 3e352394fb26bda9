"""Row rules of calculations.md 1.1: the first failing column in table order names the reject reason."""
from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

from kernel.packets import BRAND_GENERIC, CHANNELS
from services.calc.domain import values as v
from services.calc.domain.claims import BASES_OF_COST, CLAIM_COLUMNS, PAID, REVERSAL, Claim, Reject

_PARSERS: tuple[v.Parser, ...] = (
    v.non_empty,                          # claim_id
    v.one_of(PAID, REVERSAL),             # claim_status
    v.any_text,                           # reverses_claim_id: checked against the status below
    v.non_empty, v.non_empty, v.non_empty, v.non_empty,  # client_id, pbm_id, tpa_id, group_id
    v.any_text,                           # member_id
    v.iso_date,                           # fill_date
    v.digits(11),                         # ndc
    v.any_text,                           # drug_name
    v.one_of(*BRAND_GENERIC),
    v.one_of(*CHANNELS),
    v.one_of(*BASES_OF_COST),
    v.yes_no,                             # compound
    v.positive_integer,                   # days_supply
    v.decimal(3, positive=True),          # quantity
    v.decimal(5),                         # awp_unit_price
    v.decimal(2), v.decimal(2), v.decimal(2), v.decimal(2),  # ingredient, fee, member, plan paid
    v.digits(10),                         # pharmacy_npi
)
assert len(_PARSERS) == len(CLAIM_COLUMNS)

_STATUS, _REVERSES = CLAIM_COLUMNS.index("claim_status"), CLAIM_COLUMNS.index("reverses_claim_id")
_CLIENT, _PBM, _TPA, _GROUP, _FILL_DATE = (CLAIM_COLUMNS.index(c) for c in
                                           ("client_id", "pbm_id", "tpa_id", "group_id", "fill_date"))
_INVALID = v.INVALID

_STATUSES, _DRUG_TYPES, _CHANNELS = frozenset((PAID, REVERSAL)), frozenset(BRAND_GENERIC), frozenset(CHANNELS)
_BASES, _YES_NO = frozenset(BASES_OF_COST), frozenset("YN")
# The digit-shaped columns of a valid row, joined by "|": fill_date, ndc, days_supply, quantity, awp_unit_price,
# the four paid amounts, pharmacy_npi. No segment may hold "|", so a field cannot smuggle one in.
_DIGIT_COLUMNS = re.compile(
    r"\d{4}-\d{2}-\d{2}\|\d{11}\|\d+\|\d+(?:\.\d{1,3})?\|\d+(?:\.\d{1,5})?(?:\|\d+(?:\.\d{1,2})?){4}\|\d{10}",
    re.ASCII)


def validate_row(row: int, fields: Sequence[str]) -> Claim | Reject:
    """A Claim, or a Reject `bad_value:<column>` for the first column (table order) whose rule fails."""
    # Most rows are valid: one combined check builds them; only a failing row walks the rules for its reason.
    claim = _valid_claim(row, fields)
    return claim if claim is not None else check_by_rules(row, fields)


def _valid_claim(row: int, fields: Sequence[str]) -> Claim | None:
    (claim_id, status, reverses, client, pbm, tpa, group, member, fill, ndc, drug, drug_type, channel, basis,
     compound, days, quantity, awp, ingredient, fee, member_paid, plan_paid, npi) = fields
    if not (claim_id and client and pbm and tpa and group) or status not in _STATUSES:
        return None
    if (status == REVERSAL) != (reverses != "") or drug_type not in _DRUG_TYPES or channel not in _CHANNELS:
        return None
    if basis not in _BASES or compound not in _YES_NO or not _DIGIT_COLUMNS.fullmatch(
            "|".join((fill, ndc, days, quantity, awp, ingredient, fee, member_paid, plan_paid, npi))):
        return None
    fill_date, days_supply, units = cast(Any, v.iso_date(fill)), int(days), Decimal(quantity)
    if fill_date is _INVALID or days_supply < 1 or not units:
        return None
    return Claim(row, claim_id, status, reverses, client, pbm, tpa, group, member, fill_date, ndc, drug, drug_type,
                 channel, basis, compound == "Y", days_supply, units, Decimal(awp), Decimal(ingredient),
                 Decimal(fee), Decimal(member_paid), Decimal(plan_paid), npi)


def check_by_rules(row: int, fields: Sequence[str]) -> Claim | Reject:
    """The rules one column at a time in table order: the reference the fast path must agree with."""
    typed: list[Any] = []  # each parser's own type, in Claim's field order
    for index, parse in enumerate(_PARSERS):
        value = parse(fields[index])
        if value is _INVALID or (index == _REVERSES and (typed[_STATUS] == REVERSAL) != (value != "")):
            return rejected(row, f"bad_value:{CLAIM_COLUMNS[index]}", fields)
        typed.append(value)
    return Claim(row, *typed)


def rejected(row: int, reason: str, fields: Sequence[str]) -> Reject:
    """A reject of a row with the header's field count, keeping the scope hints as written."""
    fill_date = v.iso_date(fields[_FILL_DATE])
    return Reject(row, reason, True, fields[_CLIENT], fields[_PBM], fields[_TPA], fields[_GROUP],
                  None if fill_date is _INVALID else cast(Any, fill_date))


def misshapen(row: int) -> Reject:
    """A row whose field count differs from the header's: it shows nothing, so it counts against every scope."""
    return Reject(row, "bad_row_shape", False, None, None, None, None, None)

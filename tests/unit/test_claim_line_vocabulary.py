"""One claim line, one vocabulary: the proto's NettedClaim is the contract, and the Python types that stand for it
use its field names (docs/claim-lines.md). A rename on one side fails here instead of silently dropping a column."""
from __future__ import annotations

from dataclasses import fields

from leaf.calc.v1 import calc_pb2
from services.calc.domain.claim_lines import ClaimLine
from services.calc.domain.claims import CLAIM_COLUMNS, Claim
from services.publisher.domain.extract import EXTRACT_COLUMNS, REASON_COLUMNS

NETTED_CLAIM = tuple(f.name for f in calc_pb2.NettedClaim.DESCRIPTOR.fields)


def test_the_calc_claim_line_is_the_netted_claim_without_its_exclusion_reasons() -> None:
    assert tuple(f.name for f in fields(ClaimLine)) + REASON_COLUMNS == NETTED_CLAIM


def test_the_extract_row_is_the_netted_claim_with_the_run_and_a_pseudonym_for_the_member() -> None:
    expected = ("run_id", *("member_key" if name == "member_id" else name for name in NETTED_CLAIM))
    assert EXTRACT_COLUMNS == expected


def test_a_claim_line_names_input_columns_as_the_input_does() -> None:
    """Every ClaimLine field but the row number and the derived awp_ext is a claims-file column of the same name."""
    derived = {"row", "awp_ext"}
    assert {f.name for f in fields(ClaimLine)} - derived <= set(CLAIM_COLUMNS)
    assert tuple(f.name for f in fields(Claim))[1:] == CLAIM_COLUMNS

"""Evidence shapes of calculations.md 1.2–1.4: strict parsing to bad_input:<kind>, and to_dict round trips."""
import copy
from datetime import date
from decimal import Decimal

import pytest

from kernel.errors import InputError
from kernel.packets import parse_contract, parse_proposal, parse_rebates

from .builders import contract_json, proposal_json, rebates_json, term


def test_a_contract_parses_to_typed_values_and_round_trips():
    packet = parse_contract(contract_json())
    assert packet.effective_from == date(2025, 1, 1) and packet.exclusions.uc_claims is True
    assert packet.terms[0].awp_discount == Decimal("0.1950") and packet.terms[1].rebate_per_claim is None
    assert packet.to_dict() == contract_json() and parse_contract(packet.to_dict()) == packet


def test_rebate_evidence_and_proposal_round_trip():
    assert parse_rebates(rebates_json()).to_dict() == rebates_json()
    assert parse_proposal(proposal_json()).to_dict() == proposal_json()


def _without(obj: dict, *path):
    broken = copy.deepcopy(obj)
    target = broken
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return broken


def _with(obj: dict, value, *path):
    broken = copy.deepcopy(obj)
    target = broken
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return broken


CONTRACT_BREAKS = [
    _without(contract_json(), "packet_id"), _without(contract_json(), "offset"),
    _without(contract_json(), "exclusions", "compounds"), _without(contract_json(), "terms", 0, "rebate_per_claim"),
    _with(contract_json(), 0.195, "terms", 0, "awp_discount"),             # a decimal as a JSON number
    _with(contract_json(), 1, "terms", 0, "dispensing_fee"),
    _with(contract_json(), "0.19501", "terms", 0, "awp_discount"),         # more than 4 places
    _with(contract_json(), "1.001", "terms", 0, "dispensing_fee"),          # more than 2 places
    _with(contract_json(), "1.0000", "terms", 0, "awp_discount"),          # outside [0, 1)
    _with(contract_json(), "-0.1", "terms", 0, "awp_discount"),
    _with(contract_json(), "1e-1", "terms", 0, "awp_discount"),
    _with(contract_json(), [term(), term()], "terms"),                      # a bucket listed twice
    _with(contract_json(), "2024-12-31", "effective_to"),                  # ends before it starts
    _with(contract_json(), "2025-02-30", "effective_to"),
    _with(contract_json(), "20251231", "effective_to"),
    _with(contract_json(), "governed", "governance"),
    _with(contract_json(), "partial", "offset"),
    _with(contract_json(), "RETAIL", "terms", 0, "channel"),
    _with(contract_json(), "b", "terms", 0, "brand_generic"),
    _with(contract_json(), "yes", "exclusions", "uc_claims"),
    _with(contract_json(), "", "client_id"),
    _with(contract_json(), "x", "source"),
    _with(contract_json(), {}, "terms"),
    "not an object",
]


@pytest.mark.parametrize("obj", CONTRACT_BREAKS)
def test_a_contract_that_breaks_its_shape_is_bad_input_contract(obj):
    with pytest.raises(InputError) as caught:
        parse_contract(obj)
    assert caught.value.code == "bad_input:contract"


def test_the_error_message_names_the_field():
    with pytest.raises(InputError, match=r"terms\[0\]\.awp_discount"):
        parse_contract(_with(contract_json(), 0.195, "terms", 0, "awp_discount"))


@pytest.mark.parametrize("obj", [
    _without(rebates_json(), "period_to"), _without(rebates_json(), "received", 0, "amount"),
    _with(rebates_json(), 100.0, "received", 0, "amount"),
    _with(rebates_json(), [{"channel": "MAIL", "amount": "1"}, {"channel": "MAIL", "amount": "2"}], "received"),
    _with(rebates_json(), "2024-01-01", "period_to"), _with(rebates_json(), "exact", "governance"),
    _with(rebates_json(), "1.001", "received", 0, "amount"),
])
def test_rebate_evidence_that_breaks_its_shape_is_bad_input_rebates(obj):
    with pytest.raises(InputError) as caught:
        parse_rebates(obj)
    assert caught.value.code == "bad_input:rebates"


@pytest.mark.parametrize("obj", [
    proposal_json(governance="candidate"), proposal_json(governance=None), _without(proposal_json(), "exclusions"),
    _without(proposal_json(), "proposal_id"), _with(proposal_json(), [term(), term()], "terms"),
    _with(proposal_json(), "1", "terms", 0, "awp_discount"),
])
def test_a_proposal_that_breaks_its_shape_or_carries_governance_is_bad_input_proposal(obj):
    with pytest.raises(InputError) as caught:
        parse_proposal(obj)
    assert caught.value.code == "bad_input:proposal"


def test_a_zero_discount_and_an_equal_window_are_allowed():
    packet = parse_contract(contract_json(effective_to="2025-01-01", terms=[term(awp_discount="0")]))
    assert packet.terms[0].awp_discount == 0 and packet.effective_to == packet.effective_from

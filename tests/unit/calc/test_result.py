"""The result of calculations.md 5: key order, canonical bytes, decimals as strings, no float anywhere."""
import json
from decimal import Decimal

import pytest

from kernel.errors import InputError
from kernel.packets import parse_contract
from services.calc.adapters.claims_file import read_claims
from services.calc.domain.calculate import calculate, render
from services.calc.domain.registry import REGISTRY_VERSION, registry

from .builders import batch, contract, contract_json, csv_bytes, proposal, rebates, reversal, row, run, scope

MONEY_FIELDS = {"awp", "ingredient_cost", "guaranteed_cost", "variance", "shortfall", "fees", "dispensing_fee",
                "guaranteed_fees", "rebate_per_claim", "guaranteed", "received", "received_other", "variance_total",
                "current_cost", "proposed_cost", "savings", "total_savings"}
RATIO_FIELDS = {"actual_discount", "guaranteed_discount", "gdr"}


def full_result():
    rows = [row("C1"), row("C2", brand_generic="G", awp_unit_price="12.34567", quantity="0.5"),
            row("C3", ndc="x"), reversal("R1", "C9"), row("C4", channel="MAIL", days_supply="90")]
    return run(rows, contract(), rebates(), proposal())


def test_top_level_inputs_and_data_quality_keys_are_in_the_documented_order():
    result = full_result()
    assert list(result) == ["registry_version", "scope", "scope_hash", "inputs", "data_quality", "readiness",
                            "formulas"]
    assert list(result["inputs"]) == ["claims_sha256", "contract_packet_id", "rebate_evidence_id", "proposal_id"]
    assert list(result["data_quality"]) == ["rows_read", "rows_rejected", "rejected_in_scope", "rejects_by_reason",
                                            "rejected_rows", "rows_out_of_scope", "reversed_pairs",
                                            "orphan_reversals", "suspect_channel"]
    assert result["registry_version"] == REGISTRY_VERSION == "1"


def test_scope_and_inputs_carry_the_run_lineage():
    the_scope = scope(group_ids=["GRP_2", "GRP_1", "GRP_1"])
    result = calculate(batch([row("C1")]), the_scope, contract(), rebates(), proposal())
    assert result["scope"] == {"client_id": "C001", "date_from": "2025-01-01", "date_to": "2025-12-31",
                               "group_ids": ["GRP_1", "GRP_2"], "pbm_id": "PBM_A", "tpa_id": None}
    assert result["scope_hash"] == the_scope.scope_hash
    assert result["inputs"] == {"claims_sha256": batch([row("C1")]).sha256, "contract_packet_id": "CP-C001-PBMA-2025",
                                "rebate_evidence_id": "RB-C001-PBMA-2025", "proposal_id": "PR-1"}


def test_formula_bucket_keys_are_in_the_documented_order():
    result = full_result()
    keys = {f["id"]: (list(f), list(f["buckets"][0]) if f.get("buckets") else None) for f in result["formulas"]}
    assert keys["awp_discount_guarantee"] == (
        ["id", "version", "status", "reasons", "excluded", "buckets", "offset", "offset_groups", "shortfall"],
        ["channel", "brand_generic", "claims", "members", "awp", "ingredient_cost", "actual_discount",
         "guaranteed_discount", "guaranteed_cost", "variance"])
    assert keys["dispensing_fee_guarantee"] == (
        ["id", "version", "status", "reasons", "excluded", "buckets", "offset", "offset_groups", "shortfall"],
        ["channel", "brand_generic", "claims", "members", "fees", "dispensing_fee", "guaranteed_fees", "variance"])
    assert keys["rebate_guarantee"] == (
        ["id", "version", "status", "reasons", "excluded", "buckets", "variance_total", "received_other",
         "shortfall"],
        ["channel", "brand_generic", "brand_claims", "rebate_per_claim", "guaranteed", "received", "variance"])
    assert keys["generic_dispensing_rate"] == (
        ["id", "version", "status", "reasons", "claims", "generic_claims", "gdr"], None)


def _walk(value, key=None):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v, key)
    else:
        yield key, value


def test_no_float_in_the_result_and_every_decimal_is_a_string_with_its_natural_places():
    for key, value in _walk(full_result()):
        assert not isinstance(value, (float, Decimal)), key
        if key in MONEY_FIELDS and value is not None:
            assert isinstance(value, str) and value.split(".")[1].__len__() == 2, (key, value)
        if key in RATIO_FIELDS and value is not None:
            assert isinstance(value, str) and len(value.split(".")[1]) == 4, (key, value)


def test_a_float_cannot_enter_the_money_path():
    claim = batch([row("C1")]).claims[0]
    for field in ("quantity", "awp_unit_price", "ingredient_cost_paid", "dispensing_fee_paid", "member_paid",
                  "plan_paid"):
        assert isinstance(getattr(claim, field), Decimal)
    packet = contract()
    assert all(isinstance(t.awp_discount, Decimal) and isinstance(t.dispensing_fee, Decimal) for t in packet.terms)
    broken = contract_json()
    broken["terms"][0]["dispensing_fee"] = 1.0
    with pytest.raises(InputError, match="bad_input:contract"):
        parse_contract(broken)


def test_render_gives_canonical_bytes_and_is_deterministic():
    first, second = render(full_result()), render(full_result())
    assert first == second and first.endswith(b"}\n") and b'", "' not in first and b'": ' not in first
    assert first == json.dumps(json.loads(first), ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def test_non_ascii_travels_as_raw_utf8():
    result = calculate(batch([row("C1")]), scope(client_id="Café"), None)
    assert "Café".encode() in render(result) and b"\\u" not in render(result)


def test_the_same_input_gives_the_same_bytes_from_a_reread_file():
    data = csv_bytes([row("C1"), row("C2")])
    assert render(calculate(read_claims(data), scope(), contract())) == render(
        calculate(read_claims(bytes(data)), scope(), contract()))


def test_the_registry_is_machine_readable_and_documents_every_formula_and_reason():
    document = registry()
    json.dumps(document)
    assert document["registry_version"] == "1"
    assert [f["id"] for f in document["formulas"]] == ["awp_discount_guarantee", "dispensing_fee_guarantee",
                                                       "rebate_guarantee", "generic_dispensing_rate",
                                                       "repricing_savings"]
    reasons = {r["reason"]: r for r in document["evidence_rules"]}
    assert reasons["contract_evidence_missing"]["effect"] == "blocked"
    assert set(reasons["contract_evidence_missing"]["applies_to"]) == {"awp_discount_guarantee",
                                                                      "dispensing_fee_guarantee"}
    assert len(reasons) == 12 and all(f["version"] == 1 for f in document["formulas"])

"""Small claims CSVs, evidence packets and scopes for the calc unit tests."""
from __future__ import annotations

import csv
import io

from kernel.packets import parse_contract, parse_proposal, parse_rebates
from kernel.scope import Scope
from services.calc.adapters.claims_file import read_claims
from services.calc.domain.calculate import calculate
from services.calc.domain.claims import CLAIM_COLUMNS

VALID_ROW = {
    "claim_id": "C1", "claim_status": "PAID", "reverses_claim_id": "", "client_id": "C001", "pbm_id": "PBM_A",
    "tpa_id": "TPA_1", "group_id": "GRP_1", "member_id": "M1", "fill_date": "2025-03-01", "ndc": "00002123401",
    "drug_name": "Drug", "brand_generic": "B", "channel": "RETAIL_30", "basis_of_cost": "AWP", "compound": "N",
    "days_supply": "30", "quantity": "1", "awp_unit_price": "300.00", "ingredient_cost_paid": "240.00",
    "dispensing_fee_paid": "1.00", "member_paid": "10.00", "plan_paid": "231.00", "pharmacy_npi": "1234567890",
}


def row(claim_id: str = "C1", **changes: str) -> dict:
    return {**VALID_ROW, "claim_id": claim_id, **changes}


def reversal(claim_id: str, of: str, **changes: str) -> dict:
    return row(claim_id, claim_status="REVERSAL", reverses_claim_id=of, **changes)


def csv_bytes(rows: list[dict], columns=CLAIM_COLUMNS, newline: str = "\n", bom: bool = False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(columns)
    for r in rows:
        writer.writerow([r.get(c, "") for c in columns])
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")


def batch(rows: list[dict], **options):
    return read_claims(csv_bytes(rows, **options))


def scope(**changes) -> Scope:
    fields = {"client_id": "C001", "pbm_id": "PBM_A", "date_from": "2025-01-01", "date_to": "2025-12-31"}
    return Scope.parse(**{**fields, **changes})


def term(channel="RETAIL_30", brand_generic="B", awp_discount="0.1950", dispensing_fee="1.00", rebate_per_claim=None):
    return {"channel": channel, "brand_generic": brand_generic, "awp_discount": awp_discount,
            "dispensing_fee": dispensing_fee, "rebate_per_claim": rebate_per_claim}


def contract_json(**changes) -> dict:
    return {
        "packet_id": "CP-C001-PBMA-2025", "client_id": "C001", "pbm_id": "PBM_A",
        "effective_from": "2025-01-01", "effective_to": "2025-12-31", "governance": "governed_exact",
        "source": {"system": "onedrive", "path": "Clients/C001/PBM_A/2025 contract.pdf", "sha256": "ab"},
        "offset": "none", "exclusions": {"uc_claims": True, "compounds": True},
        "terms": [term("RETAIL_30", "B", "0.1950", "1.00", "210.00"), term("RETAIL_30", "G", "0.8000", "1.00")],
        **changes,
    }


def rebates_json(**changes) -> dict:
    return {"evidence_id": "RB-C001-PBMA-2025", "client_id": "C001", "pbm_id": "PBM_A",
            "period_from": "2025-01-01", "period_to": "2025-12-31", "governance": "governed_exact",
            "received": [{"channel": "RETAIL_30", "amount": "100.00"}], **changes}


def proposal_json(**changes) -> dict:
    return {"proposal_id": "PR-1", "exclusions": {"uc_claims": True, "compounds": True},
            "terms": [term("RETAIL_30", "B", "0.2000", "0.50")], **changes}


def contract(**changes):
    return parse_contract(contract_json(**changes))


def rebates(**changes):
    return parse_rebates(rebates_json(**changes))


def proposal(**changes):
    return parse_proposal(proposal_json(**changes))


_DEFAULT = object()


def run(rows: list[dict], contract_packet=_DEFAULT, rebate_evidence=None, proposal_packet=None, run_scope=None):
    return calculate(batch(rows), run_scope or scope(), contract() if contract_packet is _DEFAULT else contract_packet,
                     rebate_evidence, proposal_packet)


def formula(result: dict, formula_id: str) -> dict:
    return next(f for f in result["formulas"] if f["id"] == formula_id)

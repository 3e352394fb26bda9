"""A real run context for publisher tests: demo claims through the calc domain's pure path, no service needed.

`sample_context()` is what the publisher service would assemble for a C001 run: the section-5 result,
its lineage, the in-scope rejects and the netted claims as extract rows (pseudonymized).
Variants: governance="candidate" gives modeled formulas, contract=False gives blocked ones.
"""
from __future__ import annotations

import functools
from pathlib import Path

from demo import load_contract_packets, load_rebate_evidence
from demo.generator import generate_claims
from kernel.packets import parse_contract, parse_proposal, parse_rebates
from kernel.scope import Scope
from services.calc.adapters.claims_file import read_claims
from services.calc.domain.calculate import calculate
from services.calc.domain.claim_eligibility import claim_eligibility, judged
from services.calc.domain.claim_lines import claim_lines, netted_claims, rejects_in_scope
from services.calc.domain.registry import REGISTRY_VERSION
from services.calc.domain.run import rebates_received_other, run_id_for
from services.publisher.domain.extract import Pseudonymizer, rows_of
from services.publisher.domain.run_context import RejectedRow, RunContext

SECRET = b"test-pseudonym-secret-0123456789abcdef"
CREATED_AT = "2026-11-02T09:30:00+00:00"
PROPOSAL = {"proposal_id": "PR-C001-2026", "exclusions": {"uc_claims": True, "compounds": True},
            "terms": [{"channel": c, "brand_generic": bg, "awp_discount": d, "dispensing_fee": "0.75",
                       "rebate_per_claim": None}
                      for c, bg, d in (("RETAIL_30", "B", "0.2100"), ("RETAIL_30", "G", "0.8400"),
                                       ("MAIL", "B", "0.2400"), ("MAIL", "G", "0.8600"))]}


@functools.lru_cache(maxsize=1)
def demo_batch(n_claims: int = 20_000):
    path = Path(__file__).parent / ".cache" / f"demo_claims_{n_claims}.csv"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        generate_claims(path, n_claims)
    return read_claims(path)


def _packet(documents: list[dict], client_id: str, year: str) -> dict:
    return next(d for d in documents if d["client_id"] == client_id and d.get("effective_from", d.get("period_from", ""))
                .startswith(year))


def sample_context(governance: str = "governed_exact", contract: bool = True, rebates: bool = True,
                   proposal: bool = True, client_id: str = "C001", year: str = "2025") -> RunContext:
    batch = demo_batch()
    contract_doc = {**_packet(load_contract_packets(), client_id, year), "governance": governance} if contract else None
    rebate_doc = _packet(load_rebate_evidence(), client_id, year) if rebates and contract else None
    packet = parse_contract(contract_doc) if contract_doc else None
    pbm_id = contract_doc["pbm_id"] if contract_doc else _packet(load_contract_packets(), client_id, year)["pbm_id"]
    scope = Scope.parse(client_id, pbm_id, f"{year}-01-01", f"{year}-12-31")
    rebate = parse_rebates(rebate_doc) if rebate_doc else None
    offer = parse_proposal(PROPOSAL) if proposal else None
    result = calculate(batch, scope, packet, rebate, offer)
    evidence = []
    if packet is not None:
        evidence.append({"evidence_id": packet.packet_id, "kind": "contract_packet", "governance": governance,
                         "sha256": "a" * 64, "version": 1})
    if rebate is not None:
        evidence.append({"evidence_id": rebate.evidence_id, "kind": "rebate_evidence", "governance": "governed_exact",
                         "sha256": "b" * 64, "version": 1})
    run_id = run_id_for(scope.scope_hash, REGISTRY_VERSION, batch.sha256, [e["sha256"] for e in evidence], "")
    lineage = {"run_id": run_id, "scope_hash": scope.scope_hash, "registry_version": REGISTRY_VERSION,
               "formulas": [{"formula_id": f["id"], "version": f["version"]} for f in result["formulas"]],
               "input_hashes": {"claims_sha256": batch.sha256}, "evidence": evidence,
               "trace_id": "0af7651916cd43dd8448eb211c80319c", "itr_request_id": "",
               "claims_snapshot_id": "snap_test", "created_at": CREATED_AT,
               "rebates_received_other": rebates_received_other(packet, rebate)}
    rejected = tuple(RejectedRow(r.row, r.reason) for r in rejects_in_scope(batch.rejects, scope))
    netted = claim_lines(netted_claims(batch, scope))
    pseudonym = Pseudonymizer(SECRET, client_id)
    eligibility = claim_eligibility(packet, offer)  # the rules the formulas applied, claim by claim
    return RunContext(run_id, result, lineage, rejected, lambda: rows_of(run_id, judged(netted, eligibility), pseudonym))

"""Demo-like runs for the narrative tests: results from the calc domain, with the demo registry's names.

The demo runs (tests/publisher_fixtures.py) give final, modeled and blocked C001 and C002 audits; the small
calc-builder runs add what the demo lacks: an amount owed split final/modeled, and a partial scope with a TPA.
"""
from __future__ import annotations

import functools

from demo import load_registry
from services.calc.domain.calculate import calculate
from services.publisher.domain.run_context import Names
from tests.publisher_fixtures import sample_context
from tests.unit.calc.builders import batch, contract, rebates, row, scope

DEMO_RUNS = {"c001_final": {}, "c001_candidate_contract": {"governance": "candidate"},
             "c001_no_contract": {"contract": False}, "c002_modeled": {"client_id": "C002"},
             "c001_rebate_blocked": {"rebates": False, "proposal": False}}
RUN_NAMES = (*DEMO_RUNS, "split_owed", "partial_scope")


def names_of(scope: dict) -> Names:
    registry = load_registry()
    client = next((c["name"] for c in registry["clients"] if c["client_id"] == scope["client_id"]), None)
    pbm = next((p["name"] for p in registry["pbms"] if p["pbm_id"] == scope["pbm_id"]), None)
    tpa = next((t["name"] for t in registry["tpas"] if t["tpa_id"] == scope.get("tpa_id")), None)
    return Names(client, pbm, tpa, tuple((g, f"Plant {g[-1]}") for g in scope.get("group_ids") or ()))


def _split_owed_result() -> dict:
    """AWP final with a shortfall of $8.50, rebate modeled (evidence not exact) with a shortfall of $110.00."""
    claims = batch([row("C1", ingredient_cost_paid="250.00"), row("C2", brand_generic="G", awp_unit_price="100.00",
                                                                  ingredient_cost_paid="20.00")])
    return calculate(claims, scope(), contract(), rebates(governance="governed_lineage"), None)


def _partial_scope_result() -> dict:
    claims = batch([row("C1"), row("C2", group_id="GRP_2")])
    return calculate(claims, scope(tpa_id="TPA_1", group_ids=("GRP_1",)), contract(), rebates(), None)


@functools.lru_cache(maxsize=1)
def narrative_runs() -> dict[str, tuple[dict, Names]]:
    """name → (section-5 result, names shown beside its ids)."""
    results = {name: sample_context(**options).result for name, options in DEMO_RUNS.items()}
    results.update(split_owed=_split_owed_result(), partial_scope=_partial_scope_result())
    return {name: (result, names_of(result["scope"])) for name, result in results.items()}

"""Every demo run a user can make: each demo plan's 2025 audit (its window cut to the plan's), the partial scope of
one group, and the two shipped proposals. The reconciliation tests run over all of them."""
from __future__ import annotations

from demo import load_registry

YEAR = ("2025-01-01", "2025-12-31")


def _plan_scopes() -> dict[str, dict]:
    plans = load_registry()["plans"]
    tpas_of: dict[tuple[str, str], set[str]] = {}
    for plan in plans:
        tpas_of.setdefault((plan["client_id"], plan["pbm_id"]), set()).add(plan["tpa_id"])
    scopes = {}
    for plan in plans:
        client, pbm = plan["client_id"], plan["pbm_id"]
        window = {"date_from": max(plan["valid_from"], YEAR[0]), "date_to": min(plan["valid_to"], YEAR[1])}
        # A client with one PBM under two TPAs is two plans: each names its TPA (a partial scope).
        tpa = {"tpa_id": plan["tpa_id"]} if len(tpas_of[(client, pbm)]) > 1 else {}
        name = "-".join([client, pbm, *tpa.values()])
        scopes[name] = {"client_id": client, "pbm_id": pbm, **tpa, **window}
    return scopes


DEMO_RUNS: dict[str, dict] = {
    **_plan_scopes(),
    "C001-PBM_A-G01": {"client_id": "C001", "pbm_id": "PBM_A", "group_ids": ["C001-G01"],
                       "date_from": YEAR[0], "date_to": YEAR[1]},
    "C001-PBM_A-proposal": {"client_id": "C001", "pbm_id": "PBM_A", "date_from": YEAR[0], "date_to": YEAR[1],
                            "proposal_id": "PR-C001-PBMA-2026"},
    "C002-PBM_C-proposal": {"client_id": "C002", "pbm_id": "PBM_C", "date_from": YEAR[0], "date_to": YEAR[1],
                            "proposal_id": "PR-C002-PBMC-2026"},
}

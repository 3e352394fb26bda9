"""`leaf demo`: the deterministic demo data set — registry, evidence tree and generated claims — loaded under LEAF_HOME."""
from __future__ import annotations

import json
from pathlib import Path

from cli.commands.claims import load_claims
from cli.operator import local_operator
from cli.progress import Progress
from demo import ONEDRIVE_DIR, load_registry
from demo.generator import generate_claims
from demo.takeover_processes import load_demo_processes_here
from kernel import principals
from runtime.home import home_path
from services.calc import offline as calc
from services.evidence import offline as evidence
from services.scope import offline as scope
from services.takeover import offline as takeover

DEFAULT_CLAIMS = 120_000
DEFAULT_SEED = 20251231
# The demo's analysts: a group entitled to every demo client (`leaf dev-token --group leaf-demo`), whose
# entitlements name it as the principal `group:leaf-demo`.
DEMO_GROUP = "leaf-demo"
DEMO_PRINCIPAL = principals.group(DEMO_GROUP)


def register(commands) -> None:
    demo = commands.add_parser("demo", help="generate and load the synthetic demo data set (idempotent)")
    demo.add_argument("--claims", type=int, default=DEFAULT_CLAIMS, help="number of claims (default %(default)s)")
    demo.add_argument("--seed", type=int, default=DEFAULT_SEED)
    demo.set_defaults(handler=handle)


def load_demo(n_claims: int = DEFAULT_CLAIMS, seed: int = DEFAULT_SEED) -> dict:
    """Load registry, evidence and claims; the claims are generated and loaded again only when they changed."""
    scope.load_registry(load_registry())
    entitle_demo_group()
    report = evidence.sync_contracts(ONEDRIVE_DIR)
    claims_file = home_path("demo", "claims.csv")
    state_file = home_path("demo", "state.json")
    wanted = {"claims": n_claims, "seed": seed}
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    if {k: state.get(k) for k in wanted} != wanted or not claims_file.exists():
        progress = Progress(f"generating {n_claims:,} demo claims", n_claims)
        state = {**wanted, "claims_sha256": generate_claims(claims_file, n_claims, seed, progress)}
        progress.finish(f"{claims_file.stat().st_size / 1e6:.1f} MB")
        state_file.write_text(json.dumps(state))
    snapshot = calc.claims_snapshot()
    if snapshot is None or snapshot.claims_sha256 != state["claims_sha256"]:
        snapshot = load_claims(Path(claims_file))
    return {"claims_sha256": snapshot.claims_sha256, "rows_read": snapshot.rows_read, "rows_rejected": snapshot.rows_rejected,
            "packets_added": len(report.added), "packets_refused": len(report.refused),
            "takeover_load": ingest_demo_export(), "takeover_processes": load_demo_processes_here(local_operator())}


def ingest_demo_export() -> dict:
    """The shipped Leaf IQ export (demo/takeover/leafiq_export/) through the takeover plane as this operator: promoted
    once; a later `leaf demo` finds it promoted with the same content and leaves the load ledger alone."""
    from demo.takeover_export import DEMO_EXPORT_DIR, DEMO_LOAD_ID

    return takeover.ingest_unless_promoted(DEMO_EXPORT_DIR, DEMO_LOAD_ID, local_operator())


def entitle_demo_group() -> None:
    """Every demo client to the demo group, once (a grant writes an audit row, so nothing is granted twice)."""
    scope.entitle_every_client(DEMO_PRINCIPAL, local_operator(), "leaf demo: the demo data set")


def handle(args) -> int:
    print(json.dumps(load_demo(args.claims, args.seed), indent=2))
    return 0

"""The shipped demo export: exactly what its generator writes (real hashes in its manifest), promoted by `leaf demo`
once, and each card's recorded value as Domo showed it (one double-counting reversals, one with float noise)."""
from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from cli.commands.demo import ingest_demo_export
from demo.takeover_export import DEMO_EXPORT_DIR, DEMO_LOAD_ID, write_demo_export
from services.takeover.adapters.plane import build_plane
from services.takeover.settings import TakeoverStoreSettings


def _tree(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_shipped_export_is_what_its_generator_writes(tmp_path):
    manifest = write_demo_export(tmp_path / "export")
    assert _tree(tmp_path / "export") == _tree(DEMO_EXPORT_DIR)
    for file in manifest["files"]:
        data = (DEMO_EXPORT_DIR / file["path"]).read_bytes()
        assert (hashlib.sha256(data).hexdigest(), len(data)) == (file["sha256"], file["bytes"])


def test_cards_cover_the_registry_and_domos_own_mistakes():
    cards = {c["card_id"]: c for c in json.loads((DEMO_EXPORT_DIR / "cards.json").read_text())}
    titles = " ".join(c["title"] for c in cards.values())
    for formula in ("awp_discount_guarantee", "dispensing_fee_guarantee", "rebate_guarantee",
                    "generic_dispensing_rate", "repricing_savings"):
        assert formula in titles
    gross, net = Decimal(cards["CARD-102"]["recorded_value"]), Decimal(cards["CARD-101"]["recorded_value"])
    assert gross > net  # the dashboard card adds reversals instead of netting them
    assert len(cards["CARD-107"]["recorded_value"].split(".")[1]) > 2  # a DOUBLE sum's float noise


def test_leaf_demo_promotes_the_export_once(leaf_home):
    assert ingest_demo_export() == {"load_id": DEMO_LOAD_ID, "status": "promoted", "reasons": []}
    assert ingest_demo_export() == {"load_id": DEMO_LOAD_ID, "status": "promoted"}
    loads = build_plane(TakeoverStoreSettings()).curated.loads()
    assert [(r.load_id, r.status) for r in loads] == [(DEMO_LOAD_ID, "promoted")]
    assert loads[0].datasets[0].rows == 375

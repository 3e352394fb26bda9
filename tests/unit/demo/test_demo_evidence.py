"""The demo registry and OneDrive evidence tree have the shapes of calculations.md 1.2-1.3."""

import json
import re
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest

from demo import ONEDRIVE_DIR, REGISTRY_PATH, load_contract_packets, load_rebate_evidence, load_registry

PACKETS = sorted(ONEDRIVE_DIR.glob("Clients/*/*/contract-*.packet.json"))
REBATES = sorted(ONEDRIVE_DIR.glob("Clients/*/*/rebates-*.rebates.json"))
CHANNELS = ("RETAIL_30", "RETAIL_90", "MAIL", "SPECIALTY")
MONEY, DISCOUNT = re.compile(r"\d+\.\d{2}$"), re.compile(r"0\.\d{4}$")
PBM_TAG = {"PBM_A": "PBMA", "PBM_B": "PBMB", "PBM_C": "PBMC"}


def _load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def test_registry_has_the_documented_shape():
    registry = load_registry()
    assert json.loads(REGISTRY_PATH.read_text()) == registry
    assert set(registry) == {"clients", "pbms", "tpas", "plans", "groups"}
    assert len(registry["clients"]) >= 5
    assert len(registry["pbms"]) >= 3 and len(registry["tpas"]) >= 3
    groups = Counter(g["client_id"] for g in registry["groups"])
    assert all(2 <= groups[c["client_id"]] <= 5 for c in registry["clients"])
    for row in registry["plans"] + registry["groups"]:
        assert "2024-01-01" <= row["valid_from"] <= row["valid_to"] <= "2025-12-31"


def test_registry_makes_resolution_interesting():
    registry = load_registry()
    c003 = sorted((p["valid_from"], p["valid_to"], p["pbm_id"])
                  for p in registry["plans"] if p["client_id"] == "C003")
    assert [p[2] for p in c003] == ["PBM_A", "PBM_B"]
    assert date.fromisoformat(c003[0][1]) + timedelta(days=1) == date.fromisoformat(c003[1][0])
    assert c003[1][0] == "2025-07-01"
    harbor = [c for c in registry["clients"] if c["name"] == "Harbor Foods"]
    assert {c["client_id"] for c in harbor} == {"C004", "C005"}
    assert len({c["region"] for c in harbor}) == 2
    tpas = {}
    for g in registry["groups"]:
        tpas.setdefault(g["client_id"], set()).add(g["tpa_id"])
    assert [c for c, t in tpas.items() if len(t) == 2] == ["C005"]


@pytest.mark.parametrize("path", PACKETS, ids=lambda p: p.parent.parent.name + "/" + p.name)
def test_contract_packet_shape(path):
    packet = _load(path)
    client, pbm, year = path.parent.parent.name, path.parent.name, path.name[9:13]
    assert set(packet) == {"packet_id", "client_id", "pbm_id", "effective_from", "effective_to",
                           "governance", "source", "offset", "exclusions", "terms"}
    assert (packet["client_id"], packet["pbm_id"]) == (client, pbm)
    assert packet["packet_id"] == f"CP-{client}-{PBM_TAG[pbm]}-{year}"
    assert packet["effective_from"].startswith(year)
    assert packet["effective_from"] < packet["effective_to"]
    assert packet["governance"] in ("governed_exact", "governed_lineage", "candidate")
    assert packet["offset"] in ("none", "within_channel", "within_drug_type", "all")
    assert packet["source"]["system"] == "onedrive"
    assert packet["source"]["path"] == f"Clients/{client}/{pbm}/{year} contract.pdf"
    assert re.fullmatch(r"[0-9a-f]{64}", packet["source"]["sha256"])
    assert set(packet["exclusions"]) == {"uc_claims", "compounds"}
    for term in packet["terms"]:
        _check_term(term)
    buckets = [(t["channel"], t["brand_generic"]) for t in packet["terms"]]
    assert len(buckets) == len(set(buckets))


def _check_term(term: dict) -> None:
    assert set(term) == {"channel", "brand_generic", "awp_discount", "dispensing_fee",
                         "rebate_per_claim"}
    assert term["channel"] in CHANNELS and term["brand_generic"] in ("B", "G")
    assert DISCOUNT.match(term["awp_discount"]) and MONEY.match(term["dispensing_fee"])
    if term["brand_generic"] == "G":
        assert term["rebate_per_claim"] is None
    assert term["rebate_per_claim"] is None or MONEY.match(term["rebate_per_claim"])


@pytest.mark.parametrize("path", REBATES, ids=lambda p: p.parent.parent.name + "/" + p.name)
def test_rebate_evidence_shape(path):
    evidence = _load(path)
    year = path.name.removeprefix("rebates-").removesuffix(".rebates.json")
    packet = _load(path.with_name(f"contract-{year}.packet.json"))
    assert set(evidence) == {"evidence_id", "client_id", "pbm_id", "period_from", "period_to",
                             "governance", "received"}
    assert evidence["evidence_id"] == packet["packet_id"].replace("CP-", "RB-")
    assert (evidence["client_id"], evidence["pbm_id"]) == (packet["client_id"], packet["pbm_id"])
    assert evidence["period_from"] == packet["effective_from"]
    assert evidence["period_to"] == packet["effective_to"]
    assert evidence["governance"] in ("governed_exact", "governed_lineage", "candidate")
    channels = [r["channel"] for r in evidence["received"]]
    assert len(channels) == len(set(channels)) and set(channels) <= set(CHANNELS)
    assert all(MONEY.match(r["amount"]) for r in evidence["received"])


def test_every_plan_day_is_under_exactly_one_contract():
    packets, registry = load_contract_packets(), load_registry()
    for plan in registry["plans"]:
        day = date.fromisoformat(plan["valid_from"])
        while day.isoformat() <= plan["valid_to"]:
            covering = [p for p in packets if p["client_id"] == plan["client_id"]
                        and p["pbm_id"] == plan["pbm_id"]
                        and p["effective_from"] <= day.isoformat() <= p["effective_to"]]
            assert len(covering) == 1, (plan, day)
            day += timedelta(days=1)


def test_evidence_matrix_covers_every_sufficiency_case():
    packets, rebates = load_contract_packets(), load_rebate_evidence()
    assert Counter(p["governance"] for p in packets)["governed_lineage"] == 1
    assert Counter(p["governance"] for p in packets)["candidate"] == 1
    assert {p["offset"] for p in packets} == {"none", "within_channel", "within_drug_type", "all"}
    assert [p["packet_id"] for p in packets if len(p["terms"]) < 8] == ["CP-C006-PBMB-2025"]
    with_rebate_terms = [p for p in packets if any(t["rebate_per_claim"] for t in p["terms"])]
    assert len(with_rebate_terms) == len(packets) - 1
    with_rebates = {r["client_id"] for r in rebates}
    assert {p["client_id"] for p in packets} - with_rebates == {"C006"}
    lineage = [r["evidence_id"] for r in rebates if r["governance"] == "governed_lineage"]
    assert lineage == ["RB-C004-PBMB-2025"]
    c003_b = next(p for p in packets if p["packet_id"] == "CP-C003-PBMB-2025")
    assert (c003_b["effective_from"], c003_b["effective_to"]) == ("2025-07-01", "2026-06-30")


def test_every_contract_names_its_shipped_document_by_hash():
    import hashlib
    import json

    from demo import ONEDRIVE_DIR
    from demo.documents import contract_pdf

    for packet_file in sorted(ONEDRIVE_DIR.glob("Clients/*/*/contract-*.packet.json")):
        packet = json.loads(packet_file.read_text())
        document = (ONEDRIVE_DIR / packet["source"]["path"]).read_bytes()
        assert hashlib.sha256(document).hexdigest() == packet["source"]["sha256"]
        assert contract_pdf(packet) == document  # reproducible from the generator


PROPOSALS = sorted(ONEDRIVE_DIR.glob("Clients/*/*/*.proposal.json"))


def test_proposals_ship_for_at_least_two_clients():
    assert len({p.parent.parent.name for p in PROPOSALS}) >= 2


@pytest.mark.parametrize("path", PROPOSALS, ids=lambda p: p.parent.parent.name + "/" + p.name)
def test_a_demo_proposal_is_better_than_its_contract_on_the_buckets_it_prices(path):
    """Deeper AWP discounts and no higher fees than the contract in force for the year before, on buckets that
    contract covers; decimals as strings; a stored proposal's shape (docs/proposals.md)."""
    from kernel.packets import parse_proposal_file

    stored = parse_proposal_file(_load(path))
    client, pbm = path.parent.parent.name, path.parent.name
    assert (stored.client_id, stored.pbm_id) == (client, pbm) and stored.title
    assert stored.proposal.proposal_id == f"PR-{client}-{PBM_TAG[pbm]}-{stored.effective_from.year}"
    contract = _load(path.parent / f"contract-{stored.effective_from.year - 1}.packet.json")
    current = {(t["channel"], t["brand_generic"]): t for t in contract["terms"]}
    for term in _load(path)["terms"]:
        now = current[(term["channel"], term["brand_generic"])]
        assert DISCOUNT.match(term["awp_discount"]) and MONEY.match(term["dispensing_fee"])
        assert Decimal(term["awp_discount"]) > Decimal(now["awp_discount"])
        assert Decimal(term["dispensing_fee"]) <= Decimal(now["dispensing_fee"])

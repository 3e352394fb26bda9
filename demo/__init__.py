"""The synthetic demo data set: scope registry, OneDrive-shaped evidence and claims generator."""

import json
from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent
REGISTRY_PATH = DEMO_DIR / "registry.json"
ONEDRIVE_DIR = DEMO_DIR / "onedrive"
DRUGS_PATH = DEMO_DIR / "drugs.csv"


def load_registry() -> dict:
    """The demo scope registry: clients, PBMs, TPAs, plans and groups with validity dates."""
    return json.loads(REGISTRY_PATH.read_text(encoding="utf-8"))


def load_contract_packets() -> list[dict]:
    """Every contract packet of the demo OneDrive tree, in path order."""
    paths = sorted(ONEDRIVE_DIR.glob("Clients/*/*/contract-*.packet.json"))
    return [json.loads(p.read_text(encoding="utf-8")) for p in paths]


def load_rebate_evidence() -> list[dict]:
    """Every rebate evidence file of the demo OneDrive tree, in path order."""
    paths = sorted(ONEDRIVE_DIR.glob("Clients/*/*/rebates-*.rebates.json"))
    return [json.loads(p.read_text(encoding="utf-8")) for p in paths]

"""Leaf IQ exports (takeover.md section 1) written to a folder: the shape `leaf takeover ingest` reads.

`write_export` is the one writer: the demo export (demo/takeover/leafiq_export/, `python -m demo.takeover_export`),
the tests' corrupted corpus and the bench's 5M-row export all go through it, so every manifest carries the real
sha256, byte count and row count of what was written.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Dataset:
    dataset_id: str
    name: str
    columns: Sequence[tuple[str, str]]           # (Domo column name, Domo type)
    rows: Iterable[Sequence[str]] = field(default_factory=list)


def _sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _dump(path: Path, value) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> int:
    """Write the CSV (header, then rows) and return the number of data rows."""
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        buffer: list[Sequence[str]] = []
        for row in rows:
            buffer.append(row)
            if len(buffer) >= 65536:
                writer.writerows(buffer)
                count += len(buffer)
                buffer.clear()
        writer.writerows(buffer)
        count += len(buffer)
    return count


def write_export(folder: Path, datasets: Sequence[Dataset], *, export_id: str = "EX-0001", load_id: str = "LD-0001",
                 cards: Sequence[dict] = (), beast_modes: Sequence[dict] = (), dataflows: Sequence[dict] = (),
                 exported_at: str = "2026-11-01T06:00:00Z", domo_instance: str = "leafhealth") -> dict:
    """Write the export under `folder` and return its manifest (also written as manifest.json)."""
    (folder / "datasets").mkdir(parents=True, exist_ok=True)
    listed_datasets, files = [], []
    for dataset in datasets:
        data = folder / "datasets" / f"{dataset.dataset_id}.csv"
        rows = write_csv(data, [name for name, _ in dataset.columns], dataset.rows)
        _dump(folder / "datasets" / f"{dataset.dataset_id}.schema.json",
              {"columns": [{"name": name, "type": kind} for name, kind in dataset.columns]})
        sha, size = _sha256(data)
        listed_datasets.append({"dataset_id": dataset.dataset_id, "name": dataset.name, "rows": rows,
                                "columns": len(dataset.columns)})
        files.append({"path": f"datasets/{dataset.dataset_id}.csv", "sha256": sha, "bytes": size,
                      "dataset_id": dataset.dataset_id, "rows": rows})
    _dump(folder / "cards.json", list(cards))
    _dump(folder / "beastmodes.json", list(beast_modes))
    _dump(folder / "dataflows.json", list(dataflows))
    manifest = {"export_id": export_id, "load_id": load_id, "exported_at": exported_at, "domo_instance": domo_instance,
                "complete": True, "datasets": listed_datasets, "files": files, "cards": len(cards),
                "beast_modes": len(beast_modes), "dataflows": len(dataflows)}
    _dump(folder / "manifest.json", manifest)
    return manifest


def rewrite_manifest(folder: Path, manifest: dict) -> None:
    _dump(folder / "manifest.json", manifest)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


# --- the demo export: demo/takeover/leafiq_export/ -------------------------------------------------------------
DEMO_EXPORT_DIR = Path(__file__).resolve().parent / "takeover" / "leafiq_export"
DEMO_LOAD_ID = "LD-2026-11-01-C001"
CLAIMS_DATASET = "7c1f3a52-9d4e-4b8a-a6f0-2e5d8c9b1a07"  # Domo dataset ids are UUIDs
CLAIMS_COLUMNS = [  # Domo's column names for the claim shape of calculations.md 1.1, and Domo's types
    ("Claim ID", "STRING"), ("Claim Status", "STRING"), ("Reverses Claim ID", "STRING"), ("Client ID", "STRING"),
    ("PBM ID", "STRING"), ("TPA ID", "STRING"), ("Group ID", "STRING"), ("Member ID", "STRING"),
    ("Fill Date", "DATE"), ("NDC", "STRING"), ("Drug Name", "STRING"), ("Brand/Generic", "STRING"),
    ("Channel", "STRING"), ("Basis of Cost", "STRING"), ("Compound", "STRING"), ("Days Supply", "LONG"),
    ("Quantity", "DECIMAL"), ("AWP Unit Price", "DECIMAL"), ("Ingredient Cost Paid", "DECIMAL"),
    ("Dispensing Fee Paid", "DECIMAL"), ("Member Paid", "DOUBLE"),  # Domo kept member paid as a float
    ("Plan Paid", "DECIMAL"), ("Pharmacy NPI", "STRING")]
SCOPE = {"client_id": "C001", "group_id": "C001-G01", "month": "2025-01"}  # one group, one month: a few hundred rows


def demo_claims(n_claims: int = 120_000, seed: int = 20251231) -> list[list[str]]:
    """The demo's own claims (demo/generator.py, `leaf demo`'s defaults) of SCOPE, as Domo held them."""
    import re
    import tempfile

    from demo.generator import generate_claims

    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "claims.csv"
        generate_claims(path, n_claims, seed)
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    header, data = rows[0], rows[1:]
    at = {name: i for i, name in enumerate(header)}
    numeric = re.compile(r"[0-9]+(\.[0-9]+)?")
    kept = []
    for row in data:
        if (len(row) == len(header) and row[at["client_id"]] == SCOPE["client_id"]
                and row[at["group_id"]] == SCOPE["group_id"] and row[at["fill_date"]].startswith(SCOPE["month"])
                and all(numeric.fullmatch(row[at[c]]) for c in ("days_supply", "quantity", "awp_unit_price",
                                                                 "ingredient_cost_paid", "dispensing_fee_paid",
                                                                 "member_paid", "plan_paid"))):
            kept.append(row)  # calculations.md's column order is Domo's column order
    return kept


def demo_cards(rows: list[list[str]]) -> tuple[list[dict], list[dict]]:
    """Cards and their Beast Modes, each recorded value computed here from the rows as Domo computed it: exact
    decimals where Domo's columns are DECIMAL, a float where Domo summed a DOUBLE; reversals netted except where a
    card (like Domo's own) forgot to."""
    from decimal import Decimal

    names = [name for name, _ in CLAIMS_COLUMNS]

    def col(row, name):
        return row[names.index(name)]

    def sign(row):
        return -1 if col(row, "Claim Status") == "REVERSAL" else 1

    def dec(row, name):
        return Decimal(col(row, name))

    retail = [r for r in rows if col(r, "Channel") in ("RETAIL_30", "RETAIL_90")]
    net_claims = sum(sign(r) for r in rows)
    generic = sum(sign(r) for r in rows if col(r, "Brand/Generic") == "G")
    awp = sum((sign(r) * dec(r, "Quantity") * dec(r, "AWP Unit Price") for r in retail), Decimal(0))
    cost = sum((sign(r) * dec(r, "Ingredient Cost Paid") for r in retail), Decimal(0))
    member_float = 0.0
    for r in rows:
        member_float += sign(r) * float(col(r, "Member Paid"))
    values = {
        "BM-NET-PLAN-PAID": str(sum((sign(r) * dec(r, "Plan Paid") for r in rows), Decimal(0))),
        "BM-PLAN-PAID-GROSS": str(sum((dec(r, "Plan Paid") for r in rows), Decimal(0))),  # reversals added, not netted
        "BM-FEES": str(sum((sign(r) * dec(r, "Dispensing Fee Paid") for r in rows), Decimal(0))),
        "BM-AWP-DISCOUNT": str(round(1 - cost / awp, 4)) if awp else "",
        "BM-GDR": str(round(Decimal(generic) / Decimal(net_claims), 4)) if net_claims else "",
        "BM-BRAND-CLAIMS": str(sum(sign(r) for r in rows if col(r, "Brand/Generic") == "B")),
        "BM-MEMBER-PAID": repr(member_float),  # Domo's DOUBLE sum, float noise and all
        "BM-DAYS-SUPPLY": str(sum(sign(r) * int(col(r, "Days Supply")) for r in rows) + 30),  # a stale refresh
        "BM-CURRENT-COST": str(sum((sign(r) * (dec(r, "Ingredient Cost Paid") + dec(r, "Dispensing Fee Paid"))
                                    for r in rows), Decimal(0))),
    }
    net = "CASE WHEN `Claim Status` = 'REVERSAL' THEN -1 ELSE 1 END"
    modes = [  # (id, name, expression, aggregated, data type, card, title, aggregation, filters)
        ("BM-NET-PLAN-PAID", "Net Plan Paid", "CASE WHEN `Claim Status` = 'REVERSAL' THEN -`Plan Paid` "
         "ELSE `Plan Paid` END", False, "DECIMAL", "CARD-101", "Plan paid, net of reversals", "SUM", []),
        ("BM-PLAN-PAID-GROSS", "Plan Paid (card)", "SUM(`Plan Paid`)", True, "DECIMAL", "CARD-102",
         "Plan paid (Domo dashboard)", None, []),
        ("BM-FEES", "Net Dispensing Fees", f"SUM(`Dispensing Fee Paid` * ({net}))", True, "DECIMAL", "CARD-103",
         "Dispensing fees paid (dispensing_fee_guarantee)", None, []),
        ("BM-AWP-DISCOUNT", "Actual AWP Discount",
         f"ROUND(1 - SUM(`Ingredient Cost Paid` * ({net})) / SUM(`Quantity` * `AWP Unit Price` * ({net})), 4)",
         True, "DECIMAL", "CARD-104", "Actual AWP discount, retail (awp_discount_guarantee)", None,
         [{"column": "Channel", "operator": "IN", "values": ["RETAIL_30", "RETAIL_90"]}]),
        ("BM-GDR", "Generic Dispensing Rate",
         f"ROUND(SUM(CASE WHEN \"Brand/Generic\" = 'G' THEN {net} ELSE 0 END) / SUM({net}), 4) -- net of reversals",
         True, "DECIMAL", "CARD-105", "Generic dispensing rate (generic_dispensing_rate)", None, []),
        ("BM-BRAND-CLAIMS", "Brand Claims",
         "/* brand claims for the rebate guarantee */ SUM(CASE WHEN `Brand/Generic` = 'B' "
         "THEN (CASE `Claim Status` WHEN 'PAID' THEN 1 ELSE -1 END) END)",
         True, "LONG", "CARD-106", "Brand claims (rebate_guarantee)", None, []),
        ("BM-MEMBER-PAID", "Member Paid", f"`Member Paid` * ({net})", False, "DOUBLE", "CARD-107",
         "Member paid", "SUM", []),
        ("BM-DAYS-SUPPLY", "Days Supply", f"SUM(`Days Supply` * ({net}))", True, "LONG", "CARD-108",
         "Days supply dispensed", None, []),
        ("BM-CURRENT-COST", "Current Cost",
         f"SUM((IFNULL(`Ingredient Cost Paid`, 0) + IFNULL(`Dispensing Fee Paid`, 0)) * ({net}))", True, "DECIMAL",
         "CARD-109", "Current cost (repricing_savings)", None, []),
    ]
    beast_modes, cards = [], []
    for n, (identifier, name, expression, aggregated, kind, card, title, aggregation, filters) in enumerate(modes):
        beast_modes.append({
            "id": identifier, "name": name, "expression": expression, "legacyId": f"calculation_{n + 1:04d}",
            "dataType": kind, "aggregated": aggregated, "status": "VALID", "owner": 1001,
            "links": [{"resource": {"type": "DATA_SOURCE", "id": CLAIMS_DATASET}, "active": True, "visible": True},
                      {"resource": {"type": "CARD", "id": card}, "active": True, "visible": True}]})
        cards.append({
            "card_id": card, "title": title, "dataset_id": CLAIMS_DATASET, "beast_mode_ids": [identifier],
            **({"aggregation": aggregation} if aggregation else {}), "filters": filters,
            "recorded_value": values[identifier], "recorded_at": "2026-10-31T23:00:00Z",
            "definition": {"chartType": "badge_singlevalue", "dataSourceId": CLAIMS_DATASET,
                           "columns": [{"column": identifier, "aggregation": aggregation or "NONE"}],
                           "filters": filters}})
    return cards, beast_modes


def write_demo_export(folder: Path = DEMO_EXPORT_DIR) -> dict:
    """The shipped demo export: the same bytes on every run (fixed ids and times, the demo's seeded claims)."""
    import shutil

    rows = demo_claims()
    cards, modes = demo_cards(rows)
    if folder.exists():
        shutil.rmtree(folder)
    dataflows = [{"id": "DF-0001", "name": "Claims normalized for the dashboard", "type": "SQL",
                  "inputs": ["0b9e6d14-3c2a-4f5e-8d7c-6a5b4c3d2e1f"], "outputs": [CLAIMS_DATASET],
                  "steps": [{"name": "normalize", "sql": "SELECT * FROM raw_claims WHERE client_id = 'C001'"}]}]
    return write_export(folder, [Dataset(CLAIMS_DATASET, "Leaf IQ Claims — C001 Salaried, January 2025",
                                         CLAIMS_COLUMNS, rows)],
                        export_id="EX-2026-11-01-0600", load_id=DEMO_LOAD_ID, cards=cards, beast_modes=modes,
                        dataflows=dataflows, exported_at="2026-11-01T06:00:00Z", domo_instance="leafhealth")


if __name__ == "__main__":
    manifest = write_demo_export()
    print(f"{DEMO_EXPORT_DIR}: {manifest['datasets'][0]['rows']} claim rows, {manifest['cards']} cards")

"""Dashboard tables: tidy, one per formula plus readiness and totals, each row carrying the run context."""
import json
from pathlib import Path

from demo.generator import generate_claims
from runtime.packets import parse_contract
from runtime.scope import Scope
from services.calc.domain.calculate import calculate
from services.calc.domain.reading import read_claims
from services.publisher.domain.dashboard import SCOPE_COLUMNS, dashboard_tables


def test_tables_carry_run_scope_and_versions_and_no_member_fields(tmp_path):
    claims = tmp_path / "claims.csv"
    generate_claims(claims, n_claims=3000, seed=5)
    packet = Path(__file__).parents[3] / "demo/onedrive/Clients/C001/PBM_A/contract-2025.packet.json"
    scope = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31")
    result = calculate(read_claims(claims), scope, parse_contract(json.loads(packet.read_text())))
    tables = {t.name: t for t in dashboard_tables("run_x", result)}
    assert list(tables)[0] == "readiness" and "awp_discount_guarantee" in tables and "formula_totals" in tables
    assert len(tables["readiness"].rows) == len(result["formulas"])
    for table in tables.values():
        assert set(SCOPE_COLUMNS) <= set(table.columns)
        assert not {"member_id", "claim_id", "fill_date"} & set(table.columns)
        for row_ in table.rows:
            assert row_["run_id"] == "run_x" and row_["scope_hash"] == scope.scope_hash
            assert set(row_) == set(table.columns)
    awp_rows = tables["awp_discount_guarantee"].rows
    assert [r["ingredient_cost"] for r in awp_rows] == [b["ingredient_cost"] for b in result["formulas"][0]["buckets"]]

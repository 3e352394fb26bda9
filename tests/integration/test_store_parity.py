"""One input, the same result bytes from the file, the DuckDB store and a real PostgreSQL store."""
import csv
import json
from datetime import date, timedelta

import pytest

from demo import ONEDRIVE_DIR
from demo.generator import generate_claims
from kernel.packets import parse_contract, parse_proposal, parse_rebates
from kernel.scope import Scope
from services.calc.adapters.claims_file import read_claims
from services.calc.domain.calculate import calculate, calculate_from_aggregates, render
from tests.integration.store_fixtures import duckdb_store, pg_store

PROPOSAL = parse_proposal({"proposal_id": "PR-1", "exclusions": {"uc_claims": False, "compounds": True}, "terms": [
    {"channel": "RETAIL_30", "brand_generic": "B", "awp_discount": "0.2100", "dispensing_fee": "0.75",
     "rebate_per_claim": None},
    {"channel": "MAIL", "brand_generic": "G", "awp_discount": "0.8600", "dispensing_fee": "0.00",
     "rebate_per_claim": None}]})
SCOPES = [
    Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31"),
    Scope.parse("C001", "PBM_A", "2025-03-15", "2025-08-20"),          # cuts through shifted reversal pairs
    Scope.parse("C002", "PBM_C", "2024-01-01", "2024-12-31", tpa_id="TPA_2"),
    Scope.parse("C005", "PBM_C", "2025-01-01", "2025-06-30", tpa_id="TPA_3", group_ids=("C005-G03",)),
    Scope.parse("C003", "PBM_A", "2024-02-01", "2024-11-30", group_ids=("C003-G01", "C003-G02")),
    Scope.parse("C004", "PBM_B", "2025-07-01", "2025-12-31"),
]


def _contract(scope: Scope):
    path = ONEDRIVE_DIR / "Clients" / scope.client_id / scope.pbm_id / f"contract-{scope.date_from.year}.packet.json"
    return parse_contract(json.loads(path.read_text()))


def _rebates(scope: Scope):
    path = ONEDRIVE_DIR / "Clients" / scope.client_id / scope.pbm_id / f"rebates-{scope.date_from.year}.rebates.json"
    return parse_rebates(json.loads(path.read_text())) if path.exists() else None



@pytest.fixture(scope="module")
def claims_csv(tmp_path_factory):
    """Demo claims whose reversals are moved so windows and partial scopes split pairs, plus extra orphans."""
    folder = tmp_path_factory.mktemp("parity")
    generated = folder / "generated.csv"
    generate_claims(generated, n_claims=8000, seed=23)
    with generated.open(newline="") as source:
        rows = list(csv.reader(source))
    header, body = rows[0], rows[1:]
    at = {name: header.index(name) for name in ("claim_id", "claim_status", "reverses_claim_id", "fill_date", "tpa_id")}
    extra = []
    for number, record in enumerate(r for r in body if len(r) == len(header) and r[at["claim_status"]] == "REVERSAL"):
        if number % 3 == 0 and len(record[at["fill_date"]]) == 10:
            moved = date.fromisoformat(record[at["fill_date"]]) + timedelta(days=9)
            record[at["fill_date"]] = min(moved, date(2025, 12, 31)).isoformat()
        if number % 7 == 0:
            record[at["tpa_id"]] = "TPA_9"
        if number % 5 == 0:  # a second reversal of the same claim: the later one in row order is an orphan
            extra.append([*record[:at["claim_id"]], f"DUP{number}", *record[at["claim_id"] + 1:]])
    path = folder / "claims.csv"
    with path.open("w", newline="") as out:
        csv.writer(out, lineterminator="\n").writerows([header, *extra[:5], *body, *extra[5:]])
    return path


@pytest.fixture(scope="module")
def from_file(claims_csv):
    return read_claims(claims_csv)


@pytest.fixture(scope="module")
def duck(claims_csv, tmp_path_factory):
    store = duckdb_store(tmp_path_factory.mktemp("duck"))
    store.load(claims_csv)
    return store


@pytest.fixture(scope="module")
def postgres(claims_csv, pg_server):
    with pg_store(pg_server) as store:
        store.load(claims_csv)
        yield store


@pytest.mark.parametrize("scope", SCOPES, ids=lambda s: f"{s.client_id}-{s.date_from}-{s.tpa_id}-{len(s.group_ids)}")
@pytest.mark.parametrize("with_proposal", [False, True], ids=["contract", "proposal"])
def test_file_duckdb_and_postgresql_give_the_same_bytes(scope, with_proposal, from_file, duck, postgres):
    contract = _contract(scope)
    rebates = _rebates(scope)
    proposal = PROPOSAL if with_proposal else None
    expected = render(calculate(from_file, scope, contract, rebates, proposal))
    for store in (duck, postgres):
        _, facts = store.aggregates_for(scope, contract, proposal)
        assert render(calculate_from_aggregates(facts, scope, contract, rebates, proposal)) == expected
    assert json.loads(expected)["formulas"][0]["buckets"][0]["claims"] > 0   # the scope is not vacuous


def test_the_file_really_has_split_pairs_and_orphans(from_file):
    for scope in SCOPES[:2]:
        quality = calculate(from_file, scope, _contract(scope))["data_quality"]
        assert quality["reversed_pairs"] > 0 and quality["orphan_reversals"] > 0


def test_without_a_contract_the_stores_still_agree(from_file, duck, postgres):
    scope = SCOPES[0]
    expected = render(calculate(from_file, scope, None))
    for store in (duck, postgres):
        assert render(calculate_from_aggregates(store.aggregates_for(scope, None)[1], scope, None)) == expected

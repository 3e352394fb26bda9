"""The embedded DuckDB claims store: same results as the file, atomic snapshots, survives a kill mid-load."""
import json
import os
import signal
import subprocess
import sys
import time

import duckdb
import pytest

from demo import ONEDRIVE_DIR
from demo.generator import generate_claims
from kernel.errors import InputError, NotReady
from kernel.packets import parse_contract
from kernel.scope import Scope
from services.calc.adapters.claims_file import read_claims
from services.calc.adapters.claims_store import DuckDbClaimsStore
from services.calc.domain.calculate import calculate, calculate_from_aggregates, render

SCOPES = [
    Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31"),
    Scope.parse("C002", "PBM_C", "2024-01-01", "2024-12-31"),
    Scope.parse("C005", "PBM_C", "2025-01-01", "2025-06-30", tpa_id="TPA_3", group_ids=("C005-G03",)),
    Scope.parse("C003", "PBM_B", "2025-07-01", "2025-12-31"),
]


def contract_for(scope: Scope):
    year = scope.date_from.year
    path = ONEDRIVE_DIR / "Clients" / scope.client_id / scope.pbm_id / f"contract-{year}.packet.json"
    return parse_contract(json.loads(path.read_text()))


@pytest.fixture(scope="module")
def claims_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("claims") / "claims.csv"
    generate_claims(path, n_claims=8000, seed=11)
    return path


@pytest.mark.parametrize("scope", SCOPES, ids=lambda s: f"{s.client_id}-{s.pbm_id}-{s.tpa_id}")
def test_store_and_file_give_the_same_bytes(tmp_path, claims_csv, scope):
    store = DuckDbClaimsStore(tmp_path / "claims.duckdb")
    store.load(claims_csv)
    _, facts = store.aggregates_for(scope, contract_for(scope))
    from_file = read_claims(claims_csv)
    assert render(calculate_from_aggregates(facts, scope, contract_for(scope))) == \
        render(calculate(from_file, scope, contract_for(scope)))


def test_a_bad_file_leaves_the_previous_snapshot_active(tmp_path, claims_csv):
    store = DuckDbClaimsStore(tmp_path / "claims.duckdb")
    first = store.load(claims_csv)
    broken = tmp_path / "broken.csv"
    broken.write_text("claim_id,claim_status\nX,PAID\n")
    with pytest.raises(InputError) as err:
        store.load(broken)
    assert err.value.code.startswith("missing_column:")
    assert store.snapshot() == first


def test_no_claims_loaded_is_a_clear_precondition(tmp_path):
    with pytest.raises(NotReady) as err:
        DuckDbClaimsStore(tmp_path / "none.duckdb").aggregates_for(SCOPES[0], None)
    assert err.value.code == "no_claims_loaded"


def test_killed_mid_load_the_store_keeps_a_whole_snapshot(tmp_path, claims_csv, leaf_home):
    store = DuckDbClaimsStore(leaf_home / "claims" / "claims.duckdb")
    before = store.load(claims_csv)
    big = tmp_path / "big.csv"
    generate_claims(big, n_claims=150_000, seed=3)
    loader = subprocess.Popen([sys.executable, "-m", "cli.main", "claims", "load", str(big)], env=os.environ.copy(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2.5)
    loader.send_signal(signal.SIGKILL)
    loader.wait()
    after = store.snapshot()
    assert after is not None
    assert after.snapshot_id in {before.snapshot_id} | ({after.snapshot_id} if after.rows_read == 150_000 else set())
    with duckdb.connect(str(store.path), read_only=True) as db:
        stored = db.execute(f"SELECT count(*) FROM claims_{after.snapshot_id}").fetchone()[0]
    assert stored == after.rows_valid

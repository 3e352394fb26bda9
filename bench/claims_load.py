"""`leaf claims load` into the embedded store against DuckDB's own typed load of the same CSV, then one run's
aggregates on the loaded snapshot (issue #15: the same gains must reach the load and the runs on the store).

The baseline is what an analyst would type: `CREATE TABLE … AS SELECT * FROM read_csv(…)` into a DuckDB file, with
the decimal columns typed and nothing checked. `leaf claims load` checks every rule of calculations.md 1.1, finds
duplicate ids, hashes the file and writes every record in the store's types. Both are child processes, measured as
bench.calc measures them (wall, CPU of every thread, peak RSS); `--repeat N` runs them in turn N times and reports
each one's fastest run. The run is `aggregates_for` on the loaded store, timed inside its process (no start-up).
Usage: python -m bench.claims_load [--claims N] [--repeat N]   (part of make bench)
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.calc import CONTRACT, SCOPE, bench_claims, described, figures, measured

BASELINE = """
import duckdb, sys
with duckdb.connect(sys.argv[1]) as db:
    db.execute("CREATE TABLE claims AS SELECT * FROM read_csv(?, header = true, types = {'quantity': 'DECIMAL(18,3)', "
               "'awp_unit_price': 'DECIMAL(18,5)', 'ingredient_cost_paid': 'DECIMAL(18,2)', 'dispensing_fee_paid': "
               "'DECIMAL(18,2)', 'member_paid': 'DECIMAL(18,2)', 'plan_paid': 'DECIMAL(18,2)', 'ndc': 'VARCHAR', "
               "'pharmacy_npi': 'VARCHAR'})", [sys.argv[2]])
"""
# One run's aggregates on the store LEAF_CLAIMS_URL names, three times: the seconds of each, on stdout.
RUN = """
import json, sys, time
from datetime import date
from kernel.packets import parse_contract
from kernel.scope import Scope
from services.calc.bootstrap import default_claims_url, open_claims_store
store = open_claims_store(default_claims_url())
contract = parse_contract(json.loads(open(sys.argv[1]).read()))
scope = Scope(client_id=sys.argv[2], pbm_id=sys.argv[3], date_from=date.fromisoformat(sys.argv[4]),
              date_to=date.fromisoformat(sys.argv[5]))
for _ in range(3):
    started = time.perf_counter()
    store.aggregates_for(scope, contract)
    print(time.perf_counter() - started)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=int(os.environ.get("LOAD_CLAIMS", 1_000_000)))
    parser.add_argument("--repeat", type=int, default=int(os.environ.get("REPEAT", 1)))
    args = parser.parse_args()
    csv = bench_claims(args.claims)
    leaf = str(Path(sys.executable).parent / "leaf")
    duck_runs, leaf_runs, run_seconds = [], [], []
    load = os.getloadavg()[0]
    for _ in range(max(1, args.repeat)):
        with tempfile.TemporaryDirectory(prefix="leaf-bench-load-") as scratch:
            duck_runs.append(measured([sys.executable, "-c", BASELINE, f"{scratch}/baseline.duckdb", str(csv)]))
            env = dict(os.environ, LEAF_CLAIMS_URL=f"duckdb:///{scratch}/claims.duckdb", LEAF_HOME=scratch)
            leaf_runs.append(measured([leaf, "claims", "load", str(csv)], env))
            ran = subprocess.run([sys.executable, "-c", RUN, str(CONTRACT), *SCOPE], env=env, check=True,
                                 capture_output=True, text=True)
            run_seconds.extend(float(line) for line in ran.stdout.split())
    duck, leaf_load = min(duck_runs), min(leaf_runs)
    print(f"claims:            {described(csv, args.claims, len(leaf_runs), load)}")
    print(f"duckdb load:       {figures(duck_runs)}   (CREATE TABLE AS read_csv into a file; nothing checked)")
    print(f"leaf claims load:  {figures(leaf_runs)}")
    print(f"ratio leaf/duckdb: {leaf_load[0] / duck[0]:8.2f}× wall, {leaf_load[1] / duck[1]:.2f}× cpu")
    print(f"a run on it:       {min(run_seconds):8.2f} s  (aggregates_for, fastest of {len(run_seconds)}; "
          f"slowest {max(run_seconds):.2f} s)")


if __name__ == "__main__":
    main()

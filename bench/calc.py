"""`leaf calc` against DuckDB's own time for the same per-bucket aggregates from the same CSV, with the floor
between them: what calculations.md 1.1 requires before any aggregate (bench/calc_floor.py).

All three run as child processes, so wall time and peak memory (max RSS) are measured the same way.
Usage: python -m bench.calc [--claims N]   (make bench, make bench CLAIMS=10000000)
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from demo import ONEDRIVE_DIR
from demo.generator import generate_claims
from runtime.home import home_path

SCOPE = ("C001", "PBM_A", "2025-01-01", "2025-12-31")
CONTRACT = ONEDRIVE_DIR / "Clients/C001/PBM_A/contract-2025.packet.json"
REBATES = ONEDRIVE_DIR / "Clients/C001/PBM_A/rebates-2025.rebates.json"

# The hand-written baseline: what an analyst would type into DuckDB for the AWP and fee buckets.
BASELINE = """
SELECT channel, brand_generic, count(*) AS claims, count(DISTINCT member_id) AS members,
       sum(round(awp_unit_price * quantity, 2)) AS awp, sum(ingredient_cost_paid) AS ingredient_cost,
       sum(dispensing_fee_paid) AS fees
FROM read_csv(?, header = true, types = {'awp_unit_price': 'DECIMAL(18,5)', 'quantity': 'DECIMAL(18,3)',
              'ingredient_cost_paid': 'DECIMAL(18,2)', 'dispensing_fee_paid': 'DECIMAL(18,2)', 'ndc': 'VARCHAR'})
WHERE client_id = ? AND pbm_id = ? AND fill_date BETWEEN ? AND ? AND claim_status = 'PAID'
GROUP BY ALL ORDER BY ALL
"""


def measured(command: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system, every thread) and peak RSS (bytes) of one child process,
    from the kernel's own accounting: on a shared machine the CPU seconds are the steadier figure."""
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode:
            errors.seek(0)
            raise SystemExit(f"{command[0]} failed: {errors.read().decode(errors='replace')[-500:]}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=int(os.environ.get("CLAIMS", 1_000_000)))
    n = parser.parse_args().claims
    csv = home_path("bench", f"claims-{n}.csv")
    if not csv.exists():
        print(f"generating {n:,} claims …", flush=True)
        generate_claims(csv, n_claims=n, seed=20251231)
    baseline_cmd = [sys.executable, "-c", "import duckdb, sys; print(duckdb.execute(sys.argv[1], sys.argv[2:]).fetchall())",
                    BASELINE, str(csv), *SCOPE]
    leaf_cmd = [str(Path(sys.executable).parent / "leaf"), "calc", "--claims", str(csv), "--contract", str(CONTRACT),
                "--rebates", str(REBATES), "--client", SCOPE[0], "--pbm", SCOPE[1], "--from", SCOPE[2], "--to", SCOPE[3]]
    floor_cmd = [sys.executable, "-m", "bench.calc_floor", str(csv)]
    load = os.getloadavg()[0]
    duck_s, duck_cpu, duck_rss = measured(baseline_cmd)
    floor_s, floor_cpu, floor_rss = measured(floor_cmd)
    leaf_s, leaf_cpu, leaf_rss = measured(leaf_cmd)
    print(f"claims:            {n:,} ({csv.stat().st_size / 1e6:,.0f} MB); load average {load:.2f} → {os.getloadavg()[0]:.2f}")
    print(f"duckdb baseline:   {duck_s:8.2f} s  cpu {duck_cpu:7.2f} s  peak {duck_rss / 2**20:7.0f} MiB")
    print(f"required floor:    {floor_s:8.2f} s  cpu {floor_cpu:7.2f} s  peak {floor_rss / 2**20:7.0f} MiB"
          "   (every column read and checked, the file hashed; nothing else)")
    print(f"leaf calc:         {leaf_s:8.2f} s  cpu {leaf_cpu:7.2f} s  peak {leaf_rss / 2**20:7.0f} MiB")
    print(f"ratio floor/duckdb:{floor_s / duck_s:8.2f}× wall, {floor_cpu / duck_cpu:.2f}× cpu   (the required work alone)")
    print(f"ratio leaf/duckdb: {leaf_s / duck_s:8.2f}× wall, {leaf_cpu / duck_cpu:.2f}× cpu   (target at 10M: ≤ 2×, < 1 GiB)")
    print(f"ratio leaf/floor:  {leaf_s / floor_s:8.2f}× wall, {leaf_cpu / floor_cpu:.2f}× cpu   (the design's own cost)")


if __name__ == "__main__":
    main()

"""`leaf calc` against DuckDB's own time for the same per-bucket aggregates from the same CSV, with the floor
between them: what calculations.md 1.1 requires before any aggregate (bench/calc_floor.py).

All three run as child processes, so wall time and peak memory (max RSS) are measured the same way.
On a shared or noisy machine one run of each can differ by a second or more: `--repeat N` runs the three in turn
N times and reports each one's fastest run with the range beside it (the fastest is the one least disturbed).
Usage: python -m bench.calc [--claims N] [--repeat N]   (make bench, make bench CLAIMS=10000000 REPEAT=3)
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


def measured(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system, every thread) and peak RSS (bytes) of one child process,
    from the kernel's own accounting: on a shared machine the CPU seconds are the steadier figure."""
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors, env=env)
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
    parser.add_argument("--repeat", type=int, default=int(os.environ.get("REPEAT", 1)))
    args = parser.parse_args()
    n = args.claims
    csv = bench_claims(n)
    baseline_cmd = [sys.executable, "-c", "import duckdb, sys; print(duckdb.execute(sys.argv[1], sys.argv[2:]).fetchall())",
                    BASELINE, str(csv), *SCOPE]
    leaf_cmd = [str(Path(sys.executable).parent / "leaf"), "calc", "--claims", str(csv), "--contract", str(CONTRACT),
                "--rebates", str(REBATES), "--client", SCOPE[0], "--pbm", SCOPE[1], "--from", SCOPE[2], "--to", SCOPE[3]]
    floor_cmd = [sys.executable, "-m", "bench.calc_floor", str(csv)]
    load = os.getloadavg()[0]
    runs: dict[str, list[tuple[float, float, int]]] = {"duckdb": [], "floor": [], "leaf": []}
    for _ in range(max(1, args.repeat)):
        runs["duckdb"].append(measured(baseline_cmd))
        runs["floor"].append(measured(floor_cmd))
        runs["leaf"].append(measured(leaf_cmd))
    duck, floor, leaf = (min(runs[side]) for side in ("duckdb", "floor", "leaf"))
    print(f"claims:            {described(csv, n, len(runs['leaf']), load)}")
    print(f"duckdb baseline:   {figures(runs['duckdb'])}")
    print(f"required floor:    {figures(runs['floor'])}   (every column read and checked, the file hashed; nothing else)")
    print(f"leaf calc:         {figures(runs['leaf'])}")
    print(f"ratio floor/duckdb:{floor[0] / duck[0]:8.2f}× wall, {floor[1] / duck[1]:.2f}× cpu   (the required work alone)")
    print(f"ratio leaf/duckdb: {leaf[0] / duck[0]:8.2f}× wall, {leaf[1] / duck[1]:.2f}× cpu   (target at 10M: ≤ 2×, < 1 GiB)")
    print(f"ratio leaf/floor:  {leaf[0] / floor[0]:8.2f}× wall, {leaf[1] / floor[1]:.2f}× cpu   (the design's own cost)")


def bench_claims(n: int) -> Path:
    """The bench's claims CSV of n rows under LEAF_HOME, generated once (the shipped generator, a fixed seed)."""
    csv = home_path("bench", f"claims-{n}.csv")
    if not csv.exists():
        print(f"generating {n:,} claims …", flush=True)
        generate_claims(csv, n_claims=n, seed=20251231)
    return csv


def described(csv: Path, n: int, rounds: int, load: float) -> str:
    """The input, how many runs each figure is the fastest of, and the load average before → now."""
    fastest = f"fastest of {rounds} runs each, interleaved; " if rounds > 1 else ""
    return (f"{n:,} ({csv.stat().st_size / 1e6:,.0f} MB); {fastest}"
            f"load average {load:.2f} → {os.getloadavg()[0]:.2f}")


def figures(runs: list[tuple[float, float, int]]) -> str:
    """The fastest run's wall and CPU and the highest peak of all runs, with the slowest wall beside them when
    there were several."""
    seconds, cpu, rss = min(runs)
    slowest = f"  (slowest {max(runs)[0]:.2f} s)" if len(runs) > 1 else ""
    return f"{seconds:8.2f} s  cpu {cpu:7.2f} s  peak {max(r[2] for r in runs) / 2**20:7.0f} MiB{slowest}"


if __name__ == "__main__":
    main()

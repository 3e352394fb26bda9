"""The run workbook (XLSX, streamed) against plain CSV for the same claim-level extract rows.

The rows are synthesized lazily (a generator, never a list), so the figures show what writing costs, and the
workbook's peak memory must stay flat however many rows there are. The workbook is written first, so its
memory delta is measured from a clean high-water mark.
Usage: python -m bench.extract [--claims N]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from demo import load_contract_packets
from demo.generator import generate_claims
from kernel.packets import parse_contract
from kernel.scope import Scope
from services.calc.adapters.claims_file import read_claims
from services.calc.domain.calculate import calculate
from services.publisher.adapters.workbook.workbook import write_workbook
from services.publisher.domain import extract
from services.publisher.domain.extract import ExtractRow
from services.publisher.domain.extract_plan import ExtractPlan
from services.publisher.domain.run_context import RunContext

RUN_ID = "run_bench000000000000000000"
CREATED_AT = "2026-01-01T00:00:00+00:00"
CHANNELS = ("RETAIL_30", "RETAIL_90", "MAIL", "SPECIALTY")
# The per-formula cells (awp, fee, rebate, repricing) of a run without a proposal whose contract has no SPECIALTY
# term: keyed by (specialty, generic). A generic claim is not applicable to rebates.
_REASONS = {(False, False): ("", "", "", "n/a"), (False, True): ("", "", "n/a", "n/a"),
            (True, False): ("no_term", "no_term", "no_term", "n/a"), (True, True): ("no_term", "no_term", "n/a", "n/a")}


def sample_result(workdir: Path) -> dict:
    """A real section-5 result of the calc domain over a few demo claims: the sheets around the extract."""
    claims = workdir / "claims.csv"
    generate_claims(claims, 2_000)
    packet = next(p for p in load_contract_packets()
                  if p["client_id"] == "C001" and p["effective_from"] == "2025-01-01")
    scope = Scope.parse("C001", packet["pbm_id"], "2025-01-01", "2025-12-31")
    return calculate(read_claims(claims), scope, parse_contract(packet))


def synthetic_rows(n: int) -> Callable[[], Iterator[ExtractRow]]:
    """n distinct extract rows with realistic widths; each call starts a fresh stream."""
    def rows() -> Iterator[ExtractRow]:
        start = date(2025, 1, 1)
        for i in range(n):
            quantity = Decimal(30 + i % 60).quantize(Decimal("0.001"))
            price = Decimal(1000 + i % 97_000).scaleb(-5) * 10
            awp_ext = (price * quantity).quantize(Decimal("0.01"))
            yield ExtractRow(RUN_ID, i + 1, f"RX{i:010d}", f"mk_{i * 2654435761 % 16**24:024x}", "TPA_1",
                             f"C001-G{i % 12:02d}", start + timedelta(days=i % 365), f"{i * 7919 % 10**11:011d}",
                             f"DRUG {i % 500} 10 MG TAB", CHANNELS[i % 4], "BG"[i % 5 > 0], "AWP", i % 97 == 0,
                             30 + i % 60, quantity, price, awp_ext,
                             (awp_ext * Decimal("0.8")).quantize(Decimal("0.01")), Decimal("1.25"),
                             *_REASONS[i % 4 == 3, i % 5 > 0])
    return rows


def max_rss() -> int:
    """This process's peak resident set so far, in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def timed(action: Callable[[], None]) -> tuple[float, int]:
    """Wall seconds, and how far the action pushed the process's peak memory above where it was."""
    before = max_rss()
    started = time.perf_counter()
    action()
    return time.perf_counter() - started, max_rss() - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=int(os.environ.get("CLAIMS", 1_000_000)))
    n = parser.parse_args().claims
    with tempfile.TemporaryDirectory(prefix="leaf-bench-") as tmp:
        workdir = Path(tmp)
        result = sample_result(workdir)
        lineage = {"created_at": CREATED_AT, "evidence": [], "formulas": [], "input_hashes": {}}
        context = RunContext(RUN_ID, result, lineage, (), synthetic_rows(n))
        xlsx, csv = workdir / "run.xlsx", workdir / "extract.csv"
        baseline_rss = max_rss()
        source_s, _ = timed(lambda: sum(1 for _ in context.claims()))
        # Every row on the sheet, as the publisher writes it below LEAF_WORKBOOK_EXTRACT_MAX_ROWS (counted here, not
        # by iterating the rows once more).
        xlsx_s, xlsx_rss = timed(lambda: write_workbook(context, xlsx, extract=ExtractPlan(n, n)))
        csv_s, csv_rss = timed(lambda: _write_csv(context, csv))
        print(f"claims:            {n:,}   (sheets around the extract: {len(json.dumps(result)):,} bytes of result)")
        print(f"generating rows:   {source_s:8.2f} s  {n / source_s:12,.0f} rows/s   (included in both figures below)")
        print(f"csv baseline:      {csv_s:8.2f} s  {n / csv_s:12,.0f} rows/s  {csv.stat().st_size / 1e6:8,.0f} MB"
              f"  peak +{csv_rss / 2**20:5.0f} MiB")
        print(f"xlsx workbook:     {xlsx_s:8.2f} s  {n / xlsx_s:12,.0f} rows/s  {xlsx.stat().st_size / 1e6:8,.0f} MB"
              f"  peak +{xlsx_rss / 2**20:5.0f} MiB")
        print(f"peak RSS:          {max_rss() / 2**20:8.0f} MiB  (before writing: {baseline_rss / 2**20:.0f} MiB)")
        print(f"ratio xlsx/csv:    {xlsx_s / csv_s:8.2f}×")


def _write_csv(context: RunContext, path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as out:
        extract.write_csv(context.claims(), out)


if __name__ == "__main__":
    main()

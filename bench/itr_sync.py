"""ITR mirror sync rate: a generated local export of N requests with 10 history rows each (plus their files, notes,
feed items and comments) synced into a fresh SQLite mirror, then synced again (target: ≥ 5,000 records/s on the
first sync; the second must write nothing).

Records counted are every record the source handed over (requests, history, links, file versions, notes, feed items,
comments); the rate is records / wall-clock seconds of `sync_requests`, export generation excluded. The baseline in
the same run is json.load of the same files (reading alone, nothing written). Usage: python -m bench.itr_sync
[--requests N]
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from demo.itr_export import build_export, write_export
from services.itr.adapters.export_source import ExportSource
from services.itr.adapters.mirror_store import SqlMirrorStore
from services.itr.bootstrap import open_mirror
from services.itr.service_layer.sync import sync_requests

TARGET_RECORDS_PER_SECOND = 5000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="leaf-bench-itr-") as scratch:
        folder = write_export(Path(scratch) / "export", build_export(args.requests, history_per_request=10))
        records = sum(len(json.loads(p.read_text())["records"]) for p in folder.glob("*.json"))
        started = time.perf_counter()
        for path in folder.glob("*.json"):
            json.loads(path.read_text())
        baseline = time.perf_counter() - started
        engine = open_mirror(f"sqlite:///{Path(scratch) / 'itr.sqlite'}")
        timings, summaries = [], []
        for _ in range(2):
            started = time.perf_counter()
            summaries.append(sync_requests(ExportSource(folder, "IT_Request__c"), SqlMirrorStore(engine)))
            timings.append(time.perf_counter() - started)
        engine.dispose()
    first, second = summaries
    rate = records / timings[0]
    print(f"itr sync: {args.requests:,} requests, {first.history_added:,} history rows, {records:,} records in the export")
    print(f"  first sync   {timings[0]:7.2f} s  {rate:9,.0f} records/s  (target ≥ {TARGET_RECORDS_PER_SECOND:,}: "
          f"{'met' if rate >= TARGET_RECORDS_PER_SECOND else 'NOT met'})")
    written = {k: v for k, v in second.as_json().items() if v and k != "watermark"}
    print(f"  second sync  {timings[1]:7.2f} s  writes {json.dumps(written)} (nothing: {not written})")
    print(f"  baseline: json.load of the export {baseline:.2f} s → the first sync is {timings[0] / baseline:.1f}× reading it")


if __name__ == "__main__":
    main()

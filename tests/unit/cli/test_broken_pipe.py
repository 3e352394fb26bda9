"""A `leaf` command whose reader goes away (`leaf trace … | head`) ends quietly, without a traceback."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

LEAF = Path(sys.executable).parent / "leaf"


def test_a_reader_that_goes_away_gets_no_traceback(tmp_path):
    traces = tmp_path / "traces"
    traces.mkdir()
    spans = [{"trace_id": "t" * 32, "span_id": f"{i:016x}", "parent_id": None, "service": "calc", "name": f"span {i}",
              "start": i, "end": i + 1000, "status": "OK"} for i in range(20_000)]
    (traces / "calc.jsonl").write_text("".join(json.dumps(s, separators=(",", ":")) + "\n" for s in spans))
    leaf = subprocess.Popen([str(LEAF), "trace", "t" * 32], env={**os.environ, "LEAF_HOME": str(tmp_path)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert leaf.stdout is not None and leaf.stderr is not None
    leaf.stdout.readline()
    leaf.stdout.close()  # as `head -1` does once it has its line
    errors = leaf.stderr.read().decode()
    assert leaf.wait(timeout=60) == 141
    assert "Traceback" not in errors and "BrokenPipeError" not in errors

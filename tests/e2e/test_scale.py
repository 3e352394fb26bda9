"""A year of one real-sized client through the plane: 300,000 claims of C001 in 2025 (the demo generator's claims,
all in that scope) in a fresh LEAF_HOME, `leaf run` as a user starts it, POST /v1/runs through the gateway, the task
followed to `succeeded`, then its run, its artifacts (the claim-level extract streamed down and checked row by row
count and sha256) and its trace — all from the HTTP API and `leaf trace`."""
from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import time
from datetime import date
from pathlib import Path

import httpx
import pytest

from cli.supervisor import free_port
from demo.generator import COLUMNS, FIRST_DAY, World
from tests.e2e.conftest import DEMO_GROUP, LEAF, leaf

pytestmark = [pytest.mark.e2e, pytest.mark.scale, pytest.mark.timeout(1800)]
CLAIMS = 300_000
SCOPE = {"client_id": "C001", "pbm_id": "PBM_A", "date_from": "2025-01-01", "date_to": "2025-12-31"}
FOLLOW_FOR = 1500  # seconds: what the whole run may take on a slow shared machine before the test gives up


def write_scope_claims(path: Path, n: int, seed: int = 2025) -> None:
    """`n` PAID claims of C001 (PBM_A) spread over 2025, drawn by the demo generator's world: every one in scope."""
    world, rng = World(n), random.Random(seed)
    first, days = (date(2025, 1, 1) - FIRST_DAY).days, 365
    with path.open("w", encoding="utf-8") as out:
        out.write(",".join(COLUMNS) + "\n")
        for row in range(n):
            fields, _ = world.paid_claim(rng, first + row * days // n, f"RX{row + 1:010d}", SCOPE["client_id"])
            out.write(",".join(fields) + "\n")


@pytest.fixture(scope="module")
def big_mesh(tmp_path_factory):
    """`leaf run --no-demo` over a fresh LEAF_HOME holding the demo's registry, evidence and entitlements and, as
    the active claims snapshot, the 300,000 claims."""
    home = tmp_path_factory.mktemp("leaf-home-300k")
    claims = home / "claims-300k.csv"
    write_scope_claims(claims, CLAIMS)
    leaf(home, "demo", "--claims", "1000")  # registry, evidence, the demo group's entitlements
    leaf(home, "claims", "load", str(claims))
    port = free_port()
    env = {**os.environ, "LEAF_HOME": str(home), "LEAF_GATEWAY_PORT": str(port)}
    process = subprocess.Popen([str(LEAF), "run", "--no-demo"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    printed = []
    for line in process.stdout:
        printed.append(line)
        if line.strip().startswith("-d '{"):
            break
    else:
        pytest.fail("leaf run exited before it was ready:\n" + "".join(printed))
    headers = {"Cf-Access-Jwt-Assertion": leaf(home, "dev-token", "--group", DEMO_GROUP)}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=120) as http:
        yield {"http": http, "home": home}
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=120) == 0


def test_a_300k_claim_scope_goes_through_the_plane_to_its_artifacts_and_trace(big_mesh):
    http, home = big_mesh["http"], big_mesh["home"]
    started = time.monotonic()
    asked = http.post("/v1/runs", json=SCOPE)
    assert asked.status_code == 202, asked.text
    location, task = asked.headers["location"], asked.json()
    while task["state"] in ("queued", "running"):
        assert time.monotonic() - started < FOLLOW_FOR, f"still {task['state']}: {task['progress']}"
        time.sleep(1.0)
        task = http.get(location).json()
    took = time.monotonic() - started
    print(f"\n300,000 claims: POST /v1/runs to succeeded in {took:.0f} s")
    assert task["state"] == "succeeded", task["error"]
    assert task["attempts"] == 1 and task["progress"] == {"done": 2, "total": 2, "note": "published"}

    run = http.get(task["links"]["run"]).json()
    assert run["run_id"] == task["lineage"]["run_id"] and run["scope"]["client_id"] == "C001"
    assert run["result"]["data_quality"]["rows_read"] == CLAIMS
    listed = {a["name"]: a for a in http.get(task["links"]["artifacts"]).json()["artifacts"]}
    assert {a["name"]: a["sha256"] for a in task["artifacts"]} == {n: a["sha256"] for n, a in listed.items()}
    assert {"run.json", "report.xlsx", "report.pdf", "extract.csv"} <= set(listed)

    # The claim-level extract, streamed down: every netted claim of the scope, bytes as the ledger recorded them.
    digest, lines = hashlib.sha256(), 0
    with http.stream("GET", listed["extract.csv"]["href"]) as download:
        assert download.status_code == 200
        for chunk in download.iter_bytes():
            digest.update(chunk)
            lines += chunk.count(b"\n")
    assert digest.hexdigest() == listed["extract.csv"]["sha256"]
    assert lines == CLAIMS + 1  # a header and one line per claim
    assert http.get(listed["report.pdf"]["href"]).content.startswith(b"%PDF")

    # The trace: the request that asked, the tasks service that queued it, the worker that made it.
    assert run["lineage"]["trace_id"] == task["trace_id"]
    shown = subprocess.run([str(LEAF), "trace", task["trace_id"]], env={**os.environ, "LEAF_HOME": str(home)},
                           capture_output=True, text=True).stdout
    for span in ("POST /v1/runs", "TasksService/SubmitTask", "task compute_run", "CalcService/CreateRun",
                 "PublisherService/PublishRun"):
        assert span in shown, (span, shown)
    assert http.post("/v1/runs", json=SCOPE).status_code == 200  # made once: asking again is the run

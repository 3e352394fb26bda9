"""GET /v1/runs/{run_id} of a published run through the live gateway, authenticated, at fixed request rates,
against a bare FastAPI route serving the same JSON on the same machine, measured in the same run.

The load generator is `hey` (Go, outside the Python processes it measures; `make bench` installs it): WORKERS
connections each paced to rate / WORKERS requests per second for the duration. Figures come from its per-request
CSV: p50 and p99 of the response time (milliseconds) and the achieved rate (answers 200 per second of the run).
Usage: python -m bench.gateway [--rates 100,200] [--seconds 30]
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from cli.supervisor import free_port

BIN = Path(sys.executable).parent
SCOPE = {"client_id": "C001", "pbm_id": "PBM_A", "date_from": "2025-01-01", "date_to": "2025-12-31"}
WORKERS = 50  # hey's connections, each paced to rate / WORKERS requests per second


def start_mesh(home: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "LEAF_HOME": str(home), "LEAF_GATEWAY_PORT": str(port)}
    mesh = subprocess.Popen([str(BIN / "leaf"), "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    deadline = time.monotonic() + 300
    for line in mesh.stdout:
        if line.strip().startswith("-d '{") or time.monotonic() > deadline:  # the last line `leaf run` prints
            break
    else:
        raise SystemExit("leaf run exited before the mesh was ready")
    return mesh


def dev_token(home: Path) -> str:
    env = {**os.environ, "LEAF_HOME": str(home)}
    minted = subprocess.run([str(BIN / "leaf"), "dev-token", "--email", "bench@leaf.example", "--group", "bench"],
                            env=env, capture_output=True, text=True, check=True)
    subprocess.run([str(BIN / "leaf"), "entitlements", "grant", "group:bench", "--client", SCOPE["client_id"],
                    "--reason", "gateway benchmark"], env=env, capture_output=True, text=True, check=True)
    return minted.stdout.strip()


@dataclass(frozen=True)
class Load:
    p50: float
    p99: float
    achieved: float  # answers 200 per second of the run
    requests: int    # answered (any status)
    failed: int      # answered other than 200


def hey(url: str, token: str, rate: float, seconds: int) -> Load:
    """`hey` at `rate` requests/s for `seconds`: WORKERS connections, each paced to rate / WORKERS."""
    headers = ["-H", f"Cf-Access-Jwt-Assertion: {token}"] if token else []
    done = subprocess.run(["hey", "-z", f"{seconds}s", "-c", str(WORKERS), "-q", f"{rate / WORKERS:g}", "-t", "20",
                           "-o", "csv", *headers, url], capture_output=True, text=True, check=True)
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    if not rows:
        raise SystemExit(f"hey got no answer from {url}: {done.stderr.strip()[:300]}")
    times = sorted(float(row["response-time"]) * 1000 for row in rows)
    ok = sum(1 for row in rows if row["status-code"] == "200")
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    return Load(statistics.median(times), p99, ok / seconds, len(rows), len(rows) - ok)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rates", default="100,200", help="request rates to measure, comma-separated")
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()
    rates = [float(rate) for rate in args.rates.split(",")]
    if shutil.which("hey") is None:
        raise SystemExit("bench.gateway needs `hey` on PATH (Debian/Ubuntu: apt-get install hey; `make bench` "
                         "installs it)")
    measured: list[tuple[float, Load, Load]] = []
    with tempfile.TemporaryDirectory(prefix="leaf-bench-") as scratch:
        home, port, bare_port = Path(scratch) / "home", free_port(), free_port()
        home.mkdir()
        mesh = start_mesh(home, port)
        bare = None
        try:
            token = dev_token(home)
            headers = {"Cf-Access-Jwt-Assertion": token}
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=300) as http:
                # Made by a worker: 200 when `leaf run`'s sample made it already, else 201 once made (a 202 here
                # fails the bench rather than measure a task).
                created = http.post("/v1/runs", json=SCOPE, headers={"Prefer": "wait=55"})
                if created.status_code == 202:
                    raise SystemExit(f"the run was not made within the wait: {created.json()['state']}")
                created.raise_for_status()
                run = created.json()
            run_file = Path(scratch) / "run.json"
            run_file.write_text(json.dumps(run))
            bare = subprocess.Popen([sys.executable, "-m", "bench.bare_app", str(bare_port), str(run_file)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _wait_http(f"http://127.0.0.1:{bare_port}/v1/runs/x")
            path = f"/v1/runs/{run['run_id']}"
            gateway_url, bare_url = f"http://127.0.0.1:{port}{path}", f"http://127.0.0.1:{bare_port}{path}"
            # Warm both alike: each gateway worker process reads the run once from the mesh, then from its cache.
            hey(gateway_url, token, 50, 3)
            hey(bare_url, "", 50, 3)
            for rate in rates:
                baseline = hey(bare_url, "", rate, args.seconds)
                measured.append((rate, baseline, hey(gateway_url, token, rate, args.seconds)))
        finally:
            if bare is not None:
                bare.terminate()
                bare.wait(timeout=30)
            mesh.send_signal(signal.SIGINT)
            mesh.wait(timeout=60)
    print(f"load: hey, {WORKERS} connections paced to the rate, {args.seconds} s per rate; response "
          f"{len(json.dumps(run)):,} bytes; {os.cpu_count()} cores")
    for rate, baseline, gateway in measured:
        for name, figures in (("bare FastAPI", baseline), ("gateway", gateway)):
            print(f"{rate:4.0f} req/s  {name:13s} p50 {figures.p50:7.1f} ms  p99 {figures.p99:7.1f} ms  "
                  f"achieved {figures.achieved:6.1f} req/s  {figures.requests:,} answered, {figures.failed} not 200")
        print(f"{rate:4.0f} req/s  ratio gateway/bare  p50 {gateway.p50 / max(baseline.p50, 0.01):5.2f}×  "
              f"p99 {gateway.p99 / max(baseline.p99, 0.01):5.2f}×   (target at 200 req/s: p99 ≤ 3×, "
              "all 200 req/s achieved)")


def _wait_http(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")


if __name__ == "__main__":
    main()

"""GET /v1/runs/{run_id} of a published run through the live gateway, authenticated, at a fixed request rate,
against a bare FastAPI route serving the same JSON on the same machine, measured in the same run.

The load generator is Locust (headless), driving a constant throughput; figures are Locust's own p50/p99
(milliseconds) and achieved requests/s. Usage: python -m bench.gateway [--rate 200] [--seconds 30]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from cli.supervisor import free_port

BIN = Path(sys.executable).parent
SCOPE = {"client_id": "C001", "pbm_id": "PBM_A", "date_from": "2025-01-01", "date_to": "2025-12-31"}
USERS = 50  # each user paces itself to rate / USERS requests per second


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
    subprocess.run([str(BIN / "leaf"), "entitlements", "grant", "bench", "--client", SCOPE["client_id"],
                    "--reason", "gateway benchmark"], env=env, capture_output=True, text=True, check=True)
    return minted.stdout.strip()


def locust(url: str, path: str, token: str, rate: float, seconds: int, workdir: Path) -> dict:
    env = {**os.environ, "LEAF_BENCH_PATH": path, "LEAF_BENCH_TOKEN": token, "LEAF_BENCH_RATE": str(rate / USERS)}
    prefix = workdir / "stats"
    subprocess.run([str(BIN / "locust"), "-f", str(Path(__file__).with_name("gateway_locustfile.py")), "--headless",
                    "-u", str(USERS), "-r", str(USERS), "-t", f"{seconds}s", "--host", url, "--csv", str(prefix),
                    "--only-summary", "--loglevel", "WARNING"],
                   env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(f"{prefix}_stats.csv", newline="") as stats:
        row = next(r for r in csv.DictReader(stats) if r["Name"] == "Aggregated")
    return {"p50": float(row["50%"]), "p99": float(row["99%"]), "rps": float(row["Requests/s"]),
            "requests": int(row["Request Count"]), "failures": int(row["Failure Count"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()
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
            gateway = locust(f"http://127.0.0.1:{port}", path, token, args.rate, args.seconds, Path(scratch))
            baseline = locust(f"http://127.0.0.1:{bare_port}", path, "", args.rate, args.seconds, Path(scratch))
        finally:
            if bare is not None:
                bare.terminate()
                bare.wait(timeout=30)
            mesh.send_signal(signal.SIGINT)
            mesh.wait(timeout=60)
    print(f"load: {args.rate:.0f} requests/s for {args.seconds} s, {USERS} Locust users, response {len(json.dumps(run)):,} bytes")
    for name, figures in (("bare FastAPI", baseline), ("gateway", gateway)):
        print(f"{name:13s} p50 {figures['p50']:7.1f} ms  p99 {figures['p99']:7.1f} ms  {figures['rps']:7.1f} req/s  "
              f"{figures['requests']:,} requests, {figures['failures']} failed")
    print(f"ratio gateway/bare p99: {gateway['p99'] / max(baseline['p99'], 0.1):6.2f}×   (target: p99 ≤ 25 ms and ≤ 3×)")


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

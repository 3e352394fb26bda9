"""Publishing over real gRPC, every service its own process: the demo's 15k-claim cold run, and a 1M-claim scope
against writing the same extract as plain CSV (targets: under 3 s; ≤ 3× and under 1 GiB of RSS per process).

scope, evidence, calc and publisher start as `python -m services.<name>` on free local ports in a throwaway
LEAF_HOME with the demo loaded (`leaf demo`). The cold run is C001 / PBM_A / 2025: calc.CreateRun, then
publisher.PublishRun, timed from the first call to the publication's answer (every artifact stored, Domo outbox
written). The large scope is the demo generator's claims rewritten into that one scope, loaded as the active
snapshot, published the same way by a fresh mesh; peak RSS is each process's VmHWM (Linux). The baseline, in the
same run: Python's csv module reading the published extract.csv and writing its rows again — the least a Python
publisher does to write that extract once.
Usage: python -m bench.publishing [--claims N]
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from demo.generator import generate_claims

SERVICES = ("scope", "evidence", "calc", "publisher")
SCOPE = ("C001", "PBM_A", "2025-01-01", "2025-12-31")
BIN = Path(sys.executable).parent
CHECKOUT = Path(__file__).resolve().parents[1]
# A serving publisher still imports its renderers in the background for about a second (bootstrap.warm_renderers);
# the cold run is a run never computed or published, on services that have started, not a service's first second.
WARM_SECONDS = 3.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def mesh(home: Path) -> Iterator[tuple[dict[str, str], dict[str, int]]]:
    """The four services as processes, callees first; yields their addresses and pids once all are SERVING."""
    addresses = {name: f"127.0.0.1:{free_port()}" for name in (*SERVICES, "itr", "tasks")}
    env = {**os.environ, "LEAF_HOME": str(home), "PYTHONPATH": str(CHECKOUT),
           **{f"{name.upper()}_ADDR": address for name, address in addresses.items()}}
    processes = {}
    try:
        for name in SERVICES:
            processes[name] = subprocess.Popen([sys.executable, "-m", f"services.{name}"], env=env, cwd=CHECKOUT,
                                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            asyncio.run(_serving(addresses[name], processes[name]))
        yield addresses, {name: p.pid for name, p in processes.items()}
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            process.wait(30)


async def _serving(address: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    async with grpc.aio.insecure_channel(address) as channel:
        while time.monotonic() < deadline and process.poll() is None:
            with contextlib.suppress(grpc.aio.AioRpcError):
                answer = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1)
                if answer.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            await asyncio.sleep(0.1)
    raise SystemExit(f"the service at {address} never served")


def peak_rss(pid: int) -> int:
    """The process's high-water resident set (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def caller_metadata(home: Path) -> tuple[tuple[str, str], ...]:
    """What the gateway sends: a caller identity and an exact grant for the scope, signed with the mesh's local keys."""
    os.environ["LEAF_HOME"] = str(home)
    from runtime import grants, identity
    from runtime.grant_keys import local_grant_keys
    from runtime.identity_keys import local_identity_keys
    from runtime.scope import Scope

    principal = "user:bench@leaf.example"
    who, _ = identity.sign(principal, (), False, local_identity_keys())
    grant, _, _ = grants.issue(Scope.parse(*SCOPE), principal, local_grant_keys())
    return ((identity.METADATA_KEY, who), (grants.METADATA_KEY, grant))


async def create_and_publish(addresses: dict[str, str], metadata) -> tuple[float, float, str, dict[str, int]]:
    """calc.CreateRun then publisher.PublishRun: (create seconds, publish seconds, run_id, artifact sizes)."""
    from leaf.calc.v1 import calc_pb2, calc_pb2_grpc
    from leaf.publisher.v1 import publisher_pb2, publisher_pb2_grpc
    from runtime.clients import open_channel
    from runtime.convert import scope_to_proto
    from runtime.scope import Scope

    async with open_channel(addresses["calc"]) as calc, open_channel(addresses["publisher"]) as publisher:
        started = time.perf_counter()
        run = await calc_pb2_grpc.CalcServiceStub(calc).CreateRun(
            calc_pb2.CreateRunRequest(scope=scope_to_proto(Scope.parse(*SCOPE))), metadata=metadata, timeout=3600)
        created = time.perf_counter()
        publication = await publisher_pb2_grpc.PublisherServiceStub(publisher).PublishRun(
            publisher_pb2.PublishRunRequest(run_id=run.run_id), metadata=metadata, timeout=3600)
        published = time.perf_counter()
    return created - started, published - created, run.run_id, {a.name: a.size for a in publication.artifacts}


def one_scope_claims(n: int, folder: Path) -> Path:
    """n demo claims, every one rewritten into C001 / PBM_A / 2025 (C001's groups and TPA, the same month and day)."""
    raw, scoped = folder / f"raw-{n}.csv", folder / f"c001-{n}.csv"
    generate_claims(raw, n_claims=n, seed=20251231)
    duckdb.execute(f"""
        COPY (SELECT * REPLACE ('C001' AS client_id, 'PBM_A' AS pbm_id, 'TPA_1' AS tpa_id,
                                'C001-G0' || (1 + hash(member_id) % 4) AS group_id,
                                strftime(make_date(2025, month(CAST(fill_date AS DATE)),
                                                   least(day(CAST(fill_date AS DATE)), 28)), '%Y-%m-%d') AS fill_date)
              FROM read_csv('{raw}', all_varchar = true, header = true))
        TO '{scoped}' (HEADER, DELIMITER ',')""")
    raw.unlink()
    return scoped


def typed_csv_seconds(n: int, out: Path) -> float:
    """bench/extract's baseline: n extract rows built from typed values (generated lazily) and written with the
    csv module — what writing the extract costs a Python program that has the rows."""
    from bench.extract import synthetic_rows
    from services.publisher.domain.extract import write_csv

    started = time.perf_counter()
    with out.open("w", newline="", encoding="utf-8") as target:
        write_csv(synthetic_rows(n)(), target)
    return time.perf_counter() - started


def plain_csv_seconds(extract: Path, out: Path) -> float:
    started = time.perf_counter()
    with extract.open(newline="", encoding="utf-8") as source, out.open("w", newline="", encoding="utf-8") as target:
        csv.writer(target, lineterminator="\r\n").writerows(csv.reader(source))
    return time.perf_counter() - started


def leaf(home: Path, *args: str) -> None:
    subprocess.run([str(BIN / "leaf"), *args], env={**os.environ, "LEAF_HOME": str(home)}, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=int(os.environ.get("PUBLISH_CLAIMS", 1_000_000)))
    n = parser.parse_args().claims
    with tempfile.TemporaryDirectory(prefix="leaf-bench-publish-") as tmp:
        home = Path(tmp) / "home"
        leaf(home, "demo")
        metadata = caller_metadata(home)
        with mesh(home) as (addresses, _):
            time.sleep(WARM_SECONDS)
            create_s, publish_s, _, sizes = asyncio.run(create_and_publish(addresses, metadata))
        cold = create_s + publish_s
        print(f"cold run (demo C001 2025):  {cold:6.2f} s  (CreateRun {create_s:.2f} s + PublishRun {publish_s:.2f} s; "
              f"target < 3 s: {'met' if cold < 3 else 'missed'})  extract.csv {sizes['extract.csv'] / 1e6:.1f} MB")

        leaf(home, "claims", "load", str(one_scope_claims(n, Path(tmp))))
        with mesh(home) as (addresses, pids):
            create_s, publish_s, run_id, sizes = asyncio.run(create_and_publish(addresses, metadata))
            rss = {name: peak_rss(pid) for name, pid in pids.items()}
        extract = home / "artifacts" / run_id / "extract.csv"
        with extract.open(encoding="utf-8") as source:
            extract_rows = sum(1 for _ in source) - 1
        typed = typed_csv_seconds(extract_rows, Path(tmp) / "typed.csv")
        strings = plain_csv_seconds(extract, Path(tmp) / "plain.csv")
        total = create_s + publish_s
        print(f"{n:,} claims generated; the scope's extract: {extract_rows:,} rows")
        print(f"plain CSV baseline:         {typed:6.2f} s  (csv module: the same number of typed extract rows, "
              "as bench.extract)")
        print(f"  strings only:             {strings:6.2f} s  (csv module: read extract.csv, write its rows again)")
        print(f"CreateRun + PublishRun:     {total:6.2f} s  (CreateRun {create_s:.2f} s + PublishRun {publish_s:.2f} s)")
        print(f"ratio:                      {total / typed:6.2f}×  (target ≤ 3×; against strings only "
              f"{total / strings:.1f}×)")
        print("artifacts:                  " + ", ".join(f"{k} {v / 1e6:,.0f} MB" for k, v in sorted(sizes.items())
                                                        if v > 1e6))
        print("peak RSS per process:       " + ", ".join(f"{k} {v / 2**20:,.0f} MiB" for k, v in rss.items())
              + f"  (target < 1024 MiB: {'met' if max(rss.values()) < 2**30 else 'missed'})")


if __name__ == "__main__":
    main()

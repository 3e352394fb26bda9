"""`leaf run`: load the demo if needed, start the whole mesh and the gateway, stop everything on Ctrl-C."""
from __future__ import annotations

import os
import sys
import time
import urllib.request
from pathlib import Path

import httpx

from cli.commands.demo import DEFAULT_CLAIMS, DEMO_GROUP, load_demo
from cli.supervisor import SERVICES, StopRequested, Supervisor, free_port, grpc_serving, port_is_free
from runtime.home import leaf_home
from services.gateway.offline import dev_token_header
from services.tasks.offline import LANES

SAMPLE_WAIT_SECONDS = 600  # the sample run on a slow machine, followed task by task

SAMPLE_SCOPE = {"client_id": "C001", "pbm_id": "PBM_A", "date_from": "2025-01-01", "date_to": "2025-12-31"}
TRY = """TOKEN=$({leaf} dev-token --group {group})
  curl -s -X POST http://{host}:{port}/v1/runs -H "Cf-Access-Jwt-Assertion: $TOKEN" \\
     -H 'content-type: application/json' -H 'Prefer: wait=60' \\
     -d '{{"client_id": "C001", "pbm_id": "PBM_A", "date_from": "2025-01-01", "date_to": "2025-12-31"}}'"""


def register(commands) -> None:
    run = commands.add_parser("run", help="start the whole mesh on embedded defaults with the demo data")
    run.add_argument("--demo-claims", type=int, default=DEFAULT_CLAIMS, help="claims in the demo (default %(default)s)")
    run.add_argument("--no-demo", action="store_true", help="do not load the demo data set")
    run.set_defaults(handler=handle)


def gateway_ready(host: str, port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/readyz", timeout=2) as reply:
            return reply.status == 200
    except OSError:
        return False


def handle(args) -> int:
    home = leaf_home()
    (home / "logs").mkdir(exist_ok=True)
    host = os.environ.get("LEAF_GATEWAY_HOST", "127.0.0.1")
    port = int(os.environ.get("LEAF_GATEWAY_PORT", "8080"))
    if not port_is_free(host, port):
        print(f"leaf run: {host}:{port} is in use; set LEAF_GATEWAY_PORT to another port", file=sys.stderr)
        return 1
    if not args.no_demo:
        load_demo(args.demo_claims)
    addresses = {name: os.environ.get(f"{name.upper()}_ADDR") or f"127.0.0.1:{free_port()}" for name in SERVICES}
    supervisor = Supervisor(home, addresses)
    supervisor.stop_on_signals()
    try:
        for name in SERVICES:
            supervisor.start_service(name)
        for name in SERVICES:
            supervisor.wait_until(name, lambda n=name: grpc_serving(addresses[n]))
        workers = [supervisor.start_worker(lane) for lane in LANES]  # after tasks: it migrates their database
        supervisor.start("gateway", {"LEAF_GATEWAY_HOST": host, "LEAF_GATEWAY_PORT": str(port)})
        supervisor.wait_until("gateway", lambda: gateway_ready(host, port))
        samples = [] if args.no_demo else sample_deliverables(home, host, port)
        announce(home, addresses, workers, host, port, samples)
        while not supervisor.exited():
            if supervisor.stopping.wait(0.5):
                raise StopRequested()
        print(f"leaf run: {', '.join(supervisor.exited())} stopped unexpectedly; stopping the mesh", file=sys.stderr)
        return 1
    except StopRequested:
        print("\nstopping the mesh…", file=sys.stderr)
        return 0
    except RuntimeError as err:
        print(f"leaf run: {err}", file=sys.stderr)
        return 1
    finally:
        supervisor.stop()


def sample_deliverables(home: Path, host: str, port: int) -> list[Path]:
    """Publish the demo's sample run through the gateway, as a user would — a `runs` worker makes it while we
    follow its task — and keep its workbook and PDF."""
    headers = dev_token_header((DEMO_GROUP,))
    with httpx.Client(base_url=f"http://{host}:{port}", headers=headers, timeout=300) as http:
        run_id = sample_run(http)
        if run_id is None:
            return []
        kept = []
        for name in ("report.xlsx", "report.pdf"):
            path = home / "samples" / run_id / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(http.get(f"/v1/runs/{run_id}/artifacts/{name}").raise_for_status().content)
            kept.append(path)
    return kept


def sample_run(http: httpx.Client) -> str | None:
    """The sample run's id once it is published (made now, or found made), or None after saying why not."""
    reply = http.post("/v1/runs", json=SAMPLE_SCOPE, headers={"Prefer": "wait=30"})
    if reply.status_code in (200, 201):
        return reply.json()["run_id"]
    give_up = time.monotonic() + SAMPLE_WAIT_SECONDS
    location = reply.headers.get("location")
    while reply.status_code in (200, 202) and location and time.monotonic() < give_up:
        task = reply.json()
        if task["state"] == "succeeded":
            return task["lineage"]["run_id"]
        if task["state"] not in ("queued", "running"):
            break
        time.sleep(0.5)
        reply = http.get(location)
    said = reply.json() if reply.headers.get("content-type", "").startswith(("application/json",
                                                                              "application/problem+json")) else {}
    print(f"leaf run: the sample run did not finish ({reply.status_code} {said.get('state', '')}): "
          f"{(said.get('error') or said.get('detail') or reply.text)[:300]}", file=sys.stderr)
    return None


def announce(home, addresses: dict[str, str], workers: list[str], host: str, port: int, samples: list[Path]) -> None:
    print("LeafEnterprise is running (Ctrl-C stops everything).\n")
    for name, address in addresses.items():
        print(f"  {name:<10} grpc  {address}")
    for name in workers:
        print(f"  {name:<10} lane  {name.partition('-')[2]}")
    print(f"  {'gateway':<10} http  http://{host}:{port}\n")
    print(f"API docs:     http://{host}:{port}/docs   (OpenAPI: http://{host}:{port}/openapi.json)")
    print(f"Data and logs: {home}")
    for path in samples:
        print(f"Sample {path.suffix[1:].upper():<5} {path}")
    leaf = Path(sys.executable).parent / "leaf"
    print("\nTry a run (the dev token is signed by the local dev key; `leaf-demo` may see every demo client):\n  "
          + TRY.format(leaf=leaf, group=DEMO_GROUP, host=host, port=port) + "\n", flush=True)

"""`leaf run`: load the demo if needed, start the whole mesh and the gateway, stop everything on Ctrl-C."""
from __future__ import annotations

import os
import sys
import urllib.request

from cli.commands.demo import DEFAULT_CLAIMS, load_demo
from cli.supervisor import SERVICES, StopRequested, Supervisor, free_port, grpc_serving, port_is_free
from runtime.home import leaf_home

TRY = """curl -s -X POST http://{host}:{port}/v1/runs -H 'content-type: application/json' \\
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
        supervisor.start("gateway", {"LEAF_GATEWAY_HOST": host, "LEAF_GATEWAY_PORT": str(port)})
        supervisor.wait_until("gateway", lambda: gateway_ready(host, port))
        announce(home, addresses, host, port)
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


def announce(home, addresses: dict[str, str], host: str, port: int) -> None:
    print("LeafEnterprise is running (Ctrl-C stops everything).\n")
    for name, address in addresses.items():
        print(f"  {name:<10} grpc  {address}")
    print(f"  {'gateway':<10} http  http://{host}:{port}\n")
    print(f"API docs:     http://{host}:{port}/docs   (OpenAPI: http://{host}:{port}/openapi.json)")
    print(f"Data and logs: {home}\n")
    print("Try a run:\n  " + TRY.format(host=host, port=port) + "\n", flush=True)

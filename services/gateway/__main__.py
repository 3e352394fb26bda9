"""Run the HTTP gateway: `python -m services.gateway`, as LEAF_GATEWAY_WORKERS uvicorn processes on one port."""
import signal

import uvicorn
from fastapi import FastAPI

from runtime.identity_tokens import SignedAssertions
from runtime.lifeline import die_with_parent, follow_parent
from runtime.logs import configure_logging, stop_log_writer
from runtime.settings import load_settings
from runtime.telemetry import setup_tracing
from services.gateway.adapters.callers import CallerAssertions
from services.gateway.adapters.mesh import Mesh
from services.gateway.entrypoints.app import create_app
from services.gateway.entrypoints.auth import build_authenticator
from services.gateway.settings import GatewaySettings

FACTORY = "services.gateway.__main__:worker_app"


def build_app(settings: GatewaySettings) -> FastAPI:
    configure_logging("gateway")
    setup_tracing("gateway")
    addresses = settings.peer_addresses()  # the services it calls (runtime/topology.py), all /readyz checks
    # Every gRPC call of a request carries the caller's signed identity (LEAF_IDENTITY_KEYS).
    callers = CallerAssertions(SignedAssertions(settings.identity_keys(), settings.LEAF_IDENTITY_TTL_SECONDS),
                               settings.LEAF_OPERATOR_GROUP)
    return create_app(lambda: Mesh(addresses, callers, settings.LEAF_GATEWAY_TIMEOUT_SECONDS),
                      build_authenticator(settings), settings)


def worker_app() -> FastAPI:
    """One worker process's app (uvicorn calls this factory in each process it spawns): its own settings, mesh
    channels, caches, logging and tracing; it stops when the process that spawned it is gone."""
    die_with_parent()
    return build_app(load_settings(GatewaySettings))


def _flush_logs_then_die(signum: int, _frame: object) -> None:
    """uvicorn restores the handlers it found and raises the signal again after its graceful shutdown; the default
    action would end the process without atexit, losing the log lines still queued for the writing thread."""
    stop_log_writer()
    signal.signal(signum, signal.SIG_DFL)
    signal.raise_signal(signum)


def main() -> None:
    follow_parent()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _flush_logs_then_die)
    settings = load_settings(GatewaySettings)
    host, port = settings.LEAF_GATEWAY_HOST, settings.LEAF_GATEWAY_PORT
    if settings.workers == 1:
        uvicorn.run(build_app(settings), host=host, port=port, log_config=None, timeout_graceful_shutdown=10)
    else:
        configure_logging("gateway")
        # uvicorn binds the port here and spawns the workers, which share it (the kernel spreads the connections).
        uvicorn.run(FACTORY, factory=True, workers=settings.workers, host=host, port=port, log_config=None,
                    timeout_graceful_shutdown=10)

if __name__ == "__main__":
    main()

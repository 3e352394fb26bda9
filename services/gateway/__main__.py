"""Run the HTTP gateway: `python -m services.gateway`."""
import uvicorn

from runtime.identity import SignedAssertions
from runtime.lifeline import follow_parent
from runtime.logs import configure_logging
from runtime.settings import load_settings
from runtime.telemetry import setup_tracing
from services.gateway.adapters.callers import CallerAssertions
from services.gateway.adapters.mesh import Mesh
from services.gateway.entrypoints.app import create_app
from services.gateway.entrypoints.auth import build_authenticator
from services.gateway.settings import GatewaySettings


def main() -> None:
    follow_parent()
    configure_logging("gateway")
    setup_tracing("gateway")
    settings = load_settings(GatewaySettings)
    addresses = settings.peer_addresses()  # the services it calls (runtime/topology.py), all /readyz checks
    # Every gRPC call of a request carries the caller's signed identity (LEAF_IDENTITY_KEYS).
    callers = CallerAssertions(SignedAssertions(settings.identity_keys(), settings.LEAF_IDENTITY_TTL_SECONDS),
                               settings.LEAF_OPERATOR_GROUP)
    app = create_app(lambda: Mesh(addresses, callers, settings.LEAF_GATEWAY_TIMEOUT_SECONDS),
                     build_authenticator(settings), settings)
    uvicorn.run(app, host=settings.LEAF_GATEWAY_HOST, port=settings.LEAF_GATEWAY_PORT,
                log_config=None, timeout_graceful_shutdown=10)


main()

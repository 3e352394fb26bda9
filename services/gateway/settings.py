"""Gateway settings: where it listens and where every service of the mesh is."""
from __future__ import annotations

from runtime.settings import LeafSettings


class GatewaySettings(LeafSettings):
    LEAF_GATEWAY_HOST: str = "127.0.0.1"
    LEAF_GATEWAY_PORT: int = 8080
    LEAF_GATEWAY_TIMEOUT_SECONDS: float = 60.0
    SCOPE_ADDR: str
    CALC_ADDR: str
    EVIDENCE_ADDR: str
    ITR_ADDR: str
    PUBLISHER_ADDR: str
    TASKS_ADDR: str

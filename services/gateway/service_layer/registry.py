"""The calculation registry as the gateway serves it: the calc service's document, unchanged."""
from __future__ import annotations

import json

from leaf.calc.v1 import calc_pb2
from runtime.clients import call
from services.gateway.domain.identity import Identity
from services.gateway.service_layer.ports import Mesh


async def list_formulas(mesh: Mesh, identity: Identity) -> dict:
    # No client data, so no grant; like every call, it is made for a verified caller.
    reply = await call(mesh.calc.ListFormulas, calc_pb2.ListFormulasRequest(), timeout=mesh.remaining(),
                       metadata=mesh.as_caller(identity), retries=2)
    return json.loads(reply.registry_json)

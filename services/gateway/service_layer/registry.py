"""The calculation registry as the gateway serves it: the calc service's document, unchanged."""
from __future__ import annotations

import json

from leaf.calc.v1 import calc_pb2

from runtime.clients import call
from services.gateway.adapters.mesh import Mesh


async def list_formulas(mesh: Mesh) -> dict:
    reply = await call(mesh.calc.ListFormulas, calc_pb2.ListFormulasRequest(), timeout=mesh.remaining(), retries=2)
    return json.loads(reply.registry_json)

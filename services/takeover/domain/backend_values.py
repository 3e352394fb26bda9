"""A card's backend value from a calc result document (calculations.md section 5): the one mapping both backends
share — the offline twin that calculates in process (cli/offline_parity.py) and calc over the mesh
(adapters/calc_mesh.py) — so a card compared either way reads the same field the same way."""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from services.takeover.domain.parity import BackendValue


def formula_value(result: Mapping, spec: str, registry_version: str) -> BackendValue:
    """`spec` is `formula_id.field`: a summary field of the formula, else the field summed over its buckets; None
    when the formula is absent or blocked (no contract evidence, say). The version is the formula's own when the
    result states it, else the registry's."""
    formula_id, _, name = spec.partition(".")
    formula = next((f for f in result.get("formulas", []) if f.get("id") == formula_id), None)
    if formula is None or formula.get("status") == "blocked":
        return BackendValue(spec, registry_version, None)
    version = str(formula.get("version", registry_version))
    if name in formula:
        value = formula[name]
        return BackendValue(spec, version, None if value is None else str(value))
    buckets = [b.get(name) for b in formula.get("buckets", []) if b.get(name) is not None]
    total = sum((Decimal(str(v)) for v in buckets), Decimal(0)) if buckets else None
    return BackendValue(spec, version, None if total is None else format(total, "f"))

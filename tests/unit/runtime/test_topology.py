"""The call graph (runtime/topology.py) is the one place a service's peers are named: settings and code follow it."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from runtime.topology import (
    CALLS,
    CLIENTS_ONLY,
    GATEWAY,
    WORKER,
    address_variable,
    callees_first,
    peer_address_settings,
)
from tests.service_settings import SETTINGS

REPO = Path(__file__).resolve().parents[3]
ADDRESS = re.compile(r"\b([A-Z]+)_ADDR\b")


def test_every_process_has_settings_here() -> None:
    assert set(SETTINGS) == set(CALLS)
    assert set(CALLS) - {WORKER} == {p.name for p in (REPO / "services").iterdir() if (p / "__main__.py").exists()}
    assert (REPO / "services" / "tasks" / "worker.py").is_file()  # the lane workers are the tasks service's own


def test_callees_are_services_of_the_mesh_and_nobody_calls_the_gateway_or_a_worker() -> None:
    for service, callees in CALLS.items():
        assert set(callees) <= set(CALLS) - {*CLIENTS_ONLY, service}, service


@pytest.mark.parametrize("service", sorted(CALLS))
def test_settings_hold_exactly_the_addresses_of_the_declared_calls(service: str) -> None:
    fields = {name for name in SETTINGS[service].model_fields if name.endswith("_ADDR")}
    assert fields == {address_variable(peer) for peer in CALLS[service]}


def test_a_declared_address_is_required_and_named_when_missing() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="EVIDENCE_ADDR"):
        peer_address_settings("calc")()
    assert peer_address_settings("calc")(EVIDENCE_ADDR="evidence:50051").peer_addresses() == {
        "evidence": "evidence:50051"}


@pytest.mark.parametrize("service", sorted(CALLS))
def test_the_code_names_no_address_beyond_its_declared_calls(service: str) -> None:
    """Beyond the settings: no os.environ["ITR_ADDR"] or hard-coded peer slips past the table."""
    named = {(path.relative_to(REPO), match.lower()) for path in (REPO / "services" / service).rglob("*.py")
             for match in ADDRESS.findall(path.read_text())}
    assert {peer for _, peer in named} <= set(CALLS[service]), sorted(named)


def test_callees_start_first() -> None:
    order = callees_first()
    assert sorted(order) == sorted(CALLS) and order[-1] == GATEWAY
    for service, callees in CALLS.items():
        assert all(order.index(callee) < order.index(service) for callee in callees), service

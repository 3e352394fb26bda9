"""The mesh's call graph, declared once: which services each process calls over gRPC.

Everything else follows from this table instead of repeating it. A process's settings have a required
`<PEER>_ADDR` for each service it calls and no other address (`peer_address_settings`), so code cannot dial a
service the table does not name; `leaf run` hands each process exactly these addresses; and
tests/integration/test_k8s_manifests.py fails when a Deployment's `*_ADDR` variables or the NetworkPolicies
open a path the table does not declare, or lack one it does.
"""
from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar

from runtime.settings import LeafSettings

GATEWAY = "gateway"  # the HTTP edge: it calls the mesh and nothing in the mesh calls it
# The lane workers (`leaf worker --lane NAME`, one Deployment per lane): part of the tasks service, reading its
# database and queue directly, serving nothing; they call out for the task's submitter.
WORKER = "worker"
CALLS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "scope": (),
    "evidence": (),
    "itr": (),      # Salesforce (or a local export) only: it calls no service of the mesh
    "tasks": (),    # the ledger and queues; its workers reach them through its database, not over gRPC
    "takeover": ("calc",),  # Domo exports into its own lake and database; calc's run for a golden comparison
    "calc": ("evidence",),  # the contract and rebate packets covering a run's scope
    "publisher": ("calc", "scope"),  # a run's result, claims and rejects; Domo's row policies; its scope's names
    # the submitter's grant again; compute_run, publish_run, itr_sync, takeover_ingest
    WORKER: ("scope", "calc", "publisher", "itr", "takeover"),
    GATEWAY: ("scope", "calc", "evidence", "publisher", "tasks", "itr", "takeover"),  # the /v1 routes; /readyz checks these
})
CLIENTS_ONLY = (GATEWAY, WORKER)  # processes that call the mesh but serve no gRPC
GRPC_SERVICES = tuple(name for name in CALLS if name not in CLIENTS_ONLY)


def address_variable(service: str) -> str:
    """The setting that holds a service's `host:port` (configuration.md's `<NAME>_ADDR`)."""
    return f"{service.upper()}_ADDR"


def callers_of(service: str) -> tuple[str, ...]:
    return tuple(caller for caller, callees in CALLS.items() if service in callees)


def callees_first() -> tuple[str, ...]:
    """Every process, each after the services it calls: an order to start them in (reverse it to stop)."""
    ordered: list[str] = []
    while len(ordered) < len(CALLS):
        ready = [name for name, callees in CALLS.items() if name not in ordered and set(callees) <= set(ordered)]
        if not ready:
            raise ValueError(f"the call graph has a cycle among {sorted(set(CALLS) - set(ordered))}")
        ordered += ready
    return tuple(ordered)


class PeerAddressSettings(LeafSettings):
    """Base of the mixins `peer_address_settings` builds: the addresses of the services a process calls."""

    calls: ClassVar[tuple[str, ...]] = ()

    def peer_addresses(self) -> dict[str, str]:
        """Service name → `host:port`, for every service this process calls."""
        return {peer: getattr(self, address_variable(peer)) for peer in self.calls}


def peer_address_settings(service: str) -> Any:
    """A settings mixin with a required `<PEER>_ADDR` for each service `service` calls (CALLS), and no other.

    Built from the table rather than written out, so a service's settings cannot read an address the table does
    not declare; a missing one stops the start naming the variable, like every other required setting.
    """
    calls = CALLS[service]
    namespace = {"__doc__": f"The addresses {service} calls: {', '.join(calls) or 'none'}.", "__module__": __name__,
                 "__annotations__": {address_variable(peer): str for peer in calls}, "calls": calls}
    return type(f"{service.capitalize()}PeerAddressSettings", (PeerAddressSettings,), namespace)

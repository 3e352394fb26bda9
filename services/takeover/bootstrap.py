"""Composition root of the takeover service: its database, its lake, the servicer."""
from __future__ import annotations

from leaf.takeover.v1 import takeover_pb2, takeover_pb2_grpc
from runtime.grant_keys import GrantKeys, GrantKeySettings
from runtime.identity_keys import IdentitySettings
from runtime.server import ServiceDeps, database_service
from services.takeover.adapters.explanations_sql import SqlExplanations
from services.takeover.adapters.plane import build_plane
from services.takeover.adapters.process_registry import open_process_registry
from services.takeover.entrypoints.grpc_servicer import TakeoverServicer
from services.takeover.service_layer.parity import ExplainedParityResults
from services.takeover.settings import TakeoverStoreSettings

SERVICE_NAME = takeover_pb2.DESCRIPTOR.services_by_name["TakeoverService"].full_name


# A load names datasets, counts, hashes and reasons, never a client's rows: these need a verified identity (an
# operator's to ingest, checked in the servicer) but no scope grant. A method added later that answers with rows
# (Beast Mode replay over silver claims) is guarded by the grant like every other service's. Parity reports carry
# card values (a process's aggregates as Domo and the backend show them) and explanations, no rows: grant-free too.
GRANT_FREE = frozenset(f"/{SERVICE_NAME}/{method}" for method in ("IngestExport", "ListLoads", "GetLoad",
                                                                  "ListProcesses", "AdvanceProcess", "GetParity",
                                                                  "ProposeExplanation", "ApproveExplanation"))


class TakeoverSettings(TakeoverStoreSettings, GrantKeySettings, IdentitySettings):
    """The running service also verifies identities and scope grants; `leaf takeover` needs neither key."""

    embedded_defaults = (*TakeoverStoreSettings.embedded_defaults, "LEAF_GRANT_KEYS", "LEAF_IDENTITY_KEYS")


def bootstrap(settings: TakeoverSettings, keys: GrantKeys | None = None) -> ServiceDeps:
    plane = build_plane(settings)
    processes, reports = open_process_registry(settings, plane.curated.engine)  # no client rows: grant-free
    explanations = SqlExplanations(plane.curated.engine)
    # the registry's gate reads the kept parity reports with the approved explanations applied
    servicer = TakeoverServicer(plane.ingest, plane.curated, processes, ExplainedParityResults(reports, explanations),
                                reports, explanations)
    return database_service("takeover", plane.curated.engine,
                            [(takeover_pb2_grpc.add_TakeoverServiceServicer_to_server, servicer)], [SERVICE_NAME],
                            grant_keys=keys or settings.grant_keys(), open_methods=GRANT_FREE,
                            identity_keys=settings.identity_keys())

"""Composition root of the takeover service: its database, its lake, the servicer."""
from __future__ import annotations

from leaf.takeover.v1 import takeover_pb2, takeover_pb2_grpc
from runtime.grant_keys import GrantKeys, GrantKeySettings
from runtime.identity_keys import IdentitySettings
from runtime.server import ServiceDeps, database_service
from runtime.topology import peer_address_settings
from services.takeover.adapters.calc_mesh import CalcOverMesh
from services.takeover.adapters.explanations_sql import SqlExplanations
from services.takeover.adapters.plane import Plane, build_plane
from services.takeover.adapters.process_registry import SqlProcessRegistry, open_process_registry
from services.takeover.adapters.replay_lake import LakeReplay
from services.takeover.adapters.row_diff_silver import SilverRowDiffs
from services.takeover.entrypoints.compare_grpc import CompareDeps
from services.takeover.entrypoints.grpc_servicer import TakeoverServicer
from services.takeover.service_layer.parity import ExplainedParityResults, ParityReports
from services.takeover.settings import TakeoverStoreSettings

SERVICE_NAME = takeover_pb2.DESCRIPTOR.services_by_name["TakeoverService"].full_name


# A load names datasets, counts, hashes and reasons, never a client's rows: these need a verified identity (an
# operator's to ingest, checked in the servicer) but no scope grant. A method added later that answers with rows
# (Beast Mode replay over silver claims) is guarded by the grant like every other service's. Parity reports carry
# card values, a client's aggregates: GetParity (and GetParityWorkbook, its rendering) runs under the caller's grant,
# which must cover the process's scope. Proposing and approving an explanation answer the report too but are an
# operator's only (checked in the servicer): that check is their read check, so they stay grant-free.
GRANT_FREE = frozenset(f"/{SERVICE_NAME}/{method}" for method in ("IngestExport", "ListLoads", "GetLoad",
                                                                  "ListProcesses", "AdvanceProcess",
                                                                  "ProposeExplanation", "ApproveExplanation"))


class TakeoverSettings(TakeoverStoreSettings, GrantKeySettings, IdentitySettings, peer_address_settings("takeover")):
    """The running service also verifies identities and scope grants, and calls calc (CompareParity); `leaf
    takeover` needs none of these."""

    embedded_defaults = (*TakeoverStoreSettings.embedded_defaults, "LEAF_GRANT_KEYS", "LEAF_IDENTITY_KEYS",
                         "CALC_ADDR")
    # Unset: the service answers everything but CompareParity, which says calc_not_configured (LEAF_ENV=prod
    # refuses it unset, like the embedded stand-ins); `leaf run` and the manifests always set it.
    CALC_ADDR: str | None = None  # type: ignore[assignment]


def bootstrap(settings: TakeoverSettings, keys: GrantKeys | None = None) -> ServiceDeps:
    plane = build_plane(settings)
    processes, reports = open_process_registry(settings, plane.curated.engine)  # no client rows: grant-free
    explanations = SqlExplanations(plane.curated.engine)
    # the registry's gate reads the kept parity reports with the approved explanations applied
    calc = CalcOverMesh(settings.CALC_ADDR)  # its channel opens on the first comparison, in the serving loop
    servicer = TakeoverServicer(plane.ingest, plane.curated, processes, ExplainedParityResults(reports, explanations),
                                reports, explanations, compare_deps(settings, plane, calc, processes, reports,
                                                                    explanations))
    deps = database_service("takeover", plane.curated.engine,
                            [(takeover_pb2_grpc.add_TakeoverServiceServicer_to_server, servicer)], [SERVICE_NAME],
                            grant_keys=keys or settings.grant_keys(), open_methods=GRANT_FREE,
                            identity_keys=settings.identity_keys())
    close_database = deps.close

    async def close() -> None:
        await calc.close()
        await close_database()

    deps.close = close
    return deps


def compare_deps(settings: TakeoverSettings, plane: Plane, calc: CalcOverMesh, processes: SqlProcessRegistry,
                 reports: ParityReports, explanations: SqlExplanations) -> CompareDeps:
    """CompareParity: the load replayed from the lake, calc over the mesh, the run's claims diffed against silver."""
    memory, threads = settings.LEAF_TAKEOVER_DUCKDB_MEMORY, settings.LEAF_TAKEOVER_DUCKDB_THREADS
    lake = LakeReplay(plane.files, plane.curated, memory, threads)
    return CompareDeps(processes, lake, lake, calc, lambda made: SilverRowDiffs(
        plane.files, plane.curated, lake, made.claims, memory, threads), reports, explanations)

"""Composition root of the calc service: claims store, evidence client, run repository."""
from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from kernel.errors import InputError
from leaf.calc.v1 import calc_pb2, calc_pb2_grpc
from leaf.evidence.v1 import evidence_pb2
from runtime.clients import is_serving, open_channel
from runtime.db import open_database
from runtime.grant_keys import GrantKeys, GrantKeySettings
from runtime.home import home_path, sqlite_url
from runtime.identity_keys import IdentitySettings
from runtime.server import ServiceDeps
from runtime.settings import ServiceSettings
from runtime.topology import peer_address_settings
from services.calc.adapters.claims_schema import ClaimsStore
from services.calc.adapters.claims_store import DuckDbClaimsStore
from services.calc.adapters.evidence_client import EvidenceClient
from services.calc.adapters.run_repository import SqlRunRepository
from services.calc.entrypoints.grpc_servicer import CalcServicer
from services.calc.service_layer.runs import CalcDeps

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = calc_pb2.DESCRIPTOR.services_by_name["CalcService"].full_name
EVIDENCE_SERVICE = evidence_pb2.DESCRIPTOR.services_by_name["EvidenceService"].full_name
# Registry and snapshot metadata only, no client data: these answer without a scope grant.
OPEN_METHODS = frozenset(f"/{SERVICE_NAME}/{m}" for m in ("ListFormulas", "GetClaimsSnapshot"))


class CalcSettings(ServiceSettings, GrantKeySettings, IdentitySettings,
                   peer_address_settings("calc")):  # EVIDENCE_ADDR: no run is computed without its evidence
    model_config = SettingsConfigDict(**ServiceSettings.model_config, hide_input_in_errors=True)  # a secret in input
    embedded_defaults = ("LEAF_CALC_DB_URL", "LEAF_CLAIMS_URL", "LEAF_GRANT_KEYS", "LEAF_IDENTITY_KEYS")
    LEAF_CALC_DB_URL: str = Field(default_factory=lambda: sqlite_url("calc"))
    LEAF_CLAIMS_URL: str = Field(default_factory=lambda: default_claims_url())


def default_claims_url() -> str:
    """The embedded claims store under LEAF_HOME, unless LEAF_CLAIMS_URL names another source."""
    return os.environ.get("LEAF_CLAIMS_URL") or f"duckdb:///{home_path('claims', 'claims.duckdb')}"


def open_claims_store(url: str) -> ClaimsStore:
    """The configured claims source: embedded DuckDB, PostgreSQL (read/write) or SQL Server (read-only)."""
    if url.startswith("duckdb:///"):
        return DuckDbClaimsStore(Path(url.removeprefix("duckdb:///")))
    for prefix, writable in (("postgresql+psycopg://", True), ("mssql+pyodbc://", False)):
        if url.startswith(prefix):
            from sqlalchemy import create_engine

            from services.calc.adapters.sql_claims_store import SqlClaimsStore
            try:
                return SqlClaimsStore(create_engine(url, pool_pre_ping=True), writable)
            except ImportError as exc:  # the driver (pyodbc for SQL Server) is an optional install
                raise InputError("unsupported_claims_source", f"LEAF_CLAIMS_URL: driver missing ({exc})") from None
    raise InputError("unsupported_claims_source",
                     "LEAF_CLAIMS_URL: use duckdb:///PATH, postgresql+psycopg://… or mssql+pyodbc://…")


def open_runs(url: str) -> SqlRunRepository:
    return SqlRunRepository(open_database(url, "calc", MIGRATIONS))


def bootstrap(settings: CalcSettings, keys: GrantKeys | None = None) -> ServiceDeps:
    channel = open_channel(settings.EVIDENCE_ADDR)
    runs = open_runs(settings.LEAF_CALC_DB_URL)
    deps = CalcDeps(open_claims_store(settings.LEAF_CLAIMS_URL), EvidenceClient(channel), runs)

    async def ready() -> bool:
        return await is_serving(channel, EVIDENCE_SERVICE)

    async def close() -> None:
        await channel.close()
        runs.engine.dispose()

    # The servicer checks its replies against the very limit the server enforces.
    limit = settings.LEAF_GRPC_MAX_MESSAGE_BYTES
    return ServiceDeps("calc", [(calc_pb2_grpc.add_CalcServiceServicer_to_server, CalcServicer(deps, limit))],
                       [SERVICE_NAME], ready=ready, close=close, grant_keys=keys or settings.grant_keys(),
                       identity_keys=settings.identity_keys(),
                       open_methods=OPEN_METHODS, max_message_bytes=limit)

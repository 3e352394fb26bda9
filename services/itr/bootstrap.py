"""Composition root of the itr service."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from leaf.itr.v1 import itr_pb2, itr_pb2_grpc
from runtime.db import open_database
from runtime.grant_keys import GrantKeys, GrantKeySettings
from runtime.home import sqlite_url
from runtime.identity_keys import IdentitySettings
from runtime.server import ServiceDeps, database_service
from runtime.settings import ServiceSettings
from services.itr.adapters.mirror import SqlRequestMirror
from services.itr.entrypoints.grpc_servicer import ItrServicer

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = itr_pb2.DESCRIPTOR.services_by_name["ItrService"].full_name


class ItrSettings(ServiceSettings, GrantKeySettings, IdentitySettings):
    model_config = SettingsConfigDict(**ServiceSettings.model_config, hide_input_in_errors=True)  # a secret in input
    embedded_defaults = ("LEAF_ITR_DB_URL", "LEAF_GRANT_KEYS", "LEAF_IDENTITY_KEYS")
    LEAF_ITR_DB_URL: str = Field(default_factory=lambda: sqlite_url("itr"))


def bootstrap(settings: ItrSettings, keys: GrantKeys | None = None) -> ServiceDeps:
    engine = open_database(settings.LEAF_ITR_DB_URL, "itr", MIGRATIONS)
    # Every RPC needs a grant; SyncRequests names no client but changes the mirror, so it is not open either.
    servicer = ItrServicer(SqlRequestMirror(engine))
    return database_service("itr", engine, [(itr_pb2_grpc.add_ItrServiceServicer_to_server, servicer)],
                            [SERVICE_NAME], grant_keys=keys or settings.grant_keys(),
                            identity_keys=settings.identity_keys())

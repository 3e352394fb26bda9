"""Composition root of the itr service: the mirror's database, the configured record source, the servicer."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict
from sqlalchemy import Engine

from kernel.errors import NotReady
from leaf.itr.v1 import itr_pb2, itr_pb2_grpc
from runtime.db import open_database
from runtime.grant_keys import GrantKeys, GrantKeySettings
from runtime.home import sqlite_url
from runtime.identity_keys import IdentitySettings
from runtime.server import ServiceDeps, database_service
from runtime.settings import ServiceSettings
from services.itr.adapters.export_source import ExportSource
from services.itr.adapters.mirror import SqlRequestMirror
from services.itr.adapters.mirror_store import SqlMirrorStore
from services.itr.adapters.search_settings import SearchSettings
from services.itr.adapters.search_source import SqlSearchSource
from services.itr.domain.objects import DEFAULT_REQUEST_OBJECT
from services.itr.domain.watermarks import DEFAULT_OVERLAP_SECONDS
from services.itr.entrypoints.grpc_servicer import ItrServicer
from services.itr.service_layer.ports import RecordSource
from services.itr.service_layer.sync import SyncOptions

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = itr_pb2.DESCRIPTOR.services_by_name["ItrService"].full_name
DEMO_EXPORT = Path(__file__).resolve().parents[2] / "demo" / "itr_export"


class MirrorSettings(SearchSettings):
    """What the mirror needs, in the service and in `leaf itr` alike: its database, where requests come from and
    the search index kept in step with it."""

    model_config = SettingsConfigDict(**ServiceSettings.model_config, hide_input_in_errors=True)  # secrets in input
    embedded_defaults = ("LEAF_ITR_DB_URL",)
    LEAF_ITR_DB_URL: str = Field(default_factory=lambda: sqlite_url("itr"))
    LEAF_ITR_EXPORT_DIR: str = str(DEMO_EXPORT)  # the local export read when Salesforce is not configured
    LEAF_ITR_SYNC_OVERLAP_SECONDS: float = Field(DEFAULT_OVERLAP_SECONDS, ge=0, le=86400)
    LEAF_SALESFORCE_INSTANCE_URL: str | None = None
    LEAF_SALESFORCE_SESSION_ID: SecretStr | None = None
    LEAF_SALESFORCE_CLIENT_ID: str | None = None
    LEAF_SALESFORCE_CLIENT_SECRET: SecretStr | None = None
    LEAF_SALESFORCE_API_VERSION: str = Field("62.0", pattern=r"^\d{2,3}\.0$")
    LEAF_SALESFORCE_REQUEST_OBJECT: str = Field(DEFAULT_REQUEST_OBJECT, pattern=r"^[A-Za-z][A-Za-z0-9_]{0,39}$")

    @model_validator(mode="after")
    def _salesforce_settings_come_together(self):
        url = self.LEAF_SALESFORCE_INSTANCE_URL
        secrets = (self.LEAF_SALESFORCE_SESSION_ID, self.LEAF_SALESFORCE_CLIENT_ID, self.LEAF_SALESFORCE_CLIENT_SECRET)
        if not url:
            if any(secrets):
                raise ValueError("LEAF_SALESFORCE_* credentials are set but LEAF_SALESFORCE_INSTANCE_URL is not")
            return self
        if urlparse(url).scheme != "https" or not urlparse(url).hostname:
            raise ValueError("LEAF_SALESFORCE_INSTANCE_URL must be an https:// URL")
        client = bool(self.LEAF_SALESFORCE_CLIENT_ID) and bool(self.LEAF_SALESFORCE_CLIENT_SECRET)
        if not self.LEAF_SALESFORCE_SESSION_ID and not client:
            raise ValueError("Salesforce needs LEAF_SALESFORCE_SESSION_ID or LEAF_SALESFORCE_CLIENT_ID and "
                             "LEAF_SALESFORCE_CLIENT_SECRET")
        return self

    def salesforce_hosts(self) -> tuple[str, ...]:
        host = urlparse(self.LEAF_SALESFORCE_INSTANCE_URL or "").hostname
        return (host,) if host else ()

    def sync_options(self) -> SyncOptions:
        return SyncOptions(self.LEAF_SALESFORCE_REQUEST_OBJECT, self.LEAF_ITR_SYNC_OVERLAP_SECONDS)

    def record_source(self, export_dir: str | None = None) -> RecordSource:
        """`export_dir` (leaf itr sync --export), else Salesforce when configured, else the configured export."""
        request_object = self.LEAF_SALESFORCE_REQUEST_OBJECT
        if export_dir:
            return ExportSource(export_dir, request_object)
        if self.LEAF_SALESFORCE_INSTANCE_URL:
            from services.itr.adapters.salesforce_source import SalesforceSettings, SalesforceSource
            return SalesforceSource(SalesforceSettings.of(self))
        if self.production:
            raise NotReady("itr_source_not_configured", "LEAF_ENV=prod mirrors Salesforce only; set "
                                                        "LEAF_SALESFORCE_INSTANCE_URL and its credentials")
        return ExportSource(self.LEAF_ITR_EXPORT_DIR, request_object)


class ItrSettings(MirrorSettings, GrantKeySettings, IdentitySettings):
    """The running service also verifies identities and scope grants; `leaf itr` needs neither key."""

    embedded_defaults = (*MirrorSettings.embedded_defaults, "LEAF_GRANT_KEYS", "LEAF_IDENTITY_KEYS")


def open_mirror(url: str) -> Engine:
    return open_database(url, "itr", MIGRATIONS)


def bootstrap(settings: ItrSettings, keys: GrantKeys | None = None) -> ServiceDeps:
    engine = open_mirror(settings.LEAF_ITR_DB_URL)
    # Every RPC needs a verified identity and a grant: SyncRequests names no client but changes the mirror, so it is
    # an operator's (checked in the servicer), and the bundles answer only inside the caller's grant.
    servicer = ItrServicer(SqlRequestMirror(engine), SqlMirrorStore(engine), settings.record_source,
                           settings.sync_options(), settings.salesforce_hosts(),
                           searching=(SqlSearchSource(engine), settings.search_index(settings.LEAF_ITR_DB_URL)))
    return database_service("itr", engine, [(itr_pb2_grpc.add_ItrServiceServicer_to_server, servicer)],
                            [SERVICE_NAME], grant_keys=keys or settings.grant_keys(),
                            identity_keys=settings.identity_keys())

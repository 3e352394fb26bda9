"""Composition root of the publisher service."""
from __future__ import annotations

import asyncio
import base64
import threading
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from leaf.calc.v1 import calc_pb2, calc_pb2_grpc
from leaf.publisher.v1 import publisher_pb2, publisher_pb2_grpc
from leaf.scope.v1 import scope_pb2, scope_pb2_grpc
from runtime.clients import is_serving, open_channel
from runtime.db import open_database, reachable
from runtime.grant_keys import GrantKeys, GrantKeySettings
from runtime.home import sqlite_url
from runtime.identity_keys import IdentitySettings
from runtime.identity_tokens import SignedAssertions
from runtime.keys import local_secret
from runtime.server import ServiceDeps
from runtime.settings import ServiceSettings
from runtime.topology import peer_address_settings
from services.publisher.adapters import renderers
from services.publisher.adapters.artifact_ledger import SqlArtifactLedger
from services.publisher.adapters.artifact_store import artifact_store
from services.publisher.adapters.calc_run import GrpcCalcRuns
from services.publisher.adapters.domo import DomoSettings, domo_publisher
from services.publisher.adapters.lease import SqlLease
from services.publisher.adapters.openai_narrative import NarrativeSettings, narrative_provider
from services.publisher.adapters.pdf_process import PdfProcess
from services.publisher.adapters.repository import SqlPublicationRepository
from services.publisher.adapters.scope_entitlements import ScopeEntitlements
from services.publisher.adapters.workbook_process import WorkbookProcess
from services.publisher.domain.extract_plan import WORKBOOK_EXTRACT_MAX_ROWS
from services.publisher.entrypoints.grpc_servicer import PublisherServicer
from services.publisher.service_layer.handlers import PublisherDeps

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = publisher_pb2.DESCRIPTOR.services_by_name["PublisherService"].full_name
CALC_SERVICE = calc_pb2.DESCRIPTOR.services_by_name["CalcService"].full_name
SCOPE_SERVICE = scope_pb2.DESCRIPTOR.services_by_name["ScopeService"].full_name


class PublisherSettings(ServiceSettings, DomoSettings, NarrativeSettings):
    embedded_defaults = ("LEAF_PUBLISHER_DB_URL", "LEAF_PSEUDONYM_KEY", "LEAF_ADLS_ACCOUNT_URL",
                         *DomoSettings.embedded_defaults)
    LEAF_PUBLISHER_DB_URL: str = Field(default_factory=lambda: sqlite_url("publisher"))
    # The secret behind every member pseudonym (base64, at least 32 bytes; Key Vault in production).
    # Embedded default: a key created once under LEAF_HOME/keys, so the service and `leaf report` agree.
    LEAF_PSEUDONYM_KEY: SecretStr | None = None
    LEAF_ADLS_ACCOUNT_URL: str | None = None   # unset: artifacts under LEAF_HOME/artifacts
    LEAF_ADLS_FILESYSTEM: str | None = None
    # The most claim rows the workbook's Extract sheet carries; past it the sheet points to extract.csv/.parquet.
    LEAF_WORKBOOK_EXTRACT_MAX_ROWS: int = Field(default=WORKBOOK_EXTRACT_MAX_ROWS, ge=0)


class PublisherServiceSettings(PublisherSettings, GrantKeySettings, IdentitySettings,
                               peer_address_settings("publisher")):  # CALC_ADDR, SCOPE_ADDR
    """The running service also needs its peers and the grant keys (`leaf report` needs neither)."""

    model_config = SettingsConfigDict(**PublisherSettings.model_config, hide_input_in_errors=True)  # a secret in input
    embedded_defaults = (*PublisherSettings.embedded_defaults, "LEAF_GRANT_KEYS", "LEAF_IDENTITY_KEYS")


def pseudonym_secret(settings: PublisherSettings) -> bytes:
    if settings.LEAF_PSEUDONYM_KEY is None:
        return local_secret("pseudonym_key")
    return base64.b64decode(settings.LEAF_PSEUDONYM_KEY.get_secret_value(), validate=True)


def open_publications(url: str) -> SqlPublicationRepository:
    return SqlPublicationRepository(open_database(url, "publisher", MIGRATIONS))


WORKBOOKS = WorkbookProcess()  # the process's workbook worker, which publications take turns on
PDFS = PdfProcess()  # the process's PDF worker


def warm_renderers() -> None:
    """ReportLab and matplotlib take about a second to import: paid while the service starts, not by a publication."""
    threading.Thread(target=renderers.warm, name="warm-renderers", daemon=True).start()
    PDFS.warm()
    WORKBOOKS.warm()


def bootstrap(settings: PublisherServiceSettings, keys: GrantKeys | None = None) -> ServiceDeps:
    warm_renderers()
    publications = open_publications(settings.LEAF_PUBLISHER_DB_URL)
    identity_keys = settings.identity_keys()
    calc, scope = open_channel(settings.CALC_ADDR), open_channel(settings.SCOPE_ADDR)
    deps = PublisherDeps(
        publications=publications,
        store=artifact_store(settings.LEAF_ADLS_ACCOUNT_URL, settings.LEAF_ADLS_FILESYSTEM),
        ledger=SqlArtifactLedger(publications.engine),
        calc=GrpcCalcRuns(calc_pb2_grpc.CalcServiceStub(calc)),
        scope=ScopeEntitlements(scope_pb2_grpc.ScopeServiceStub(scope),
                                SignedAssertions(identity_keys, settings.LEAF_IDENTITY_TTL_SECONDS)),
        domo=domo_publisher(settings), pseudonym_secret=pseudonym_secret(settings),
        domo_lease=SqlLease(publications.engine),
        workbook_extract_max_rows=settings.LEAF_WORKBOOK_EXTRACT_MAX_ROWS, renderers=renderers.renderers(pdf=PDFS),
        workbooks=WORKBOOKS,
        narrative=narrative_provider(settings))

    async def ready() -> bool:
        answers = await asyncio.gather(asyncio.to_thread(reachable, publications.engine),
                                       is_serving(calc, CALC_SERVICE), is_serving(scope, SCOPE_SERVICE))
        return all(answers)

    async def close() -> None:
        await asyncio.gather(calc.close(), scope.close())
        publications.engine.dispose()

    # Every RPC answers a client's run; calls to calc carry the caller's grant on (runtime/grant_guard.py).
    return ServiceDeps("publisher", [(publisher_pb2_grpc.add_PublisherServiceServicer_to_server,
                                      PublisherServicer(deps))], [SERVICE_NAME], ready=ready, close=close,
                       grant_keys=keys or settings.grant_keys(), identity_keys=identity_keys)

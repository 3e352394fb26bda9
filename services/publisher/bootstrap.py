"""Composition root of the publisher service."""
from __future__ import annotations

import base64
from pathlib import Path

from leaf.publisher.v1 import publisher_pb2, publisher_pb2_grpc
from pydantic import Field, SecretStr
from runtime.db import open_database
from runtime.home import sqlite_url
from runtime.keys import local_secret
from runtime.server import ServiceDeps, database_service
from runtime.settings import ServiceSettings
from services.publisher.adapters.repository import SqlPublicationRepository
from services.publisher.entrypoints.grpc_servicer import PublisherServicer

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = publisher_pb2.DESCRIPTOR.services_by_name["PublisherService"].full_name


class PublisherSettings(ServiceSettings):
    embedded_defaults = ("LEAF_PUBLISHER_DB_URL", "LEAF_PSEUDONYM_KEY")
    LEAF_PUBLISHER_DB_URL: str = Field(default_factory=lambda: sqlite_url("publisher"))
    # The secret behind every member pseudonym (base64, at least 32 bytes; Key Vault in production).
    # Embedded default: a key created once under LEAF_HOME/keys, so the service and `leaf report` agree.
    LEAF_PSEUDONYM_KEY: SecretStr | None = None


def pseudonym_secret(settings: PublisherSettings) -> bytes:
    if settings.LEAF_PSEUDONYM_KEY is None:
        return local_secret("pseudonym_key")
    return base64.b64decode(settings.LEAF_PSEUDONYM_KEY.get_secret_value(), validate=True)


def open_publications(url: str) -> SqlPublicationRepository:
    return SqlPublicationRepository(open_database(url, "publisher", MIGRATIONS))


def bootstrap(settings: PublisherSettings) -> ServiceDeps:
    publications = open_publications(settings.LEAF_PUBLISHER_DB_URL)
    return database_service("publisher", publications.engine, [(publisher_pb2_grpc.add_PublisherServiceServicer_to_server,
                                           PublisherServicer(publications))], [SERVICE_NAME])

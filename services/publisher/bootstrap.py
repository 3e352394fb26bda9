"""Composition root of the publisher service."""
from __future__ import annotations

from pathlib import Path

from leaf.publisher.v1 import publisher_pb2, publisher_pb2_grpc
from pydantic import Field
from runtime.db import open_database
from runtime.home import sqlite_url
from runtime.server import ServiceDeps, database_service
from runtime.settings import ServiceSettings
from services.publisher.adapters.repository import SqlPublicationRepository
from services.publisher.entrypoints.grpc_servicer import PublisherServicer

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = publisher_pb2.DESCRIPTOR.services_by_name["PublisherService"].full_name


class PublisherSettings(ServiceSettings):
    embedded_defaults = ("LEAF_PUBLISHER_DB_URL",)
    LEAF_PUBLISHER_DB_URL: str = Field(default_factory=lambda: sqlite_url("publisher"))


def open_publications(url: str) -> SqlPublicationRepository:
    return SqlPublicationRepository(open_database(url, "publisher", MIGRATIONS))


def bootstrap(settings: PublisherSettings) -> ServiceDeps:
    publications = open_publications(settings.LEAF_PUBLISHER_DB_URL)
    return database_service("publisher", publications.engine, [(publisher_pb2_grpc.add_PublisherServiceServicer_to_server,
                                           PublisherServicer(publications))], [SERVICE_NAME])

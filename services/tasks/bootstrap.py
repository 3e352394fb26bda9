"""Composition root of the tasks service."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from leaf.tasks.v1 import tasks_pb2, tasks_pb2_grpc
from runtime.db import open_database
from runtime.grant_keys import GrantKeys, GrantKeySettings
from runtime.home import sqlite_url
from runtime.identity_keys import IdentitySettings
from runtime.server import ServiceDeps, database_service
from runtime.settings import ServiceSettings
from services.tasks.adapters.ledger import SqlTaskLedger
from services.tasks.adapters.queues.factory import open_queue
from services.tasks.adapters.queues.settings import QueueSettings
from services.tasks.entrypoints.grpc_servicer import TasksServicer

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = tasks_pb2.DESCRIPTOR.services_by_name["TasksService"].full_name


class TasksSettings(ServiceSettings, GrantKeySettings, IdentitySettings, QueueSettings):
    model_config = SettingsConfigDict(**ServiceSettings.model_config, hide_input_in_errors=True)  # a secret in input
    embedded_defaults = ("LEAF_TASKS_DB_URL", "LEAF_GRANT_KEYS", "LEAF_IDENTITY_KEYS")
    LEAF_TASKS_DB_URL: str = Field(default_factory=lambda: sqlite_url("tasks"))


def bootstrap(settings: TasksSettings, keys: GrantKeys | None = None) -> ServiceDeps:
    engine = open_database(settings.LEAF_TASKS_DB_URL, "tasks", MIGRATIONS)
    # Every RPC needs a grant, even for a task whose payload names no client (see domain/access.py).
    queue = open_queue(settings, engine)
    servicer = TasksServicer(SqlTaskLedger(engine), queue)
    deps = database_service("tasks", engine, [(tasks_pb2_grpc.add_TasksServiceServicer_to_server, servicer)],
                            [SERVICE_NAME], grant_keys=keys or settings.grant_keys(),
                            identity_keys=settings.identity_keys())
    close_database = deps.close

    async def close() -> None:
        queue.close()
        await close_database()

    deps.close = close
    return deps

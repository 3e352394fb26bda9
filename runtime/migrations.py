"""The body of every service's Alembic env.py: online on a given connection, or offline to SQL text."""
from __future__ import annotations

from alembic import context
from sqlalchemy import MetaData, create_engine


def run_migrations(metadata: MetaData) -> None:
    config = context.config
    version_table = config.get_main_option("version_table") or "alembic_version"
    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata,
                          literal_binds=True, version_table=version_table)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is None:  # the `alembic` command line: connect from the URL
        with create_engine(config.get_main_option("sqlalchemy.url") or "").begin() as connection:
            _run_online(connection, metadata, version_table)
    else:
        _run_online(connection, metadata, version_table)


def _run_online(connection, metadata: MetaData, version_table: str) -> None:
    context.configure(connection=connection, target_metadata=metadata, version_table=version_table)
    with context.begin_transaction():
        context.run_migrations()

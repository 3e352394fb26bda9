"""Databases: one engine per service database, and Alembic migrations run from each service's folder."""
from __future__ import annotations

import io
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL and a busy timeout so a reader never blocks a writer."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _alembic_config(service: str, migrations: Path, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    # Each service keeps its own version table, so services may share a database server safely.
    config.set_main_option("version_table", f"alembic_version_{service}")
    return config


def migrate(engine: Engine, service: str, migrations: Path) -> None:
    """Bring the service's schema to the newest revision (idempotent)."""
    config = _alembic_config(service, migrations, engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def migration_sql(url: str, service: str, migrations: Path) -> str:
    """The DDL the migrations would run on `url`'s dialect, without connecting (offline mode)."""
    buffer = io.StringIO()
    config = _alembic_config(service, migrations, url)
    config.output_buffer = buffer
    command.upgrade(config, "head", sql=True)
    return buffer.getvalue()


def open_database(url: str, service: str, migrations: Path) -> Engine:
    """The service's own database, migrated to the newest schema before anything uses it."""
    engine = make_engine(url)
    migrate(engine, service, migrations)
    return engine


def reachable(engine: Engine) -> bool:
    """A cheap round trip, used by readiness checks."""
    from sqlalchemy import text

    with engine.connect() as db:
        db.execute(text("SELECT 1"))
    return True

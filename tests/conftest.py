"""Shared fixtures: a throwaway LEAF_HOME, and the real PostgreSQL server (loud skip locally, failure in CI)."""
from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_URL = os.environ.get("LEAF_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


def missing_server(what: str) -> None:
    """No server: fail in CI so a missing server never turns the suite green; skip loudly on a laptop."""
    message = f"{what} is not reachable — set LEAF_TEST_PG_URL to point the tests at one"
    if IN_CI:
        pytest.fail(f"CI=true: {message}", pytrace=False)
    print(f"\n*** SKIPPING: {message} ***")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def leaf_home(tmp_path, monkeypatch):
    """Every test gets its own LEAF_HOME, so nothing touches the developer's data."""
    home = tmp_path / "leaf-home"
    home.mkdir()
    monkeypatch.setenv("LEAF_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def pg_server() -> str:
    try:
        with create_engine(PG_URL).connect() as db:
            db.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to connect means: no server here
        missing_server(f"PostgreSQL at {make_url(PG_URL).render_as_string(hide_password=True)} ({exc.__class__.__name__})")
    return PG_URL


@pytest.fixture
def pg_url(pg_server):
    """A fresh PostgreSQL schema for one test, dropped afterwards; the URL selects it by search_path."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_server)
    with admin.begin() as db:
        db.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(pg_server).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with admin.begin() as db:
        db.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """Each repository test runs on the embedded default and on a real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'service.sqlite'}"
    return request.getfixturevalue("pg_url")

"""LEAF_HOME: the one folder for all local state, so two copies never collide and a test can use a throwaway one."""
from __future__ import annotations

import os
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]


def leaf_home() -> Path:
    """The data directory: $LEAF_HOME, else `.leaf` in a source checkout, else `~/.leaf`."""
    configured = os.environ.get("LEAF_HOME")
    if configured:
        home = Path(configured).expanduser()
    elif (CHECKOUT / "pyproject.toml").exists() and os.access(CHECKOUT, os.W_OK):
        home = CHECKOUT / ".leaf"
    else:
        home = Path.home() / ".leaf"
    home.mkdir(parents=True, exist_ok=True)
    return home.resolve()


def home_path(*parts: str) -> Path:
    """A path under LEAF_HOME whose parent folder exists."""
    path = leaf_home().joinpath(*parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def sqlite_url(name: str) -> str:
    """The embedded default database of one service: its own SQLite file under LEAF_HOME/db."""
    return f"sqlite:///{home_path('db', f'{name}.sqlite')}"

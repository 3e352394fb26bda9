"""DuckDB through SQLAlchemy's PostgreSQL dialect: the one aggregate definition, and column DDL, as DuckDB text."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# DuckDB speaks PostgreSQL's SQL closely enough: the one aggregate definition compiles through that dialect,
# with positional `?` parameters DuckDB binds natively (values stay bound, never spliced into the text).
_DIALECT = postgresql.dialect(paramstyle="qmark")


def ddl_type(column: sa.Column) -> str:
    return column.type.compile(dialect=_DIALECT)


def duckdb_sql(statement: sa.Select) -> tuple[str, list]:
    """SQL text and positional parameters for DuckDB; IN lists are expanded into one `?` per value."""
    compiled = statement.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True})
    return compiled.string, [compiled.params[name] for name in compiled.positiontup]

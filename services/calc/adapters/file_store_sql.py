"""The store's SQL over a claims file validated in DuckDB: its rows in the store's types, and the one aggregate
definition (aggregate_query) compiled for DuckDB.

Apart from file_aggregates because it needs SQLAlchemy, which takes a third of a second to import: `leaf calc`
imports this module on a thread while DuckDB reads the file (docs/benchmarks.md, round 6), not before it starts.
"""
from __future__ import annotations

from collections.abc import Sequence

import duckdb

from kernel.scope import Scope
from services.calc.adapters.aggregate_query import aggregate_queries, collect_facts
from services.calc.adapters.claims_schema import claim_columns, duckdb_claims_table
from services.calc.adapters.duckdb_dialect import ddl_type, duckdb_sql
from services.calc.domain.aggregates import ClaimsFacts, MemberMask
from services.calc.domain.claims import Reject
from services.calc.service_layer.ports import Snapshot

_STORED_TYPES = {c.name: ddl_type(c) for c in claim_columns()}


def as_stored(name: str) -> str:
    """A valid row's text in the store's type, cast once (the aggregates then scan 64-bit decimals): exact, as
    the rules bound its places; a value too wide for the type fails the cast, and the pure reader decides."""
    if name == "compound":
        return f"{name} = 'Y'"
    return f"CAST({name} AS {_STORED_TYPES[name]})"


def claims_view(name: str, valid: str, kept: Sequence[str]) -> str:
    """The DDL of view `claims_<name>`: the `kept` columns of the rows `valid` selects in the store's exact column
    types, every other column NULL. A value too wide for them fails (→ fallback), never silently."""
    typed = ", ".join(f"CAST({c.name if c.name in kept else 'NULL'} AS {ddl_type(c)}) AS {c.name}"
                      for c in claim_columns() if c.name != "row")
    return f"CREATE VIEW claims_{name} AS SELECT {typed} FROM {valid}"


def file_facts(db: duckdb.DuckDBPyConnection, name: str, snapshot: Snapshot, rejects: list[Reject], scope: Scope,
               masks: Sequence[MemberMask]) -> ClaimsFacts:
    """The facts of `scope` from the aggregate SQL over view `claims_<name>`."""
    queries = aggregate_queries(duckdb_claims_table(name), scope, masks)
    return collect_facts(snapshot, rejects, queries, masks, lambda statement: db.execute(*duckdb_sql(statement)).fetchall())

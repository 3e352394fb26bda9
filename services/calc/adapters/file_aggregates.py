"""`leaf calc`'s fast path: validate a claims file in an in-memory DuckDB and aggregate it there with the store SQL."""
from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import duckdb

from runtime.scope import Scope
from services.calc.adapters.aggregate_query import aggregate_queries, collect_facts
from services.calc.adapters.claims_schema import Snapshot, claim_columns, duckdb_claims_table
from services.calc.adapters.duckdb_dialect import ddl_type, duckdb_sql
from services.calc.adapters.duckdb_validation import validate_into
from services.calc.domain.aggregates import ClaimsFacts, MemberMask
from services.calc.domain.reading import file_sha256

_VALID = "file"  # the view of valid rows, named like a store snapshot's table: claims_file
# What the aggregate SQL reads; the other columns are checked but not kept.
AGGREGATED = ("claim_id", "claim_status", "reverses_claim_id", "client_id", "pbm_id", "tpa_id", "group_id", "member_id",
              "fill_date", "brand_generic", "channel", "basis_of_cost", "compound", "days_supply", "quantity",
              "awp_unit_price", "ingredient_cost_paid", "dispensing_fee_paid")
# DuckDB spills to a temporary folder beyond this, so a 10M-row file stays well under 1 GiB.
MEMORY_LIMIT = "700MB"


class ValidatedFile:
    """A claims file validated once; facts for any scope come from SQL over its valid rows.

    Raises what validate_into raises (Unshaped, InputError) or duckdb.Error: the caller then falls back
    to the pure reader, which is the reference for every error and result.
    """

    def __init__(self, path: Path) -> None:
        self._scratch = tempfile.TemporaryDirectory(prefix="leaf-calc-")
        self._db = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "temp_directory": self._scratch.name})
        try:
            validated = validate_into(self._db, path, "checked", keep=AGGREGATED)
            # The store's exact column types: a value too wide for them fails (→ fallback), never silently.
            typed = ", ".join(f"CAST({c.name if c.name in AGGREGATED else 'NULL'} AS {ddl_type(c)}) AS {c.name}"
                              for c in claim_columns() if c.name != "row")
            self._db.execute(f"CREATE VIEW claims_{_VALID} AS SELECT {typed} FROM checked WHERE reason IS NULL")
            sha256 = file_sha256(path)
        except BaseException:
            self.close()
            raise
        self._snapshot = Snapshot(_VALID, sha256, validated.rows_read, validated.valid_count, len(validated.rejects), "")
        self._rejects = validated.rejects

    def facts(self, scope: Scope, masks: Sequence[MemberMask]) -> ClaimsFacts:
        queries = aggregate_queries(duckdb_claims_table(_VALID), scope, masks)
        return collect_facts(self._snapshot, self._rejects, queries, masks,
                             lambda statement: self._db.execute(*duckdb_sql(statement)).fetchall())

    def close(self) -> None:
        self._db.close()
        self._scratch.cleanup()


"""`leaf calc`'s fast path: validate a claims file in an in-memory DuckDB and aggregate it there with the store SQL."""
from __future__ import annotations

import importlib
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType

import duckdb

from kernel.scope import Scope
from services.calc.adapters.duckdb_scoped_validation import start_reading, validate_scoped
from services.calc.adapters.duckdb_validation import validate_into
from services.calc.adapters.whole_read import LineRead
from services.calc.domain.aggregates import ClaimsFacts, MemberMask
from services.calc.service_layer.ports import Snapshot

_VALID = "file"  # the view of valid rows, named like a store snapshot's table: claims_file
# What the aggregate SQL reads; the other columns are checked but not kept.
AGGREGATED = ("claim_id", "claim_status", "reverses_claim_id", "client_id", "pbm_id", "tpa_id", "group_id", "member_id",
              "fill_date", "brand_generic", "channel", "basis_of_cost", "compound", "days_supply", "quantity",
              "awp_unit_price", "ingredient_cost_paid", "dispensing_fee_paid")
# DuckDB spills to a temporary folder beyond this, so a 10M-row file stays well under 1 GiB.
MEMORY_LIMIT = "700MB"


class ValidatedFile:
    """A claims file validated once; facts for any scope come from SQL over its valid rows.

    Raises what validate_into raises (Unshaped, InputError), duckdb.Error, or ValueError where the file is not
    UTF-8: the caller then falls back to the pure reader, which is the reference for every error and result.

    Given a `scope`, the aggregated columns are kept only for the rows that may be in it (every row is still
    checked, every rejected row keeps its scope hints, and the aggregate SQL's scope filter decides), and facts are
    then for that scope only.
    """

    def __init__(self, path: Path, scope: Scope | None = None) -> None:
        self._scope = scope
        self._scratch = tempfile.TemporaryDirectory(prefix="leaf-calc-")
        self._db = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "temp_directory": self._scratch.name})
        # No progress bar: DuckDB draws it on stdout after 2 s, inside the JSON leaf calc writes there.
        self._db.execute("SET enable_progress_bar = false")
        # The file is read on threads beside DuckDB: its SHA-256, whether it is UTF-8 (DuckDB's CSV reader does not
        # look at a column no rule reads), and for one scope its lines for DuckDB, checked against the record
        # pattern and counted (start_reading). Another thread imports the store's SQL, needed once the file is read.
        reading = None
        with ThreadPoolExecutor(1) as helpers:
            store_sql = helpers.submit(importlib.import_module, "services.calc.adapters.file_store_sql")
            try:
                reading = start_reading(path) if scope is not None else LineRead(path, None, feed=False)
                if scope is None:
                    validated = validate_into(self._db, path, "checked", keep=AGGREGATED)
                    valid = "checked WHERE reason IS NULL"
                else:
                    validated = validate_scoped(self._db, path, "checked", AGGREGATED, *in_scope_as_written(scope),
                                                written_in_scope=written_in_scope(scope), reading=reading,
                                                alongside=lambda rows: self._type(rows, store_sql.result()))
                    if validated.duplicates:
                        self._db.execute(f"DELETE FROM scoped WHERE id IN ({', '.join(map(str, validated.duplicates))})")
                    valid = "scoped"
                self._store_sql = store_sql.result()
                self._db.execute(self._store_sql.claims_view(_VALID, valid, AGGREGATED))
                digest = reading.result().sha256
            except BaseException:
                if reading is not None:
                    reading.close()
                self.close()
                raise
        self._snapshot = Snapshot(_VALID, digest, validated.rows_read, validated.valid_count, len(validated.rejects), "")
        self._rejects = validated.rejects

    def _type(self, rows: str, store_sql: ModuleType) -> None:
        """Table `scoped`: the kept valid `rows` (SQL, duplicates still among them) with their ids, in the store's
        types: the aggregates read only them, and the scope's filter in the aggregate SQL decides which are in it.
        On its own DuckDB connection, as it runs while the duplicates are found; in any order, which means nothing
        to an aggregate (writing them so took a quarter less time at 10M rows)."""
        with self._db.cursor() as typing:
            typing.execute("SET SESSION preserve_insertion_order = false")
            typing.execute("CREATE TABLE scoped AS SELECT id, " + ", ".join(
                f"{store_sql.as_stored(name)} AS {name}" for name in AGGREGATED) + f" FROM ({rows})")

    def facts(self, scope: Scope, masks: Sequence[MemberMask]) -> ClaimsFacts:
        if self._scope is not None and scope != self._scope:
            raise ValueError("this file was validated for another scope")
        return self._store_sql.file_facts(self._db, _VALID, self._snapshot, self._rejects, scope, masks)

    def close(self) -> None:
        self._db.close()
        self._scratch.cleanup()


def in_scope_as_written(scope: Scope) -> tuple[str, list]:
    """The scope filter of the aggregate SQL over the columns as written, each named {column}, with its parameters.

    On a valid row it holds exactly where that filter does: the ids compare as text, and a valid fill_date
    is written YYYY-MM-DD, whose text order is its date order.
    """
    where = ["{client_id} = ?", "{pbm_id} = ?", "{fill_date} BETWEEN ? AND ?"]
    parameters: list = [scope.client_id, scope.pbm_id, scope.date_from.isoformat(), scope.date_to.isoformat()]
    if scope.tpa_id is not None:
        where.append("{tpa_id} = ?")
        parameters.append(scope.tpa_id)
    if scope.group_ids:
        where.append(f"{{group_id}} IN ({', '.join('?' for _ in scope.group_ids)})")
        parameters.extend(scope.group_ids)
    return "(" + " AND ".join(where) + ")", parameters


def written_in_scope(scope: Scope) -> dict[str, str]:
    """How each of these fields starts on every valid row in `scope`: the ids whole, and fill_date with what the
    window's first and last days share (ten-character dates between two others share their common start)."""
    first, last = scope.date_from.isoformat(), scope.date_to.isoformat()
    shared = next((i for i, (a, b) in enumerate(zip(first, last)) if a != b), len(first))
    ids = {"client_id": scope.client_id, "pbm_id": scope.pbm_id, "tpa_id": scope.tpa_id}
    return {**{name: text for name, text in ids.items() if text is not None}, "fill_date": first[:shared]}

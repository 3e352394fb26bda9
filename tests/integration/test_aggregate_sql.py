"""The SQL push-down against the pure-Python aggregates: random inputs, half-cent rounding, every dialect compiles."""
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import mssql, postgresql

from services.calc.adapters.aggregate_query import aggregate_queries
from services.calc.adapters.claims_file import read_claims
from services.calc.adapters.claims_schema import claims as shared_claims
from services.calc.adapters.duckdb_dialect import duckdb_sql
from services.calc.domain.aggregates import MemberMask
from services.calc.domain.calculate import calculate, calculate_from_aggregates, member_masks, render
from services.calc.domain.facts import facts_from_batch
from tests.integration.claims_strategies import claims_files
from tests.integration.store_fixtures import duckdb_store, pg_store
from tests.unit.calc.builders import contract, csv_bytes, row, scope

SCOPES = [scope(), scope(date_from="2025-04-01"), scope(tpa_id="TPA_1", group_ids=["GRP_1", "GRP_3"])]
CROSS_CHECK = settings(max_examples=20, deadline=None,
                       suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@pytest.fixture(scope="module")
def duck(tmp_path_factory):
    return duckdb_store(tmp_path_factory.mktemp("cross"))


@pytest.fixture(scope="module")
def postgres(pg_server):
    with pg_store(pg_server) as store:
        yield store


def _cross_check(store, data: bytes, folder, uc: bool, compounds: bool) -> None:
    source = folder / "claims.csv"
    source.write_bytes(data)
    store.load(source)
    packet = contract(exclusions={"uc_claims": uc, "compounds": compounds})
    batch = read_claims(data)
    for run_scope in SCOPES:
        _, pushed_down = store.aggregates_for(run_scope, packet)
        assert pushed_down == facts_from_batch(batch, run_scope, member_masks(packet))
        assert render(calculate_from_aggregates(pushed_down, run_scope, packet)) == \
            render(calculate(batch, run_scope, packet))


@CROSS_CHECK
@given(data=claims_files(), uc=st.booleans(), compounds=st.booleans())
def test_duckdb_aggregates_equal_the_python_aggregates(duck, tmp_path, data, uc, compounds):
    _cross_check(duck, data, tmp_path, uc, compounds)


@settings(CROSS_CHECK, max_examples=15)
@given(data=claims_files(), uc=st.booleans(), compounds=st.booleans())
def test_postgresql_aggregates_equal_the_python_aggregates(postgres, tmp_path, data, uc, compounds):
    _cross_check(postgres, data, tmp_path, uc, compounds)


@pytest.mark.parametrize("engine", ["duckdb", "postgresql"])
def test_each_claim_rounds_half_up_in_the_store(engine, duck, postgres, tmp_path):
    # Products 0.005, 0.025, 100.005, 2.675: per claim half up Σ = 102.73; half-even 102.70; rounding the sum 102.71.
    rows = [row("C1", awp_unit_price="0.00500", quantity="1"), row("C2", awp_unit_price="0.02500", quantity="1"),
            row("C3", awp_unit_price="1.00005", quantity="100"), row("C4", awp_unit_price="2.67500", quantity="1.000")]
    data = csv_bytes(rows)
    store = duck if engine == "duckdb" else postgres
    (tmp_path / "c.csv").write_bytes(data)
    store.load(tmp_path / "c.csv")
    _, facts = store.aggregates_for(scope(), contract())
    assert [str(c.totals.awp) for c in facts.classes] == ["102.73"]
    bucket = calculate_from_aggregates(facts, scope(), contract())["formulas"][0]["buckets"][0]
    assert bucket["awp"] == "102.73" == calculate(read_claims(data), scope(), contract())["formulas"][0]["buckets"][0]["awp"]


MASK_SETS = [(), (MemberMask(False, False, False),), tuple(MemberMask(*flags) for flags in
                                                           itertools.product([False, True], repeat=3))]


@pytest.mark.parametrize("masks", MASK_SETS, ids=["no-masks", "no-exclusion", "every-mask"])
@pytest.mark.parametrize("run_scope", SCOPES, ids=["client", "window", "partial"])
def test_every_aggregate_statement_compiles_for_sql_server_postgresql_and_duckdb(masks, run_scope):
    queries = aggregate_queries(shared_claims, run_scope, masks, snapshot_id="abc")
    statements = [s for s in (queries.counts, queries.classes, queries.members) if s is not None]
    for statement in statements:
        for dialect in (mssql.pyodbc.dialect(), postgresql.psycopg.dialect()):
            sql = str(statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True}))
            assert " FILTER " not in sql.upper() and "DOUBLE" not in sql.upper() and "FLOAT" not in sql.upper()
        sql, params = duckdb_sql(statement)
        assert sql.count("?") == len(params)
    mssql_classes = str(queries.classes.compile(dialect=mssql.pyodbc.dialect()))
    assert "round(CAST(marked.awp_unit_price AS NUMERIC(19, 5)) * marked.quantity, 2)" in mssql_classes
    if masks and any((m.uc, m.compound, m.zero_awp) != (False,) * 3 for m in masks):
        # eligibility as a portable CASE flag per member (no FILTER), summed per bucket
        assert "max(CASE WHEN" in str(queries.members.compile(dialect=mssql.pyodbc.dialect()))

"""The SQLAlchemy claims store: atomic PostgreSQL loads, a read-only SQL Server source, the store picked by URL."""
import pytest
from sqlalchemy import create_engine, func, select

from demo.generator import generate_claims
from kernel.errors import InputError, NotReady
from services.calc.adapters.claims_schema import claim_rejects, claims
from services.calc.adapters.claims_store import DuckDbClaimsStore
from services.calc.adapters.sql_claims_store import SqlClaimsStore
from services.calc.bootstrap import open_claims_store
from tests.unit.calc.builders import contract, scope


@pytest.fixture
def store(pg_url):
    engine = create_engine(pg_url)
    yield SqlClaimsStore(engine, writable=True)
    engine.dispose()


@pytest.fixture(scope="module")
def claims_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("pg") / "claims.csv"
    generate_claims(path, n_claims=3000, seed=5)
    return path


def _stored_rows(store: SqlClaimsStore) -> tuple[int, int]:
    with store.engine.connect() as db:
        return (db.execute(select(func.count()).select_from(claims)).scalar_one(),
                db.execute(select(func.count()).select_from(claim_rejects)).scalar_one())


def test_no_claims_loaded_is_a_clear_precondition(store):
    assert store.snapshot() is None
    with pytest.raises(NotReady) as err:
        store.aggregates_for(scope(), contract())
    assert err.value.code == "no_claims_loaded"


@pytest.mark.parametrize("broken", [
    b"claim_id,claim_status\nX,PAID\n",                      # fails before a row is copied
    None,                                                    # fails mid-COPY: broken quoting near the end
], ids=["missing-column", "unparseable-late"])
def test_a_bad_file_leaves_the_previous_snapshot_active(store, claims_csv, tmp_path, broken):
    first = store.load(claims_csv)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(broken if broken is not None else claims_csv.read_bytes() + b'X,"PAID\n')
    with pytest.raises(InputError):
        store.load(bad)
    assert store.snapshot() == first
    assert _stored_rows(store) == (first.rows_valid, first.rows_rejected)


def test_a_new_load_becomes_the_only_active_snapshot_and_old_ones_are_pruned(store, claims_csv):
    snapshots = [store.load(claims_csv) for _ in range(5)]
    assert store.snapshot() == snapshots[-1]
    assert _stored_rows(store) == (3 * snapshots[0].rows_valid, 3 * snapshots[0].rows_rejected)
    _, facts = store.aggregates_for(scope(), contract())
    assert facts.claims_sha256 == snapshots[-1].claims_sha256 and facts.rows_read == 3000


def test_a_read_only_source_refuses_to_load(tmp_path, claims_csv):
    with pytest.raises(InputError) as err:
        SqlClaimsStore(create_engine("sqlite://"), writable=False).load(claims_csv)
    assert err.value.code == "claims_source_read_only"


def test_the_store_is_picked_by_url(tmp_path, pg_url):
    assert isinstance(open_claims_store(f"duckdb:///{tmp_path / 'c.duckdb'}"), DuckDbClaimsStore)
    postgres = open_claims_store(pg_url)
    assert isinstance(postgres, SqlClaimsStore) and postgres.writable and postgres.kind == "postgresql"
    try:
        sql_server = open_claims_store("mssql+pyodbc://reader@dsn")
    except InputError as err:   # pyodbc is an optional driver
        assert err.code == "unsupported_claims_source" and "driver" in err.message
    else:
        assert isinstance(sql_server, SqlClaimsStore) and not sql_server.writable
    for url in ("sqlite:///x.db", "postgresql://u@h/db", "mssql://h/db"):
        with pytest.raises(InputError) as err:
            open_claims_store(url)
        assert err.value.code == "unsupported_claims_source"

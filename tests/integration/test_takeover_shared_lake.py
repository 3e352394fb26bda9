"""One shared lake (ADLS Gen2, through the real SDK against the HTTPS stand-in): the demo export ingested on replica
A is replayed, compared for parity and row-diffed on replica B whose own lake starts empty (same database, same file
system); an object changed in the shared lake is refused by its hash; a failed upload promotes nothing."""
from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest
from azure.core.credentials import AzureNamedKeyCredential

from cli.offline_parity import OfflineCalcBackend
from kernel.errors import Conflict, NotFound
from services.takeover.adapters.bronze_adls import AdlsBronze
from services.takeover.adapters.bronze_local import bronze_key
from services.takeover.adapters.curated_sql import SqlCurated
from services.takeover.adapters.lake_adls import AdlsLakeFiles, AdlsSharedLake, adls_filesystem
from services.takeover.adapters.plane import Plane, open_takeover_db
from services.takeover.adapters.replay_lake import LakeReplay
from services.takeover.adapters.row_diff_silver import SilverRowDiffs
from services.takeover.adapters.silver_duckdb import DuckDbLake
from services.takeover.service_layer.parity import ProcessCards, parity
from services.takeover.service_layer.replay import replay
from tests.integration.adls_standin import ACCOUNT, ACCOUNT_KEY, AdlsStandIn, adls_standin  # noqa: F401 (a fixture)
from tests.integration.test_takeover_parity_demo import DEMO, SCOPE
from tests.unit.takeover.fakes import FakeExplanations

OPERATOR = "operator:ops@leaf.example"
PROCESS = ProcessCards("gdr_and_fees", {"CARD-105": "generic_dispensing_rate.gdr",
                                        "CARD-103": "dispensing_fee_guarantee.fees"}, scope=SCOPE)


def replica(standin: AdlsStandIn, lake: Path, db_url: str) -> Plane:
    """A pod: its own lake folder, the shared database and the shared file system (clients of its own)."""
    filesystem = adls_filesystem(standin.account_url, "takeover", AzureNamedKeyCredential(ACCOUNT, ACCOUNT_KEY),
                                 connection_verify=standin.ca_file, retry_total=0)
    return Plane(lake, AdlsBronze(filesystem), DuckDbLake(lake), SqlCurated(open_takeover_db(db_url)),
                 AdlsSharedLake(lake, filesystem), AdlsLakeFiles(lake, filesystem))


def visible(standin: AdlsStandIn) -> dict[str, bytes]:
    return {p: e.data for p, e in standin.filesystems["takeover"].items() if not p.split("/")[-1].startswith(".")}


def backend_claims(silver: Path, target: Path) -> Path:
    """A backend run's claims (calc_mesh's columns) made from silver's PAID rows, one day supply changed."""
    duckdb.execute(f"COPY (SELECT CAST(claim_id AS VARCHAR) AS claim_id, group_id, fill_date, "
                   f"CASE WHEN row_number() OVER (ORDER BY claim_id) = 1 THEN days_supply + 1 ELSE days_supply END "
                   f"AS days_supply, ingredient_cost_paid, dispensing_fee_paid FROM read_parquet('{silver}') "
                   f"WHERE claim_status = 'PAID') TO '{target}' (FORMAT parquet)")
    return target


def test_replica_b_with_an_empty_lake_reads_what_replica_a_promoted(adls_standin, db_url, tmp_path):
    a = replica(adls_standin, tmp_path / "lake-a", db_url)
    report = a.ingest(DEMO, OPERATOR)
    assert report.status == "promoted" and report.load_id
    [dataset] = a.curated.curated_datasets(report.load_id)
    shared = visible(adls_standin)
    local_silver = (tmp_path / "lake-a" / dataset.parquet_path).read_bytes()
    assert shared[dataset.parquet_path] == local_silver  # the same key as locally, the bytes curated hashed
    assert hashlib.sha256(local_silver).hexdigest() == dataset.parquet_sha256
    assert not any(".partial" in p for p in adls_standin.filesystems["takeover"])  # no temp object left
    replay_a = replay(report.load_id, LakeReplay(a.files, a.curated), LakeReplay(a.files, a.curated))

    b = replica(adls_standin, tmp_path / "lake-b", db_url)
    assert not (tmp_path / "lake-b" / "silver").exists()
    lake_b = LakeReplay(b.files, b.curated)
    assert replay(report.load_id, lake_b, lake_b) == replay_a and replay_a
    cards = next(f["sha256"] for f in report.files if f["path"] == "cards.json")
    assert (tmp_path / "lake-b" / bronze_key(cards)).is_file()  # kept: the next read is local
    assert (tmp_path / "lake-b" / dataset.parquet_path).read_bytes() == local_silver
    reads = len(adls_standin.routes("read"))
    assert replay(report.load_id, lake_b, lake_b) == replay_a and len(adls_standin.routes("read")) == reads

    # parity and the row diff on replica C, whose first read of silver is the diff's own
    c = replica(adls_standin, tmp_path / "lake-c", db_url)
    lake_c = LakeReplay(c.files, c.curated)
    claims = backend_claims(tmp_path / "lake-a" / dataset.parquet_path, tmp_path / "claims.parquet")
    diff_c = SilverRowDiffs(c.files, c.curated, lake_c, claims).diff(report.load_id, PROCESS, "CARD-105")
    diff_a = SilverRowDiffs(a.files, a.curated, LakeReplay(a.files, a.curated), claims).diff(
        report.load_id, PROCESS, "CARD-105")
    assert diff_c == diff_a and diff_c is not None and diff_c["changed"] == 1 and diff_c["domo_rows"] > 0
    backend = OfflineCalcBackend(c.files.local(dataset.parquet_path, dataset.parquet_sha256))
    result = parity(report.load_id, PROCESS, lake_c, lake_c, backend, FakeExplanations())
    assert {p["card_id"]: p["classification"] for p in result["packets"]}["CARD-105"] == "match"

    assert a.ingest(DEMO, OPERATOR).status == "unchanged" and visible(adls_standin) == shared  # nothing re-sent
    for plane in (a, b, c):
        plane.curated.engine.dispose()


def test_an_object_changed_in_the_shared_lake_is_refused_and_not_kept(adls_standin, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'takeover.sqlite'}"
    a = replica(adls_standin, tmp_path / "lake-a", db_url)
    report = a.ingest(DEMO, OPERATOR)
    assert report.load_id
    [dataset] = a.curated.curated_datasets(report.load_id)
    entry = adls_standin.filesystems["takeover"][dataset.parquet_path]
    entry.data = entry.data[:-1] + bytes([entry.data[-1] ^ 1])

    b = replica(adls_standin, tmp_path / "lake-b", db_url)
    lake_b = LakeReplay(b.files, b.curated)
    with pytest.raises(Conflict) as refused:
        replay(report.load_id, lake_b, lake_b)
    assert refused.value.code == "lake_object_corrupt" and "https" not in refused.value.message
    folder = tmp_path / "lake-b" / dataset.parquet_path.rsplit("/", 1)[0]
    assert list(folder.iterdir()) == []  # neither the object nor its temp file is kept

    cards = next(f["sha256"] for f in report.files if f["path"] == "cards.json")
    adls_standin.filesystems["takeover"][bronze_key(cards)].data += b" "
    with pytest.raises(Conflict):
        LakeReplay(replica(adls_standin, tmp_path / "lake-c", db_url).files, b.curated).cards(report.load_id)
    del adls_standin.filesystems["takeover"][dataset.parquet_path]
    with pytest.raises(NotFound) as missing:
        b.files.local(dataset.parquet_path, dataset.parquet_sha256)
    assert missing.value.code == "lake_object_missing"
    # on replica A the silver it wrote is read where it is: the shared lake is only asked for what is absent here
    reads = len(adls_standin.routes("read"))
    assert a.files.local(dataset.parquet_path, dataset.parquet_sha256) == tmp_path / "lake-a" / dataset.parquet_path
    assert len(adls_standin.routes("read")) == reads
    a.curated.engine.dispose()


def test_a_failed_upload_promotes_nothing_and_the_next_ingest_does(adls_standin, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'takeover.sqlite'}"
    a = replica(adls_standin, tmp_path / "lake-a", db_url)
    # Bronze is whole before silver is shared: every bronze rename goes through (a 0 injects nothing), then the
    # silver Parquet's rename fails.
    bronze = {hashlib.sha256(p.read_bytes()).hexdigest() for p in DEMO.rglob("*") if p.is_file()}
    adls_standin.faults["rename"] = [0] * len(bronze) + [500]
    with pytest.raises(Exception, match="injected fault"):
        a.ingest(DEMO, OPERATOR)
    assert a.curated.loads() == [] and a.curated.curated_datasets("LD-2026-11-01-C001") == []
    assert sorted(adls_standin.filesystems["takeover"]) == sorted(bronze_key(sha) for sha in bronze)  # no temp left

    report = a.ingest(DEMO, OPERATOR)
    assert report.status == "promoted" and report.load_id
    [dataset] = a.curated.curated_datasets(report.load_id)
    assert hashlib.sha256(visible(adls_standin)[dataset.parquet_path]).hexdigest() == dataset.parquet_sha256
    a.curated.engine.dispose()


def test_build_plane_shares_the_lake_only_when_adls_is_set(tmp_path):
    from services.takeover.adapters.lake_local import LocalLakeFiles
    from services.takeover.adapters.plane import build_plane
    from services.takeover.settings import TakeoverStoreSettings

    base = {"LEAF_TAKEOVER_DB_URL": f"sqlite:///{tmp_path / 't.sqlite'}", "LEAF_TAKEOVER_LAKE_DIR": str(tmp_path / "l")}
    local = build_plane(TakeoverStoreSettings(**base))
    assert local.shared is None and isinstance(local.files, LocalLakeFiles)
    shared = build_plane(TakeoverStoreSettings(**base, LEAF_TAKEOVER_ADLS_URL="https://acct.dfs.core.windows.net"))
    assert isinstance(shared.bronze, AdlsBronze) and isinstance(shared.shared, AdlsSharedLake)
    assert isinstance(shared.files, AdlsLakeFiles) and shared.files.filesystem is shared.bronze.filesystem
    for plane in (local, shared):
        plane.curated.engine.dispose()

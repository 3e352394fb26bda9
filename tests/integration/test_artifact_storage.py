"""Artifact storage and ledger: atomic local writes, a write-once idempotent ledger, verified reads, real ADLS SDK."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from azure.core.credentials import AzureNamedKeyCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from sqlalchemy import inspect

from kernel.errors import InputError, NotFound
from runtime.db import open_database
from services.publisher.adapters.adls_store import AdlsArtifactStore
from services.publisher.adapters.artifact_ledger import SqlArtifactLedger
from services.publisher.adapters.artifact_store import LocalArtifactStore, Written, artifact_store
from services.publisher.bootstrap import MIGRATIONS
from services.publisher.domain.artifacts import ArtifactChanged, ArtifactCorrupted, artifact_id, sha256_of
from services.publisher.service_layer.artifacts import list_artifacts, open_artifact, store_artifacts
from tests.integration.adls_standin import ACCOUNT, ACCOUNT_KEY, AdlsStandIn, adls_standin  # noqa: F401 (a fixture)

CHECKOUT = Path(__file__).resolve().parents[2]
RUN = "run-2026-0001"
PUBLICATION = [("report.pdf", "application/pdf", b"%PDF-1.7 savings report"),
               ("dashboard/savings.csv", "text/csv", b"pbm,savings\nPBM_A,120.00\n"),
               ("dashboard/empty.csv", "text/csv", b"")]


def get_artifact(run_id, key, store, ledger):
    """The artifact record and its whole verified bytes (tests only: the service streams them)."""
    artifact, chunks = open_artifact(run_id, key, store, ledger)
    return artifact, b"".join(chunks)


def stored_bytes(store, run_id, name) -> bytes:
    stored = store.open(run_id, name)
    try:
        return b"".join(stored.chunks())
    finally:
        stored.close()


@pytest.fixture
def ledger(db_url):
    engine = open_database(db_url, "publisher", MIGRATIONS)
    yield SqlArtifactLedger(engine)
    engine.dispose()


@pytest.fixture
def sqlite_ledger(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'publisher.sqlite'}", "publisher", MIGRATIONS)
    yield SqlArtifactLedger(engine)
    engine.dispose()


@pytest.fixture
def store(leaf_home):
    return LocalArtifactStore(leaf_home / "artifacts")


def adls_store(standin: AdlsStandIn, key: str = ACCOUNT_KEY) -> AdlsArtifactStore:
    # No retries: an injected fault must surface at once, not be retried into success.
    return AdlsArtifactStore.connect(standin.account_url, "artifacts", AzureNamedKeyCredential(ACCOUNT, key),
                                     connection_verify=standin.ca_file, retry_total=0)


# --- the ledger with the embedded store, on SQLite and PostgreSQL --------------------------------------------------
def test_a_publication_is_stored_listed_and_read_back_verified(store, ledger):
    stored = store_artifacts(RUN, "C001", PUBLICATION, store, ledger)
    assert {(a.name, a.content_type, a.size, a.sha256) for a in stored} == {
        (name, content_type, len(data), sha256_of(data)) for name, content_type, data in PUBLICATION}
    assert list_artifacts(RUN, ledger) == sorted(stored, key=lambda a: a.name)
    for name, _, data in PUBLICATION:
        by_id = artifact_id(RUN, name)
        assert get_artifact(RUN, by_id, store, ledger) == get_artifact(RUN, name, store, ledger)
        assert get_artifact(RUN, name, store, ledger)[1] == data == (store.root / RUN / name).read_bytes()
    assert ledger.client_of(RUN) == "C001" and list_artifacts("another-run", ledger) == []
    with pytest.raises(NotFound):
        get_artifact(RUN, "missing.pdf", store, ledger)


def test_artifact_ids_are_derived_from_run_and_name_only():
    assert artifact_id(RUN, "report.pdf") == artifact_id(RUN, "report.pdf")
    assert len({artifact_id(RUN, "report.pdf"), artifact_id(RUN, "dashboard/report.pdf"),
                artifact_id("run-2026-0002", "report.pdf")}) == 3


def test_publishing_the_same_bytes_again_changes_nothing(store, ledger):
    first = store_artifacts(RUN, "C001", PUBLICATION, store, ledger)
    inode = os.stat(store.root / RUN / "report.pdf").st_ino
    with ledger.engine.connect() as db:
        stored_at = db.exec_driver_sql("SELECT stored_at FROM artifacts ORDER BY name").all()
    assert store_artifacts(RUN, "C001", list(reversed(PUBLICATION)), store, ledger) == first
    assert os.stat(store.root / RUN / "report.pdf").st_ino == inode   # a rewrite would rename a new file in
    with ledger.engine.connect() as db:
        assert db.exec_driver_sql("SELECT stored_at FROM artifacts ORDER BY name").all() == stored_at


def test_changed_bytes_are_refused_before_anything_is_written(store, ledger):
    store_artifacts(RUN, "C001", PUBLICATION, store, ledger)
    changed = [("report.pdf", "application/pdf", b"%PDF-1.7 other numbers"), ("notes.txt", "text/plain", b"new")]
    with pytest.raises(ArtifactChanged) as refused:
        store_artifacts(RUN, "C001", changed, store, ledger)
    assert refused.value.code == "conflict:artifact_changed" and "report.pdf" in refused.value.message
    assert stored_bytes(store, RUN, "report.pdf") == PUBLICATION[0][2] and not store.exists(RUN, "notes.txt")
    assert {a.name for a in list_artifacts(RUN, ledger)} == {name for name, _, _ in PUBLICATION}
    with pytest.raises(ArtifactChanged):
        store_artifacts(RUN, "C001", [("report.pdf", "text/plain", PUBLICATION[0][2])], store, ledger)


def test_a_run_belongs_to_one_client(store, ledger):
    store_artifacts(RUN, "C001", PUBLICATION, store, ledger)
    with pytest.raises(ArtifactChanged) as refused:
        store_artifacts(RUN, "C002", PUBLICATION, store, ledger)
    assert refused.value.code == "conflict:artifact_client"


def test_a_tampered_artifact_is_refused_not_served(store, ledger):
    store_artifacts(RUN, "C001", PUBLICATION, store, ledger)
    path = store.root / RUN / "dashboard" / "savings.csv"
    path.write_bytes(path.read_bytes().replace(b"120.00", b"999.00"))   # same size: only the hash can tell
    with pytest.raises(ArtifactCorrupted, match="savings.csv"):
        get_artifact(RUN, "dashboard/savings.csv", store, ledger)
    path.unlink()
    with pytest.raises(NotFound):
        get_artifact(RUN, "dashboard/savings.csv", store, ledger)


def test_the_ledger_lists_nothing_when_a_write_fails_midway(store, ledger):
    # "dashboard" stored as a file first makes "dashboard/savings.csv" impossible to write: a real mid-set failure.
    clash = [("dashboard", "text/plain", b"a file where a folder must go"), PUBLICATION[1]]
    with pytest.raises(OSError):
        store_artifacts(RUN, "C001", clash, store, ledger)
    assert list_artifacts(RUN, ledger) == [] and ledger.client_of(RUN) is None


def test_one_publication_may_not_name_an_artifact_twice(store, ledger):
    with pytest.raises(InputError):
        store_artifacts(RUN, "C001", [PUBLICATION[0], PUBLICATION[0]], store, ledger)
    assert list_artifacts(RUN, ledger) == []


def test_the_migration_creates_the_ledger_with_its_run_index(ledger):
    columns = {c["name"] for c in inspect(ledger.engine).get_columns("artifacts")}
    assert columns == {"artifact_id", "run_id", "client_id", "name", "content_type", "sha256", "size", "stored_at"}
    assert ["run_id"] in [i["column_names"] for i in inspect(ledger.engine).get_indexes("artifacts")]


# --- the embedded store: atomic writes and names that cannot escape ----------------------------------------------
CRASHING_WRITER = """
import sys, time
from pathlib import Path
from services.publisher.adapters.artifact_store import LocalArtifactStore

def chunks():
    yield b"half of a new rep"
    Path(sys.argv[2]).write_text("mid-write")   # tells the test the temp file holds part of the bytes
    time.sleep(60)
    yield b"ort"

LocalArtifactStore(Path(sys.argv[1])).put(sys.argv[3], "report.pdf", chunks())
"""


def test_a_crash_mid_write_leaves_the_prior_artifact_and_no_servable_partial(store, sqlite_ledger, tmp_path):
    store_artifacts(RUN, "C001", PUBLICATION, store, sqlite_ledger)
    marker = tmp_path / "mid-write"
    writer = subprocess.Popen([sys.executable, "-c", CRASHING_WRITER, str(store.root), str(marker), RUN], cwd=CHECKOUT,
                              env={**os.environ, "PYTHONPATH": str(CHECKOUT)})
    deadline = time.monotonic() + 60
    while not marker.exists() and writer.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    writer.send_signal(signal.SIGKILL)   # no cleanup runs: exactly what a crash or an OOM kill leaves behind
    assert writer.wait(10) == -signal.SIGKILL and marker.exists()
    leftovers = list((store.root / RUN).glob(".report.pdf.*.partial"))
    assert len(leftovers) == 1   # proof the crash came between the temp file and the rename
    assert get_artifact(RUN, "report.pdf", store, sqlite_ledger)[1] == PUBLICATION[0][2]
    assert leftovers[0].name not in {a.name for a in list_artifacts(RUN, sqlite_ledger)}
    with pytest.raises(InputError):
        stored_bytes(store, RUN, leftovers[0].name)
    with pytest.raises(NotFound):
        get_artifact(RUN, leftovers[0].name, store, sqlite_ledger)


def test_a_failed_write_keeps_the_prior_bytes_and_cleans_its_temp_file(store):
    store.put(RUN, "report.pdf", b"version one")

    def failing():
        yield b"version t"
        raise ConnectionResetError("the renderer went away")

    with pytest.raises(ConnectionResetError):
        store.put(RUN, "report.pdf", failing())
    assert stored_bytes(store, RUN, "report.pdf") == b"version one"
    assert sorted(p.name for p in (store.root / RUN).iterdir()) == ["report.pdf"]


@pytest.mark.parametrize("name", ["../escape.pdf", "dashboard/../../escape.pdf", "/etc/passwd", "dashboard\\t.csv",
                                  "a/b/c.csv", "", "dashboard/", ".hidden", "dashboard/..", "C:escape.pdf", "a\x00b"])
def test_names_that_could_escape_the_run_folder_are_refused(store, sqlite_ledger, name, tmp_path):
    for attempt in (lambda: store.put(RUN, name, b"x"), lambda: stored_bytes(store, RUN, name), lambda: store.exists(RUN, name),
                    lambda: store_artifacts(RUN, "C001", [(name, "text/plain", b"x")], store, sqlite_ledger)):
        with pytest.raises(InputError):
            attempt()
    assert not any(p.is_file() for p in tmp_path.rglob("*escape*")) and list_artifacts(RUN, sqlite_ledger) == []


@pytest.mark.parametrize("run_id", ["..", "../other", "a/b", "", ".run"])
def test_run_ids_that_could_escape_are_refused(store, run_id):
    with pytest.raises(InputError):
        store.put(run_id, "report.pdf", b"x")


def test_the_factory_picks_the_embedded_folder_unless_adls_is_configured(leaf_home):
    local = artifact_store(None, None, None)
    assert isinstance(local, LocalArtifactStore) and local.root == leaf_home.resolve() / "artifacts"
    with pytest.raises(ValueError, match="LEAF_ADLS_FILESYSTEM"):
        artifact_store("https://acct.dfs.core.windows.net", None, AzureNamedKeyCredential(ACCOUNT, ACCOUNT_KEY))
    lake = artifact_store("https://acct.dfs.core.windows.net", "artifacts", AzureNamedKeyCredential(ACCOUNT, "a2V5"))
    assert isinstance(lake, AdlsArtifactStore) and lake.filesystem.file_system_name == "artifacts"


# --- ADLS Gen2 through the real SDK, against the HTTPS stand-in --------------------------------------------------
def test_adls_round_trip_creates_the_filesystem_and_keeps_sizes_and_content_types(adls_standin, sqlite_ledger):
    lake = adls_store(adls_standin)
    assert not lake.exists(RUN, "report.pdf")
    stored = store_artifacts(RUN, "C001", PUBLICATION, lake, sqlite_ledger)
    files = adls_standin.filesystems["artifacts"]
    assert {path: (len(f.data), f.content_type) for path, f in files.items()} == {
        f"{RUN}/{name}": (len(data), content_type) for name, content_type, data in PUBLICATION}
    for artifact in stored:
        assert get_artifact(RUN, artifact.artifact_id, lake, sqlite_ledger)[1] == dict(
            (n, d) for n, _, d in PUBLICATION)[artifact.name]
        assert lake.content_type(RUN, artifact.name) == artifact.content_type and lake.exists(RUN, artifact.name)
    assert adls_standin.routes("filesystem_create") == [201]
    assert adls_standin.routes("rename") == [201] * len(PUBLICATION)
    assert store_artifacts(RUN, "C001", PUBLICATION, adls_store(adls_standin), sqlite_ledger) == stored
    assert adls_standin.routes("create") == [201] * len(PUBLICATION)   # the replay wrote nothing


def test_adls_store_uses_an_existing_filesystem(adls_standin):
    adls_store(adls_standin).put(RUN, "report.pdf", b"one")
    adls_store(adls_standin).put(RUN, "dashboard/savings.csv", b"two", "text/csv")
    assert adls_standin.routes("filesystem_create") == [201, 409]
    assert stored_bytes(adls_store(adls_standin), RUN, "dashboard/savings.csv") == b"two"
    with pytest.raises(NotFound):
        stored_bytes(adls_store(adls_standin), RUN, "missing.pdf")


@pytest.mark.parametrize("failing", ["append", "flush", "rename"])
def test_a_failed_adls_write_keeps_the_prior_bytes_and_removes_its_temp_file(adls_standin, failing):
    lake = adls_store(adls_standin)
    lake.put(RUN, "report.pdf", b"version one", "application/pdf")
    adls_standin.fail_next(failing, 500)   # a flush failing after create would have emptied the file in place
    with pytest.raises(HttpResponseError):
        lake.put(RUN, "report.pdf", b"version two", "application/pdf")
    assert stored_bytes(lake, RUN, "report.pdf") == b"version one"
    assert list(adls_standin.filesystems["artifacts"]) == [f"{RUN}/report.pdf"]


def test_a_tampered_lake_file_is_refused(adls_standin, sqlite_ledger):
    lake = adls_store(adls_standin)
    store_artifacts(RUN, "C001", PUBLICATION, lake, sqlite_ledger)
    adls_standin.filesystems["artifacts"][f"{RUN}/report.pdf"].data = b"%PDF-1.7 SAVINGS REPORT"
    with pytest.raises(ArtifactCorrupted):
        get_artifact(RUN, "report.pdf", lake, sqlite_ledger)


def test_a_wrong_account_key_is_refused_by_the_stand_in(adls_standin):
    wrong = "d3Jvbmcga2V5IG9mIHRoZSBzYW1lIGxlbmd0aCEhIQ=="
    with pytest.raises(ClientAuthenticationError):
        adls_store(adls_standin, key=wrong).put(RUN, "report.pdf", b"x")
    assert adls_standin.routes("filesystem_create") == [403] and "artifacts" not in adls_standin.filesystems


# --- streams: written in blocks and hashed on the way, read in blocks and verified before the first is served ------
BIG = bytes(range(256)) * (9 * 4096 + 17)   # 9 MiB and a bit: several blocks both ways, a short last one


def test_a_large_artifact_is_written_and_served_in_blocks_with_the_sha256_measured_while_writing(store, sqlite_ledger,
                                                                                                tmp_path):
    source = tmp_path / "report.xlsx"
    source.write_bytes(BIG)
    chunks = (BIG[i:i + 1000] for i in range(0, len(BIG), 1000))  # a source of small pieces, never the whole
    assert store.put(RUN, "extract.csv", chunks) == Written(sha256_of(BIG), len(BIG))

    class File:
        name, content_type = "report.xlsx", "application/octet-stream"

        @staticmethod
        def open():
            return source.open("rb")

    [stored] = store_artifacts(RUN, "C001", [File], store, sqlite_ledger)
    assert (stored.sha256, stored.size) == (sha256_of(BIG), len(BIG))
    artifact, blocks = open_artifact(RUN, "report.xlsx", store, sqlite_ledger)
    sizes = [len(b) for b in blocks]
    assert max(sizes) <= 1 << 20 and len(sizes) == 10 and sum(sizes) == len(BIG)


def test_a_file_changed_after_the_check_fails_its_stream_at_the_end(store, sqlite_ledger):
    store_artifacts(RUN, "C001", [("report.pdf", "application/pdf", BIG)], store, sqlite_ledger)
    _, blocks = open_artifact(RUN, "report.pdf", store, sqlite_ledger)   # verified: the first block may go out
    first = next(blocks)
    path = store.root / RUN / "report.pdf"
    with path.open("r+b") as file:   # written in place, as only a bug or a hand could: a rename would not reach it
        file.seek(len(BIG) - 10)
        file.write(b"X" * 10)
    with pytest.raises(ArtifactCorrupted, match="changed while being served"):
        list(blocks)
    assert first == BIG[:1 << 20]


def test_adls_writes_append_blocks_then_flush_once_and_reads_back_in_blocks(adls_standin, sqlite_ledger):
    lake = adls_store(adls_standin)
    [stored] = store_artifacts(RUN, "C001", [("extract.csv", "text/csv", BIG)], lake, sqlite_ledger)
    assert (stored.sha256, stored.size) == (sha256_of(BIG), len(BIG))
    assert adls_standin.routes("append") == [202, 202, 202] and adls_standin.routes("flush") == [200]
    assert get_artifact(RUN, "extract.csv", lake, sqlite_ledger)[1] == BIG
    reads = adls_standin.routes("read")
    assert len(reads) >= 6 and set(reads) == {206}   # two passes (verify, serve), in 4 MiB ranges


def test_a_lake_file_replaced_after_the_check_is_not_served(adls_standin, sqlite_ledger):
    lake = adls_store(adls_standin)
    store_artifacts(RUN, "C001", [("report.pdf", "application/pdf", BIG)], lake, sqlite_ledger)
    _, blocks = open_artifact(RUN, "report.pdf", lake, sqlite_ledger)
    lake.put(RUN, "report.pdf", BIG, "application/pdf")   # the same bytes, a new version (a new ETag)
    with pytest.raises(HttpResponseError):
        next(blocks)


def test_temp_files_a_killed_publication_left_are_swept_and_live_ones_kept(tmp_path):
    store = LocalArtifactStore(tmp_path)
    store.put("run_abc", "report.pdf", [b"%PDF-1.7 published"])
    abandoned = tmp_path / "run_abc" / ".report.xlsx.k1l2.partial"
    nested = tmp_path / "run_abc" / "dashboard" / ".readiness.csv.x9.partial"
    live = tmp_path / "run_abc" / ".extract.csv.z3.partial"
    for temp in (abandoned, nested, live):
        temp.parent.mkdir(parents=True, exist_ok=True)
        temp.write_bytes(b"half of something")
    hours_ago = time.time() - 2 * 3600
    for temp in (abandoned, nested):
        os.utime(temp, (hours_ago, hours_ago))
    assert store.sweep_abandoned() == 2
    assert not abandoned.exists() and not nested.exists() and live.exists()
    assert store.exists("run_abc", "report.pdf")  # published files are never touched

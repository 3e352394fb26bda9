"""Bronze in ADLS Gen2 through the real SDK against the HTTPS stand-in: each file under its sha256, byte for byte,
and an export ingested twice uploads nothing the second time; the ingest's outcome is the local lake's."""
from __future__ import annotations

import hashlib

from azure.core.credentials import AzureNamedKeyCredential

from services.takeover.adapters.bronze_adls import AdlsBronze
from services.takeover.adapters.bronze_local import LocalBronze
from services.takeover.adapters.curated_sql import SqlCurated
from services.takeover.adapters.plane import Plane, open_takeover_db
from services.takeover.adapters.silver_duckdb import DuckDbLake
from tests.integration.adls_standin import ACCOUNT, ACCOUNT_KEY, AdlsStandIn, adls_standin  # noqa: F401 (a fixture)
from tests.takeover_fixtures import base_export

OPERATOR = "operator:ops@leaf.example"


def adls_bronze(standin: AdlsStandIn) -> AdlsBronze:
    return AdlsBronze.connect(standin.account_url, "takeover", AzureNamedKeyCredential(ACCOUNT, ACCOUNT_KEY),
                              connection_verify=standin.ca_file, retry_total=0)


def test_bronze_in_adls_is_content_addressed_and_never_sent_twice(adls_standin, tmp_path):
    base_export(tmp_path / "ex")
    engine = open_takeover_db(f"sqlite:///{tmp_path / 'takeover.sqlite'}")
    lake = tmp_path / "lake"
    plane = Plane(lake, adls_bronze(adls_standin), DuckDbLake(lake), SqlCurated(engine))
    report = plane.ingest(tmp_path / "ex", OPERATOR)
    assert report.status == "promoted"
    files = adls_standin.filesystems["takeover"]
    stored = {path: entry.data for path, entry in files.items() if not path.split("/")[-1].startswith(".")}
    expected = {}
    for file in (tmp_path / "ex").rglob("*"):
        if file.is_file():
            sha = hashlib.sha256(file.read_bytes()).hexdigest()
            expected[f"bronze/sha256/{sha[:2]}/{sha}"] = file.read_bytes()
    assert stored == expected
    assert not (lake / "bronze").exists()  # nothing of bronze on the local disk
    creates = len(adls_standin.routes("create"))
    assert creates == len(expected)

    again = plane.ingest(tmp_path / "ex", OPERATOR)
    assert again.status == "unchanged" and len(adls_standin.routes("create")) == creates  # nothing uploaded

    # the same export on the local lake reports the same files and hashes
    local = Plane(tmp_path / "lake2", LocalBronze(tmp_path / "lake2"), DuckDbLake(tmp_path / "lake2"),
                  SqlCurated(open_takeover_db(f"sqlite:///{tmp_path / 'local.sqlite'}")))
    assert local.ingest(tmp_path / "ex", OPERATOR).files == report.files

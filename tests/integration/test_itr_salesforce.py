"""The Salesforce source through simple-salesforce, against a local HTTPS stand-in speaking Salesforce's REST shapes
(the SDK unpatched; the stand-in's throwaway CA trusted through REQUESTS_CA_BUNDLE): the same mirror as the export
gives, paging by nextRecordsUrl, purged deletions, back-off on REQUEST_LIMIT_EXCEEDED, one re-authentication on an
expired session, and no URL, host or token in any error or log line."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
import trustme

from kernel.errors import DomainError, RateLimited
from services.itr.adapters.mirror_store import SqlMirrorStore
from services.itr.adapters.salesforce_source import SalesforceSettings, SalesforceSource
from services.itr.service_layer.sync import sync_requests
from tests.integration.itr_fixtures import digest, export_at, mirror_at, sync, zeros
from tests.integration.salesforce_standin import CLIENT_ID, CLIENT_SECRET, SalesforceStandIn

NOW = datetime(2025, 1, 20, tzinfo=UTC)  # the org's "now": the deleted endpoint answers for the 30 days before it


@pytest.fixture
def org(tmp_path, monkeypatch):
    folder, records = export_at(tmp_path / "export")
    ca = trustme.CA()
    ca_file = tmp_path / "salesforce-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_file))
    with SalesforceStandIn(ca, records, page_size=7) as standin:
        standin.export = folder
        yield standin


def source_of(standin, *, session: bool = False, sleeps: list | None = None, **limits) -> SalesforceSource:
    credentials = {"session_id": standin.session_id} if session else {"client_id": CLIENT_ID,
                                                                      "client_secret": CLIENT_SECRET}
    settings = SalesforceSettings(standin.base, "62.0", "IT_Request__c", **credentials, **limits)
    return SalesforceSource(settings, sleep=(sleeps if sleeps is not None else []).append, now=lambda: NOW)


def test_salesforce_mirrors_exactly_what_the_export_of_the_same_org_mirrors(org, tmp_path):
    engine = mirror_at(f"sqlite:///{tmp_path / 'sf.sqlite'}")
    first = sync_requests(source_of(org), SqlMirrorStore(engine))
    from_export = mirror_at(f"sqlite:///{tmp_path / 'export.sqlite'}")
    assert first.as_json() == sync(org.export, from_export).as_json()
    assert digest(engine) == digest(from_export)
    assert org.routes("queryAll") and org.routes("query_more") and org.routes("describe") == [200]
    second = sync_requests(source_of(org), SqlMirrorStore(engine))
    assert zeros(second) and org.routes("deleted") == [200, 200]  # once a sync, after the requests


def test_a_purged_request_is_tombstoned_from_the_deleted_endpoint(org, tmp_path):
    engine = mirror_at(f"sqlite:///{tmp_path / 'sf.sqlite'}")
    sync_requests(source_of(org), SqlMirrorStore(engine))
    purged = org.records["IT_Request__c"][4]["Id"]
    org.purge("IT_Request__c", purged)
    summary = sync_requests(source_of(org), SqlMirrorStore(engine))
    assert (summary.requests_deleted, summary.requests_upserted) == (1, 0)
    assert zeros(sync_requests(source_of(org), SqlMirrorStore(engine)))


def test_request_limit_is_backed_off_and_the_sync_completes(org, tmp_path):
    engine = mirror_at(f"sqlite:///{tmp_path / 'sf.sqlite'}")
    org.fail_next("query_more", 403, times=3)
    sleeps: list[float] = []
    summary = sync_requests(source_of(org, sleeps=sleeps), SqlMirrorStore(engine))
    assert sleeps == [2.0, 4.0, 8.0] and org.routes("query_more").count(403) == 3
    assert summary.requests_upserted == 23


def test_request_limit_that_does_not_lift_stops_the_sync_with_its_reason(org, tmp_path, caplog):
    org.fail_next("*", 403, times=10)
    with pytest.raises(RateLimited) as stopped:
        sync_requests(source_of(org, max_attempts=3), SqlMirrorStore(mirror_at(f"sqlite:///{tmp_path / 'a.sqlite'}")))
    assert stopped.value.code == "salesforce_request_limit"
    assert_no_secret(org, str(stopped.value), *caplog.messages)


def test_an_expired_session_is_authenticated_again_once(org, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    engine = mirror_at(f"sqlite:///{tmp_path / 'sf.sqlite'}")
    source = source_of(org)
    sync_requests(source, SqlMirrorStore(engine))
    org.expire_sessions()
    org.records["IT_Request__c"][0]["SystemModstamp"] = "2025-01-19T00:00:00.000+0000"
    summary = sync_requests(source, SqlMirrorStore(engine))
    assert (summary.requests_upserted, source.logins, org.issued) == (1, 2, 2)
    assert_no_secret(org, *caplog.messages)


def test_an_expired_session_id_cannot_be_renewed_and_says_so(org, tmp_path, caplog):
    org.expire_sessions()
    with pytest.raises(DomainError) as stopped:
        sync_requests(source_of(org, session=True), SqlMirrorStore(mirror_at(f"sqlite:///{tmp_path / 'a.sqlite'}")))
    assert stopped.value.code == "salesforce_session_expired"
    assert_no_secret(org, str(stopped.value), repr(stopped.value), *caplog.messages)


def test_leaf_itr_sync_from_salesforce_prints_the_summary_and_fails_cleanly(org, tmp_path):
    env = {**os.environ, "LEAF_ITR_DB_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}",
           "LEAF_SALESFORCE_INSTANCE_URL": org.base, "LEAF_SALESFORCE_CLIENT_ID": CLIENT_ID,
           "LEAF_SALESFORCE_CLIENT_SECRET": CLIENT_SECRET}
    run = subprocess.run([sys.executable, "-m", "cli.main", "itr", "sync"], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["requests_upserted"] == 23
    refused = subprocess.run([sys.executable, "-m", "cli.main", "itr", "sync"], capture_output=True, text=True,
                             env={**env, "LEAF_SALESFORCE_CLIENT_SECRET": "wrong"})
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.strip().splitlines() == ["leaf itr sync: salesforce_auth_failed: the token endpoint answered 400 "
                                                   "invalid_client"]
    assert_no_secret(org, run.stdout, run.stderr, refused.stderr)


def assert_no_secret(standin: SalesforceStandIn, *texts: str) -> None:
    for text in texts:
        for secret in (standin.base, "127.0.0.1", "/services/", "00D5g000000StAnD", CLIENT_SECRET):
            assert secret not in text, (secret, text)

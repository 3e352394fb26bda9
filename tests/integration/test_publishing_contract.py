"""Publishing enforces the presentation contract: a refused run stores nothing and says which rule, where."""
import json

import pytest

from runtime.errors import Refused
from services.publisher.bootstrap import open_publications
from services.publisher.service_layer.handlers import get_publication, publish_run


def result(client_id: str) -> bytes:
    scope = {"client_id": client_id, "date_from": "2025-01-01", "date_to": "2025-12-31", "group_ids": [],
             "pbm_id": "PBM_A", "tpa_id": None}
    formulas = [{"id": "generic_dispensing_rate", "version": 1, "status": "final", "reasons": [],
                 "claims": 10, "generic_claims": 8, "gdr": "0.8000"}]
    return json.dumps({"scope": scope, "scope_hash": "ab" * 32, "formulas": formulas}).encode()


def test_a_clean_run_is_published(db_url):
    publications = open_publications(db_url)
    scope_hash, tables = publish_run("run_clean", result("C001"), publications)
    assert scope_hash == "ab" * 32 and {t.name for t in tables} == {"readiness", "formula_totals"}


def test_a_run_that_would_leak_a_local_path_is_refused_and_nothing_is_stored(db_url):
    publications = open_publications(db_url)
    with pytest.raises(Refused) as refusal:
        publish_run("run_leaky", result("/home/analyst/C001"), publications)
    assert refusal.value.code == "presentation_contract:local_path"
    assert "dashboard/readiness.csv" in refusal.value.message and "/home/analyst" not in refusal.value.message
    with pytest.raises(Exception):
        get_publication("run_leaky", publications)

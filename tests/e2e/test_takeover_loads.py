"""`leaf run` promotes the shipped Leaf IQ export (through `leaf demo`), and the gateway shows it as one load."""
from __future__ import annotations

import pytest

from demo.takeover_export import DEMO_LOAD_ID

pytestmark = pytest.mark.e2e


def test_the_demo_export_is_one_promoted_load(mesh):
    loads = mesh["http"].get("/v1/takeover/loads")
    assert loads.status_code == 200, loads.text
    assert [(x["load_id"], x["status"], x["reasons"]) for x in loads.json()["loads"]] == [(DEMO_LOAD_ID, "promoted", [])]
    one = mesh["http"].get(f"/v1/takeover/loads/{DEMO_LOAD_ID}").json()
    assert one["load"]["promoted_by"].startswith("local:") and one["load"]["datasets"][0]["rows"] == 375

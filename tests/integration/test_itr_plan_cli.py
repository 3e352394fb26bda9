"""`leaf itr plan ID` (issue #14 item 4): in-process like `leaf itr bundle`, the ask and its problems from the mirror,
the scope resolved against the local scope registry (exact, or ambiguous with its candidates until a choice settles
it); exit 1 for a deleted or unknown request."""
from __future__ import annotations

import json

from cli.main import main
from demo import load_registry
from services.scope.bootstrap import open_registry
from tests.integration.itr_fixtures import export_at


def test_leaf_itr_plan_prints_the_plan_and_refuses_deleted_and_unknown_requests(tmp_path, monkeypatch, capsys):
    folder, records = export_at(tmp_path / "export")
    requests = records["IT_Request__c"]
    monkeypatch.setenv("LEAF_ITR_DB_URL", f"sqlite:///{tmp_path / 'itr.sqlite'}")
    monkeypatch.setenv("LEAF_SCOPE_DB_URL", f"sqlite:///{tmp_path / 'scope.sqlite'}")
    assert main(["itr", "sync", "--export", str(folder)]) == 0
    capsys.readouterr()

    exact = requests[0]
    # No registry loaded yet: the ask and its problems, the scope left unresolved and said so.
    assert main(["itr", "plan", exact["Id"]]) == 0
    out = capsys.readouterr()
    plan = json.loads(out.out)
    assert plan["scope"] is None and "no scope registry" in out.err
    assert (plan["request_id"], plan["ask"]["client_id"], plan["problems"]) == (exact["Id"], "C001", [])

    open_registry(f"sqlite:///{tmp_path / 'scope.sqlite'}").replace(load_registry())
    assert main(["itr", "plan", exact["Id"]]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["scope"]["state"] == "exact" and plan["scope"]["scope"]["pbm_id"] == exact["PBM_Id__c"]
    assert [d["name"] for d in plan["deliverables"]] == exact["Deliverables__c"].split(";")
    assert plan["submit"] == f"POST /v1/itr/requests/{exact['Id']}/plan"

    ambiguous = next(r for r in requests if r["Client_Id__c"] == "C003" and not r["PBM_Id__c"])
    assert main(["itr", "plan", ambiguous["Id"]]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["scope"]["state"] == "ambiguous" and [p["code"] for p in plan["problems"]] == ["scope_ambiguous"]
    assert sorted(c["pbm_id"] for c in plan["scope"]["candidates"]) == ["PBM_A", "PBM_B"]
    assert main(["itr", "plan", ambiguous["Id"], "--pbm", "PBM_B", "--from", "2025-07-01"]) == 0
    settled = json.loads(capsys.readouterr().out)
    assert settled["scope"]["state"] == "exact" and settled["problems"] == []
    assert settled["settled"]["pbm_id"] == {"asked": "", "chosen": "PBM_B"}

    deleted = next(r for r in requests if r["IsDeleted"])
    assert main(["itr", "plan", deleted["Id"]]) == 1
    assert "request_deleted" in capsys.readouterr().err
    assert main(["itr", "plan", "a0B5g0000NOSUCHAAA"]) == 1
    assert "request_not_found" in capsys.readouterr().err

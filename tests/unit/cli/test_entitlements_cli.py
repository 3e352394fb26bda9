"""`leaf entitlements` against a throwaway LEAF_HOME: grant, list, revoke, audit; refusals exit 2 with the code."""
import getpass
import json

import pytest

from cli.main import main
from demo import load_registry
from runtime.home import sqlite_url
from services.scope.bootstrap import open_registry


@pytest.fixture(autouse=True)
def registry(monkeypatch, leaf_home):
    monkeypatch.delenv("LEAF_SCOPE_DB_URL", raising=False)
    monkeypatch.delenv("LEAF_ENV", raising=False)
    open_registry(sqlite_url("scope")).replace(load_registry())


def leaf(capsys, *args: str):
    code = main(["entitlements", *args])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out else None), err


def test_grant_list_revoke_and_audit(capsys, leaf_home):
    code, granted, _ = leaf(capsys, "grant", "user:Alice@Leaf.Health", "--client", "C001", "--group", "C001-G02",
                            "--group", "C001-G01", "--reason", "2025 audit")
    assert code == 0
    assert granted == {"principal": "user:alice@leaf.health", "client_id": "C001",
                       "group_ids": ["C001-G01", "C001-G02"]}
    assert leaf(capsys, "grant", "group:auditors", "--client", "C002", "--reason", "team access")[0] == 0
    assert leaf(capsys, "list", "user:alice@leaf.health")[1] == [granted]
    assert [e["principal"] for e in leaf(capsys, "list")[1]] == ["group:auditors", "user:alice@leaf.health"]

    code, revoked, _ = leaf(capsys, "revoke", "user:alice@leaf.health", "--client", "C001", "--reason",
                            "engagement ended")
    assert (code, revoked["revoked"]) == (0, True)
    assert leaf(capsys, "list", "user:alice@leaf.health")[1] == []
    assert leaf(capsys, "revoke", "user:alice@leaf.health", "--client", "C001", "--reason", "again")[:2] == (
        1, {"principal": "user:alice@leaf.health", "client_id": "C001", "revoked": False})

    audit = leaf(capsys, "audit")[1]
    assert [(a["action"], a["principal"], a["reason"]) for a in audit] == [
        ("grant", "user:alice@leaf.health", "2025 audit"), ("grant", "group:auditors", "team access"),
        ("revoke", "user:alice@leaf.health", "engagement ended")]
    # The OS account that opened the database decided: nothing on the command line can name anyone else.
    assert {a["operator"] for a in audit} == {f"local:{getpass.getuser()}"}
    assert (leaf_home / "db" / "scope.sqlite").exists()


@pytest.mark.parametrize("args, code", [
    (["grant", "user:alice@leaf.health", "--client", "C999", "--reason", "x"], "unknown_client"),
    (["grant", "user:alice@leaf.health", "--client", "C001", "--group", "C002-G01", "--reason", "x"], "unknown_group"),
    (["grant", "user:alice@leaf.health", "--client", "C001", "--reason", "  "], "bad_input:reason"),
    (["grant", "alice@leaf.health", "--client", "C001", "--reason", "x"], "bad_input:principal"),   # no namespace
    (["grant", "group: leaf-demo", "--client", "C001", "--reason", "x"], "bad_input:principal"),
    (["grant", "-not-a-principal", "--client", "C001", "--reason", "x"], None),
    (["grant", "user:alice@leaf.health", "--client", "C001", "--reason", "x", "--operator", "ceo@x.example"], None),
    (["list", "user:bad@principal"], "bad_input:principal"),
])
def test_refusals_exit_2_naming_the_code(capsys, args, code):
    if code is None:  # argparse refuses it before any use case runs
        with pytest.raises(SystemExit) as raised:
            main(["entitlements", *args])
        assert raised.value.code == 2
        return
    exit_code, out, err = leaf(capsys, *args)
    assert exit_code == 2 and out is None
    assert err.startswith(f"leaf entitlements {args[0]}: {code}:") and len(err.strip().splitlines()) == 1
    assert leaf(capsys, "list")[1] == []


def test_reason_is_required(capsys):
    with pytest.raises(SystemExit):
        main(["entitlements", "grant", "user:alice@leaf.health", "--client", "C001"])
    assert "--reason" in capsys.readouterr().err


def test_in_production_the_cli_needs_the_database_but_not_the_signing_key(capsys, monkeypatch, leaf_home):
    monkeypatch.setenv("LEAF_ENV", "prod")
    with pytest.raises(SystemExit):
        main(["entitlements", "list"])
    assert "LEAF_SCOPE_DB_URL" in capsys.readouterr().err
    monkeypatch.setenv("LEAF_SCOPE_DB_URL", sqlite_url("scope"))
    assert leaf(capsys, "list")[:2] == (0, [])

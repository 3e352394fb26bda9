"""Settings are read once and fail fast, naming what is missing; prod refuses embedded stand-ins."""
import os
import subprocess
import sys

import pytest

from runtime.settings import SettingsError, load_settings
from services.calc.bootstrap import CalcSettings
from services.scope.bootstrap import ScopeSettings


def test_a_missing_setting_is_named(monkeypatch, capsys):
    monkeypatch.delenv("EVIDENCE_ADDR", raising=False)
    with pytest.raises(SettingsError):
        load_settings(CalcSettings)
    assert "EVIDENCE_ADDR" in capsys.readouterr().err


def test_production_refuses_embedded_databases(monkeypatch, capsys):
    monkeypatch.setenv("LEAF_ENV", "prod")
    with pytest.raises(SettingsError):
        load_settings(ScopeSettings)
    assert "LEAF_SCOPE_DB_URL" in capsys.readouterr().err
    monkeypatch.setenv("LEAF_SCOPE_DB_URL", "postgresql+psycopg://scope@db/scope")
    assert load_settings(ScopeSettings).production


def test_a_service_started_without_its_address_exits_2_with_a_clear_line():
    env = {k: v for k, v in os.environ.items() if not k.endswith("_ADDR") and k != "LEAF_GRPC_LISTEN"}
    done = subprocess.run([sys.executable, "-m", "services.scope"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "LEAF_GRPC_LISTEN or SCOPE_ADDR" in done.stderr

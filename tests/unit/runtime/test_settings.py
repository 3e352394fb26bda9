"""Settings are read once and fail fast, naming what is missing; prod refuses embedded stand-ins."""
import base64
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
    monkeypatch.setenv("LEAF_GRANT_KEYS", f"k1:{base64.b64encode(bytes(32)).decode()}")  # the other embedded defaults
    monkeypatch.setenv("LEAF_IDENTITY_KEYS", f"i1:{base64.b64encode(bytes(range(32))).decode()}")
    assert load_settings(ScopeSettings).production


def test_a_service_started_without_its_address_exits_2_with_a_clear_line():
    env = {k: v for k, v in os.environ.items() if not k.endswith("_ADDR") and k != "LEAF_GRPC_LISTEN"}
    done = subprocess.run([sys.executable, "-m", "services.scope"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "LEAF_GRPC_LISTEN or SCOPE_ADDR" in done.stderr


def test_every_service_that_verifies_grants_refuses_the_local_grant_key_in_production(monkeypatch, capsys):
    from services.evidence.bootstrap import EvidenceServiceSettings
    from services.itr.bootstrap import ItrSettings
    from services.publisher.bootstrap import PublisherServiceSettings
    from services.takeover.bootstrap import TakeoverSettings
    from services.tasks.bootstrap import TasksSettings

    monkeypatch.setenv("LEAF_ENV", "prod")
    for peer in ("EVIDENCE_ADDR", "CALC_ADDR", "SCOPE_ADDR"):  # a missing field stops validation before the prod rules
        monkeypatch.setenv(peer, "peer:50051")
    for settings in (CalcSettings, EvidenceServiceSettings, PublisherServiceSettings, ItrSettings, TasksSettings,
                     TakeoverSettings):
        with pytest.raises(SettingsError):
            load_settings(settings)
        assert "LEAF_GRANT_KEYS" in capsys.readouterr().err, settings.__name__


def test_every_service_and_the_gateway_refuse_the_local_identity_key_in_production(monkeypatch, capsys):
    from services.evidence.bootstrap import EvidenceServiceSettings
    from services.gateway.settings import GatewaySettings
    from services.itr.bootstrap import ItrSettings
    from services.publisher.bootstrap import PublisherServiceSettings
    from services.takeover.bootstrap import TakeoverSettings
    from services.tasks.bootstrap import TasksSettings

    monkeypatch.setenv("LEAF_ENV", "prod")
    for peer in ("SCOPE_ADDR", "CALC_ADDR", "EVIDENCE_ADDR", "ITR_ADDR", "PUBLISHER_ADDR", "TASKS_ADDR", "TAKEOVER_ADDR"):
        monkeypatch.setenv(peer, "peer:50051")
    for settings in (ScopeSettings, CalcSettings, EvidenceServiceSettings, PublisherServiceSettings, ItrSettings,
                     TasksSettings, TakeoverSettings, GatewaySettings):
        with pytest.raises(SettingsError):
            load_settings(settings)
        assert "LEAF_IDENTITY_KEYS" in capsys.readouterr().err, settings.__name__

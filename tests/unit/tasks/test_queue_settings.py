"""LEAF_QUEUE picks the backend; the backend picked must be configured, and prod names its broker itself."""
from __future__ import annotations

import pytest

from runtime.settings import SettingsError, load_settings
from services.tasks.adapters.queues.settings import LOCAL_AMQP_URL, QueueSettings


def test_the_embedded_queue_is_the_default(monkeypatch):
    for name in ("LEAF_QUEUE", "LEAF_AMQP_URL", "LEAF_SERVICEBUS_CONNECTION", "LEAF_SERVICEBUS_NAMESPACE"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(QueueSettings)
    assert settings.LEAF_QUEUE == "db" and settings.LEAF_AMQP_URL.get_secret_value() == LOCAL_AMQP_URL


@pytest.mark.parametrize("env, named", [
    ({"LEAF_QUEUE": "servicebus"}, "LEAF_SERVICEBUS_NAMESPACE or LEAF_SERVICEBUS_CONNECTION"),
    ({"LEAF_QUEUE": "rabbitmq", "LEAF_ENV": "prod"}, "LEAF_AMQP_URL"),
    ({"LEAF_QUEUE": "kafka"}, "LEAF_QUEUE"),
])
def test_a_backend_without_its_settings_stops_the_start_naming_them(env, named, monkeypatch, capsys):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError):
        load_settings(QueueSettings)
    assert named in capsys.readouterr().err


def test_a_broker_password_is_never_printed(monkeypatch):
    monkeypatch.setenv("LEAF_QUEUE", "rabbitmq")
    monkeypatch.setenv("LEAF_AMQP_URL", "amqp://leaf:s3cret@mq.example:5672/")
    assert "s3cret" not in repr(load_settings(QueueSettings))

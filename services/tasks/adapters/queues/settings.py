"""Which queue the tasks service and its workers use (configuration.md names), checked once at start."""
from __future__ import annotations

from typing import Literal

from pydantic import SecretStr, model_validator

from runtime.settings import LeafSettings

LOCAL_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"  # the broker on a developer's machine and CI's


class QueueSettings(LeafSettings):
    """Mixin: LEAF_QUEUE picks the backend; each backend's own settings are required only when it is picked."""

    LEAF_QUEUE: Literal["db", "rabbitmq", "servicebus"] = "db"
    LEAF_AMQP_URL: SecretStr = SecretStr(LOCAL_AMQP_URL)  # a URL with a password: never printed
    LEAF_SERVICEBUS_CONNECTION: SecretStr | None = None
    LEAF_SERVICEBUS_NAMESPACE: str | None = None  # e.g. leaf-prod.servicebus.windows.net (managed identity)

    @model_validator(mode="after")
    def _backend_is_configured(self):
        if self.LEAF_QUEUE == "servicebus" and not (self.LEAF_SERVICEBUS_CONNECTION or self.LEAF_SERVICEBUS_NAMESPACE):
            raise ValueError("LEAF_QUEUE=servicebus needs LEAF_SERVICEBUS_NAMESPACE or LEAF_SERVICEBUS_CONNECTION")
        if self.LEAF_QUEUE == "rabbitmq" and self.production and "LEAF_AMQP_URL" not in self.model_fields_set:
            raise ValueError("LEAF_ENV=prod refuses embedded defaults; set LEAF_AMQP_URL")
        return self

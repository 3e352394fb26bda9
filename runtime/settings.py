"""Typed settings read once from the environment; a missing or bad value stops the start with its name."""
from __future__ import annotations

import sys
from typing import ClassVar, TypeVar

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from runtime.home import leaf_home

S = TypeVar("S", bound="LeafSettings")
# gRPC's own default receive limit is 4 MiB; a run's result with its first rejected rows is tens of KiB, and
# 16 MiB leaves room for the largest page or table the mesh sends without letting one message hog memory.
DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024


class SettingsError(SystemExit):
    """Raised at start when the environment cannot configure the process."""


class LeafSettings(BaseSettings):
    """Settings every process shares (configuration.md names)."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=True, frozen=True)

    LEAF_ENV: str = Field("dev", pattern="^(dev|prod)$")
    LEAF_HOME: str = Field(default_factory=lambda: str(leaf_home()))
    # The one gRPC message limit, servers (receive and send) and clients alike (runtime/message_size.py).
    # gRPC counts lengths in a signed 32-bit int; below 1 KiB not even a small reply fits.
    LEAF_GRPC_MAX_MESSAGE_BYTES: int = Field(DEFAULT_MAX_MESSAGE_BYTES, ge=1024, le=2**31 - 1)
    # Settings whose default is an embedded stand-in (SQLite, DuckDB under LEAF_HOME): prod must set them.
    embedded_defaults: ClassVar[tuple[str, ...]] = ()

    @property
    def production(self) -> bool:
        return self.LEAF_ENV == "prod"

    @model_validator(mode="after")
    def _no_embedded_stand_ins_in_production(self):
        unset = [name for name in self.embedded_defaults if name not in self.model_fields_set]
        if self.production and unset:
            raise ValueError(f"LEAF_ENV=prod refuses embedded defaults; set {', '.join(unset)}")
        return self


class ServiceSettings(LeafSettings):
    """Settings of a gRPC service: where it listens (`LEAF_GRPC_LISTEN`, else the port of its own *_ADDR)."""

    LEAF_GRPC_LISTEN: str | None = None
    LEAF_GRPC_GRACE_SECONDS: float = 10.0


def load_settings(cls: type[S]) -> S:
    """Read settings once; on failure exit with one line naming every missing or invalid variable."""
    try:
        return cls()  # type: ignore[call-arg]  # every field is read from the environment
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" if e["loc"] else e["msg"].removeprefix("Value error, ")
                             for e in exc.errors())
        print(f"configuration error: {problems}", file=sys.stderr)
        raise SettingsError(2) from None

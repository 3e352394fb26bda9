"""What the takeover plane needs, in the service and in `leaf takeover` alike: its database and its lake."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from runtime.home import home_path, sqlite_url
from runtime.settings import ServiceSettings


class TakeoverStoreSettings(ServiceSettings):
    model_config = SettingsConfigDict(**ServiceSettings.model_config, hide_input_in_errors=True)
    embedded_defaults = ("LEAF_TAKEOVER_DB_URL",)
    LEAF_TAKEOVER_DB_URL: str = Field(default_factory=lambda: sqlite_url("takeover"))
    LEAF_TAKEOVER_LAKE_DIR: str = Field(default_factory=lambda: str(home_path("takeover", "lake")))
    # The shared lake in ADLS Gen2 (production): bronze and promoted silver, every replica's local lake a verified
    # cache of it (docs/takeover.md, layout); the account's dfs endpoint and a file system. Unset: the local lake.
    LEAF_TAKEOVER_ADLS_URL: str | None = None
    LEAF_TAKEOVER_ADLS_FILESYSTEM: str = Field("takeover", pattern=r"^[a-z0-9][a-z0-9-]{2,62}$")
    LEAF_TAKEOVER_DUCKDB_MEMORY: str = Field("512MB", pattern=r"^[0-9]+(\.[0-9]+)?\s*(KB|MB|GB|KiB|MiB|GiB)$")
    LEAF_TAKEOVER_DUCKDB_THREADS: int = Field(2, ge=1, le=64)

    @model_validator(mode="after")
    def _adls_is_https(self):
        url = self.LEAF_TAKEOVER_ADLS_URL
        if url and not url.startswith("https://"):
            raise ValueError("LEAF_TAKEOVER_ADLS_URL must be an https:// URL")
        return self

    def lake(self) -> Path:
        path = Path(self.LEAF_TAKEOVER_LAKE_DIR).expanduser()
        path.mkdir(parents=True, exist_ok=True)
        return path

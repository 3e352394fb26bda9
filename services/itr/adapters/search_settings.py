"""Which search index the mirror keeps (docs/search.md): Azure AI Search when LEAF_SEARCH_ENDPOINT is set, else the
embedded SQLite FTS5 file under LEAF_HOME."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from pydantic import Field, SecretStr, model_validator
from sqlalchemy.engine import make_url

from runtime.home import home_path
from runtime.settings import ServiceSettings
from services.itr.service_layer.search import SearchIndex


class SearchSettings(ServiceSettings):
    LEAF_SEARCH_ENDPOINT: str | None = None  # https://<service>.search.windows.net
    LEAF_SEARCH_INDEX: str = Field("leaf-itr", pattern=r"^[a-z0-9][a-z0-9-]{1,127}$")
    LEAF_SEARCH_KEY: SecretStr | None = None  # unset: the workload's managed identity (azure-identity)
    LEAF_SEARCH_SQLITE_PATH: str | None = None  # unset: beside a SQLite mirror, else LEAF_HOME/db/itr_search.sqlite

    @model_validator(mode="after")
    def _endpoint_is_https(self):
        url = self.LEAF_SEARCH_ENDPOINT
        if url and (urlparse(url).scheme != "https" or not urlparse(url).hostname):
            raise ValueError("LEAF_SEARCH_ENDPOINT must be an https:// URL")
        if self.LEAF_SEARCH_KEY and not url:
            raise ValueError("LEAF_SEARCH_KEY is set but LEAF_SEARCH_ENDPOINT is not")
        return self

    def sqlite_path(self, mirror_url: str = "") -> str:
        """The embedded index's file: beside a SQLite mirror (a fresh mirror, a fresh index), else under LEAF_HOME."""
        if self.LEAF_SEARCH_SQLITE_PATH:
            return self.LEAF_SEARCH_SQLITE_PATH
        url = make_url(mirror_url) if mirror_url else None
        if url is not None and url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            mirror = Path(url.database)
            return str(mirror.with_name(f"{mirror.stem}_search.sqlite"))
        return str(home_path("db", "itr_search.sqlite"))

    def search_index(self, mirror_url: str = "") -> SearchIndex:
        if self.LEAF_SEARCH_ENDPOINT:
            from services.itr.adapters.azure_search import AzureSearchIndex
            key = self.LEAF_SEARCH_KEY.get_secret_value() if self.LEAF_SEARCH_KEY else None
            return AzureSearchIndex(self.LEAF_SEARCH_ENDPOINT, self.LEAF_SEARCH_INDEX, key)
        from services.itr.adapters.fts_index import FtsSearchIndex
        return FtsSearchIndex(self.sqlite_path(mirror_url))

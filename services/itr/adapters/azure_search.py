"""The production search index (docs/search.md): Azure AI Search through azure-search-documents, its schema in
search_index.json beside this file. Documents are pushed with merge_or_upload and delete; every query carries the
security filter `allowed_clients/any(c: search.in(c, '…', ','))` naming the caller's clients, so the service never
even receives another client's document. Errors name neither the endpoint nor the key."""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from kernel.errors import Internal, Unavailable

SCHEMA_FILE = Path(__file__).with_name("search_index.json")
SCAN_PAGE = 1000  # Azure AI Search's largest page
SAFE_CLIENT = re.compile(r"^[A-Za-z0-9_.:-]+$")  # nothing that could end or split the search.in list
_WORD = re.compile(r"\w+")


def schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text())


def field_names() -> list[str]:
    return [f["name"] for f in schema()["fields"]]


def security_filter(allowed_clients: Sequence[str]) -> str:
    """The OData filter that trims a query to documents of the caller's clients. A client id that is not plain
    letters, digits and `_.:-` is left out: it could only widen the filter, never narrow it."""
    names = ",".join(c for c in allowed_clients if SAFE_CLIENT.match(c))
    return f"allowed_clients/any(c: search.in(c, '{names}', ','))"


def search_text(text: str) -> str:
    """The query's words only: the simple syntax's operators (+ | - " * ( )) in a user's query are taken as words."""
    return " ".join(_WORD.findall(text))


class AzureSearchIndex:
    def __init__(self, endpoint: str, index: str, key: str | None = None, **client_options) -> None:
        from azure.core.credentials import AzureKeyCredential, TokenCredential
        from azure.search.documents import SearchClient

        credential: AzureKeyCredential | TokenCredential
        if key:
            credential = AzureKeyCredential(key)
        else:  # the workload's managed identity (or workload identity federation) through azure-identity
            from azure.identity import DefaultAzureCredential
            credential = DefaultAzureCredential()
        self.client = SearchClient(endpoint, index, credential, **client_options)
        self.fields = field_names()

    def _call(self, action: str, function):
        from azure.core.exceptions import AzureError, HttpResponseError

        try:
            return function()
        except HttpResponseError as err:  # the status only: the message may quote the request
            raise Unavailable("search_unavailable", f"Azure AI Search refused to {action} (HTTP {err.status_code})"
                              ) from None
        except AzureError as err:
            raise Unavailable("search_unavailable", f"Azure AI Search could not be reached to {action} "
                                                    f"({type(err).__name__})") from None

    def indexed(self) -> dict[str, str]:
        held: dict[str, str] = {}
        while True:
            page = self._call("list documents", lambda: list(self.client.search(
                search_text="*", select=["id", "content_sha256"], order_by=["id asc"], top=SCAN_PAGE, skip=len(held))))
            held.update((d["id"], d["content_sha256"]) for d in page)
            if len(page) < SCAN_PAGE:
                return held

    def upsert(self, documents: Sequence[dict]) -> None:
        if documents:
            shaped = [{k: d.get(k) for k in self.fields} for d in documents]
            self._checked("index documents", self._call(
                "index documents", lambda: self.client.merge_or_upload_documents(documents=shaped)))

    def delete(self, document_ids: Sequence[str]) -> None:
        if document_ids:
            self._checked("delete documents", self._call(
                "delete documents", lambda: self.client.delete_documents(documents=[{"id": i} for i in document_ids])))

    @staticmethod
    def _checked(action: str, results) -> None:
        failed = [r for r in results if not r.succeeded]
        if failed:
            raise Internal("search_index_failed", f"Azure AI Search did not {action}: {len(failed)} failed "
                                                  f"(first: HTTP {failed[0].status_code})")

    def query(self, text: str, allowed_clients: Sequence[str], top: int, skip: int) -> list[dict]:
        words = search_text(text)
        if not words or not allowed_clients:
            return []
        found = self._call("search", lambda: list(self.client.search(
            search_text=words, search_mode="all", filter=security_filter(allowed_clients), top=top, skip=skip,
            select=[f for f in self.fields if f != "content_sha256"])))
        return [{**{k: d.get(k) for k in self.fields if k != "content_sha256"}, "score": d.get("@search.score") or 0.0}
                for d in found]

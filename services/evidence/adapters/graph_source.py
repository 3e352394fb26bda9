"""The OneDrive contract tree read through Microsoft Graph: delta queries, downloads by item id."""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import parse_qs, quote, unquote, urlsplit

import httpx
from azure.core.exceptions import AzureError
from msgraph import GraphServiceClient
from msgraph.generated.models.drive_item import DriveItem
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

from kernel.errors import Unavailable
from services.evidence.adapters.cursors import SqlCursorRepository
from services.evidence.adapters.folder_source import SUFFIXES
from services.evidence.adapters.graph_client import GraphConnection, GraphSession, open_session, redact_http_logs
from services.evidence.service_layer.ports import SourceDocument

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeltaBatch:
    documents: list[SourceDocument]
    cursor: str                          # the deltaLink's opaque token, stored once the batch is packetized


class ResyncRequired(Unavailable):
    """Graph no longer knows a stored delta token (410 Gone); unhandled, it is just unavailability."""

    def __init__(self) -> None:
        super().__init__("graph_unavailable", "Graph asked for a full resync of the delta query")


class GraphContractsSource:
    """Yields changed packet files (folder_source.SUFFIXES) named like the folder source's; deletions are ignored
    (packets are immutable). Download URLs and tokens stay inside: errors carry only a status and Graph's error code."""

    def __init__(self, conn: GraphConnection, cursors: SqlCursorRepository) -> None:
        self.conn, self.cursors = conn, cursors
        self.source_key = "graph:" + hashlib.sha256(f"{conn.drive_id}/{conn.root}".encode()).hexdigest()[:24]
        self._session: GraphSession | None = None
        redact_http_logs()

    async def fetch(self) -> DeltaBatch:
        """Every document changed since the stored cursor (all of them on the first sync)."""
        self._session = open_session(self.conn)
        try:
            return await self._fetch()
        finally:
            await self._session.close()

    def commit(self, batch: DeltaBatch) -> None:
        self.cursors.put(self.source_key, batch.cursor)

    async def _fetch(self) -> DeltaBatch:
        drive = lambda g: g.drives.by_drive_id(self.conn.drive_id)  # noqa: E731
        root = await self._call("root folder lookup", lambda g: drive(g).items.by_drive_item_id("root").with_url(
            f"{g.request_adapter.base_url}/drives/{self.conn.drive_id}/root:/{quote(self.conn.root.strip('/'))}").get())
        folder = lambda g: drive(g).items.by_drive_item_id(root.id)  # noqa: E731
        token = self.cursors.get(self.source_key)
        try:
            page = await self._call("delta", lambda g: folder(g).delta_with_token(token).get() if token
                                    else folder(g).delta.get())
        except ResyncRequired:
            # Graph forgot the cursor (410): enumerate everything again; unchanged documents dedupe by content hash.
            log.info("graph delta cursor expired; reading the whole tree")
            token = None
            page = await self._call("delta", lambda g: folder(g).delta.get())
        changed: dict[str, DriveItem] = {}
        while True:
            changed.update((item.id, item) for item in page.value or [])  # an item may recur; the last one wins
            if not page.odata_next_link:
                break
            next_link = page.odata_next_link
            page = await self._call("delta", lambda g: folder(g).delta.with_url(next_link).get())
        if not page.odata_delta_link:
            raise Unavailable("graph_unavailable", "Graph ended a delta query without a delta link")
        paths = {root.id: self.conn.root.strip("/")}
        documents = []
        for item in changed.values():
            if item.file is None or item.deleted is not None or not (item.name or "").endswith(SUFFIXES):
                continue
            parent = await self._folder_path(item.parent_reference.id, changed, paths)
            data = await self._call("download", lambda g: drive(g).items.by_drive_item_id(item.id).content.get())
            documents.append(SourceDocument(f"{parent}/{item.name}", data or b""))
        log.info("graph delta read", extra={"changed_items": len(changed), "documents": len(documents),
                                            "incremental": token is not None})
        return DeltaBatch(sorted(documents, key=lambda d: d.name), delta_token(page.odata_delta_link))

    async def _folder_path(self, folder_id: str, changed: dict[str, DriveItem], paths: dict[str, str]) -> str:
        """Delta items carry no parentReference.path; walk the folders of this batch, else ask Graph for the folder."""
        if folder_id not in paths:
            folder = changed.get(folder_id)
            if folder is not None and folder.parent_reference and folder.parent_reference.id:
                paths[folder_id] = f"{await self._folder_path(folder.parent_reference.id, changed, paths)}/{folder.name}"
            else:
                folder = await self._call("folder lookup", lambda g: g.drives.by_drive_id(self.conn.drive_id)
                                          .items.by_drive_item_id(folder_id).get())
                paths[folder_id] = f"{drive_relative(folder.parent_reference.path)}/{folder.name}".lstrip("/")
        return paths[folder_id]

    async def _call(self, what: str, request: Callable[[GraphServiceClient], Awaitable[T]]) -> T:
        """One Graph request; throttling is retried by the SDK's middleware, an expired token here (once)."""
        for attempt in (1, 2):
            try:
                return await request(self._session.graph)
            except ODataError as err:
                code = err.error.code if err.error else None
                if attempt == 1 and err.response_status_code == 401 and code == "InvalidAuthenticationToken":
                    # The credential caches its token until *it* thinks the token expired; Graph may disagree
                    # (revocation, clock skew). A fresh credential has an empty cache and requests a new token.
                    log.info("graph token rejected; authenticating again", extra={"graph_request": what})
                    await self._session.close()
                    self._session = open_session(self.conn)
                    continue
                if err.response_status_code == 410 and what == "delta":
                    raise ResyncRequired() from None
                raise Unavailable("graph_unavailable", f"Graph answered {err.response_status_code} ({code}) to {what}") from None
            except (httpx.HTTPError, AzureError) as exc:
                raise Unavailable("graph_unavailable", f"Graph did not answer {what} ({exc.__class__.__name__})") from None
        raise AssertionError("unreachable")


def drive_relative(path: str | None) -> str:
    """`/drives/<id>/root:/Clients/C001` → `Clients/C001`."""
    return unquote((path or "").partition("root:")[2]).strip("/")


def delta_token(delta_link: str) -> str:
    """The opaque token of a deltaLink (`…/delta?token=X` or `…/delta(token='X')`); the URL itself is not kept."""
    parts = urlsplit(delta_link)
    if token := parse_qs(parts.query).get("token"):
        return token[0]
    marker = "delta(token='"
    if marker in parts.path:
        return unquote(parts.path.split(marker, 1)[1].split("'", 1)[0])
    raise Unavailable("graph_unavailable", "Graph answered a delta link without a token")

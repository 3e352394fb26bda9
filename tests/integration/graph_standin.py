"""A local HTTPS stand-in for Microsoft Graph and its token endpoint, answering Graph's real JSON shapes."""
from __future__ import annotations

from pathlib import Path

import pytest
import trustme

from services.evidence.bootstrap import DEMO_CONTRACTS
from tests.integration.graph_standin_routes import (  # noqa: F401
    CLIENT_ID,
    CLIENT_SECRET,
    DOWNLOAD_PATH,
    DRIVE_ID,
    TENANT_ID,
    StandInHandler,
    item_id,
)
from tests.integration.https_standin import HttpsStandIn

PAGE_SIZE = 10


@pytest.fixture
def graph_standin(tmp_path):
    """The demo OneDrive tree served over HTTPS by a certificate only `standin.ca_file` vouches for."""
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "graph-ca.pem"))
    with GraphStandIn(DEMO_CONTRACTS, ca) as standin:
        standin.ca_file = str(tmp_path / "graph-ca.pem")
        yield standin


class GraphStandIn(HttpsStandIn):
    """The drive holds the tree under `folder`; `change`/`delete` bump a sequence that delta tokens remember."""

    def __init__(self, folder: Path, ca: trustme.CA) -> None:
        super().__init__(ca, StandInHandler)
        self.seq, self.items = 0, {}         # id → {"path", "folder", "data", "seq", "deleted"}
        self.requests: list[tuple[str, int]] = []  # (route, status) in arrival order
        self.tokens: list[str] = []
        self.revoked: set[str] = set()
        self.faults: dict[str, list[int]] = {}
        self.download_tokens: set[str] = set()
        self.cursors_expired = False         # Graph forgets delta tokens after a while: 410 resyncRequired
        for path in sorted(folder.rglob("*")):
            self._put(path.relative_to(folder).as_posix(), None if path.is_dir() else path.read_bytes())
        self.base = f"https://127.0.0.1:{self.port}"
        self.graph_url = f"{self.base}/v1.0"

    # --- what a test does to the drive and to the next requests --------------------------------------------
    def _put(self, path: str, data: bytes | None, deleted: bool = False) -> None:
        self.seq += 1
        self.items[item_id(path)] = {"path": path, "folder": data is None, "data": data, "seq": self.seq, "deleted": deleted}

    def change(self, path: str, data: bytes) -> None:
        with self.lock:
            self._put(path, data)

    def delete(self, path: str) -> None:
        with self.lock:
            self._put(path, b"", deleted=True)

    def fail_once(self, route: str, status: int) -> None:
        """The next request of `route` answers `status` (429: throttled; 401: the token in use has expired)."""
        self.faults.setdefault(route, []).append(status)

    def routes(self, route: str) -> list[int]:
        return [status for r, status in self.requests if r == route]

    # --- Graph's JSON shapes ---------------------------------------------------------------------------------
    def drive_item(self, iid: str, with_path: bool) -> dict:
        item = self.items[iid]
        parent = item["path"].rpartition("/")[0]
        body = {"id": iid, "parentReference": {"driveId": DRIVE_ID, "driveType": "business",
                                               "id": item_id(parent) if parent else "root-of-drive"}}
        if item["deleted"]:
            return {**body, "deleted": {"state": "deleted"}}
        if with_path:  # delta answers omit parentReference.path, as Graph does
            body["parentReference"]["path"] = f"/drives/{DRIVE_ID}/root:/{parent}".rstrip("/")
        body.update(name=item["path"].rpartition("/")[2], eTag=f'"{{{iid}}},{item["seq"]}"',
                    lastModifiedDateTime="2026-01-05T10:00:00Z")
        if item["folder"]:
            children = sum(1 for i in self.items.values() if i["path"].startswith(item["path"] + "/"))
            return {**body, "folder": {"childCount": children}}
        return {**body, "size": len(item["data"]), "file": {"mimeType": "application/json",
                                                            "hashes": {"quickXorHash": "AAAAAAAAAAAAAAAAAAAAAAAAAAA="}}}

    def delta(self, scope_id: str, token: str | None) -> dict:
        since, offset = 0, 0
        if token and token.startswith("page."):
            since, offset = map(int, token.split(".")[1:])
        elif token:
            since = int(token.removeprefix("latest."))
        scope = self.items[scope_id]["path"]
        changed = [iid for iid, i in sorted(self.items.items(), key=lambda kv: kv[1]["seq"])
                   if i["seq"] > since and (i["path"] == scope or i["path"].startswith(scope + "/"))]
        link = f"{self.graph_url}/drives/{DRIVE_ID}/items/{scope_id}/delta?token="
        page = {"@odata.context": f"{self.graph_url}/$metadata#Collection(driveItem)",
                "value": [self.drive_item(iid, with_path=False) for iid in changed[offset:offset + PAGE_SIZE]]}
        if offset + PAGE_SIZE < len(changed):
            return {**page, "@odata.nextLink": f"{link}page.{since}.{offset + PAGE_SIZE}"}
        return {**page, "@odata.deltaLink": f"{link}latest.{self.seq}"}

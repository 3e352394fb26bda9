"""Shared by the ITR mirror tests: a synthetic export on disk, a migrated mirror, and a digest of everything in it."""
from __future__ import annotations

import contextlib
import json
from pathlib import Path

from sqlalchemy import Engine, select

from demo.itr_export import build_export, write_export
from leaf.itr.v1 import itr_pb2_grpc
from services.itr.adapters import tables
from services.itr.adapters.export_source import ExportSource
from services.itr.adapters.mirror_store import SqlMirrorStore
from services.itr.bootstrap import ItrSettings, open_mirror
from services.itr.bootstrap import bootstrap as itr_bootstrap
from services.itr.service_layer.sync import SyncOptions, SyncSummary, sync_requests

KEYS = {"requests": "request_id", "history": "history_id", "links": "link_id", "versions": "version_id",
        "notes": "note_id", "feed_items": "feed_item_id", "comments": "comment_id"}


def export_at(folder: Path, requests: int = 24, history: int | None = None) -> tuple[Path, dict[str, list[dict]]]:
    records = build_export(requests, history)
    return write_export(folder, records), records


def rewrite(folder: Path, records: dict[str, list[dict]]) -> None:
    write_export(folder, records)


def mirror_at(url: str) -> Engine:
    return open_mirror(url)


def sync(folder: Path, engine: Engine, overlap: float = 300) -> SyncSummary:
    return sync_requests(ExportSource(folder, "IT_Request__c"), SqlMirrorStore(engine), SyncOptions(overlap_seconds=overlap))


def digest(engine: Engine) -> dict:
    """Row counts and content hashes of every mirror table, the flags, the watermarks and the links' state."""
    with engine.connect() as db:
        out: dict = {}
        for stream, key in KEYS.items():
            table = tables.TABLE_OF[stream]
            out[stream] = sorted((r[0], r[1]) for r in db.execute(select(table.c[key], table.c.content_sha256)))
        out["flags"] = sorted(tuple(r) for r in db.execute(select(tables.quality_flags)))
        out["watermarks"] = sorted(tuple(r) for r in db.execute(select(tables.sync_state)))
        out["unresolved"] = sorted(r[0] for r in db.execute(select(tables.links.c.link_id).where(
            tables.links.c.resolved.is_(False))))
    return out


def zeros(summary: SyncSummary) -> bool:
    counts = summary.as_json()
    counts.pop("watermark")
    return set(counts.values()) == {0}


def dumps(summary: SyncSummary) -> str:
    return json.dumps(summary.as_json())


@contextlib.asynccontextmanager
async def with_itr(folder: Path, addresses: dict[str, str], **settings):
    """The itr service on port 0 over the demo-shaped export in `folder`; its address joins `addresses`."""
    from tests.integration.mesh_fixtures import channel_to, running

    export = write_export(folder / "itr_export", build_export())
    config = ItrSettings(LEAF_ITR_DB_URL=f"sqlite:///{folder / 'itr.sqlite'}", LEAF_ITR_EXPORT_DIR=str(export),
                         **settings)
    async with running(itr_bootstrap(config)) as address, channel_to(address) as channel:
        addresses["itr"] = address
        yield itr_pb2_grpc.ItrServiceStub(channel)

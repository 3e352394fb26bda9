"""The ingest use case with a shared lake (production: ADLS): the promoted silver is shared after it is published and
before curated names it; a failed share promotes nothing; a quarantined or unchanged load shares nothing."""
from __future__ import annotations

import pytest

from services.takeover.service_layer.ingest import ingest_export
from tests.unit.takeover.test_ingest import FakeBronze, FakeCurated, FakeExport, FakeLake, export_files


class RecordingShared:
    def __init__(self, events: list, fail: bool = False) -> None:
        self.events, self.fail = events, fail

    def share(self, objects) -> None:
        self.events.append(("share", dict(objects)))
        if self.fail:
            raise OSError("the shared lake is unreachable")


class OrderedCurated(FakeCurated):
    def __init__(self, events: list) -> None:
        super().__init__()
        self.events = events

    def promote(self, report, datasets):
        self.events.append(("promote", report.load_id))
        super().promote(report, datasets)


def _ingest(files, curated, shared):
    export = FakeExport(files)
    lake = FakeLake(export)
    report = ingest_export(export, FakeBronze(export), lake, curated, "operator:ops", lambda e, c: None,
                           now=lambda: "2026-12-05T00:00:00.000000Z", ingest_id="i1", shared=shared)
    return report, lake


def test_silver_is_shared_before_curated_names_it():
    events: list = []
    report, lake = _ingest(export_files(), OrderedCurated(events), RecordingShared(events))
    assert report.status == "promoted" and lake.published == ["LD-1"]
    assert events == [("share", {"silver/LD-1/ds1.parquet": "p" * 64}), ("promote", "LD-1")]


def test_a_failed_share_promotes_nothing():
    events: list = []
    curated = OrderedCurated(events)
    with pytest.raises(OSError):
        _ingest(export_files(), curated, RecordingShared(events, fail=True))
    assert curated.promoted == {} and curated.ledger == []
    assert [e[0] for e in events] == ["share"]


def test_quarantined_and_unchanged_loads_share_nothing():
    events: list = []
    curated = OrderedCurated(events)
    quarantined, _ = _ingest(export_files(rows=3), curated, RecordingShared(events))
    assert quarantined.status == "quarantined" and events == []
    _ingest(export_files(), curated, RecordingShared(events))
    events.clear()
    again, _ = _ingest(export_files(), curated, RecordingShared(events))
    assert again.status == "unchanged" and events == []

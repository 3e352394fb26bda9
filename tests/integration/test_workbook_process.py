"""The workbook written in the publisher's worker process, its Extract rows fed while the claims arrive, is the
workbook written in-process, byte for byte; a worker that dies, a publication that gives up, a second publication
at once and a run with more rows than the workbook carries each end as they should."""
from __future__ import annotations

import os
import signal
from dataclasses import replace

import pytest

from kernel.errors import Internal
from services.publisher.adapters.workbook.workbook import write_workbook
from services.publisher.adapters.workbook_process import WorkbookProcess
from services.publisher.domain.extract import cells_of, netted_claims
from services.publisher.domain.extract_plan import ExtractPlan
from services.publisher.domain.presentation_contract import ContractCheck
from services.publisher.domain.run_context import Names
from tests.publisher_fixtures import sample_context


def _no_claims():
    return iter(())


def _fed(workbooks: WorkbookProcess, context, path, plan: ExtractPlan) -> ContractCheck:
    """As the publisher does it: started without claims, each row's cells as calc's stream writes them, finished."""
    job = workbooks.start(replace(context, claims=_no_claims), path)
    assert job is not None
    for row in context.claims():
        job(cells_of(row))
    return job.finish(replace(context, claims=_no_claims), plan)


@pytest.fixture
def workbooks():
    process = WorkbookProcess()
    yield process
    process._stop()


def test_rows_fed_to_the_worker_give_the_bytes_written_here(tmp_path, workbooks):
    context = sample_context()
    rows = sum(1 for _ in context.claims())
    assert rows == netted_claims(context.result) and rows > 2_000  # more than one batch of rows
    plan = ExtractPlan(rows, 100_000, ("extract.csv", "extract.parquet"))
    here, there = tmp_path / "here.xlsx", tmp_path / "there.xlsx"
    check_here = ContractCheck()
    write_workbook(context, here, extract=plan, check=check_here)
    check_there = _fed(workbooks, context, there, plan)
    assert here.read_bytes() == there.read_bytes()
    assert check_there.violations == check_here.violations == []


def test_more_rows_than_the_workbook_carries_give_the_note_written_here(tmp_path, workbooks):
    context = sample_context()
    rows = sum(1 for _ in context.claims())
    plan = ExtractPlan(rows, rows - 1, ("extract.csv", "extract.parquet"))  # the result counted fewer than came
    here, there = tmp_path / "here.xlsx", tmp_path / "there.xlsx"
    write_workbook(context, here, extract=plan)
    _fed(workbooks, context, there, plan)
    assert here.read_bytes() == there.read_bytes()


def test_what_the_contract_finds_in_the_worker_is_reported_back(tmp_path, workbooks):
    leaky = replace(sample_context(), names=Names(client="Acme M12345678"))
    plan = ExtractPlan(sum(1 for _ in leaky.claims()), 100_000)
    found = _fed(workbooks, leaky, tmp_path / "leaky.xlsx", plan)
    assert found.violations and all(v.artifact == "report.xlsx" for v in found.violations)
    mine = ContractCheck()
    mine.absorb(found)
    assert mine.violations == found.violations and mine.found == found.found


def test_one_publication_at_a_time_and_a_given_up_one_frees_the_worker(tmp_path, workbooks):
    context = replace(sample_context(), claims=_no_claims)
    first = workbooks.start(context, tmp_path / "first.xlsx")
    assert first is not None
    assert workbooks.start(context, tmp_path / "second.xlsx") is None  # busy: that publication writes in-process
    first.close()  # the publication failed before its workbook was finished
    assert not (tmp_path / "first.xlsx").exists()
    again = workbooks.start(context, tmp_path / "again.xlsx")
    assert again is not None
    again.finish(context, ExtractPlan(0, 100_000))
    assert (tmp_path / "again.xlsx").stat().st_size > 0


def test_a_worker_that_dies_fails_the_workbook_and_the_next_one_starts_afresh(tmp_path, workbooks):
    full = sample_context()
    context = replace(full, claims=_no_claims)
    job = workbooks.start(context, tmp_path / "killed.xlsx")
    assert job is not None
    os.kill(workbooks._process.pid, signal.SIGKILL)
    for row in full.claims():
        job(cells_of(row))
    with pytest.raises(Internal) as refused:
        job.finish(context, ExtractPlan(sum(1 for _ in full.claims()), 100_000))
    assert refused.value.code == "workbook_failed" and not (tmp_path / "killed.xlsx").exists()
    plan = ExtractPlan(sum(1 for _ in full.claims()), 100_000)
    _fed(workbooks, full, tmp_path / "after.xlsx", plan)
    write_workbook(full, tmp_path / "here.xlsx", extract=plan)
    assert (tmp_path / "after.xlsx").read_bytes() == (tmp_path / "here.xlsx").read_bytes()

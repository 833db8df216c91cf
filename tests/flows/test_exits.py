"""What the command's exit status means (flows/exits.py), checked on real exceptions and runs."""

from __future__ import annotations

import importlib

import pytest

from cityradar.items import CrawlReport
from flows import exits
from flows.ingest import Busy, Deferral, IngestSummary


@pytest.mark.parametrize("name", [*exits.CONFIG_ERRORS, *exits.LOAD_ERRORS, *exits.FAILURES])
def test_every_expected_failure_names_a_real_exception_class(name):
    module, _, qualname = name.rpartition(".")
    found = getattr(importlib.import_module(module), qualname)
    assert isinstance(found, type)
    assert issubclass(found, BaseException)
    assert f"{found.__module__}.{found.__qualname__}" == name


def test_configuration_exits_2_and_says_the_message():
    from cityradar.registry import RegistryError
    from digest.recipients import RecipientsError

    assert exits.expected(RegistryError("sources.yaml: entry 1, field 'url'")) == (
        exits.CONFIG,
        "sources.yaml: entry 1, field 'url'",
    )
    assert exits.expected(RecipientsError("recipient 2"))[0] == exits.CONFIG


def test_a_warehouse_that_would_not_take_the_batch_means_nothing_came_in_only_when_loading():
    from flows.slots import LoadSlotTaken
    from warehouse.db import WarehouseLocked

    locked = WarehouseLocked("w.duckdb is in use by another process")
    assert exits.expected(locked, loading=True) == (exits.NOTHING_IN, str(locked))
    assert exits.expected(locked) == (exits.FAILED, str(locked))  # search, export, label
    assert exits.expected(LoadSlotTaken("another run"), loading=True)[0] == exits.NOTHING_IN


def test_other_expected_failures_exit_1_with_their_words():
    from flows.weekly_digest import DigestNotDelivered

    assert exits.expected(DigestNotDelivered("1 digest(s) not delivered")) == (
        exits.FAILED,
        "1 digest(s) not delivered",
    )
    assert exits.expected(FileNotFoundError("no warehouse at x")) == (
        exits.FAILED,
        "no warehouse at x",
    )
    refused = ConnectionRefusedError(111, "Connection refused")
    assert exits.expected(refused) == (
        exits.FAILED,
        "ConnectionRefusedError: [Errno 111] Connection refused",
    )


def test_an_unreachable_prefect_server_says_what_to_do():
    down = RuntimeError("Failed to reach API at http://127.0.0.1:9/api/")
    assert exits.expected(down) == (
        exits.FAILED,
        "Failed to reach API at http://127.0.0.1:9/api/: start that Prefect server, "
        "or unset PREFECT_API_URL to run without one",
    )


def test_a_bug_is_not_an_expected_failure():
    assert exits.expected(KeyError("items")) is None
    assert exits.expected(AttributeError("'NoneType' object has no attribute 'id'")) is None


def report(source_id: str, status: str) -> CrawlReport:
    return CrawlReport(
        source_id=source_id,
        batch_id="b",
        started_at="2026-12-07T00:00:00+00:00",
        finished_at="2026-12-07T00:00:01+00:00",
        status=status,
    )


def deferral(source_id: str) -> Deferral:
    from datetime import UTC, datetime

    return Deferral(source_id, 2, datetime(2026, 12, 7, tzinfo=UTC))


def test_a_run_where_some_sources_failed_did_its_job():
    summary = IngestSummary(db_path="w.duckdb")
    summary.reports = [report("a", "failed"), report("b", "unchanged"), report("c", "failed")]
    assert exits.ingest_status(summary) == exits.OK


def test_a_crawl_worker_that_could_not_publish_its_batch_failed():
    summary = IngestSummary(db_path="w.duckdb")
    summary.reports = [report("a", "ok")]
    summary.staging_problems = ["could not publish batch x to s3://b/s: Access Denied"]
    assert exits.ingest_status(summary) == exits.FAILED


def test_a_run_that_lost_a_source_lease_failed():
    """Another machine took a source's lease after this run could not renew it: the source
    may have been crawled twice, which the operator hears of."""
    summary = IngestSummary(db_path="w.duckdb")
    summary.reports = [report("a", "ok")]
    summary.lease_problems = [
        "the lease on source-a ended and is now held by process 42 on crawl-b; "
        "it may be crawled twice"
    ]
    assert exits.ingest_status(summary) == exits.FAILED
    assert summary.store_problems == summary.lease_problems


def test_a_run_where_every_crawled_source_failed_got_nothing_in():
    summary = IngestSummary(db_path="w.duckdb")
    summary.reports = [report("a", "failed"), report("b", "failed")]
    summary.deferred = [deferral("c")]
    assert exits.ingest_status(summary) == exits.NOTHING_IN


def test_a_run_with_every_source_backing_off_got_nothing_in():
    summary = IngestSummary(db_path="w.duckdb", deferred=[deferral("a"), deferral("b")])
    assert exits.ingest_status(summary) == exits.NOTHING_IN


def test_a_run_whose_sources_another_run_is_crawling_is_no_failure():
    summary = IngestSummary(db_path="w.duckdb", deferred=[deferral("a")])
    summary.busy = [Busy("b", "pid 42")]
    assert exits.ingest_status(summary) == exits.OK
    assert exits.ingest_status(IngestSummary(db_path="w.duckdb")) == exits.OK  # nothing enabled

"""Shared fixtures: paths, one Prefect test harness per session, a real SMTP server, factories."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

# before Prefect is imported anywhere: no telemetry calls out of the sandbox
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# a crawl that failed for a passing reason is tried again after a minute in production; tests of
# failing sources should not wait that minute (tests/flows/test_orchestration.py checks the delay)
os.environ.setdefault("CITYRADAR_CRAWL_RETRY_DELAY", "0.2")

from cityradar.items import RawItem
from cityradar.registry import Source

FIXTURES = Path(__file__).parent / "fixtures"
REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"


FLOW_TESTS = Path(__file__).parent / "flows"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests/flows as slow: they run real flows against a Prefect server, start commands
    as subprocesses and kill them mid-run (`make test-fast` leaves them out)."""
    for item in items:
        if FLOW_TESTS in Path(item.path).parents:
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def realdata() -> Path:
    """../shared/realdata, or skip the test when it is not beside the checkout."""
    if not REALDATA.is_dir():
        pytest.skip("../shared/realdata is not available")
    return REALDATA


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect server for every flow test (starting one costs ~10 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Recorder:
    """aiosmtpd handler keeping every envelope it receives."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[SimpleNamespace]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that records what it receives."""
    from aiosmtpd.controller import Controller

    recorder = _Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SimpleNamespace(host="127.0.0.1", port=controller.port, envelopes=recorder.envelopes)
    finally:
        controller.stop()


def make_source(**fields: Any) -> Source:
    """A valid registry entry, with any field overridden."""
    entry: dict[str, Any] = {
        "id": "test_feed",
        "name": "Test feed",
        "kind": "feed",
        "url": "https://news.example.kr/rss.xml",
        "language": "ko",
        "country": "KR",
        "org_type": "news",
        "timezone": "Asia/Seoul",
    }
    entry.update(fields)
    return Source.model_validate(entry)


def make_raw(**fields: Any) -> RawItem:
    """A raw item as a crawl would write it, with any field overridden."""
    item = RawItem(
        source_id="test_feed",
        batch_id="20261120T000000Z-000000",
        seq=0,
        listing_url="https://news.example.kr/rss.xml",
        fetched_at="2026-11-20T03:00:00+00:00",
        link="https://news.example.kr/view/1",
        guid="g-1",
        title="서울시, 자율주행 버스 확대",
        summary_html="<p>서울시가 자율주행 버스를 늘린다.</p>",
        published_raw="2026-11-20 09:00:00",
    )
    for key, value in fields.items():
        setattr(item, key, value)
    return item

"""Shared fixtures and hooks: one Prefect test harness per session, a real SMTP server, the slow
marker. Builders that test modules import live in tests/helpers/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

# before Prefect is imported anywhere: no telemetry calls out of the sandbox
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# a crawl that failed for a passing reason is tried again after a minute in production; tests of
# failing sources should not wait that minute (tests/flows/test_orchestration.py checks the delay)
os.environ.setdefault("CITYRADAR_CRAWL_RETRY_DELAY", "0.2")

from tests.helpers.network import free_port
from tests.helpers.smtp import Recorder

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"


FLOW_TESTS = Path(__file__).parent / "flows"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests/flows as slow: they run real flows against a Prefect server, start commands
    as subprocesses and kill them mid-run (`make test-fast` leaves them out). System tests
    elsewhere, those that start another process, carry the marker themselves."""
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


@pytest.fixture
def smtp_server() -> Iterator[SimpleNamespace]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that records what it receives."""
    from aiosmtpd.controller import Controller

    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SimpleNamespace(host="127.0.0.1", port=controller.port, envelopes=recorder.envelopes)
    finally:
        controller.stop()

"""SIGKILL in each stage — crawl, transform, load, send — then run again: nothing lost, nothing
twice, no second email.

Each run is the real `cityradar` command in its own process group, killed as a crashing machine
would kill it (every process at once, no clean-up); the stage is read from what the run leaves
on disk, in the warehouse or at the mail server, and checked before the next run starts.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import pytest
import yaml
from aiosmtpd.controller import Controller

from cityradar.demo.server import SiteServer
from cityradar.demo.sites import bundled_sites
from cityradar.staging import pending_batches
from tests.helpers.network import free_port
from tests.helpers.warehouses import hold
from warehouse.db import connect

SITES = ("seoul-news", "korea-daily", "molit-demo")
CLI = str(Path(sys.executable).with_name("cityradar"))


@dataclass
class Place:
    """One crash test's sites, data folder and command environment."""

    data_dir: Path
    db: Path
    sources: Path
    env: dict[str, str]
    stories: int  # distinct stories the sites hold


@pytest.fixture
def place(prefect_harness, tmp_path) -> Iterator[Place]:
    from prefect.settings import PREFECT_API_URL

    sites = [s for s in bundled_sites(datetime.now(UTC)) if s.slug in SITES]
    with SiteServer(sites, delay=0.25) as server:  # slow pages: a crawl lasts seconds
        sources = tmp_path / "sources.yaml"
        entries = [site.source_entry(server.base_url) for site in sites]
        sources.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("CITYRADAR_")}
        env |= {
            "CITYRADAR_DATA_DIR": str(tmp_path / "data"),
            "CITYRADAR_DB": str(tmp_path / "data" / "w.duckdb"),
            "CITYRADAR_SOURCES": str(sources),
            "CITYRADAR_CRAWL_DELAY": "0",
            "CITYRADAR_CRAWL_RETRIES": "0",
            "CITYRADAR_DB_LOCK_TIMEOUT": "120",
            "PREFECT_API_URL": str(PREFECT_API_URL.value()),  # the session's server: no start-up
        }
        yield Place(
            tmp_path / "data",
            tmp_path / "data" / "w.duckdb",
            sources,
            env,
            sum(len(site.articles) for site in sites),
        )


def start(
    place: Place | None, *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """`cityradar ARGS` in a process group of its own (with ``env``, or the place's)."""
    return subprocess.Popen(
        [CLI, *args],
        env=env or place.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def kill_when(
    process: subprocess.Popen[str], ready: Callable[[], bool], timeout: float = 120
) -> None:
    """SIGKILL the whole process group the moment ``ready()`` holds."""
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None:
            raise AssertionError(f"the run ended before the stage:\n{process.stdout.read()}")
        if time.monotonic() > deadline:
            raise AssertionError("the stage never came")
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)
    _wait_for_group_to_die(process.pid)


def _wait_for_group_to_die(group: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError("processes of the killed run survived")


def kill_while_loading(db: Path, args: list[str], env: dict[str, str]) -> None:
    """Run `cityradar ARGS` against an empty warehouse another process holds, and SIGKILL it
    while its load waits for the file (inside the load task)."""
    with connect(db):
        pass
    holder = hold(db, 300)
    try:
        run = start(None, *args, env=env)
        seen: list[str] = []
        reader = threading.Thread(target=lambda: seen.extend(run.stdout), daemon=True)
        reader.start()
        kill_when(run, lambda: any("is in use by process" in line for line in seen))
    finally:
        holder.kill()
        holder.wait()


def finish(place: Place | None, *args: str, env: dict[str, str] | None = None) -> str:
    """Run `cityradar ARGS` to the end (with ``env``, or the place's); its output."""
    done = subprocess.run(
        [CLI, *args], env=env or place.env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def rows(place: Place, sql: str) -> list[tuple]:
    with duckdb.connect(str(place.db), read_only=True) as con:
        return con.execute(sql).fetchall()


def staged(place: Place) -> list:
    return pending_batches(place.data_dir / "staging")


def some_items_staged(place: Place) -> bool:
    return any(
        path.stat().st_size > 0
        for batch in staged(place)
        for path in (batch.path / "items").glob("*.jsonl")
    )


def assert_every_story_once(place: Place) -> None:
    assert rows(place, "select count(*), count(distinct url) from items") == [
        (place.stories, place.stories)
    ]
    assert rows(place, "select count(*) from core.item_keys group by key having count(*) > 1") == []
    assert staged(place) == []  # every batch loaded, none left behind


# --- ingest ----------------------------------------------------------------------------------


def test_killed_while_crawling(place):
    run = start(place, "ingest")
    kill_when(run, lambda: some_items_staged(place))
    (left,) = staged(place)
    assert not left.is_crawled()  # it died mid-crawl
    output = finish(place, "ingest")
    assert f"Loaded batch {left.batch_id} left by an earlier run" in output
    assert_every_story_once(place)


def test_killed_while_transforming(place):
    run = start(place, "ingest")
    kill_when(run, lambda: any(b.is_crawled() for b in staged(place)))
    (left,) = staged(place)  # crawled, not loaded
    assert not place.db.exists() or rows(place, "select count(*) from items") == [(0,)]
    output = finish(place, "ingest")
    assert (
        f"Loaded batch {left.batch_id} left by an earlier run: {place.stories} new items" in output
    )
    assert_every_story_once(place)


def test_killed_while_loading(place):
    kill_while_loading(place.db, ["ingest"], place.env)
    (left,) = staged(place)
    assert left.is_crawled()
    assert rows(place, "select count(*) from items") == [(0,)]
    finish(place, "ingest")
    assert_every_story_once(place)


# --- send ------------------------------------------------------------------------------------


class SlowInbox:
    """An SMTP server that holds its answer at one step: RCPT (before the message is sent) or
    DATA (after the whole message arrived), as a slow or overloaded relay does."""

    def __init__(self, stall_at: str | None) -> None:
        self.stall_at = stall_at
        self.envelopes: list[Any] = []
        self.reached = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, options):
        envelope.rcpt_tos.append(address)
        if self.stall_at == "rcpt":
            self.reached.set()
            await asyncio.sleep(60)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        if self.stall_at == "data":
            self.reached.set()
            await asyncio.sleep(60)
        return "250 OK"


@pytest.fixture
def mail_env(ingested) -> SimpleNamespace:
    """The week to send, and a warehouse that holds its stories."""
    return SimpleNamespace(week=str(ingested.week), source_db=ingested.db_path)


@contextmanager
def inbox_stalling_at(
    place: Place, mail_env: SimpleNamespace, stall_at: str
) -> Iterator[tuple[SlowInbox, dict[str, str]]]:
    """A slow SMTP server on loopback, and the command environment that mails staff through it
    from a copy of the week's warehouse."""
    inbox = SlowInbox(stall_at)
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    place.db.parent.mkdir(parents=True, exist_ok=True)
    place.db.write_bytes(mail_env.source_db.read_bytes())
    env = place.env | {
        "CITYRADAR_SMTP_HOST": "127.0.0.1",
        "CITYRADAR_SMTP_PORT": str(controller.port),
        "CITYRADAR_SMTP_TIMEOUT": "120",
        "CITYRADAR_DIGEST_TO": "staff@cityradar.example",
    }
    try:
        yield inbox, env
    finally:
        controller.stop()


def send_killed_at_the_stall(place: Place, week: str, inbox: SlowInbox, env: dict[str, str]):
    """`cityradar digest --send`, SIGKILLed while the server holds its answer."""
    kill_when(start(place, "digest", "--week", week, "--send", env=env), inbox.reached.is_set)


def send(place: Place, week: str, env: dict[str, str]) -> str:
    """`cityradar digest --send` to the end; its output."""
    return finish(place, "digest", "--week", week, "--send", env=env)


def _delivery(place: Place) -> tuple:
    ((status, error),) = rows(
        place,
        "select status, error from digest_deliveries where recipient = 'staff@cityradar.example'",
    )
    return status, error


def test_killed_before_the_server_had_the_message_the_next_run_sends_it_once(place, mail_env):
    with inbox_stalling_at(place, mail_env, "rcpt") as (inbox, env):
        send_killed_at_the_stall(place, mail_env.week, inbox, env)
        assert inbox.envelopes == []
        assert _delivery(place)[0] == "pending"
        inbox.stall_at = None
        output = send(place, mail_env.week, env)
    assert "staff@cityradar.example: sent" in output
    assert len(inbox.envelopes) == 1
    assert _delivery(place)[0] == "sent"


def test_killed_while_the_server_received_the_message_no_second_mail(place, mail_env):
    with inbox_stalling_at(place, mail_env, "data") as (inbox, env):
        send_killed_at_the_stall(place, mail_env.week, inbox, env)
        assert len(inbox.envelopes) == 1  # the server has it; the run never heard so
        assert _delivery(place)[0] == "sending"
        inbox.stall_at = None
        output = send(place, mail_env.week, env)
        again = send(place, mail_env.week, env)
    assert len(inbox.envelopes) == 1  # never a second mail
    status, error = _delivery(place)
    assert status == "unconfirmed"
    assert "it may have been delivered" in error
    assert "staff@cityradar.example: unconfirmed" in output
    assert "staff@cityradar.example: unconfirmed" in again

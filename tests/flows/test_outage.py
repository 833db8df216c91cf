"""A local outage is not the sources' fault: when every source of a run fails to connect, the run
says the network looks down and no source is put into back-off for it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
import yaml
from typer.testing import CliRunner

from cityradar.demo.server import SiteServer
from cityradar.demo.sites import bundled_sites
from cityradar.registry import Source
from flows.artifacts import ingest_description
from flows.cli import app
from tests.helpers.factories import make_source
from tests.helpers.network import free_port
from warehouse.db import connect
from warehouse.state import run_history


def write_registry(path: Path, sources: list[Source]) -> Path:
    path.write_text(
        yaml.safe_dump(
            [s.model_dump(mode="json", exclude_defaults=True) for s in sources], allow_unicode=True
        ),
        encoding="utf-8",
    )
    return path


def cut_off_sources() -> list[Source]:
    """Sources this machine cannot reach: two names that never resolve, one closed port."""
    return [
        make_source(id="seoul_gone", url="http://news.seoul.cityradar.invalid/rss.xml"),
        make_source(id="busan_gone", url="http://www.busan.cityradar.invalid/rss.xml"),
        make_source(id="local_closed", url=f"http://127.0.0.1:{free_port()}/rss.xml"),
    ]


def due_now(db: Path, sources: list[Source]) -> tuple[list[str], list[str]]:
    """(due, backing off) source ids, as the next ingest would decide them."""
    from flows.ingest import _due

    with connect(db, read_only=True) as con:
        history = run_history(con)
    due, deferred = _due(sources, history, ignore_backoff=False)
    return [s.id for s in due], [d.source_id for d in deferred]


def health(db: Path) -> dict[str, tuple[object, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select source_id, health, consecutive_failures, network_down_at is not null, problem"
            " from source_health"
        ).fetchall()
    return {row[0]: row[1:] for row in rows}


@pytest.fixture
def no_crawl_retries(monkeypatch):
    # a refused connection is tried again in the run; this test needs each failure only once
    monkeypatch.setenv("CITYRADAR_CRAWL_RETRIES", "0")


def test_an_offline_run_twice_leaves_every_source_due(
    prefect_harness, no_crawl_retries, tmp_path, monkeypatch
):
    from flows.ingest import ingest

    sources = cut_off_sources()
    registry = write_registry(tmp_path / "sources.yaml", sources)
    db = tmp_path / "w.duckdb"

    first = ingest(sources_path=registry, db_path=db, data_dir=tmp_path, crawl_delay=0.0)
    assert {r.source_id: r.network_failure for r in first.reports} == {
        "seoul_gone": "dns",
        "busan_gone": "dns",
        "local_closed": "refused",
    }
    assert first.outage is not None
    assert first.outage.message.startswith(
        "the network looks down: all 3 sources on 3 hosts failed to connect "
        "(DNS lookup failed for 2, connection refused for 1)"
    )

    assert first.outage.message in ingest_description(first)  # the run's table in Prefect's UI

    # the second run, from the command line, says so in one plain line
    monkeypatch.setenv("CITYRADAR_DATA_DIR", str(tmp_path))
    second = CliRunner().invoke(
        app, ["ingest", "--sources", str(registry), "--db", str(db)], catch_exceptions=False
    )
    assert "3 sources: failed 3" in second.stdout
    assert "warning: the network looks down: all 3 sources on 3 hosts" in second.stderr
    assert "Not counted against the sources" in second.stderr
    assert "warning: every source failed" not in second.stderr
    assert "Backing off" not in second.stdout

    # two runs recorded, neither counted: the next run tries every source again
    with duckdb.connect(str(db), read_only=True) as con:
        runs = con.execute(
            "select count(distinct batch_id), count(*), bool_and(network_down) from source_runs"
        ).fetchone()
    assert runs == (2, 6, True)
    assert due_now(db, sources) == (["seoul_gone", "busan_gone", "local_closed"], [])
    for source_id, (state, failures, cut_off, problem) in health(db).items():
        assert (state, failures, cut_off) == ("never_run", 0, True), source_id
        assert "the network was down (not counted)" in problem


def test_one_source_failing_to_connect_while_others_work_still_backs_off(
    prefect_harness, no_crawl_retries, tmp_path
):
    from flows.ingest import ingest

    sites = [s for s in bundled_sites(datetime.now(UTC)) if s.slug == "seoul-news"]
    with SiteServer(sites) as server:
        sources = [
            Source.model_validate(sites[0].source_entry(server.base_url)),
            cut_off_sources()[0],
        ]
        registry = write_registry(tmp_path / "sources.yaml", sources)
        db = tmp_path / "w.duckdb"
        runs = [
            ingest(sources_path=registry, db_path=db, data_dir=tmp_path, crawl_delay=0.0)
            for _ in range(2)
        ]

    assert [run.outage for run in runs] == [None, None]
    assert [r.status for r in runs[0].reports if r.source_id == "seoul_gone"] == ["failed"]
    state, failures, cut_off, problem = health(db)["seoul_gone"]
    assert (state, failures, cut_off) == ("failing", 2, False)
    assert problem.startswith("DNS lookup failed for news.seoul.cityradar.invalid")
    # two failures of its own: it waits, while the working source stays due
    assert due_now(db, sources) == (["seoul_news"], ["seoul_gone"])

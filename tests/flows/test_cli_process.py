"""The `cityradar` command as the operator runs it: a process of its own, no Prefect server.

Exit statuses (flows/exits.py), one plain line per failure with the detail in the run's log
file, and commands that need no orchestration never importing Prefect.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from cityradar.demo.server import SiteServer
from cityradar.demo.sites import bundled_sites
from tests.helpers.batches import load_raws
from tests.helpers.network import free_port
from tests.helpers.stories import SEARCH_STORIES
from warehouse.db import connect

REPO = Path(__file__).resolve().parents[2]
# runs the command like the installed script, and writes down what it imported at exit
PROBE = (
    "import atexit, json, os, sys\n"
    "atexit.register(lambda: open(os.environ['PROBE_MODULES'], 'w').write("
    "json.dumps(sorted(sys.modules))))\n"
    "from flows.cli import main\n"
    "sys.argv[0] = 'cityradar'\n"
    "main()\n"
)


def cityradar(
    *args: str, data_dir: Path, probe: Path | None = None, **env: str
) -> subprocess.CompletedProcess:
    """Run `cityradar ARGS` in a clean environment: no Prefect server, its own data folder."""
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("CITYRADAR_", "PREFECT_API_URL"))
    }
    environment |= {
        "CITYRADAR_DATA_DIR": str(data_dir),
        "CITYRADAR_CRAWL_RETRY_DELAY": "0.2",
        "PREFECT_HOME": str(data_dir / "prefect-home"),  # no profile naming a server
        **env,
    }
    if probe is None:
        command = [str(Path(sys.executable).with_name("cityradar")), *args]
    else:
        command = [sys.executable, "-c", PROBE, *args]
        environment["PROBE_MODULES"] = str(probe)
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=environment,
        cwd=data_dir,
        timeout=300,
        check=False,
    )


def source(source_id: str, url: str) -> dict[str, object]:
    return {
        "id": source_id,
        "name": source_id,
        "kind": "feed",
        "url": url,
        "language": "en",
        "country": "KR",
        "org_type": "news",
        "timezone": "Asia/Seoul",
    }


def write_sources(folder: Path, entries: list[dict[str, object]]) -> Path:
    path = folder / "sources.yaml"
    path.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    return path


def run_logs(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "logs").glob("*.log"))


@pytest.fixture
def warehouse(tmp_path) -> Path:
    path = tmp_path / "w.duckdb"
    with connect(path) as con:
        load_raws(con, "20261120T000000Z-000001", SEARCH_STORIES)
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["sources", "list", "--sources", str(REPO / "sources.yaml")],
        ["sources", "check", "--db", "{db}"],
        ["search", "횡단보도", "--db", "{db}"],
        ["export", "--parquet", "{tmp}/parquet", "--db", "{db}"],
        ["snapshot", "--db", "{db}", "--out", "{tmp}/copy.duckdb"],
        ["classify", "{tmp}/in.jsonl"],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_commands_that_need_no_orchestration_never_import_prefect(warehouse, tmp_path, args):
    (tmp_path / "in.jsonl").write_text('{"id": "a", "title": "Seoul smart city"}\n', "utf-8")
    argv = [a.format(db=warehouse, tmp=tmp_path) for a in args]
    modules = tmp_path / "modules.json"
    done = cityradar(*argv, data_dir=tmp_path, probe=modules)
    assert done.returncode == 0, done.stderr
    imported = json.loads(modules.read_text(encoding="utf-8"))
    assert "typer" in imported  # the probe saw the command's own imports
    assert not [m for m in imported if m.split(".")[0] == "prefect"]
    assert (
        not [  # the command line's own modules, and no flow
            m
            for m in imported
            if m.startswith("flows.") and m.split(".")[1] not in ("cli", "exits")
        ]
    )


def test_every_source_down_exits_3_and_says_each_failure_in_one_line(tmp_path):
    sources = write_sources(
        tmp_path,
        [
            source("closed_port", f"http://127.0.0.1:{free_port()}/rss.xml"),
            source("no_such_host", "http://news.example.invalid/rss.xml"),
        ],
    )
    modules = tmp_path / "modules.json"
    done = cityradar("ingest", "--sources", str(sources), data_dir=tmp_path, probe=modules)
    assert done.returncode == 3, done.stderr
    rows = {line.split()[0]: line for line in done.stdout.splitlines() if " failed " in line}
    assert "connection refused" in rows["closed_port"]
    assert "(tried 2 times)" in rows["closed_port"]  # a refused connection may pass: retried
    assert "DNS lookup failed for news.example.invalid" in rows["no_such_host"]
    assert "Traceback" not in done.stdout + done.stderr
    assert "closed_port" not in done.stderr  # the table says it; the terminal does not repeat it
    # no Prefect (and so no temporary server) for a command-line run without a server
    assert not [m for m in json.loads(modules.read_text()) if m.split(".")[0] == "prefect"]
    # the detail is in the run's log file, and in the crawl's own log, as warnings
    (log,) = run_logs(tmp_path)
    text = log.read_text(encoding="utf-8")
    assert "cityradar ingest --sources" in text
    assert "WARNING cityradar.flows: closed_port: failed — connection refused" in text
    crawl_logs = "".join(p.read_text() for p in (tmp_path / "staging").rglob("logs/*.log"))
    assert "WARNING: Gave up retrying <GET http://127.0.0.1:" in crawl_logs
    assert "Traceback" not in crawl_logs
    assert "ERROR" not in crawl_logs


def test_verbose_shows_what_the_run_logged_on_the_terminal(tmp_path):
    sources = write_sources(
        tmp_path, [source("closed_port", f"http://127.0.0.1:{free_port()}/rss.xml")]
    )
    done = cityradar(
        "ingest",
        "--sources",
        str(sources),
        "--verbose",
        data_dir=tmp_path,
        CITYRADAR_CRAWL_RETRIES="0",
    )
    assert done.returncode == 3, done.stderr
    assert "WARNING: closed_port: failed — connection refused" in done.stderr


def test_a_run_that_got_something_in_exits_0_and_lists_the_failed_source(tmp_path):
    site = bundled_sites()[0]
    with SiteServer([site]) as server:
        entries = [
            site.source_entry(server.base_url),
            source("closed_port", f"http://127.0.0.1:{free_port()}/rss.xml"),
        ]
        sources = write_sources(tmp_path, entries)
        done = cityradar(
            "ingest", "--sources", str(sources), data_dir=tmp_path, CITYRADAR_CRAWL_DELAY="0"
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 sources: ok 1, failed 1" in done.stdout
    (failed,) = [line for line in done.stdout.splitlines() if line.startswith("closed_port ")]
    assert "connection refused" in failed
    with duckdb.connect(str(tmp_path / "cityradar.duckdb"), read_only=True) as con:
        (stories,) = con.execute("select count(*) from items").fetchone()
    assert stories == len(site.articles)


def test_a_warehouse_in_a_folder_that_cannot_be_made_is_configuration(tmp_path):
    sources = write_sources(tmp_path, [source("gone", "http://127.0.0.1:9/rss.xml")])
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    done = cityradar(
        "ingest", "--sources", str(sources), "--db", str(blocker / "w.duckdb"), data_dir=tmp_path
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"error: the warehouse {blocker / 'w.duckdb'} cannot be made: {blocker} is a file, "
        "not a folder; give --db (or CITYRADAR_DB) a path in a folder you can write"
    )
    assert not (tmp_path / "staging").exists()  # nothing was crawled


def test_a_digest_of_a_missing_warehouse_is_one_line(tmp_path):
    done = cityradar(
        "digest", "--preview", "--db", str(tmp_path / "nowhere" / "w.duckdb"), data_dir=tmp_path
    )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"error: no warehouse at {tmp_path / 'nowhere' / 'w.duckdb'}: run `cityradar ingest` first"
    )
    (log,) = run_logs(tmp_path)
    assert "Traceback" in log.read_text(encoding="utf-8")  # the detail, for whoever wants it


def test_an_smtp_outage_is_one_line_and_exit_1(warehouse, tmp_path):
    done = cityradar(
        "digest",
        "--send",
        "--to",
        "staff@example.org",
        "--db",
        str(warehouse),
        "--week",
        "2026-W47",
        "--out",
        str(tmp_path / "digests"),
        data_dir=tmp_path,
        CITYRADAR_SMTP_HOST="127.0.0.1",
        CITYRADAR_SMTP_PORT=str(free_port()),
        CITYRADAR_SMTP_ATTEMPTS="2",
        CITYRADAR_SMTP_RETRY_WAIT="0.1",
    )
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: 1 digest(s) not delivered, saved for the next run: ")
    assert "ConnectionRefusedError" in line
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select status from digest_deliveries where recipient = 'staff@example.org'"
        ).fetchall()
    assert rows == [("failed",)]


def test_sources_add_never_imports_prefect(tmp_path):
    from cityradar.demo.server import Canned
    from tests.helpers.pages import HOME

    site = next(s for s in bundled_sites() if s.slug == "seoul-news")
    registry = tmp_path / "sources.yaml"
    registry.write_text("[]\n", encoding="utf-8")
    modules = tmp_path / "modules.json"
    with SiteServer([site], {"/": Canned(200, HOME)}) as server:
        done = cityradar(
            "sources",
            "add",
            f"{server.base_url}/",
            "--sources",
            str(registry),
            data_dir=tmp_path,
            probe=modules,
        )
    assert done.returncode == 0, done.stderr
    assert "Proposed entry:" in done.stdout
    assert not [m for m in json.loads(modules.read_text()) if m.split(".")[0] == "prefect"]


def test_output_piped_to_a_reader_that_stops_early_is_no_error(tmp_path):
    """`cityradar sources list | head -1`: the reader goes away; no error line, no traceback."""
    command = f'"{Path(sys.executable).with_name("cityradar")}" sources list | head -1'
    registry = Path(__file__).resolve().parents[2] / "sources.yaml"
    done = subprocess.run(
        ["bash", "-c", command],
        capture_output=True,
        text=True,
        env={**os.environ, "CITYRADAR_SOURCES": str(registry)},
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.stdout.startswith(f"{registry}: ")
    assert done.stdout.count("\n") == 1
    assert "error" not in done.stderr.lower()
    assert "Traceback" not in done.stderr

"""The `cityradar` command line as a user runs it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cityradar.demo.sites import bundled_sites
from flows.cli import app

runner = CliRunner()


def test_classify_reads_and_writes_json_lines(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps(
            {
                "id": "a",
                "title": "부산시, 해운대 스마트 횡단보도 설치",
                "body": "보행자를 감지하는 신호등과 자율주행 셔틀",
            },
            ensure_ascii=False,
        )
        + "\n"
        + json.dumps(
            {
                "id": "b",
                "title": "Helsinki opens its digital twin",
                "summary": "open data for residents",
                "language": "en",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["classify", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    first, second = (json.loads(line) for line in out.read_text(encoding="utf-8").splitlines())
    assert first["id"] == "a"
    assert first["cities"] == ["Busan"]
    assert first["language"] == "ko"
    assert "mobility" in first["focus_areas"]
    assert first["is_smart_city"] is True
    assert {"term": "부산", "field": "title", "count": 1} in first["reasons"]["cities"]["Busan"]
    assert second["cities"] == ["Helsinki"]
    assert second["countries"] == ["FI"]
    assert second["reasons"]["focus_areas"]["ai_data"][0]["term"] == "digital twin"


def test_classify_skips_bad_lines_with_their_number_and_exits_1(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"id": 1, "title": "서울 자율주행"}\nnot json\n{"id": 3}\n[1, 2]\n{"title": "x"}\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["classify", str(source)])
    assert result.exit_code == 1
    assert result.stdout.count('"id": 1') == 1
    for number in (2, 3, 4, 5):  # not JSON, no text, not an object, no id
        assert f"line {number}: skipped:" in result.stderr
    assert "line 1:" not in result.stderr


def test_classify_tags_records_without_a_title_and_exits_0(tmp_path):
    # half of real news items carry no headline: a summary or a body is enough
    source = tmp_path / "in.jsonl"
    records = [
        {"id": "a", "summary": "전남 완도군이 노면 청소 로봇을 도입했다."},
        {"id": "b", "title": "", "body": "Gangnam-gu tests delivery robots on public roads."},
    ]
    source.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    result = runner.invoke(app, ["classify", str(source)])
    assert result.exit_code == 0, result.output
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["cities"] == ["Wando"]
    assert first["regions"] == ["South Jeolla"]
    assert second["cities"] == ["Seoul"]
    assert result.stderr == ""


def test_a_bad_registry_stops_with_entry_and_field(tmp_path):
    bad = tmp_path / "sources.yaml"
    bad.write_text(
        "- id: seoul_news\n  name: x\n  kind: feed\n  url: https://a.kr/rss\n  language: ko\n"
        "  country: KR\n  org_type: city\n  timezone: Asia/Seol\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["sources", "list", "--sources", str(bad)])
    assert result.exit_code == 2
    assert "entry 1 (id 'seoul_news'), field 'timezone'" in result.stderr


def test_ingest_with_a_bad_registry_stops_before_any_flow_starts(tmp_path):
    bad = tmp_path / "sources.yaml"
    bad.write_text("sources:\n  - id: x\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", "--sources", str(bad), "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {bad}: expected a list of sources, found dict"
    assert not (tmp_path / "x.db").exists()


def test_a_bad_recipients_file_names_the_recipient_and_field(tmp_path):
    recipients = tmp_path / "recipients.yaml"
    recipients.write_text(
        "recipients:\n  - email: a@example.org\n  - email: mobility@example.org\n"
        "    focus_areas: [mobilty]\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["digest", "--preview", "--recipients", str(recipients), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"error: {recipients}: recipient 2 (mobility@example.org), field focus_areas: "
        "unknown focus area 'mobilty'; use one of mobility,"
    )
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == [recipients]  # nothing was written


def test_a_bad_setting_is_named_as_the_operator_writes_it(monkeypatch, tmp_path):
    monkeypatch.setenv("CITYRADAR_SMTP_PORT", "twenty-five")
    monkeypatch.setenv("CITYRADAR_SMTP_PASSWORD", "hunter2")
    result = runner.invoke(app, ["digest", "--preview", "--out", str(tmp_path)])
    assert result.exit_code == 2  # a configuration error, like a bad registry
    assert result.stderr.strip() == (
        "error: setting CITYRADAR_SMTP_PORT: Input should be a valid integer, "
        "unable to parse string as an integer"
    )
    assert "twenty-five" not in result.output
    assert "hunter2" not in result.output


def test_backfill_refuses_a_start_date_it_cannot_use():
    future = runner.invoke(app, ["backfill", "--since", "2999-01-01"])
    assert future.exit_code == 1
    assert future.stderr.strip() == "error: --since 2999-01-01 is in the future"
    garbled = runner.invoke(app, ["backfill", "--since", "last week"])
    assert garbled.exit_code == 1
    assert "Invalid isoformat string: 'last week'" in garbled.stderr


def test_sources_list_shows_the_shipped_registry():
    result = runner.invoke(app, ["sources", "list"])
    assert result.exit_code == 0
    assert "sources.yaml: 41 sources, 41 enabled" in result.stdout
    assert "seoul_news" in result.stdout


def test_digest_command_writes_the_week(ingested, tmp_path):
    result = runner.invoke(
        app,
        [
            "digest",
            "--db",
            str(ingested.db_path),
            "--week",
            str(ingested.week),
            "--out",
            str(tmp_path),
            "--preview",
            "--to",
            "staff@example.org",
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"Digest {ingested.week}:" in result.stdout
    folder = tmp_path / str(ingested.week) / "preview"  # apart from what was sent
    assert (folder / "everything.html").exists()
    # --preview prints where each digest went, and sends nothing
    assert "staff@example.org: preview" in result.stdout
    assert str(folder / "staff@example.org.eml") in result.stdout
    assert (folder / "staff@example.org.eml").exists()


def test_digest_without_a_warehouse_says_to_ingest_first(prefect_harness, tmp_path):
    result = runner.invoke(
        app, ["digest", "--db", str(tmp_path / "none.duckdb"), "--week", "2026-W47"]
    )
    assert result.exit_code == 1
    assert "run `cityradar ingest` first" in result.stderr


def test_sources_check_prints_health(ingested):
    result = runner.invoke(app, ["sources", "check", "--db", str(ingested.db_path)])
    assert result.exit_code == 0
    first_rows = result.stdout.splitlines()[1:3]
    assert all("failing" in row for row in first_rows)  # worst first
    assert "HTTP 404 Not Found" in result.stdout


def test_ingest_rejects_an_unknown_source_id(prefect_harness, ingested, tmp_path):
    result = runner.invoke(
        app,
        [
            "ingest",
            "--sources",
            str(ingested.sources_path),
            "--db",
            str(tmp_path / "w.duckdb"),
            "--source",
            "no_such_source",
        ],
    )
    assert result.exit_code == 1
    assert "unknown source id(s): no_such_source" in result.stderr


@pytest.fixture(scope="module")
def demo_run(prefect_harness, tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "demo"
    return folder, runner.invoke(app, ["demo", "--data-dir", str(folder)])


def test_demo_runs_offline_and_prints_where_things_are(demo_run):
    folder, result = demo_run
    sites = bundled_sites()
    stories = sum(len(site.articles) for site in sites) - 1  # one story is linked from two sites
    assert result.exit_code == 0, result.output
    assert (
        f"{len(sites)} sources: ok {len(sites)}; {stories} items in: {stories} new" in result.stdout
    )
    assert f"Warehouse: {stories} stories" in result.stdout
    assert "languages ko" in result.stdout
    assert f"DuckDB file: {folder / 'cityradar.duckdb'}" in result.stdout
    # the second run fetched only the corrected release: every other site answered "unchanged"
    molit = next(site for site in sites if site.slug == "molit-demo")
    assert (
        f"{len(sites)} sources: unchanged {len(sites) - 1}, ok 1; "
        f"{len(molit.articles)} items in: 0 new, 1 changed"
    ) in result.stdout
    assert "History: 1 story changed between the runs (item_versions)" in result.stdout


def test_the_demo_keeps_the_corrected_release_as_a_second_version_with_its_attachment(demo_run):
    import duckdb

    folder, _ = demo_run
    with duckdb.connect(str(folder / "cityradar.duckdb"), read_only=True) as con:
        versions = con.execute(
            "select v.version, v.summary like '%640억 원%', v.is_current from item_versions v"
            " where v.item_id in (select item_id from item_versions where version > 1)"
            " order by v.version"
        ).fetchall()
        attached = con.execute(
            "select a.kind, a.text from item_attachments a join items i using (item_id)"
            " where i.title like '스마트시티 챌린지 결과 발표%'"
        ).fetchall()
    assert versions == [(1, False, False), (2, True, True)]
    ((kind, text),) = attached
    assert kind == "hwpx"
    assert "640억 원" in text  # the corrected document, read from the HWPX made when served


def _hrefs(html):
    import re

    return re.findall(r'href="([^"]+)"', html)


def test_the_demo_digest_links_lead_to_saved_pages_that_outlive_the_demo(demo_run):
    from urllib.parse import unquote, urlsplit

    folder, result = demo_run
    (html_file,) = (folder / "digests").glob("*/preview/everything.html")
    links = _hrefs(html_file.read_text(encoding="utf-8"))
    saved = [link for link in links if link.startswith("file://")]
    assert len(saved) >= 30  # one per story the digest shows
    assert not [link for link in links if "127.0.0.1" in link]  # the sample server is gone
    for link in saved:
        path = Path(unquote(urlsplit(link).path))
        assert path.is_file(), link
        assert path.is_relative_to(folder.resolve() / "site")
    # the one story that links to another site keeps its own address
    assert [link for link in links if not link.startswith("file://")] == [
        "https://news.example.org/tallinn-govtech-sandbox"
    ]
    index = folder / "site" / "index.html"
    assert f"Saved sample pages, where the digest links lead: {index}" in result.stdout
    documents = [link for link in _hrefs(index.read_text("utf-8")) if link.endswith(".hwpx")]
    assert len(documents) >= 10
    assert all((index.parent / link).is_file() for link in documents)


def test_the_demo_next_steps_work_as_printed(demo_run, tmp_path):
    import shlex
    import subprocess

    folder, result = demo_run
    lines = result.stdout.split("Next steps, on the demo's warehouse:\n", 1)[1].splitlines()
    steps = [shlex.split(line) for line in lines if line.startswith("  ")]
    assert [step[1] for step in steps[:4]] == ["search", "sources", "digest", "export"]
    for step in steps:
        assert Path(step[0]).is_file() or shutil.which(step[0]), step[0]  # runnable from here
    outputs = []
    for step in steps[:4]:
        done = runner.invoke(app, step[1:])
        assert done.exit_code == 0, (step, done.output)
        outputs.append(done.stdout)
    search, check, digest, export = outputs
    assert search.splitlines()[0].endswith("stories contain 스마트시티 (best first)")
    assert "세종 5-1생활권 국가시범도시 첫 입주" in search
    assert [row.split()[0] for row in check.splitlines()[1:]] == sorted(
        site.slug.replace("-", "_") for site in bundled_sites()
    )
    preview = folder / "digests" / steps[2][steps[2].index("--week") + 1] / "preview"
    assert f"HTML: {preview / 'everything.html'}" in digest
    assert "file://" in (preview / "everything.html").read_text(encoding="utf-8")
    parquet = Path(steps[3][steps[3].index("--parquet") + 1])
    assert f"to {parquet}/" in export
    assert {"item_attachments.parquet", "digest_deliveries.parquet"} <= {
        p.name for p in parquet.glob("*.parquet")
    }
    looked = subprocess.run(steps[4], capture_output=True, text=True, timeout=120, check=False)
    assert looked.returncode == 0, looked.stderr
    assert "focus_areas" in looked.stdout


def test_demo_digest_lists_tagged_korean_and_english_items(demo_run):
    folder, _ = demo_run
    (text_file,) = (folder / "digests").glob("*/preview/everything.txt")  # not sent: a preview
    text = text_file.read_text(encoding="utf-8")
    assert "[KO] [OFFICIAL] 따릉이 이용 데이터 전면 공개" in text  # an official Seoul release
    assert "서울특별시 새소식 (demo) ·" in text
    assert "· Seoul" in text
    assert "[EN] Barcelona expands superblocks with sensor-based traffic monitoring" in text
    assert "## Mobility & transport / 모빌리티·교통" in text


def test_demo_never_deletes_a_folder_it_did_not_create(prefect_harness, tmp_path):
    (tmp_path / "precious.txt").write_text("keep me", encoding="utf-8")
    result = runner.invoke(app, ["demo", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "is not a cityradar demo folder" in result.stderr
    assert (tmp_path / "precious.txt").read_text(encoding="utf-8") == "keep me"


def test_run_completes_and_reports_when_every_source_is_down(ingested, tmp_path):
    # the sample server of the shared ingest has stopped: every source now refuses connections
    result = runner.invoke(
        app,
        [
            "run",
            "--sources",
            str(ingested.sources_path),
            "--db",
            str(tmp_path / "w.duckdb"),
            "--out",
            str(tmp_path / "digests"),
        ],
    )
    assert result.exit_code == 3, result.output  # nothing came in: cron and alerting can tell
    count = len(yaml.safe_load(ingested.sources_path.read_text(encoding="utf-8")))
    assert f"{count} sources: failed {count}" in result.stdout
    assert "connection refused" in result.stdout
    # a refused connection may pass: each crawl was tried a second time in the run
    assert result.stdout.count("(tried 2 times)") == count
    assert "warning: every source failed" in result.stderr
    assert "Digest " in result.stdout
    assert (tmp_path / "digests").is_dir()


def test_eval_gates_on_the_shipped_sets_and_reports_any_other_set(tmp_path):
    gate = runner.invoke(app, ["eval"])
    assert gate.exit_code == 0, gate.output
    assert "all          345" in gate.output
    assert "within 0.02 of" in gate.output
    worse = tmp_path / "mislabelled.yaml"
    worse.write_text(
        '- {id: x1, lang: en, title: "Seoul opens a smart bus stop", '
        "cities: [Tokyo], focus: [water], smart: false}\n",
        encoding="utf-8",
    )
    failed = runner.invoke(app, ["eval", "--set", str(worse)])
    assert failed.exit_code == 1
    assert "en.city.f1 is 0.000, below the target 0.90" in failed.output
    assert "baseline" not in failed.output  # the stored baseline belongs to the gate's sets
    reported = runner.invoke(app, ["eval", "--set", str(worse), "--report-only"])
    assert reported.exit_code == 0
    assert "NOTE en.city.f1 is 0.000" in reported.output


@pytest.fixture
def labelled_db(tmp_path):
    """A warehouse of three stories loaded by the real loader, for `label`."""
    from tests.helpers.batches import load_raws
    from tests.helpers.stories import CORRECTION_STORIES
    from warehouse.db import connect

    path = tmp_path / "w.duckdb"
    with connect(path) as con:
        load_raws(con, "b1", [{**s, "seq": n} for n, s in enumerate(CORRECTION_STORIES)])
    return path


def test_label_records_a_correction_and_prints_what_the_views_now_show(labelled_db):
    from tests.helpers.stories import FESTIVAL

    result = runner.invoke(
        app,
        [
            "label",
            FESTIVAL["link"],
            "--smart",
            "yes",
            "--focus",
            "environment",
            "--note",
            "fireworks replaced by a drone show",
            "--by",
            "kim",
            "--db",
            str(labelled_db),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("corrected ")
    assert FESTIVAL["title"] in lines[0]
    assert lines[1].split() == ["is_smart_city:", "yes", "(tagger:", "no)"]
    assert lines[2].split()[:2] == ["focus_areas:", "environment"]
    import duckdb

    with duckdb.connect(str(labelled_db), read_only=True) as con:
        assert con.execute(
            "select is_smart_city, focus_areas, correction_note, corrected_by from items"
            " where url = ?",
            [FESTIVAL["link"]],
        ).fetchall() == [(True, ["environment"], "fireworks replaced by a drone show", "kim")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--focus", "mobilty"], "error: unknown focus area 'mobilty' (did you mean mobility?)"),
        (["--cities", "Seol"], "error: unknown city 'Seol' (did you mean Seoul?)"),
        (["--smart", "maybe"], "error: --smart takes yes or no, not 'maybe'"),
        (["--note", "looks fine"], "error: nothing to correct: give --smart, --focus or --cities"),
    ],
)
def test_label_refuses_a_bad_value_in_one_line_with_exit_2(labelled_db, args, message):
    from tests.helpers.stories import CROSSING

    result = runner.invoke(app, ["label", CROSSING["link"], *args, "--db", str(labelled_db)])
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_label_refuses_an_unknown_story_in_one_line_with_exit_2(labelled_db):
    result = runner.invoke(
        app, ["label", "0123456789abcdef", "--smart", "yes", "--db", str(labelled_db)]
    )
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: no story '0123456789abcdef' in the warehouse: "
        "give an items.item_id or the story's URL"
    )
    assert result.stdout == ""


@pytest.mark.parametrize(
    "command",
    [
        ["ingest"],
        ["digest", "--week", "2026-W47"],
        ["run"],
        ["sources", "list"],
        ["search", "자율주행"],
        ["backfill", "--since", "2026-11-01"],
        ["label", "0123456789abcdef", "--smart", "yes"],
    ],
    ids=lambda command: command[0],
)
def test_a_bad_setting_is_named_in_one_line_by_every_command(tmp_path, command):
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYRADAR_")}
    env |= {
        "CITYRADAR_DATA_DIR": str(tmp_path),
        "CITYRADAR_CRAWL_WORKERS": "lots",
        "CITYRADAR_SMTP_PASSWORD": "s3cret-never-shown",
    }
    done = subprocess.run(
        [str(Path(sys.executable).with_name("cityradar")), *command],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == (
        "error: setting CITYRADAR_CRAWL_WORKERS: Input should be a valid integer, "
        "unable to parse string as an integer"
    )
    assert "Traceback" not in done.stdout + done.stderr
    assert "s3cret" not in done.stdout + done.stderr


def test_load_staged_with_nothing_waiting_says_so(prefect_harness, monkeypatch, tmp_path):
    monkeypatch.setenv("CITYRADAR_DATA_DIR", str(tmp_path))
    result = runner.invoke(app, ["load-staged", "--db", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 0, result.output
    assert "No batch was waiting." in result.output


def test_a_staging_url_with_no_driver_is_a_configuration_error(monkeypatch, tmp_path):
    monkeypatch.setenv("CITYRADAR_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CITYRADAR_STAGING_URL", "nosuch://bucket/staging")
    result = runner.invoke(app, ["load-staged", "--db", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 2, result.output
    assert "CITYRADAR_STAGING_URL nosuch://bucket/staging" in result.output


def test_train_cross_validates_without_writing_the_heads(tmp_path, monkeypatch):
    from tests.helpers.written import write_written_folder
    from training import retrain
    from training.labelled import split_of
    from transforms.learned import HEADS_FILE

    heads = Path(__file__).resolve().parents[2] / "transforms" / "data" / "learned" / HEADS_FILE
    shipped = heads.read_bytes()
    folder = tmp_path / "labelled"
    rows = write_written_folder(folder)
    # without the 699 grown items in each of the five fits: the command's path at a fraction of
    # the time (a fit with them: tests/training/test_retrain.py)
    monkeypatch.setattr(retrain, "read_grown", lambda: [])
    result = runner.invoke(app, ["train", "--labelled", str(folder), "--cross-validate"])
    assert result.exit_code == 0, result.output
    korean = sum(r["language"] == "ko" and split_of(r["source_url"]) != "test" for r in rows)
    lines = result.output.splitlines()
    assert lines[0].startswith(f"ko ({korean} items): relevance accuracy 0.")
    assert lines[2].startswith(f"all ({sum(split_of(r['source_url']) != 'test' for r in rows)}")
    assert "focus micro-F1" in lines[1]
    assert heads.read_bytes() == shipped  # nothing written

"""The start-up benchmark's own parts (its timings are figures for docs, never asserted)."""

from __future__ import annotations

import json

from bench import startup


def test_the_commands_run_as_an_operators_would(monkeypatch, tmp_path):
    monkeypatch.setenv("CITYRADAR_DB", "/somewhere/else.duckdb")
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    env = startup.command_env(tmp_path)
    assert env["CITYRADAR_DATA_DIR"] == str(tmp_path)
    assert env["CITYRADAR_CRAWL_DELAY"] == "0"  # loopback sites
    assert "CITYRADAR_DB" not in env
    assert "PREFECT_API_URL" not in env  # no Prefect server: plain runs
    assert "PYTHONDONTWRITEBYTECODE" not in env  # bytecode caches as an operator has them


def test_the_probe_records_what_a_command_imported(tmp_path):
    modules = tmp_path / "modules.json"
    _, cpu, code, done = startup.run_once(["--help"], startup.command_env(tmp_path), modules)
    assert code == 0, done.stderr
    assert "sources" in done.stdout
    imported = json.loads(modules.read_text(encoding="utf-8"))
    assert "typer" in imported
    assert "prefect" not in imported
    assert cpu > 0


def test_figures_give_the_median_and_judge_the_target():
    timing = startup.Timing("search", ["search", "x"], target=1.5)
    timing.wall, timing.cpu, timing.exit_codes = [0.9, 2.0, 1.1], [0.5, 0.6, 0.7], [0, 0, 0]
    figures = timing.figures()
    assert (figures["wall_median"], figures["wall_min"], figures["cpu_median"]) == (1.1, 0.9, 0.6)
    assert figures["met"] is True
    timing.wall = [1.6, 1.7, 1.0]
    assert timing.figures()["met"] is False

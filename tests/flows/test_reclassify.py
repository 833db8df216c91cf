"""`cityradar reclassify`: the command over the re-tag of tests/warehouse/test_reclassify.py."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.helpers.warehouses import stale_warehouse


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "w.duckdb"
    return path, stale_warehouse(path)


def test_the_command_prints_the_rate(db):
    path, expected = db
    smart = sum(row[3] for row in expected)
    result = CliRunner().invoke(app, ["reclassify", "--db", str(path)])
    assert result.exit_code == 0, result.output
    assert "re-tagged 2 items in" in result.stdout
    assert f"items/s); smart-city items 0 -> {smart}" in result.stdout


def test_unknown_warehouse_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(app, ["reclassify", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1
    assert "run `cityradar ingest` first" in result.stderr

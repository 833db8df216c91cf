"""Settings come from CITYRADAR_* variables with defaults for one machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from cityradar.settings import Settings, SettingsError, SmtpSecurity


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    for name in [n for n in __import__("os").environ if n.startswith("CITYRADAR_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env file here


def test_defaults_serve_one_machine():
    settings = Settings()
    assert settings.db_path == Path("data/cityradar.duckdb")
    assert settings.sources == Path("sources.yaml")
    assert settings.smtp_security is SmtpSecurity.NONE
    assert settings.timezone == "Asia/Seoul"


def test_variables_with_the_prefix_override(monkeypatch):
    monkeypatch.setenv("CITYRADAR_DATA_DIR", "/srv/radar")
    monkeypatch.setenv("CITYRADAR_SMTP_SECURITY", "starttls")
    monkeypatch.setenv("CITYRADAR_SMTP_PORT", "587")
    monkeypatch.setenv("CITYRADAR_SMTP_PASSWORD", "s3cret")
    monkeypatch.setenv("CITYRADAR_DIGEST_TO", "a@example.org, b@example.org")
    settings = Settings()
    assert settings.db_path == Path("/srv/radar/cityradar.duckdb")
    assert settings.smtp_security is SmtpSecurity.STARTTLS
    assert settings.smtp_port == 587
    assert settings.digest_to == ["a@example.org", "b@example.org"]
    assert "s3cret" not in repr(settings)  # secrets never print


def test_an_explicit_db_wins_over_the_data_dir(monkeypatch):
    monkeypatch.setenv("CITYRADAR_DATA_DIR", "/srv/radar")
    monkeypatch.setenv("CITYRADAR_DB", "/tmp/other.duckdb")
    assert Settings().db_path == Path("/tmp/other.duckdb")


def test_a_bad_value_names_the_setting(monkeypatch):
    monkeypatch.setenv("CITYRADAR_SMTP_SECURITY", "tls")
    with pytest.raises(SettingsError, match="setting CITYRADAR_SMTP_SECURITY: ") as raised:
        Settings()
    assert "tls" not in str(raised.value).replace("starttls", "")  # the value is not repeated
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__  # pydantic's message, with the value, is not chained


def test_a_bad_secret_is_never_repeated(monkeypatch):
    monkeypatch.setenv("CITYRADAR_SMTP_PASSWORD", "hunter2-very-secret")
    monkeypatch.setenv("CITYRADAR_SMTP_PORT", "hunter2-very-secret")  # pasted in the wrong place
    with pytest.raises(SettingsError) as raised:
        Settings()
    assert "CITYRADAR_SMTP_PORT" in str(raised.value)
    assert "hunter2" not in str(raised.value)


@pytest.mark.parametrize("value", ["512MB", "2GB", "1.5 GiB", "800MiB"])
def test_the_warehouse_memory_limit_takes_duckdb_sizes(monkeypatch, value):
    monkeypatch.setenv("CITYRADAR_DB_MEMORY_LIMIT", value)
    assert Settings().db_memory_limit == value


@pytest.mark.parametrize("value", ["lots", "512", "-1GB", "512MB; drop table x"])
def test_a_memory_limit_that_is_no_size_names_the_setting(monkeypatch, value):
    monkeypatch.setenv("CITYRADAR_DB_MEMORY_LIMIT", value)
    with pytest.raises(SettingsError, match="setting CITYRADAR_DB_MEMORY_LIMIT: "):
        Settings()

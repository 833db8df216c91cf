"""The weekly digest flow over the shared ingest: files on disk, mail through a real SMTP server."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest


@pytest.fixture
def smtp_env(monkeypatch, smtp_server):
    monkeypatch.setenv("CITYRADAR_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("CITYRADAR_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("CITYRADAR_SMTP_FROM", "radar@cityradar.example")
    monkeypatch.setenv("CITYRADAR_DIGEST_TO", "staff@cityradar.example")
    return smtp_server


def test_the_digest_is_written_and_sent(ingested, smtp_env, tmp_path):
    from flows.weekly_digest import weekly_digest

    result = weekly_digest(
        week=str(ingested.week), db_path=ingested.db_path, out_dir=tmp_path, send=True
    )
    assert result.week == str(ingested.week)
    assert result.stories >= 30
    assert result.sent_to == ["staff@cityradar.example"]
    text = (tmp_path / f"digest-{ingested.week}.txt").read_text(encoding="utf-8")
    assert "[KO] 세종 5-1생활권 국가시범도시 첫 입주" in text
    assert "[EN] Songdo pilots autonomous shuttle buses between subway stations" in text
    assert "Sources needing attention" in text
    assert "gone_feed" in text

    (envelope,) = smtp_env.envelopes
    mail = message_from_bytes(envelope.content, policy=policy.default)
    assert str(ingested.week) in mail["Subject"]
    text_part, html_part = mail.iter_parts()
    assert "국토교통부 보도자료 (demo)" in text_part.get_content()
    assert "모빌리티·교통" in html_part.get_content()
    assert (tmp_path / f"digest-{ingested.week}.eml").exists()


def test_sending_without_recipients_fails_before_anything_is_sent(
    ingested, smtp_server, monkeypatch, tmp_path
):
    from flows.weekly_digest import weekly_digest

    monkeypatch.delenv("CITYRADAR_DIGEST_TO", raising=False)
    with pytest.raises(ValueError, match="--send needs recipients"):
        weekly_digest(
            week=str(ingested.week), db_path=ingested.db_path, out_dir=tmp_path, send=True
        )
    assert smtp_server.envelopes == []

"""The weekly digest flow over the shared ingest: files on disk, mail through a real SMTP server."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest

from tests.helpers.prefect_api import artifacts_of


@pytest.fixture
def smtp_env(monkeypatch, smtp_server):
    monkeypatch.setenv("CITYRADAR_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("CITYRADAR_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("CITYRADAR_SMTP_FROM", "radar@cityradar.example")
    monkeypatch.setenv("CITYRADAR_DIGEST_TO", "staff@cityradar.example")
    return smtp_server


def test_the_digest_is_written_and_sent(ingested, smtp_env, tmp_path):
    from flows.weekly_digest import weekly_digest

    # deliveries recorded in a copy: the shared warehouse stays unsent for the other tests
    own_db = tmp_path / "w.duckdb"
    own_db.write_bytes(ingested.db_path.read_bytes())
    result = weekly_digest(week=str(ingested.week), db_path=own_db, out_dir=tmp_path, send=True)
    assert result.week == str(ingested.week)
    assert result.stories >= 30
    assert result.sent_to == ["staff@cityradar.example"]
    text = (tmp_path / str(ingested.week) / "everything.txt").read_text(encoding="utf-8")
    assert "[KO] [OFFICIAL] 세종 5-1생활권 국가시범도시 첫 입주" in text
    # a story two outlets carried is shown once, crediting the other
    assert text.count("부산 에코델타시티, 스마트 물관리 시범사업 착수") == 1
    assert "Also reported by 부산일보 지역뉴스 (demo)" in text
    assert "## Policy updates / 정책 소식" in text
    assert "## Busan" in text
    assert "Items per focus area (this week / average of the four weeks before):" in text
    assert "[EN] Songdo pilots autonomous shuttle buses between subway stations" in text
    assert "Sources needing attention" in text
    assert "gone_feed" in text

    (envelope,) = smtp_env.envelopes
    mail = message_from_bytes(envelope.content, policy=policy.default)
    assert str(ingested.week) in mail["Subject"]
    text_part, related = mail.iter_parts()
    assert "국토교통부 보도자료 (demo)" in text_part.get_content()
    html_part, chart = related.iter_parts()
    assert "모빌리티·교통" in html_part.get_content()
    assert chart.get_content_type() == "image/png"
    assert (tmp_path / str(ingested.week) / "staff@cityradar.example.eml").exists()

    # the run's note in the Prefect UI says where the mail went
    (note,) = [a for a in artifacts_of(result.run_id) if a.key == "weekly-digest"]
    assert f"# Weekly digest {ingested.week}" in note.data
    assert f"- Mail server: {smtp_env.host}:{smtp_env.port} (none)" in note.data
    assert f"| staff@cityradar.example | sent | {result.stories} | 1 | {result.message_id} |" in (
        note.data
    )


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


def deliveries(db_path):
    import duckdb

    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute(
            "select week, recipient, status, attempts from digest_deliveries order by recipient"
        ).fetchall()


@pytest.fixture
def own_db(ingested, tmp_path):
    """A copy of the shared warehouse, so delivery records start empty."""
    import shutil

    from warehouse.db import connect

    copy = tmp_path / "own.duckdb"
    shutil.copyfile(ingested.db_path, copy)
    with connect(copy) as con:
        con.execute("delete from core.digest_deliveries")
    return copy


def test_recipients_get_their_own_filtered_digest_and_a_sent_week_is_not_sent_twice(
    ingested, own_db, smtp_env, monkeypatch, tmp_path
):
    from flows.weekly_digest import weekly_digest

    recipients = tmp_path / "recipients.yaml"
    recipients.write_text(
        "recipients:\n"
        "  - email: busan-water@example.org\n"
        "    name: 부산 물관리팀\n"
        "    focus_areas: [water]\n"
        "    cities: [Busan]\n",
        encoding="utf-8",
    )
    monkeypatch.delenv("CITYRADAR_DIGEST_TO")
    week = str(ingested.week)
    first = weekly_digest(
        week=week, db_path=own_db, out_dir=tmp_path, send=True, recipients_path=recipients
    )
    (outcome,) = first.outcomes
    assert outcome.status == "sent"
    assert 0 < outcome.stories < first.stories
    (envelope,) = smtp_env.envelopes
    mail = message_from_bytes(envelope.content, policy=policy.default)
    text = mail.get_body(("plain",)).get_content()
    assert "Your selection: Water, Busan" in text
    assert "부산 에코델타시티, 스마트 물관리 시범사업 착수" in text
    assert "Songdo" not in text
    assert deliveries(own_db) == [
        (week, "*", "preview", 0),
        (week, "busan-water@example.org", "sent", 1),
    ]

    again = weekly_digest(
        week=week, db_path=own_db, out_dir=tmp_path, send=True, recipients_path=recipients
    )
    assert [o.status for o in again.outcomes] == ["already sent"]
    assert len(smtp_env.envelopes) == 1
    weekly_digest(
        week=week,
        db_path=own_db,
        out_dir=tmp_path,
        send=True,
        resend=True,
        recipients_path=recipients,
    )
    assert len(smtp_env.envelopes) == 2


def test_with_the_server_down_the_digest_is_saved_the_run_fails_and_the_next_run_delivers(
    ingested, own_db, smtp_server, monkeypatch, tmp_path
):
    from flows.weekly_digest import DigestNotDelivered, weekly_digest
    from tests.helpers.network import free_port

    monkeypatch.setenv("CITYRADAR_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CITYRADAR_SMTP_PORT", str(free_port()))  # nobody listens
    monkeypatch.setenv("CITYRADAR_SMTP_ATTEMPTS", "2")
    monkeypatch.setenv("CITYRADAR_SMTP_RETRY_WAIT", "0.01")
    monkeypatch.setenv("CITYRADAR_DIGEST_TO", "staff@cityradar.example")
    week = str(ingested.week)
    with pytest.raises(DigestNotDelivered, match="1 digest\\(s\\) not delivered"):
        weekly_digest(week=week, db_path=own_db, out_dir=tmp_path, send=True)
    assert (week, "staff@cityradar.example", "failed", 2) in deliveries(own_db)
    saved = tmp_path / week / "staff@cityradar.example.eml"
    assert saved.exists()

    # the server is back; next Monday's run delivers the saved digest of the week before
    monkeypatch.setenv("CITYRADAR_SMTP_PORT", str(smtp_server.port))
    result = weekly_digest(week=_week_after(week), db_path=own_db, out_dir=tmp_path, send=True)
    assert [(o.recipient, o.status) for o in result.retried] == [
        ("staff@cityradar.example", "sent")
    ]
    assert len(smtp_server.envelopes) == 2  # the saved one, then the new week's
    first = message_from_bytes(smtp_server.envelopes[0].content, policy=policy.default)
    assert week in first["Subject"]
    assert (week, "staff@cityradar.example", "sent", 1) in deliveries(own_db)


def _week_after(week: str) -> str:
    from datetime import timedelta

    from digest.week import IsoWeek

    year, number, _ = (IsoWeek.parse(week).monday() + timedelta(days=7)).isocalendar()
    return str(IsoWeek(year, number))


def test_preview_writes_every_digest_and_records_it_without_sending(
    ingested, own_db, smtp_env, tmp_path
):
    from flows.weekly_digest import weekly_digest

    result = weekly_digest(week=str(ingested.week), db_path=own_db, out_dir=tmp_path)
    assert smtp_env.envelopes == []
    (outcome,) = result.outcomes
    assert outcome.status == "preview"
    folder = tmp_path / str(ingested.week) / "preview"  # apart from what was sent
    html = (folder / "staff@cityradar.example.html").read_text("utf-8")
    assert "data:image/png;base64," in html  # opens on its own in a browser
    assert outcome.html_path == str(folder / "staff@cityradar.example.html")
    assert [row[2] for row in deliveries(own_db)] == ["preview", "preview"]
    assert not (tmp_path / str(ingested.week) / "staff@cityradar.example.eml").exists()


def rows(db_path, week=None):
    """The delivery rows (of one week), by recipient: status, Message-ID and the archived files."""
    import duckdb

    with duckdb.connect(str(db_path), read_only=True) as con:
        found = con.execute(
            "select recipient, status, message_id, html_path, eml_path from digest_deliveries"
            " where week = coalesce(?, week)",
            [week],
        ).fetchall()
    return {row[0]: row[1:] for row in found}


def message_id_of(mail_bytes):
    """The Message-ID of a mail (bytes, or an .eml file's path), as the row writes it."""
    if not isinstance(mail_bytes, bytes):
        mail_bytes = Path(mail_bytes).read_bytes()
    # a long Message-ID is folded onto its own line; the value starts after the fold
    return str(message_from_bytes(mail_bytes, policy=policy.default)["Message-ID"]).strip()


def test_a_preview_after_sending_leaves_the_archive_of_what_was_sent_as_it_was(
    ingested, own_db, smtp_env, tmp_path
):
    from flows.weekly_digest import weekly_digest

    week = str(ingested.week)
    weekly_digest(week=week, db_path=own_db, out_dir=tmp_path, send=True)
    status, message_id, html_path, eml_path = rows(own_db)["staff@cityradar.example"]
    assert (status, eml_path) == ("sent", str(tmp_path / week / "staff@cityradar.example.eml"))
    (envelope,) = smtp_env.envelopes
    sent = message_id_of(envelope.content)
    assert message_id == sent == message_id_of(eml_path)
    archived = {path: Path(path).read_bytes() for path in (html_path, eml_path)}
    everything = rows(own_db)["*"]

    preview = weekly_digest(week=week, db_path=own_db, out_dir=tmp_path)
    assert rows(own_db)["*"] == everything  # the send run's digest of everything stays recorded
    again = weekly_digest(week=week, db_path=own_db, out_dir=tmp_path, send=True)

    # the sent files and their row are untouched
    assert {path: Path(path).read_bytes() for path in archived} == archived
    assert rows(own_db)["staff@cityradar.example"] == (status, message_id, html_path, eml_path)
    assert message_id_of(eml_path) == sent
    # every row names the Message-ID of the file it points at
    for _, row_id, _, row_eml in rows(own_db).values():
        assert message_id_of(row_eml) == row_id
    # the preview went apart, and says where the sent digest stays
    (outcome,) = preview.outcomes
    assert outcome.eml_path == str(tmp_path / week / "preview" / "staff@cityradar.example.eml")
    assert message_id_of(outcome.eml_path) != sent
    assert outcome.note == f"the sent digest stays {eml_path}"
    # sending again sent nothing and pointed at the archived copy
    (kept,) = again.outcomes
    assert (kept.status, kept.eml_path, kept.message_id) == ("already sent", eml_path, sent)
    assert len(smtp_env.envelopes) == 1


def test_a_preview_never_hides_a_failed_delivery_which_the_next_run_sends_as_saved(
    ingested, own_db, smtp_server, monkeypatch, tmp_path
):
    from flows.weekly_digest import DigestNotDelivered, weekly_digest
    from tests.helpers.network import free_port

    monkeypatch.setenv("CITYRADAR_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CITYRADAR_SMTP_PORT", str(free_port()))  # nobody listens
    monkeypatch.setenv("CITYRADAR_SMTP_ATTEMPTS", "1")
    monkeypatch.setenv("CITYRADAR_DIGEST_TO", "staff@cityradar.example")
    week = str(ingested.week)
    with pytest.raises(DigestNotDelivered):
        weekly_digest(week=week, db_path=own_db, out_dir=tmp_path, send=True)
    failed = rows(own_db)["staff@cityradar.example"]
    saved = Path(failed[3]).read_bytes()

    preview = weekly_digest(week=week, db_path=own_db, out_dir=tmp_path)
    assert rows(own_db)["staff@cityradar.example"] == failed
    assert Path(failed[3]).read_bytes() == saved
    assert preview.outcomes[0].note == f"the failed digest stays {failed[3]}"

    monkeypatch.setenv("CITYRADAR_SMTP_PORT", str(smtp_server.port))
    weekly_digest(week=_week_after(week), db_path=own_db, out_dir=tmp_path, send=True)
    delivered = message_id_of(smtp_server.envelopes[0].content)
    status, message_id, _, eml_path = rows(own_db, week)["staff@cityradar.example"]
    assert status == "sent"
    assert delivered == message_id == message_id_of(eml_path) == failed[1]


def test_the_digests_go_beside_the_warehouse_in_use_by_default(
    ingested, own_db, smtp_env, monkeypatch, tmp_path
):
    from flows.weekly_digest import weekly_digest

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # where the default data/ folder would be
    result = weekly_digest(week=str(ingested.week), db_path=own_db)
    folder = own_db.parent / "digests" / str(ingested.week) / "preview"
    assert result.html_path == str(folder / "everything.html")
    assert (folder / "staff@cityradar.example.eml").exists()
    assert list(elsewhere.iterdir()) == []


EMPTY_WEEK = "2020-W02"  # long before any fixture item


def test_an_empty_week_is_skipped_when_sending_empty_digests_is_off(
    own_db, smtp_env, monkeypatch, tmp_path
):
    from flows.weekly_digest import weekly_digest

    monkeypatch.setenv("CITYRADAR_DIGEST_SEND_EMPTY", "false")
    result = weekly_digest(week=EMPTY_WEEK, db_path=own_db, out_dir=tmp_path, send=True)
    assert result.stories == 0
    (outcome,) = result.outcomes
    assert (outcome.status, outcome.error) == (
        "skipped",
        "no stories; CITYRADAR_DIGEST_SEND_EMPTY is off",
    )
    assert smtp_env.envelopes == []
    assert (EMPTY_WEEK, "staff@cityradar.example", "skipped", 0) in deliveries(own_db)
    # still archived, so the operator can see what would have gone out
    text = (tmp_path / EMPTY_WEEK / "staff@cityradar.example.txt").read_text("utf-8")
    assert "No smart-city stories were collected for this week." in text


def test_an_empty_week_is_sent_as_a_short_digest_by_default(own_db, smtp_env, tmp_path):
    from flows.weekly_digest import weekly_digest

    result = weekly_digest(week=EMPTY_WEEK, db_path=own_db, out_dir=tmp_path, send=True)
    assert [o.status for o in result.outcomes] == ["sent"]
    (envelope,) = smtp_env.envelopes
    mail = message_from_bytes(envelope.content, policy=policy.default)
    assert mail["Subject"].endswith(": no smart-city stories")
    text = mail.get_body(("plain",)).get_content()
    assert "No smart-city stories were collected for this week." in text
    assert len(text.splitlines()) < 25  # short: no chart table, no sections


def test_an_unusable_saved_pages_file_is_named_and_the_stories_keep_their_urls(
    ingested, own_db, smtp_env, caplog, tmp_path
):
    from flows.weekly_digest import weekly_digest

    saved_pages = own_db.parent / "saved-pages.json"
    saved_pages.write_text("{not json", encoding="utf-8")
    result = weekly_digest(week=str(ingested.week), db_path=own_db, out_dir=tmp_path)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert [w for w in warnings if "saved-pages.json" in w] == [
        f"{saved_pages}: not readable as JSON (Expecting property name enclosed in double "
        "quotes: line 1 column 2 (char 1)); the digest links to the stories' own URLs"
    ]
    html = Path(result.html_path).read_text(encoding="utf-8")
    assert 'href="http://127.0.0.1:' in html
    assert "file://" not in html

"""The weekly digest flow: read the week from the warehouse, render, write files, optionally send."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE

from cityradar.settings import Settings
from digest.query import DigestData, fetch_digest
from digest.render import RenderedDigest, render_digest
from digest.send import SmtpConfig, build_message, send_message
from digest.week import IsoWeek
from warehouse.db import connect


@dataclass
class DigestResult:
    """Where the digest went."""

    week: str
    subject: str
    stories: int
    html_path: str
    text_path: str
    sent_to: list[str] = field(default_factory=list)
    message_id: str | None = None


@task(name="read-week", cache_policy=NONE)
def read_week(db_path: Path, week: IsoWeek, tz: str) -> DigestData:
    """Query the week's stories from the analyst views (read-only)."""
    if not db_path.exists():
        raise FileNotFoundError(f"no warehouse at {db_path}: run `cityradar ingest` first")
    with connect(db_path, read_only=True) as con:
        return fetch_digest(con, week, tz)


@task(name="write-digest", cache_policy=NONE)
def write_files(digest: RenderedDigest, out_dir: Path, week: IsoWeek) -> tuple[Path, Path]:
    """Write digest-<week>.html and .txt."""
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / f"digest-{week}.html"
    text_path = out_dir / f"digest-{week}.txt"
    html_path.write_text(digest.html, encoding="utf-8")
    text_path.write_text(digest.text, encoding="utf-8")
    return html_path, text_path


@task(name="send-digest", cache_policy=NONE, retries=2, retry_delay_seconds=[10, 60])
def send_digest(
    digest: RenderedDigest, config: SmtpConfig, recipients: list[str], week: IsoWeek, out_dir: Path
) -> str:
    """Send the digest by SMTP (keeping the .eml next to the files); returns the Message-ID."""
    message = build_message(digest, config.sender, recipients, week)
    (out_dir / f"digest-{week}.eml").write_bytes(message.as_bytes())
    send_message(message, config)
    return str(message["Message-ID"])


@flow(name="weekly-digest")
def weekly_digest(
    week: str | None = None,
    db_path: Path | None = None,
    out_dir: Path | None = None,
    send: bool = False,
    to: list[str] | None = None,
) -> DigestResult:
    """Render (and with ``send``, mail) the digest of an ISO week.

    Args:
        week: ``YYYY-Www``; default the last complete week in CITYRADAR_TIMEZONE.
        db_path: the DuckDB file (default CITYRADAR_DB).
        out_dir: where the .html and .txt go (default DATA_DIR/digests).
        send: deliver by SMTP with the CITYRADAR_SMTP_* settings.
        to: recipients (default CITYRADAR_DIGEST_TO).
    """
    settings = Settings()
    iso_week = (
        IsoWeek.parse(week) if week else IsoWeek.last_complete(datetime.now(UTC), settings.timezone)
    )
    folder = out_dir or settings.digest_dir
    recipients = to or settings.digest_to
    if send and not recipients:
        raise ValueError("--send needs recipients: set CITYRADAR_DIGEST_TO or pass --to")
    data = read_week(db_path or settings.db_path, iso_week, settings.timezone)
    rendered = render_digest(data)
    html_path, text_path = write_files(rendered, folder, iso_week)
    result = DigestResult(
        str(iso_week), rendered.subject, data.smart_city_items, str(html_path), str(text_path)
    )
    if send:
        result.message_id = send_digest(
            rendered, SmtpConfig.from_settings(settings), recipients, iso_week, folder
        )
        result.sent_to = recipients
        get_run_logger().info("digest %s sent to %s", iso_week, ", ".join(recipients))
    return result

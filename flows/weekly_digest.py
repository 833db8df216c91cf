"""The weekly digest flow: read the week, make each reader's digest, archive it, send it, record it.

The flow only orchestrates: what to do for each reader and what to record is decided in
digest/delivery.py, the files are written by digest/archive.py, the rows by warehouse/deliveries.py.

Every digest (the one of every story, and each recipient's) is written as .html, .txt and .eml
and recorded in core.digest_deliveries before anything is sent. The archive is the record: a send
run writes to digests/<week>/ beside the warehouse (or under ``out_dir``), a preview only to
digests/<week>/preview/, so a preview never replaces what was sent; a digest the mail server has
(or may have) is never rewritten unless ``resend``, and each .eml keeps the Message-ID its
row records.
Sending first retries deliveries an earlier run saved but could not get through; a recipient the
week was already sent to is skipped unless ``resend``. A delivery that fails after its retries
stays recorded as failed, and the flow fails once the others are done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from functools import partial
from pathlib import Path

from cityradar.settings import Settings
from digest.archive import Archived, digest_folder, file_name, write_archive
from digest.delivery import (
    Action,
    Mode,
    Outcome,
    SendAttempt,
    beside_outcome,
    decide,
    everything_is_recorded,
    kept_outcome,
    message_id_of,
    pending,
    preview_outcome,
    preview_row,
    resumed,
    send_or_skip,
    sending,
    settled,
    settled_outcome,
    skipped,
    skipped_outcome,
    to_resume,
)
from digest.query import WeekData, fetch_week
from digest.rank import Audience, build_digest
from digest.recipients import Recipient, load_recipients, plain_recipients
from digest.render import RenderedDigest, render_digest
from digest.saved_pages import SavedPagesError, read_saved_pages, saved_pages_file
from digest.send import (
    DeliveryFailed,
    DeliveryUnconfirmed,
    SmtpConfig,
    build_message,
    deliver,
    read_message,
)
from digest.week import IsoWeek
from flows.artifacts import current_run_id, publish_digest_report
from flows.engine import NONE, flow, get_run_logger, task
from warehouse import deliveries
from warehouse.db import connect, follow_timezone
from warehouse.deliveries import EVERYONE, Delivery

__all__ = ["DigestNotDelivered", "DigestResult", "Outcome", "choose_recipients", "weekly_digest"]


class DigestNotDelivered(RuntimeError):
    """Some digests could not be sent; they are saved and the next send run tries again."""


@dataclass
class DigestResult:
    """Where the digest went."""

    week: str
    subject: str
    stories: int
    html_path: str
    text_path: str
    eml_path: str = ""
    outcomes: list[Outcome] = field(default_factory=list)
    retried: list[Outcome] = field(default_factory=list)  # earlier weeks delivered now
    mail_server: str = ""  # host:port (and security) the mail went through; empty: not sent
    run_id: str | None = None  # the Prefect flow run

    @property
    def sent_to(self) -> list[str]:
        """Recipients this run delivered the week's digest to."""
        return [o.recipient for o in self.outcomes if o.status == "sent"]

    @property
    def message_id(self) -> str | None:
        """Message-ID of the first mail sent (None when nothing was sent)."""
        return next((o.message_id for o in self.outcomes if o.status == "sent"), None)


@dataclass(frozen=True)
class Made:
    """One digest made and archived: its row (a preview until sent) and its message."""

    row: Delivery
    message: EmailMessage
    files: Archived
    subject: str
    stories: int
    empty: bool


@task(name="read-week", cache_policy=NONE)
def read_week(db_path: Path, week: IsoWeek, tz: str) -> WeekData:
    """Query the week from the analyst views (read-only, once the views' weeks are in ``tz``)."""
    if not db_path.exists():
        raise FileNotFoundError(f"no warehouse at {db_path}: run `cityradar ingest` first")
    follow_timezone(db_path, tz, Settings().db_lock_timeout)
    with connect(db_path, read_only=True) as con:
        return fetch_week(con, week, tz)


@task(name="read-deliveries", cache_policy=NONE)
def recorded_deliveries(db_path: Path, week: str) -> dict[str, Delivery]:
    """The week's delivery rows by recipient (what earlier runs made, sent or tried to send)."""
    return deliveries.read_week(db_path, week)


@task(name="unconfirm-interrupted", cache_policy=NONE)
def unconfirm_interrupted(db_path: Path, lock_timeout: float) -> int:
    """Deliveries a killed run left mid-send become unconfirmed (one send run at a time)."""
    return deliveries.mark_interrupted(db_path, lock_timeout)


@task(name="read-unfinished", cache_policy=NONE)
def unfinished_before(db_path: Path, week: str, lock_timeout: float) -> list[Delivery]:
    """Earlier weeks' deliveries that never got through and whose saved .eml is still there."""
    waiting = to_resume(deliveries.read_unfinished(db_path, lock_timeout), week)
    return [d for d in waiting if Path(d.eml_path or "").exists()]


@task(name="archive-digest", cache_policy=NONE)
def archive(digest: RenderedDigest, message: EmailMessage, folder: Path, name: str) -> Archived:
    """Write the digest as <name>.html (chart embedded), .txt and .eml."""
    return write_archive(digest, message, folder, name)


@task(name="record-delivery", cache_policy=NONE)
def record(db_path: Path, delivery: Delivery, lock_timeout: float) -> None:
    """Write one delivery's state to the warehouse (a short write)."""
    deliveries.save(db_path, delivery, lock_timeout)


@task(name="deliver-digest", cache_policy=NONE)
def send_mail(
    message: EmailMessage, config: SmtpConfig, on_handover: Callable[[], None] | None = None
) -> int:
    """Send one message, with retries; returns the tries it took (DeliveryFailed after the last,
    DeliveryUnconfirmed when the connection broke while the server was receiving it)."""
    return deliver(message, config, on_handover=on_handover).attempts


@flow(name="weekly-digest")
def weekly_digest(
    week: str | None = None,
    db_path: Path | None = None,
    out_dir: Path | None = None,
    send: bool = False,
    to: list[str] | None = None,
    resend: bool = False,
    recipients_path: Path | None = None,
) -> DigestResult:
    """Make (and with ``send``, mail) the digest of an ISO week for each recipient.

    Args:
        week: ``YYYY-Www``; default the last complete week in CITYRADAR_TIMEZONE.
        db_path: the DuckDB file (default CITYRADAR_DB).
        out_dir: where the digests are archived (default: digests/ beside the warehouse); a
            preview goes to <out_dir>/<week>/preview/, apart from what was sent.
        send: deliver by SMTP with the CITYRADAR_SMTP_* settings; without it, a preview.
        to: recipients without filters, instead of the recipients file.
        resend: send again to recipients the week was already sent to.
        recipients_path: the recipients file (default CITYRADAR_RECIPIENTS).
    """
    settings = Settings()
    iso_week = (
        IsoWeek.parse(week) if week else IsoWeek.last_complete(datetime.now(UTC), settings.timezone)
    )
    db, lock_timeout = db_path or settings.db_path, settings.db_lock_timeout
    mode = Mode.of(send, resend)
    readers = choose_recipients(settings, to, recipients_path, send)
    folder = digest_folder(db, out_dir, iso_week, preview=not send)
    data = read_week(db, iso_week, settings.timezone)
    data.saved_pages = _saved_pages(db)
    config = SmtpConfig.from_settings(settings)
    recorded = recorded_deliveries(db, str(iso_week))
    everything = _make(data, Audience(key_cities=tuple(settings.digest_cities)), config, folder)
    if everything_is_recorded(recorded.get(EVERYONE), mode):
        record(db, everything.row, lock_timeout)
    result = _result(everything, run_id=current_run_id())
    if send:
        result.mail_server = f"{config.host}:{config.port} ({config.security.value})"
        unconfirm_interrupted(db, lock_timeout)
        saved = unfinished_before(db, str(iso_week), lock_timeout)
        result.retried = [_resume(delivery, config, db, lock_timeout) for delivery in saved]
        # what earlier runs sent is known now, retries of earlier weeks included
        recorded = recorded_deliveries(db, str(iso_week))
    result.outcomes = [
        _for_reader(reader, recorded.get(reader.email), mode, data, settings, config, folder, db)
        for reader in readers
    ]
    publish_digest_report(result)
    _report(result)
    return result


def choose_recipients(
    settings: Settings, to: list[str] | None, recipients_path: Path | None, send: bool
) -> list[Recipient]:
    """Who this run is for: ``--to`` if given, else the recipients file plus CITYRADAR_DIGEST_TO.

    Raises RecipientsError for a bad file or address, ValueError when sending to nobody.
    """
    readers = (
        plain_recipients(to)
        if to
        else load_recipients(recipients_path or settings.recipients, settings.digest_to)
    )
    if send and not readers:
        raise ValueError("--send needs recipients: a recipients file, CITYRADAR_DIGEST_TO, or --to")
    return readers


def _for_reader(
    reader: Recipient,
    earlier: Delivery | None,
    mode: Mode,
    data: WeekData,
    settings: Settings,
    config: SmtpConfig,
    folder: Path,
    db: Path,
) -> Outcome:
    """Make, archive, record and (when sending) deliver one recipient's digest, as
    digest/delivery.py decides from the row earlier runs left (``earlier``)."""
    action = decide(earlier, mode)
    if action is Action.KEEP and earlier is not None:
        return kept_outcome(earlier)
    made = _make(data, reader.audience(settings.digest_cities), config, folder, reader)
    if action is Action.PREVIEW_BESIDE and earlier is not None:
        return beside_outcome(made.row, earlier)
    if action is Action.PREVIEW:
        record(db, made.row, settings.db_lock_timeout)
        return preview_outcome(made.row)
    if send_or_skip(made.empty, settings.digest_send_empty) is Action.SKIP:
        record(db, skipped(made.row), settings.db_lock_timeout)
        return skipped_outcome(made.row)
    return _send_recorded(made.message, made.row, config, db, settings.db_lock_timeout)


def _make(
    data: WeekData,
    audience: Audience,
    config: SmtpConfig,
    folder: Path,
    reader: Recipient | None = None,
) -> Made:
    """Build, render and archive one digest: a reader's, or (no ``reader``) the digest of every
    story, addressed to the sender and recorded for recipient *, never sent."""
    digest = build_digest(data, audience)
    rendered = render_digest(digest)
    if reader is None:
        message = build_message(rendered, config.sender, config.sender, data.week)
        recipient, name = EVERYONE, "everything"
    else:
        message = build_message(rendered, config.sender, reader.email, data.week, reader.name)
        recipient, name = reader.email, file_name(reader.email)
    files = archive(rendered, message, folder, name)
    row = preview_row(
        str(data.week), recipient, rendered.subject, digest.stories, files, message_id_of(message)
    )
    return Made(row, message, files, rendered.subject, digest.stories, digest.is_empty)


def _result(everything: Made, run_id: str | None) -> DigestResult:
    """The run's result before any reader's outcome: the digest of every story."""
    return DigestResult(
        week=everything.row.week,
        subject=everything.subject,
        stories=everything.stories,
        html_path=str(everything.files.html),
        text_path=str(everything.files.text),
        eml_path=str(everything.files.eml),
        run_id=run_id,
    )


def _send_recorded(
    message: EmailMessage, row: Delivery, config: SmtpConfig, db: Path, lock_timeout: float
) -> Outcome:
    """Record the delivery as pending, send it, record how it went.

    ``sending`` is written just before the message goes to the server (from inside the send):
    a run killed after that leaves it, and the next send run marks it unconfirmed instead of
    mailing it again.
    """
    record(db, pending(row), lock_timeout)
    attempt = _attempt(message, config, partial(deliveries.save, db, sending(row), lock_timeout))
    record(db, settled(row, attempt), lock_timeout)
    return settled_outcome(row, attempt)


def _attempt(
    message: EmailMessage, config: SmtpConfig, on_handover: Callable[[], None]
) -> SendAttempt:
    """Send one message; a failure after the retries is an answer to record, not an error."""
    try:
        tries = send_mail(message, config, on_handover)
    except DeliveryUnconfirmed as exc:  # first: it is also a DeliveryFailed
        return SendAttempt("unconfirmed", exc.attempts, str(exc))
    except DeliveryFailed as exc:
        return SendAttempt("failed", exc.attempts, str(exc))
    return SendAttempt("sent", tries, at=datetime.now(UTC))


def _resume(saved: Delivery, config: SmtpConfig, db: Path, lock_timeout: float) -> Outcome:
    """Send an earlier week's delivery that never got through, as its .eml was saved."""
    message = read_message(Path(saved.eml_path or ""))
    return _send_recorded(message, resumed(saved, message_id_of(message)), config, db, lock_timeout)


def _saved_pages(db: Path) -> dict[str, str]:
    """Saved copies of stories' pages beside the warehouse (the demo's), which the digest links
    to; a file that cannot be used is named in one warning line, and the stories keep their URLs."""
    try:
        return read_saved_pages(saved_pages_file(db))
    except SavedPagesError as exc:
        get_run_logger().warning("%s; the digest links to the stories' own URLs", exc)
        return {}


def _report(result: DigestResult) -> None:
    """Log what happened, and fail the run when a digest could not be sent."""
    log = get_run_logger()
    failed = [o for o in [*result.retried, *result.outcomes] if o.status == "failed"]
    for outcome in [*result.retried, *result.outcomes]:
        if outcome.status == "unconfirmed":
            log.warning(
                "digest %s for %s: unconfirmed: %s", result.week, outcome.recipient, outcome.error
            )
        else:
            log.info("digest %s for %s: %s", result.week, outcome.recipient, outcome.status)
    if failed:
        raise DigestNotDelivered(
            f"{len(failed)} digest(s) not delivered, saved for the next run: "
            + "; ".join(o.error or o.recipient for o in failed)
        )

"""The weekly digest flow: read the week, make each reader's digest, archive it, send it, record it.

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

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from cityradar.settings import Settings
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
from warehouse.deliveries import EVERYONE, HANDED_OVER, Delivery

# previews are written here, inside the week's folder: apart from the digests that were sent
PREVIEW_FOLDER = "preview"


class DigestNotDelivered(RuntimeError):
    """Some digests could not be sent; they are saved and the next send run tries again."""


@dataclass
class Outcome:
    """What happened to one recipient's digest in this run."""

    recipient: str
    status: str  # preview | sent | failed | skipped | already sent
    html_path: str
    eml_path: str
    stories: int
    message_id: str | None = None
    attempts: int = 0
    error: str | None = None
    note: str | None = None  # e.g. where the copy that was sent stays, beside a preview


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
class Archived:
    """The files of one digest."""

    html: Path
    text: Path
    eml: Path


@task(name="read-week", cache_policy=NONE)
def read_week(db_path: Path, week: IsoWeek, tz: str) -> WeekData:
    """Query the week from the analyst views (read-only, once the views' weeks are in ``tz``)."""
    if not db_path.exists():
        raise FileNotFoundError(f"no warehouse at {db_path}: run `cityradar ingest` first")
    follow_timezone(db_path, tz, Settings().db_lock_timeout)
    with connect(db_path, read_only=True) as con:
        return fetch_week(con, week, tz)


@task(name="archive-digest", cache_policy=NONE)
def archive(digest: RenderedDigest, message: EmailMessage, folder: Path, name: str) -> Archived:
    """Write the digest as <name>.html (chart embedded), .txt and .eml."""
    folder.mkdir(parents=True, exist_ok=True)
    files = Archived(folder / f"{name}.html", folder / f"{name}.txt", folder / f"{name}.eml")
    _write_whole(files.html, digest.standalone_html().encode("utf-8"))
    _write_whole(files.text, digest.text.encode("utf-8"))
    _write_whole(files.eml, message.as_bytes())
    return files


def _write_whole(path: Path, data: bytes) -> None:
    """Write a file so that it is either the old one or the new one, never half of each: a run
    killed mid-write must not leave a truncated .eml for the next send run to deliver."""
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    partial.replace(path)


def digest_folder(db_path: Path, out_dir: Path | None, week: IsoWeek) -> Path:
    """The week's archive folder: under ``out_dir``, else digests/ beside the warehouse in use.

    Beside the warehouse, so the digests of another warehouse (the demo's, a test copy) never
    land in, or replace files of, the real archive.
    """
    return (out_dir or db_path.parent / "digests") / str(week)


@task(name="record-delivery", cache_policy=NONE)
def record(db_path: Path, delivery: Delivery, lock_timeout: float) -> None:
    """Write one delivery's state to the warehouse (a short write)."""
    write_delivery(db_path, delivery, lock_timeout)


def write_delivery(db_path: Path, delivery: Delivery, lock_timeout: float) -> None:
    """Write one delivery's state (the body of ``record``, also called mid-send)."""
    with connect(db_path, lock_timeout=lock_timeout) as con:
        deliveries.record(con, delivery)


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
    db = db_path or settings.db_path
    readers = choose_recipients(settings, to, recipients_path, send)
    folder = digest_folder(db, out_dir, iso_week)
    if not send:
        folder = folder / PREVIEW_FOLDER
    data = read_week(db, iso_week, settings.timezone)
    data.saved_pages = _saved_pages(db)
    config = SmtpConfig.from_settings(settings)
    recorded = _recorded(db, str(iso_week))
    rendered, stories, files = _archive_everything(data, settings, config, folder, db, recorded)
    result = DigestResult(
        week=str(iso_week),
        subject=rendered.subject,
        stories=stories,
        html_path=str(files.html),
        text_path=str(files.text),
        eml_path=str(files.eml),
        run_id=current_run_id(),
    )
    if send:
        result.mail_server = f"{config.host}:{config.port} ({config.security.value})"
        _unconfirm_interrupted(db, settings.db_lock_timeout)
        result.retried = _deliver_unfinished(db, config, settings, before=str(iso_week))
    if send:  # what earlier runs sent is known now, retries of earlier weeks included
        recorded = _recorded(db, str(iso_week))
    for reader in readers:
        result.outcomes.append(
            _one_reader(reader, data, settings, config, folder, db, send, recorded, resend)
        )
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


def _archive_everything(
    data: WeekData,
    settings: Settings,
    config: SmtpConfig,
    folder: Path,
    db: Path,
    recorded: dict[str, Delivery],
) -> tuple[RenderedDigest, int, Archived]:
    """The digest of every story: archived and recorded for recipient *, never sent.

    A preview does not move the record of a send run's copy to the preview's files.
    """
    digest = build_digest(data, Audience(key_cities=tuple(settings.digest_cities)))
    rendered = render_digest(digest)
    message = build_message(rendered, config.sender, config.sender, data.week)
    files = archive(rendered, message, folder, "everything")
    if folder.name != PREVIEW_FOLDER or _preview_may_record(recorded.get(EVERYONE)):
        record(
            db,
            _delivery(data.week, EVERYONE, "preview", rendered, digest.stories, files, message),
            settings.db_lock_timeout,
        )
    return rendered, digest.stories, files


def _one_reader(
    reader: Recipient,
    data: WeekData,
    settings: Settings,
    config: SmtpConfig,
    folder: Path,
    db: Path,
    send_now: bool,
    recorded: dict[str, Delivery],
    resend: bool,
) -> Outcome:
    """Make, archive, record and (when sending) deliver one recipient's digest."""
    earlier = recorded.get(reader.email)
    if send_now and not resend and earlier and earlier.status in HANDED_OVER:
        return _kept(earlier)  # its files stay as they were sent
    digest = build_digest(data, reader.audience(settings.digest_cities))
    rendered = render_digest(digest)
    message = build_message(rendered, config.sender, reader.email, data.week, reader.name)
    files = archive(rendered, message, folder, _file_name(reader.email))
    outcome = Outcome(reader.email, "preview", str(files.html), str(files.eml), digest.stories)
    state = _delivery(data.week, reader.email, "preview", rendered, digest.stories, files, message)
    if not send_now:
        if _preview_may_record(earlier):  # a preview never hides a delivery
            record(db, state, settings.db_lock_timeout)
        elif earlier is not None:
            outcome.note = f"the {earlier.status} digest stays {earlier.eml_path}"
        return outcome
    if digest.is_empty and not settings.digest_send_empty:
        outcome.status, outcome.error = "skipped", "no stories; CITYRADAR_DIGEST_SEND_EMPTY is off"
        record(db, _with(state, "skipped", error=outcome.error), settings.db_lock_timeout)
        return outcome
    return _send_recorded(message, state, config, db, settings.db_lock_timeout, outcome)


def _send_recorded(
    message: EmailMessage,
    state: Delivery,
    config: SmtpConfig,
    db: Path,
    lock_timeout: float,
    outcome: Outcome,
) -> Outcome:
    """Record the delivery as pending, send it, record how it went.

    ``sending`` is written just before the message goes to the server: a run killed after that
    leaves it, and the next send run marks it unconfirmed instead of mailing it again.
    """
    record(db, _with(state, "pending"), lock_timeout)
    outcome.message_id = _message_id(message)
    try:
        outcome.attempts = send_mail(
            message, config, lambda: write_delivery(db, _with(state, "sending"), lock_timeout)
        )
    except DeliveryUnconfirmed as exc:
        outcome.status, outcome.attempts, outcome.error = "unconfirmed", exc.attempts, str(exc)
        record(db, _with(state, "unconfirmed", attempts=exc.attempts, error=str(exc)), lock_timeout)
        return outcome
    except DeliveryFailed as exc:
        outcome.status, outcome.attempts, outcome.error = "failed", exc.attempts, str(exc)
        record(db, _with(state, "failed", attempts=exc.attempts, error=str(exc)), lock_timeout)
        return outcome
    outcome.status = "sent"
    record(
        db,
        _with(state, "sent", attempts=outcome.attempts, sent_at=datetime.now(UTC)),
        lock_timeout,
    )
    return outcome


def _saved_pages(db: Path) -> dict[str, str]:
    """Saved copies of stories' pages beside the warehouse (the demo's), which the digest links
    to; a file that cannot be used is named in one warning line, and the stories keep their URLs."""
    try:
        return read_saved_pages(saved_pages_file(db))
    except SavedPagesError as exc:
        get_run_logger().warning("%s; the digest links to the stories' own URLs", exc)
        return {}


def _kept(earlier: Delivery) -> Outcome:
    """The outcome of a delivery the server has or may have: nothing made, nothing written."""
    outcome = Outcome(
        earlier.recipient,
        "already sent" if earlier.status == "sent" else "unconfirmed",
        earlier.html_path or "",
        earlier.eml_path or "",
        earlier.items or 0,
        message_id=earlier.message_id,
    )
    if earlier.status != "sent":  # the server may have it: never a second mail without --resend
        outcome.error = earlier.error
    return outcome


def _preview_may_record(earlier: Delivery | None) -> bool:
    """A preview is recorded over nothing or over another preview, never over a delivery (sent,
    pending, failed, ...): the row must keep pointing at the files that were or will be sent.

    The digest of everything is always a ``preview``; a send run's copy of it stays recorded.
    """
    if earlier is None:
        return True
    if earlier.status != "preview":
        return False
    return earlier.recipient != EVERYONE or Path(earlier.eml_path or "").parent.name == (
        PREVIEW_FOLDER
    )


def _deliver_unfinished(
    db: Path, config: SmtpConfig, settings: Settings, before: str
) -> list[Outcome]:
    """Send the saved .eml of earlier weeks' deliveries that never got through."""
    with connect(db, lock_timeout=settings.db_lock_timeout) as con:
        waiting = [d for d in deliveries.unfinished(con) if d.week < before]
    outcomes = []
    for delivery in waiting:
        if not delivery.eml_path or not Path(delivery.eml_path).exists():
            continue
        message = read_message(Path(delivery.eml_path))
        # the row records the Message-ID of the message that goes out: the saved one
        delivery = replace(delivery, message_id=_message_id(message))
        outcome = Outcome(
            delivery.recipient,
            "preview",
            delivery.html_path or "",
            delivery.eml_path,
            delivery.items or 0,
        )
        outcomes.append(
            _send_recorded(message, delivery, config, db, settings.db_lock_timeout, outcome)
        )
    return outcomes


def _recorded(db: Path, week: str) -> dict[str, Delivery]:
    """The week's delivery rows by recipient (what earlier runs made, sent or tried to send)."""
    with connect(db, read_only=True) as con:
        return deliveries.of_week(con, week)


def _unconfirm_interrupted(db: Path, lock_timeout: float) -> None:
    """Deliveries a killed run left mid-send become unconfirmed (one send run at a time)."""
    with connect(db, lock_timeout=lock_timeout) as con:
        deliveries.unconfirm_interrupted(con)


def _delivery(
    week: IsoWeek,
    recipient: str,
    status: str,
    rendered: RenderedDigest,
    stories: int,
    files: Archived,
    message: EmailMessage,
) -> Delivery:
    return Delivery(
        week=str(week),
        recipient=recipient,
        status=status,
        message_id=_message_id(message),
        subject=rendered.subject,
        items=stories,
        html_path=str(files.html),
        eml_path=str(files.eml),
    )


def _message_id(message: EmailMessage) -> str:
    """The Message-ID as the row records it: a message read back from its .eml has the header
    folded onto its own line, and the fold must not become part of the id."""
    return str(message["Message-ID"]).strip()


def _with(delivery: Delivery, status: str, **changes: object) -> Delivery:
    fields = {**delivery.__dict__, "status": status, **changes}
    return Delivery(**fields)


def _file_name(address: str) -> str:
    """A file name for a recipient's digest: their address, made safe."""
    return re.sub(r"[^A-Za-z0-9@._-]+", "_", address.lower())


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

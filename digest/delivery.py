"""What a digest run does for each reader, and what it records: the delivery state machine.

Pure functions over the rows of core.digest_deliveries (``warehouse.deliveries.Delivery``; its
module docstring says what each status means). The digest flow reads the rows, asks here what to
do, does it (make the files, send the mail) and writes the rows returned here.

A reader's row moves so:

    (none) | preview  --preview run-->  preview        (a preview never hides a delivery)
    (none) | preview | pending | failed | skipped  --send run-->  pending -> sending -> sent
                                                                     |          |-> unconfirmed
                                                                     |-> failed (tried again)
    an empty week with sending empty digests off  -->  skipped
    sent | sending | unconfirmed  --send run-->  kept as it is (the server has, or may have, it)
    any  --resend run-->  pending -> sending -> ...  (as a send run, handed-over rows included)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from email.message import EmailMessage
from enum import StrEnum
from pathlib import Path

from digest.archive import PREVIEW_FOLDER, Archived
from warehouse.deliveries import EVERYONE, HANDED_OVER, Delivery

SKIPPED_EMPTY = "no stories; CITYRADAR_DIGEST_SEND_EMPTY is off"


class Mode(StrEnum):
    """What the run was asked to do."""

    PREVIEW = "preview"  # write the digests, send nothing
    SEND = "send"  # send to readers the week has not reached yet
    RESEND = "resend"  # send to every reader, whatever earlier runs did

    @classmethod
    def of(cls, send: bool, resend: bool) -> Mode:
        """The mode of the ``--send`` and ``--resend`` flags (``--resend`` alone previews)."""
        if not send:
            return cls.PREVIEW
        return cls.RESEND if resend else cls.SEND


class Action(StrEnum):
    """What the run does for one reader."""

    KEEP = "keep"  # the server has (or may have) the week's mail: nothing made, nothing written
    PREVIEW = "preview"  # write the files and record them as a preview
    PREVIEW_BESIDE = "preview beside"  # write the files, leave the delivery's row as it is
    SEND = "send"  # write the files, record them pending, send
    SKIP = "skip"  # write the files, record them skipped: an empty week nobody wants mailed


@dataclass
class Outcome:
    """What happened to one recipient's digest in this run."""

    recipient: str
    status: str  # preview | sent | failed | skipped | already sent | unconfirmed
    html_path: str
    eml_path: str
    stories: int
    message_id: str | None = None
    attempts: int = 0
    error: str | None = None
    note: str | None = None  # e.g. where the copy that was sent stays, beside a preview


@dataclass(frozen=True)
class SendAttempt:
    """How handing one message to the mail server went."""

    status: str  # sent | failed | unconfirmed
    attempts: int
    error: str | None = None
    at: datetime | None = None  # when it was sent


def decide(earlier: Delivery | None, mode: Mode) -> Action:
    """What to do for a reader whose row of the week is ``earlier``, before anything is made.

    A send run that finds SEND still makes the digest first: ``send_or_skip`` then decides on
    its content.
    """
    if mode is Mode.PREVIEW:
        return Action.PREVIEW if preview_may_record(earlier) else Action.PREVIEW_BESIDE
    if mode is Mode.SEND and earlier is not None and earlier.status in HANDED_OVER:
        return Action.KEEP  # its files stay as they were sent
    return Action.SEND


def send_or_skip(empty: bool, send_empty: bool) -> Action:
    """Whether a digest that is about to be sent goes out (an empty one only when wanted)."""
    return Action.SKIP if empty and not send_empty else Action.SEND


def preview_may_record(earlier: Delivery | None) -> bool:
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


def everything_is_recorded(earlier: Delivery | None, mode: Mode) -> bool:
    """Whether the digest of every story is recorded (for recipient *): always by a send run,
    by a preview only over an earlier preview's record."""
    return mode is not Mode.PREVIEW or preview_may_record(earlier)


def to_resume(unfinished: list[Delivery], week: str) -> list[Delivery]:
    """Deliveries of weeks before ``week`` that were saved but never got through (pending,
    failed) and whose .eml a send run sends as saved; the run's own week is sent afresh."""
    return [d for d in unfinished if d.week < week and d.eml_path]


def preview_row(
    week: str, recipient: str, subject: str, stories: int, files: Archived, message_id: str
) -> Delivery:
    """The row of a digest just made: a preview until it is sent."""
    return Delivery(
        week=week,
        recipient=recipient,
        status="preview",
        message_id=message_id,
        subject=subject,
        items=stories,
        html_path=str(files.html),
        eml_path=str(files.eml),
    )


def resumed(row: Delivery, message_id: str) -> Delivery:
    """A saved delivery about to be sent again: the row records the Message-ID of the message
    that goes out, the saved one."""
    return replace(row, message_id=message_id)


def message_id_of(message: EmailMessage) -> str:
    """The Message-ID as the row records it: a message read back from its .eml has the header
    folded onto its own line, and the fold must not become part of the id."""
    return str(message["Message-ID"]).strip()


def pending(row: Delivery) -> Delivery:
    """About to be sent: the server has not got it, so a crash leaves it for the next run."""
    return replace(row, status="pending")


def sending(row: Delivery) -> Delivery:
    """Written just before the message goes to the server: a run killed after that leaves it,
    and the next send run marks it unconfirmed instead of mailing it again."""
    return replace(row, status="sending")


def skipped(row: Delivery) -> Delivery:
    """An empty week not sent (CITYRADAR_DIGEST_SEND_EMPTY off)."""
    return replace(row, status="skipped", error=SKIPPED_EMPTY)


def settled(row: Delivery, attempt: SendAttempt) -> Delivery:
    """The row once the mail server answered: sent (and when), failed or unconfirmed (and why)."""
    if attempt.status == "sent":
        return replace(row, status="sent", attempts=attempt.attempts, sent_at=attempt.at)
    return replace(row, status=attempt.status, attempts=attempt.attempts, error=attempt.error)


def preview_outcome(row: Delivery) -> Outcome:
    """The outcome of a digest made and not sent."""
    return Outcome(
        row.recipient, "preview", row.html_path or "", row.eml_path or "", row.items or 0
    )


def beside_outcome(row: Delivery, earlier: Delivery) -> Outcome:
    """A preview written beside a delivery it must not hide: it says where that one stays."""
    note = f"the {earlier.status} digest stays {earlier.eml_path}"
    return replace(preview_outcome(row), note=note)


def skipped_outcome(row: Delivery) -> Outcome:
    """The outcome of an empty week not sent."""
    return replace(preview_outcome(row), status="skipped", error=SKIPPED_EMPTY)


def settled_outcome(row: Delivery, attempt: SendAttempt) -> Outcome:
    """The outcome of a send: sent, failed or unconfirmed, with the tries and the Message-ID."""
    return replace(
        preview_outcome(row),
        status=attempt.status,
        attempts=attempt.attempts,
        error=attempt.error,
        message_id=row.message_id,
    )


def kept_outcome(earlier: Delivery) -> Outcome:
    """The outcome of a delivery the server has or may have: nothing made, nothing written."""
    sent = earlier.status == "sent"
    return Outcome(
        earlier.recipient,
        "already sent" if sent else "unconfirmed",
        earlier.html_path or "",
        earlier.eml_path or "",
        earlier.items or 0,
        message_id=earlier.message_id,
        # the server may have it: never a second mail without --resend, and the reason says so
        error=None if sent else earlier.error,
    )

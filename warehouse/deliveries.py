"""The record of digest deliveries (core.digest_deliveries): one row per ISO week and recipient.

The digest flow writes here, each write a short transaction, so the lock is never held while a
mail server is slow. A row's status: ``preview`` (written, not sent), ``pending`` (about to be
sent; the server has not got it, so a crash leaves it for the next send run to deliver),
``sending`` (the message is going to the server; a run killed now leaves it so), ``sent``,
``failed`` (the server refused it or could not be reached; the next send run tries again),
``unconfirmed`` (the connection broke, or the run died, while the server was receiving it: it may
have arrived, and is never sent again without ``--resend``) or ``skipped`` (an empty week, with
sending empty digests turned off).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from warehouse.db import connect, one_row

# the recipient of the digest of everything, kept for the archive and sent to nobody
EVERYONE = "*"
# the states of a delivery the mail server has, or may have: never made or sent again unasked
HANDED_OVER = ("sent", "sending", "unconfirmed")


@dataclass(frozen=True)
class Delivery:
    """One week's digest for one recipient, and what became of it."""

    week: str
    recipient: str
    status: str
    attempts: int = 0
    message_id: str | None = None
    subject: str | None = None
    items: int | None = None
    html_path: str | None = None
    eml_path: str | None = None
    error: str | None = None
    sent_at: datetime | None = None


def record(con: duckdb.DuckDBPyConnection, delivery: Delivery) -> None:
    """Write a delivery's current state (keeping when it was first recorded)."""
    con.execute(
        """
        insert into core.digest_deliveries
        values ($week, $recipient, $status, $attempts, $message_id, $subject, $items,
                $html_path, $eml_path, $error, $now, $sent_at)
        on conflict (week, recipient) do update set
            status = excluded.status, attempts = excluded.attempts,
            message_id = excluded.message_id, subject = excluded.subject,
            items = excluded.items, html_path = excluded.html_path,
            eml_path = excluded.eml_path, error = excluded.error, sent_at = excluded.sent_at
        """,
        {**delivery.__dict__, "now": datetime.now(UTC)},
    )


_COLUMNS = (
    "week, recipient, status, attempts, message_id, subject, items, html_path, eml_path, error,"
    " sent_at"
)
INTERRUPTED = (
    "the run ended while the mail server was receiving this digest: it may have been "
    "delivered, so it is not sent again; look for its Message-ID in the mailbox and resend "
    "with --resend if it is missing"
)


def of_week(con: duckdb.DuckDBPyConnection, week: str) -> dict[str, Delivery]:
    """Every delivery row of the week, by recipient, whatever its state."""
    cursor = con.execute(f"select {_COLUMNS} from core.digest_deliveries where week = ?", [week])
    return {row[1]: Delivery(*row) for row in cursor.fetchall()}


def unconfirm_interrupted(con: duckdb.DuckDBPyConnection) -> int:
    """Mark the deliveries a killed run left mid-send as unconfirmed; returns how many."""
    (count,) = one_row(  # DuckDB answers an update with the number of rows it changed
        con,
        "update core.digest_deliveries set status = 'unconfirmed', error = ?"
        " where status = 'sending'",
        [INTERRUPTED],
    )
    return int(count)


def unfinished(con: duckdb.DuckDBPyConnection) -> list[Delivery]:
    """Deliveries that were saved but never got through, oldest week first."""
    cursor = con.execute(
        f"select {_COLUMNS} from core.digest_deliveries"
        " where status in ('pending', 'failed') order by week, recipient"
    )
    return [Delivery(*row) for row in cursor.fetchall()]


# --- the same, each in its own short connection to the warehouse file (the digest flow's) ---


def save(db_path: Path, delivery: Delivery, lock_timeout: float) -> None:
    """Write one delivery's state in a transaction of its own (the lock held only for it)."""
    with connect(db_path, lock_timeout=lock_timeout) as con:
        record(con, delivery)


def read_week(db_path: Path, week: str) -> dict[str, Delivery]:
    """The week's delivery rows by recipient (what earlier runs made, sent or tried to send)."""
    with connect(db_path, read_only=True) as con:
        return of_week(con, week)


def mark_interrupted(db_path: Path, lock_timeout: float) -> int:
    """``unconfirm_interrupted`` in its own transaction; returns how many rows it changed."""
    with connect(db_path, lock_timeout=lock_timeout) as con:
        return unconfirm_interrupted(con)


def read_unfinished(db_path: Path, lock_timeout: float) -> list[Delivery]:
    """``unfinished``, read through a connection that waits up to ``lock_timeout`` for the
    warehouse, like the writes around it in a send run."""
    with connect(db_path, lock_timeout=lock_timeout) as con:
        return unfinished(con)

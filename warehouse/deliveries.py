"""The record of digest deliveries (core.digest_deliveries): one row per ISO week and recipient.

The digest flow writes here, each write a short transaction, so the lock is never held while a
mail server is slow. A row's status: ``preview`` (written, not sent), ``pending`` (being sent; a
crash leaves it so, and the next send run delivers it), ``sent``, ``failed`` (the next send run
tries again) or ``skipped`` (an empty week, with sending empty digests turned off).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

# the recipient of the digest of everything, kept for the archive and sent to nobody
EVERYONE = "*"


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


def sent_recipients(con: duckdb.DuckDBPyConnection, week: str) -> set[str]:
    """Recipients the week's digest was already delivered to."""
    rows = con.execute(
        "select recipient from core.digest_deliveries where week = ? and status = 'sent'", [week]
    ).fetchall()
    return {recipient for (recipient,) in rows}


def unfinished(con: duckdb.DuckDBPyConnection) -> list[Delivery]:
    """Deliveries that were saved but never got through, oldest week first."""
    cursor = con.execute(
        """
        select week, recipient, status, attempts, message_id, subject, items, html_path,
               eml_path, error, sent_at
        from core.digest_deliveries
        where status in ('pending', 'failed')
        order by week, recipient
        """
    )
    return [Delivery(*row) for row in cursor.fetchall()]

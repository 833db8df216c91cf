"""What the warehouse knows that the next crawl needs: validators per URL, known entries, run history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from cityradar.items import SourceState

# entries not listed for this long are not worth remembering for skip decisions
KNOWN_FOR_DAYS = 90


@dataclass(frozen=True)
class RunHistory:
    """A source's recent record, for deciding whether it is due."""

    consecutive_failures: int
    last_run_at: datetime | None


def source_state(con: duckdb.DuckDBPyConnection, source_id: str) -> SourceState:
    """Validators of the URLs a source's crawls fetched, and the fingerprints of its entries."""
    validators = {
        url: {"etag": etag, "last_modified": modified, "body_sha256": digest}
        for url, etag, modified, digest in con.execute(
            "select url, etag, last_modified, body_sha256 from core.http_cache where source_id = ?",
            [source_id],
        ).fetchall()
    }
    known = dict(
        con.execute(
            f"""
            select url, entry_fingerprint from core.items
            where source_id = ? and url is not null and entry_fingerprint is not null
              and last_seen_at >= now() - interval {KNOWN_FOR_DAYS} day
            """,
            [source_id],
        ).fetchall()
    )
    return SourceState(validators=validators, known=known)


def run_history(con: duckdb.DuckDBPyConnection) -> dict[str, RunHistory]:
    """Consecutive failures and the last crawl time of every source that ever ran."""
    rows = con.execute(
        "select source_id, consecutive_failures, last_run_at from source_health where last_run_at is not null"
    ).fetchall()
    return {source_id: RunHistory(failures, last_run) for source_id, failures, last_run in rows}

"""Digest speed: query, rank and render the digest of a week holding 20,000 items.

    python -m bench.digest --items 20000 --db data/bench/digest.duckdb

Loads twice the items over the last fourteen days (so the last complete ISO week holds about
``--items`` of them, each its own story: the worst case for ranking) into a fresh warehouse,
then times what the weekly digest flow does for the digest of everything: read the week from
the views, rank, and render both parts with the chart. Best of three runs.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import synthetic
from bench.load import batch_of
from digest.query import fetch_week
from digest.rank import Audience, build_digest
from digest.render import render_digest
from digest.week import IsoWeek
from warehouse.db import connect
from warehouse.loader import merge_tables

TIMEZONE = "Asia/Seoul"


def build(db: Path, items: int) -> None:
    """A warehouse with ``2 * items`` items over the last 14 days."""
    db.unlink(missing_ok=True)
    count = 2 * items
    made = list(synthetic.items(0, count, "bench-digest", span_days=14, per_span=count))
    batch = batch_of("bench-digest", made, [synthetic.raw_record(i) for i in made])
    with connect(db) as con:
        merge_tables(con, batch)


def time_digest(db: Path, week: IsoWeek) -> tuple[float, int, int]:
    """Seconds to read, rank and render the week; the week's items and the HTML's size."""
    started = time.perf_counter()
    with connect(db, read_only=True) as con:
        data = fetch_week(con, week, TIMEZONE)
    digest = build_digest(data, Audience(key_cities=("Seoul", "Busan", "Incheon", "Sejong")))
    rendered = render_digest(digest)
    return time.perf_counter() - started, data.totals.collected, len(rendered.html)


def main() -> None:
    """Build, then time three times."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--db", type=Path, default=Path("data/bench/digest.duckdb"))
    args = parser.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    build(args.db, args.items)
    week = IsoWeek.last_complete(datetime.now(UTC), TIMEZONE)
    runs = [time_digest(args.db, week) for _ in range(3)]
    best = min(seconds for seconds, _, _ in runs)
    _, items, html = runs[0]
    print(
        f"digest of {week}: {items} items in the week; read + rank + render "
        f"{best:.2f} s (best of 3; runs {', '.join(f'{s:.2f}' for s, _, _ in runs)}), "
        f"HTML {html / 1024:.0f} KiB"
    )


if __name__ == "__main__":
    main()

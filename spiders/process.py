"""Start one source's crawl in a child process and always come back with a crawl report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import certifi

from cityradar.items import CrawlReport, utc_now_iso
from cityradar.registry import Source
from cityradar.staging import Batch, read_jsonl

LOG_TAIL_CHARS = 600


def crawl_in_subprocess(
    source: Source,
    batch: Batch,
    overrides: dict[str, object],
    timeout: float,
    since: str | None = None,
) -> CrawlReport:
    """Crawl ``source`` into ``batch`` with ``python -m spiders.run``.

    Args:
        source: the registry entry.
        batch: the staging batch to write into.
        overrides: Scrapy settings for this crawl.
        timeout: seconds before the child is killed (it closes itself a little earlier).
        since: a backfill: read the source's archive back to this ISO date.

    Returns:
        The child's report; when the child died or hung, a failed report saying so, counting
        the items it had already written (they stay in the batch).
    """
    command = [
        sys.executable,
        "-m",
        "spiders.run",
        "--batch",
        str(batch.path),
        "--source",
        source.model_dump_json(),
        "--settings",
        json.dumps(overrides),
        *(["--since", since] if since else []),
    ]
    started = utc_now_iso()
    log_path = batch.log_file(source.id)
    with log_path.open("ab") as log:
        try:
            code: int | None = subprocess.run(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
                env=_child_environment(source, batch),
            ).returncode
        except subprocess.TimeoutExpired:
            code = None
    report = batch.read_report(source.id)
    if report is not None:
        return report
    if code is None:
        error = f"crawl process killed after {timeout:.0f} s without finishing"
    else:
        error = f"crawl process exited with status {code}: {_tail(log_path)}"
    items = _count_items(batch.items_file(source.id))
    report = CrawlReport(
        source_id=source.id,
        batch_id=batch.batch_id,
        started_at=started,
        finished_at=utc_now_iso(),
        status="failed",
        items_seen=items,
        error=error,
        finish_reason="process_failed",
        # a crash (out of memory, a killed child) may not happen twice; a hang would
        retryable=code is not None and items == 0,
    )
    batch.write_report(report)
    return report


def _child_environment(source: Source, batch: Batch) -> dict[str, str]:
    """The crawl's environment; a source's extra CA certificates join the trusted roots.

    OpenSSL reads SSL_CERT_FILE when it verifies a server, so the child trusts the usual roots
    (certifi's) plus the certificates a source needs for a server with an incomplete chain.
    """
    env = dict(os.environ)
    if source.ca_file:
        bundle = batch.path / "state" / f"{source.id}.ca.pem"
        extra = Path(source.ca_file).read_text(encoding="ascii")
        bundle.write_text(
            Path(certifi.where()).read_text(encoding="ascii") + "\n" + extra, encoding="ascii"
        )
        env["SSL_CERT_FILE"] = str(bundle)
    return env


def _count_items(path: Path) -> int:
    return sum(1 for _ in read_jsonl(path)) if path.exists() else 0


def _tail(path: Path) -> str:
    text = path.read_text(encoding="utf-8", errors="replace")[-LOG_TAIL_CHARS:]
    return " ".join(text.split())

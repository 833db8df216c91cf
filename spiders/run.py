"""Run one source's crawl in this process: ``python -m spiders.run --batch DIR --source JSON``.

Twisted's reactor cannot restart, so every crawl runs this module in a process of its own: a
child forked from the warm crawl server (``spiders.forkserver`` calls ``main``), or a new
interpreter. Exit status 0 means the crawl ran and wrote its report (whatever the source's own
status).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.misc import load_object

from cityradar.registry import Source
from cityradar.secrets import keep_out_of_writes, placeholders, redact
from cityradar.staging import Batch
from spiders import SPIDER_CLASSES
from spiders import settings as default_settings
from spiders.errors import is_network_failure


def build_settings(overrides: dict[str, object]) -> Settings:
    """The project's Scrapy settings with this crawl's overrides on top."""
    settings = Settings()
    settings.setmodule(default_settings, priority="project")
    settings.update(overrides, priority="cmdline")
    return settings


def crawl(
    source: Source, batch: Batch, overrides: dict[str, object], since: str | None = None
) -> bool:
    """Crawl one source into the batch; True when the crawl wrote its report.

    ``since`` (an ISO date) makes it a backfill: the archive is read back to that day.
    """
    keep_out_of_writes(source_secrets(source))  # staging writes redact them from here on
    calm_network_failures()  # before redaction, which folds tracebacks into the message
    redact_log_lines()  # and so do log lines (Scrapy's name every URL it fetches)
    process = CrawlerProcess(build_settings(overrides))
    process.crawl(load_object(SPIDER_CLASSES[source.kind]), source=source, batch=batch, since=since)
    process.start()
    return batch.report_file(source.id).exists()


def source_secrets(source: Source) -> list[str]:
    """The CITYRADAR_SECRET_* variables the source's URL and headers name."""
    return placeholders(source.url) + [
        name for value in source.headers.values() for name in placeholders(value)
    ]


def calm_network_failures() -> None:
    """A download the network or the site failed is logged as one warning line, not an error
    with a traceback: the crawl report already says it in words, and the crawl goes on.

    Scrapy's robots.txt middleware logs such a failure as an error with its traceback; the
    retry middleware's "Gave up retrying" is a warning by the RETRY_GIVE_UP_LOG_LEVEL setting.
    """
    make_record = logging.getLogRecordFactory()

    def calm_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        failure = record.exc_info[1] if record.exc_info else None
        if failure is not None and is_network_failure(failure):
            record.exc_info, record.exc_text = None, None
            if record.levelno > logging.WARNING:
                record.levelno, record.levelname = logging.WARNING, "WARNING"
        return record

    logging.setLogRecordFactory(calm_record)


def redact_log_lines() -> None:
    """Every log record this process makes drops secrets, whichever handler writes it.

    Scrapy replaces the root log handler when a crawler starts, so a handler filter would be
    lost; the record factory is not. A traceback is formatted here, so that it is redacted too.
    """
    make_record = logging.getLogRecordFactory()

    def redacted_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            text = record.getMessage()
        except (TypeError, ValueError):  # a message its arguments do not fit: keep it as is
            text = str(record.msg)
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info, record.exc_text = None, None
        record.msg, record.args = redact(text), None
        return record

    logging.setLogRecordFactory(redacted_record)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and crawl."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", required=True, type=Path, help="staging batch folder")
    parser.add_argument("--source", required=True, help="the source entry as JSON")
    parser.add_argument("--settings", default="{}", help="Scrapy setting overrides as JSON")
    parser.add_argument("--since", default=None, help="backfill back to this ISO date")
    args = parser.parse_args(argv)
    source = Source.model_validate_json(args.source)
    ok = crawl(source, Batch(args.batch), json.loads(args.settings), args.since)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

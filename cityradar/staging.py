"""Staging batches: the files a crawl leaves for the loader, kept until the load has committed.

Layout of one batch (``<staging>/<batch_id>/``)::

    batch.json              id, creation time, the sources crawled
    items/<source>.jsonl    RawItem per line, appended and flushed as the crawl goes
    fetches/<source>.jsonl  FetchRecord per line
    reports/<source>.json   CrawlReport, written when the crawl ends (or by the parent on a crash)
    state/<source>.json     SourceState: what the warehouse knew before the crawl (validators,
                            known entries), so the spider can fetch only what changed
    logs/<source>.log       the crawl process's own log

After a successful load the whole folder moves to ``<staging>/loaded/``.
"""

from __future__ import annotations

import json
import logging
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from cityradar.items import CrawlReport, FetchRecord, RawItem, SourceState, utc_now_iso
from cityradar.registry import Source
from cityradar.secrets import redact

log = logging.getLogger(__name__)

LOADED_DIR = "loaded"
CRAWLED_MARKER = "CRAWLED"  # a batch's file saying every crawl of it has ended


def new_batch_id(now: datetime | None = None) -> str:
    """A sortable, unique batch id such as ``20261124T101500Z-3f9a1c``."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{moment:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class Batch:
    """One staging batch folder."""

    path: Path

    @property
    def batch_id(self) -> str:
        """The batch id (the folder name)."""
        return self.path.name

    @classmethod
    def create(cls, staging_dir: Path, sources: list[Source]) -> Batch:
        """Make a new, empty batch under ``staging_dir``.

        The source entries are stored with it, so the batch is transformed with exactly the
        configuration it was crawled with, even if sources.yaml changes before the load.
        """
        batch = cls(staging_dir / new_batch_id())
        for sub in ("items", "fetches", "reports", "logs", "state"):
            (batch.path / sub).mkdir(parents=True, exist_ok=True)
        meta = {
            "batch_id": batch.batch_id,
            "created_at": utc_now_iso(),
            "sources": [source.model_dump(mode="json") for source in sources],
        }
        _write_json_atomic(batch.path / "batch.json", meta)
        return batch

    def meta(self) -> dict[str, Any]:
        """The batch's batch.json."""
        return json.loads((self.path / "batch.json").read_text(encoding="utf-8"))

    def sources(self) -> dict[str, Source]:
        """The source entries the batch was crawled with, by id."""
        entries = (Source.model_validate(entry) for entry in self.meta()["sources"])
        return {source.id: source for source in entries}

    def items_file(self, source_id: str) -> Path:
        """Where a source's raw items go."""
        return self.path / "items" / f"{source_id}.jsonl"

    def has_items(self) -> bool:
        """Whether any source's crawl has written an item to this batch yet."""
        folder = self.path / "items"
        return folder.is_dir() and any(f.stat().st_size for f in folder.glob("*.jsonl"))

    def fetches_file(self, source_id: str) -> Path:
        """Where a source's fetch log goes."""
        return self.path / "fetches" / f"{source_id}.jsonl"

    def report_file(self, source_id: str) -> Path:
        """Where a source's crawl report goes."""
        return self.path / "reports" / f"{source_id}.json"

    def log_file(self, source_id: str) -> Path:
        """Where a source's crawl log goes."""
        return self.path / "logs" / f"{source_id}.log"

    def state_file(self, source_id: str) -> Path:
        """Where the warehouse's knowledge of a source is left for its crawl."""
        return self.path / "state" / f"{source_id}.json"

    def write_state(self, source_id: str, state: SourceState) -> None:
        """Leave a source's state for its crawl."""
        _write_json_atomic(self.state_file(source_id), state.to_dict())

    def read_state(self, source_id: str) -> SourceState:
        """A source's state (empty when the warehouse knew nothing of it)."""
        path = self.state_file(source_id)
        if not path.exists():
            return SourceState()
        return SourceState.from_dict(json.loads(path.read_text(encoding="utf-8")))

    def forget_crawl(self, source_id: str) -> None:
        """Drop a source's items, fetch log and report before it is crawled again."""
        for path in (
            self.items_file(source_id),
            self.fetches_file(source_id),
            self.report_file(source_id),
        ):
            path.unlink(missing_ok=True)

    def write_report(self, report: CrawlReport) -> None:
        """Write (or replace) a source's crawl report atomically."""
        _write_json_atomic(self.report_file(report.source_id), report.to_dict())

    def read_report(self, source_id: str) -> CrawlReport | None:
        """A source's crawl report, or None when the crawl never wrote one."""
        path = self.report_file(source_id)
        if not path.exists():
            return None
        return CrawlReport.from_dict(json.loads(path.read_text(encoding="utf-8")))

    def reports(self) -> list[CrawlReport]:
        """All crawl reports of the batch, by source id."""
        files = sorted((self.path / "reports").glob("*.json"))
        return [CrawlReport.from_dict(json.loads(f.read_text(encoding="utf-8"))) for f in files]

    def raw_items(self) -> Iterator[RawItem]:
        """Every raw item of the batch, source by source."""
        for path in sorted((self.path / "items").glob("*.jsonl")):
            for record in read_jsonl(path):
                yield RawItem.from_dict(record)

    def raw_items_of(self, source_id: str) -> Iterator[RawItem]:
        """The raw items one source's crawl wrote (none when it wrote none)."""
        path = self.items_file(source_id)
        if path.exists():
            for record in read_jsonl(path):
                yield RawItem.from_dict(record)

    def fetch_records(self) -> Iterator[FetchRecord]:
        """Every fetch log entry of the batch."""
        for path in sorted((self.path / "fetches").glob("*.jsonl")):
            for record in read_jsonl(path):
                yield FetchRecord.from_dict(record)

    def mark_crawled(self) -> None:
        """Record that every crawl of the batch has ended (the batch may now be loaded)."""
        (self.path / CRAWLED_MARKER).write_text(utc_now_iso(), encoding="utf-8")

    def is_crawled(self) -> bool:
        """True once every crawl of the batch has ended."""
        return (self.path / CRAWLED_MARKER).exists()

    def created_before(self, moment: datetime) -> bool:
        """True when the batch was created before ``moment``."""
        return datetime.fromisoformat(self.meta()["created_at"]) < moment

    def mark_loaded(self) -> Path:
        """Move the batch under ``loaded/`` once the warehouse holds it; returns the new path."""
        target = self.path.parent / LOADED_DIR / self.batch_id
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():  # loaded before, then taken again (its store's marker was lost)
            shutil.rmtree(target)
        self.path.rename(target)
        return target


def pending_batches(staging_dir: Path) -> list[Batch]:
    """Batches written but not yet loaded, oldest first."""
    if not staging_dir.exists():
        return []
    return [
        Batch(path)
        for path in sorted(staging_dir.iterdir())
        if path.is_dir() and path.name != LOADED_DIR and (path / "batch.json").exists()
    ]


class JsonlWriter:
    """Appends records to a JSON Lines file, flushing each so a crash keeps every finished line."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle: IO[str] = path.open("a", encoding="utf-8")

    def write(self, record: dict[str, Any]) -> None:
        """Append one record."""
        self._handle.write(redact(json.dumps(record, ensure_ascii=False)) + "\n")
        self._handle.flush()

    def close(self) -> None:
        """Close the file."""
        self._handle.close()


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Records of a JSON Lines file; a torn last line (crash mid-write) is skipped with a warning."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                log.warning("%s:%d: skipping an unreadable (torn) line", path, number)


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write JSON through a temporary file and rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(redact(json.dumps(data, ensure_ascii=False, indent=1)), encoding="utf-8")
    tmp.replace(path)

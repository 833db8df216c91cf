"""Staging shared between machines: crawled batches published to an object store (or any file
system fsspec serves), where a loader on another machine takes them.

A crawl always writes its batch on its own disk first (items are appended and flushed as they
arrive, which an object store cannot do). With ``CITYRADAR_STAGING_URL`` set (``s3://bucket/
prefix``, ``gs://…``, ``memory://…``, a folder), a batch whose crawls have ended is then
published there::

    <url>/batches/<batch_id>/batch.json, items/…, fetches/…, reports/…, state/…, logs/…
    <url>/crawled/<batch_id>    written last: every file of the batch is complete
    <url>/loaded/<batch_id>     written by the loader once the warehouse holds the batch

(the markers sit in two folders of their own, so finding the batches to load is one listing of
``crawled/``, however many files the batches hold)

Why it loses nothing and loads nothing twice:

* a publish killed halfway leaves no ``crawled/`` marker, so no loader takes the batch; the batch is
  still on the crawler's disk, and its next run publishes it again (whole files, overwritten);
* the crawler deletes its own copy only after its marker is written;
* a loader downloads a complete batch into its own staging folder (under a temporary name,
  renamed when whole) and loads it as a local batch; the warehouse knows every batch it has
  merged (``already_loaded``), so a loader killed between its commit and its ``loaded/`` marker merges
  nothing twice when it takes the batch again.

Loaded batches stay on the store for ``CITYRADAR_STAGING_KEEP_DAYS`` days (to look into, or to
load into a fresh warehouse by deleting their ``loaded/`` markers), then the loader deletes them.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cityradar.items import utc_now_iso
from cityradar.staging import Batch

log = logging.getLogger(__name__)

BATCHES, CRAWLED, LOADED = "batches", "crawled", "loaded"
_LOCAL_MARKER = "CRAWLED"  # the local batch's own marker (Batch.mark_crawled): not copied
_PARTIAL = ".part"  # a download under way: never taken for a batch


class SharedStagingError(RuntimeError):
    """The shared staging store cannot be reached or written; the message says which and why."""


@dataclass(frozen=True)
class SharedStaging:
    """Batches on a shared store: ``fs`` (an fsspec file system) under the folder ``root``."""

    fs: Any
    root: str
    url: str

    # --- the crawler's side ---------------------------------------------------------------

    def publish(self, batch: Batch) -> None:
        """Copy a crawled batch to the store, its ``crawled/`` marker last, then delete the
        local copy.

        Raises:
            SharedStagingError: the store refused or could not be reached; the local batch is
                kept, and the next run publishes it again.
        """
        target = self._batch_folder(batch.batch_id)
        files = [
            p for p in sorted(batch.path.rglob("*")) if p.is_file() and p.name != _LOCAL_MARKER
        ]
        try:
            for path in files:
                self.fs.put_file(str(path), f"{target}/{path.relative_to(batch.path).as_posix()}")
            self.fs.pipe_file(self._marker(CRAWLED, batch.batch_id), utc_now_iso().encode())
        except Exception as exc:  # any store's own errors: boto's, OSError, fsspec's
            raise SharedStagingError(
                f"could not publish batch {batch.batch_id} to {self.url}: {_reason(exc)}"
            ) from None
        shutil.rmtree(batch.path)
        log.info("published batch %s to %s (%d files)", batch.batch_id, self.url, len(files) + 1)

    # --- the loader's side ----------------------------------------------------------------

    def complete_batches(self) -> list[str]:
        """Ids of the published batches not yet loaded, oldest first."""
        return sorted(self._marked(CRAWLED) - self._marked(LOADED))

    def fetch(self, batch_id: str, staging_dir: Path) -> Batch:
        """The published batch in the loader's staging folder, downloaded unless it is there.

        Downloaded under a temporary name and renamed when whole, so a loader killed mid-way
        never takes half a batch for a batch.
        """
        local = staging_dir / batch_id
        if (local / "batch.json").exists():
            return Batch(local)
        partial = staging_dir / f"{batch_id}{_PARTIAL}"
        shutil.rmtree(partial, ignore_errors=True)
        source = self._batch_folder(batch_id)
        try:
            for remote in self.fs.find(source):
                relative = remote[len(source) + 1 :]
                destination = partial / relative
                destination.parent.mkdir(parents=True, exist_ok=True)
                self.fs.get_file(remote, str(destination))
        except Exception as exc:
            raise SharedStagingError(
                f"could not fetch batch {batch_id} from {self.url}: {_reason(exc)}"
            ) from None
        Batch(partial).mark_crawled()  # complete: every crawl of it ended on its machine
        partial.rename(local)
        return Batch(local)

    def mark_loaded(self, batch_id: str) -> None:
        """Write the batch's ``loaded/`` marker: no loader takes it again."""
        self.fs.pipe_file(self._marker(LOADED, batch_id), utc_now_iso().encode())

    def prune(self, keep_days: float, now: datetime | None = None) -> list[str]:
        """Delete the batches loaded more than ``keep_days`` ago; their ids."""
        cutoff = (now or datetime.now(UTC)) - timedelta(days=keep_days)
        pruned = []
        for batch_id in sorted(self._marked(LOADED)):
            marker = self._marker(LOADED, batch_id)
            loaded_at = datetime.fromisoformat(self.fs.cat_file(marker).decode().strip())
            if loaded_at < cutoff:
                # the batch's files, then its markers: a batch without files is never listed
                if self.fs.exists(self._batch_folder(batch_id)):
                    self.fs.rm(self._batch_folder(batch_id), recursive=True)
                self.fs.rm_file(self._marker(CRAWLED, batch_id))
                self.fs.rm_file(marker)
                pruned.append(batch_id)
        return pruned

    def _marked(self, marker: str) -> set[str]:
        """Ids of the batches with a marker of this kind."""
        folder = f"{self.root}/{marker}"
        self.fs.invalidate_cache(folder)  # another machine may have written since
        if not self.fs.exists(folder):
            return set()
        return {path.rsplit("/", 1)[-1] for path in self.fs.ls(folder, detail=False)}

    def _marker(self, kind: str, batch_id: str) -> str:
        return f"{self.root}/{kind}/{batch_id}"

    def _batch_folder(self, batch_id: str) -> str:
        return f"{self.root}/{BATCHES}/{batch_id}"


def open_shared_staging(url: str | None) -> SharedStaging | None:
    """The store at ``url`` (CITYRADAR_STAGING_URL), or None when batches stay on local disk.

    Options for the store come from fsspec's own configuration (``FSSPEC_S3_ENDPOINT_URL``,
    ``FSSPEC_S3_KEY``…, or its config file) and the store's usual credentials (AWS_* for S3).

    Raises:
        SharedStagingError: the URL names a store fsspec has no driver for (``s3://`` needs
            the s3fs package), or its options are wrong.
    """
    if not url:
        return None
    import fsspec  # here: a machine with local staging never needs it

    try:
        fs, root = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:
        raise SharedStagingError(f"CITYRADAR_STAGING_URL {url}: {_reason(exc)}") from None
    return SharedStaging(fs=fs, root=root.rstrip("/"), url=url)


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]

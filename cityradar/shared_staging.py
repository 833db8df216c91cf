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

* a publish killed halfway leaves no ``crawled/`` marker, so no loader takes the batch; the batch
  is still on the crawler's disk, and its next run publishes it again (whole files, overwritten);
* the crawler deletes its own copy only after the marker is written;
* a loader downloads a complete batch into ``<staging>/.incoming/`` (never read as a batch) and
  moves it into its staging folder only when whole; it then loads it as any local batch. The
  warehouse knows every batch it has merged (``already_loaded``), so a loader killed between
  its commit and its ``loaded/`` marker merges nothing twice when it takes the batch again;
* on one machine, a batch is published, fetched or loaded by one process at a time (the flows
  hold the batch's lock, ``cityradar.locks``).

Loaded batches stay on the store for ``CITYRADAR_STAGING_KEEP_DAYS`` days (to look into, or to
load into a fresh warehouse by deleting their ``loaded/`` markers), then the loader deletes them.
"""

from __future__ import annotations

import json
import logging
import shutil
import socket
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cityradar.items import utc_now_iso
from cityradar.staging import CRAWLED_MARKER, Batch

log = logging.getLogger(__name__)

BATCHES, CRAWLED, LOADED = "batches", "crawled", "loaded"
LOADER_CLAIM = "loader.json"  # which warehouse takes the store's batches
INCOMING = ".incoming"  # downloads under way, in the loader's staging folder
_META = "batch.json"  # what makes a folder a batch (cityradar.staging.pending_batches)


class SharedStagingError(RuntimeError):
    """The shared store could not be read or written; the message says which batch and why."""


class StoreClaimed(SharedStagingError):
    """The store's batches belong to another warehouse (its ``loader.json`` says which)."""


class StagingUrlError(SharedStagingError):
    """CITYRADAR_STAGING_URL cannot be used (no driver for it, or it is the staging folder)."""


@dataclass(frozen=True)
class SharedStaging:
    """Batches on a shared store: ``fs`` (an fsspec file system) under the folder ``root``."""

    fs: Any
    root: str
    url: str

    # --- the crawler's side ---------------------------------------------------------------

    def publish(self, batch: Batch) -> None:
        """Copy a crawled batch to the store, its ``crawled/`` marker last, then delete the
        local copy. The caller holds the batch's lock.

        Raises:
            SharedStagingError: the store refused or could not be reached, or the batch is no
                longer whole on this disk; the local batch is left as it is.
        """
        if not (batch.path / _META).is_file():
            raise SharedStagingError(f"batch {batch.batch_id} is no longer in {batch.path.parent}")
        files = [
            p for p in sorted(batch.path.rglob("*")) if p.is_file() and p.name != CRAWLED_MARKER
        ]
        target = self._batch_folder(batch.batch_id)
        try:
            for path in files:
                remote = f"{target}/{path.relative_to(batch.path).as_posix()}"
                self._make_folder_of(remote)
                self.fs.put_file(str(path), remote)
            self._write_marker(CRAWLED, batch.batch_id)
        except Exception as exc:  # any store's own errors: boto's, OSError, fsspec's
            raise SharedStagingError(
                f"could not publish batch {batch.batch_id} to {self.url}: {reason(exc)}"
            ) from None
        shutil.rmtree(batch.path, ignore_errors=True)
        log.info("published batch %s to %s (%d files)", batch.batch_id, self.url, len(files) + 1)

    # --- the loader's side ----------------------------------------------------------------

    def complete_batches(self) -> list[str]:
        """Ids of the published batches not yet loaded, oldest first.

        Raises:
            SharedStagingError: the store could not be listed.
        """
        try:
            return sorted(self._marked(CRAWLED) - self._marked(LOADED))
        except Exception as exc:
            raise SharedStagingError(
                f"could not list the batches on {self.url}: {reason(exc)}"
            ) from None

    def fetch(self, batch_id: str, staging_dir: Path) -> Batch:
        """The published batch in the loader's staging folder, downloaded unless it is there.
        The caller holds the batch's lock.

        The files go to a folder of their own under ``.incoming/`` (``batch.json`` last) and
        the folder is moved into the staging folder when whole: a loader killed mid-way leaves
        nothing that is taken for a batch.

        Raises:
            SharedStagingError: the batch could not be downloaded (nothing is left behind).
        """
        local = staging_dir / batch_id
        if (local / _META).is_file():
            return Batch(local)
        incoming = staging_dir / INCOMING
        incoming.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=f"{batch_id}-", dir=incoming))
        try:
            self._download(batch_id, partial)
            Batch(partial).mark_crawled()  # complete: every crawl of it ended on its machine
            partial.rename(local)
        except SharedStagingError:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        except Exception as exc:
            shutil.rmtree(partial, ignore_errors=True)
            raise SharedStagingError(
                f"could not fetch batch {batch_id} from {self.url}: {reason(exc)}"
            ) from None
        return Batch(local)

    def mark_loaded(self, batch_id: str) -> None:
        """Write the batch's ``loaded/`` marker: no loader takes it again.

        Raises:
            SharedStagingError: the store refused (the batch is taken again next time, and the
                warehouse then merges nothing twice).
        """
        try:
            self._write_marker(LOADED, batch_id)
        except Exception as exc:
            raise SharedStagingError(
                f"could not mark batch {batch_id} loaded on {self.url}: {reason(exc)}"
            ) from None

    def claim_for(self, warehouse: str) -> None:
        """Make the store's batches this warehouse's (``<url>/loader.json``, created only if
        absent), or make sure they are: one warehouse takes a store's batches, however many
        loaders are started, and whenever (a second warehouse would split them, each batch
        marked loaded by whichever took it first).

        Args:
            warehouse: the warehouse as ``host:/absolute/path/cityradar.duckdb``.

        Raises:
            StoreClaimed: another warehouse claimed the store (to move the warehouse for good,
                delete ``<url>/loader.json``).
            SharedStagingError: the store could not be read or written.
        """
        path = f"{self.root}/{LOADER_CLAIM}"
        claim = json.dumps({"warehouse": warehouse, "since": utc_now_iso()}).encode()
        try:
            self._make_folder_of(path)
            create_only(self.fs, path, claim)
            return
        except FileExistsError:
            pass
        except Exception as exc:
            raise SharedStagingError(
                f"could not claim the batches on {self.url} for {warehouse}: {reason(exc)}"
            ) from None
        try:
            owner = json.loads(self.fs.cat_file(path)).get("warehouse")
        except Exception as exc:
            raise SharedStagingError(
                f"could not read which warehouse loads {self.url}: {reason(exc)}"
            ) from None
        if owner != warehouse:
            raise StoreClaimed(
                f"the batches on {self.url} belong to the warehouse {owner}; this one "
                f"({warehouse}) loads only the batches on its own disk (to move the warehouse "
                f"for good, delete {self.url.rstrip('/')}/{LOADER_CLAIM})"
            )

    def prune(self, keep_days: float, now: datetime | None = None) -> tuple[list[str], list[str]]:
        """Delete the batches loaded more than ``keep_days`` ago: the ids deleted, and one line
        per batch that could not be (each batch on its own: one bad marker stops nothing)."""
        cutoff = (now or datetime.now(UTC)) - timedelta(days=keep_days)
        pruned, problems = [], []
        try:
            loaded = sorted(self._marked(LOADED))
        except Exception as exc:
            return [], [f"could not list the loaded batches on {self.url}: {reason(exc)}"]
        for batch_id in loaded:
            try:
                if self._loaded_at(batch_id) < cutoff:
                    self._delete(batch_id)
                    pruned.append(batch_id)
            except FileNotFoundError:
                continue  # another loader pruned it meanwhile
            except Exception as exc:
                problems.append(f"could not prune batch {batch_id} on {self.url}: {reason(exc)}")
        return pruned, problems

    def _download(self, batch_id: str, destination: Path) -> None:
        """Every file of the published batch into ``destination``, ``batch.json`` last."""
        source = self._batch_folder(batch_id)
        files = sorted(self.fs.find(source), key=lambda path: path.endswith(f"/{_META}"))
        if not any(path.endswith(f"/{_META}") for path in files):
            raise SharedStagingError(
                f"batch {batch_id} is marked crawled on {self.url} but its files are missing"
            )
        for remote in files:
            local = destination / remote[len(source) + 1 :]
            local.parent.mkdir(parents=True, exist_ok=True)
            self.fs.get_file(remote, str(local))

    def _loaded_at(self, batch_id: str) -> datetime:
        """When the batch was loaded, as its marker says."""
        return datetime.fromisoformat(self.fs.cat_file(self._marker(LOADED, batch_id)).decode())

    def _delete(self, batch_id: str) -> None:
        """The batch's files, then its markers: a marker never points at half a batch."""
        if self.fs.exists(self._batch_folder(batch_id)):
            self.fs.rm(self._batch_folder(batch_id), recursive=True)
        self.fs.rm_file(self._marker(CRAWLED, batch_id))
        self.fs.rm_file(self._marker(LOADED, batch_id))

    def _marked(self, marker: str) -> set[str]:
        """Ids of the batches with a marker of this kind."""
        folder = f"{self.root}/{marker}"
        self.fs.invalidate_cache(folder)  # another machine may have written since
        if not self.fs.exists(folder):
            return set()
        return {path.rsplit("/", 1)[-1] for path in self.fs.ls(folder, detail=False)}

    def _write_marker(self, kind: str, batch_id: str) -> None:
        """Write a batch's marker of this kind, saying when."""
        path = self._marker(kind, batch_id)
        self._make_folder_of(path)
        self.fs.pipe_file(path, utc_now_iso().encode())

    def _make_folder_of(self, path: str) -> None:
        """Make the folder ``path`` goes in, where folders must exist before their files (a
        local disk; an object store has no folders, and is not asked)."""
        if is_local(self.fs):
            self.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)

    def _marker(self, kind: str, batch_id: str) -> str:
        """The path of a batch's ``crawled/`` or ``loaded/`` marker."""
        return f"{self.root}/{kind}/{batch_id}"

    def _batch_folder(self, batch_id: str) -> str:
        """The folder of a published batch's files."""
        return f"{self.root}/{BATCHES}/{batch_id}"


def open_shared_staging(url: str | None, staging_dir: Path | None = None) -> SharedStaging | None:
    """The store at ``url`` (CITYRADAR_STAGING_URL), or None when batches stay on local disk.

    Options for the store come from fsspec's own configuration (``FSSPEC_S3_ENDPOINT_URL``,
    ``FSSPEC_S3_KEY``…, or its config file) and the store's usual credentials (AWS_* for S3).

    Args:
        url: the setting's value.
        staging_dir: this machine's staging folder, which the store must not be (or be inside).

    Raises:
        StagingUrlError: the URL names a store fsspec has no driver for (``s3://`` needs the
            s3fs package), its options are wrong, or it is the staging folder itself.
    """
    if not url:
        return None
    import fsspec  # here: a machine with local staging never needs it

    try:
        fs, root = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:
        raise StagingUrlError(f"CITYRADAR_STAGING_URL {url}: {reason(exc)}") from None
    root = root.rstrip("/")
    if staging_dir is not None and is_local(fs) and _within(Path(root), staging_dir):
        raise StagingUrlError(
            f"CITYRADAR_STAGING_URL {url} is inside the staging folder {staging_dir}: "
            "give the shared store a folder of its own"
        )
    return SharedStaging(fs=fs, root=root, url=url)


def warehouse_identity(db: Path) -> str:
    """The warehouse as a store's claim names it: ``host:/absolute/path`` (stable across
    restarts; another machine, or another file here, is another warehouse)."""
    return f"{socket.gethostname()}:{db.resolve()}"


def create_only(fs: Any, path: str, data: bytes) -> None:
    """Write a new file, atomically refused (FileExistsError) when it exists: ``open(…, "xb")``
    is O_EXCL on a disk and ``If-None-Match: *`` on S3 (fsspec's ``pipe_file(mode="create")``
    looks first and then writes, which two machines can both pass)."""
    with fs.open(path, "xb") as file:
        file.write(data)


def reason(exc: BaseException) -> str:
    """A store's error as one short line (boto's and fsspec's messages run over lines)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


def is_local(fs: Any) -> bool:
    """Whether ``fs`` is this machine's disk (where folders must exist before their files)."""
    protocols = fs.protocol if isinstance(fs.protocol, tuple | list) else (fs.protocol,)
    return bool({"file", "local"}.intersection(protocols))


def _within(path: Path, folder: Path) -> bool:
    resolved, container = path.resolve(), folder.resolve()
    return resolved == container or container in resolved.parents

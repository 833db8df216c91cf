"""Transform while crawling: each source's items are normalised, tagged and turned into columns
in a thread of the run's process as soon as that source's crawl ends, while the other sources
are still being crawled in their child processes.

The models (Kiwi's above all, 3-4 s) are loaded as soon as any crawl has written an item, while
the crawls go on, not when the first crawl ends; a run that finds nothing new never loads them.

The batch stays on disk as the crawls wrote it, and nothing is loaded before every crawl ended:
a run killed at any moment loses nothing (the next run transforms the batch again from disk).
"""

from __future__ import annotations

import queue
import threading
import time

from cityradar.staging import Batch
from transforms.normalize import load_models, normalize_chunks
from warehouse.columnar import ItemColumns, ItemTables

_DONE = None  # no more sources
# how often the thread looks for a first item while no crawl has ended (a stat per source)
_LOOK_SECONDS = 0.1


class TransformAsCrawled:
    """A thread turning each crawled source's items into columns, in the order crawls end."""

    def __init__(self, batch: Batch) -> None:
        self._batch = batch
        self._sources = batch.sources()
        self._columns = ItemColumns()
        self._crawled: queue.Queue[str | None] = queue.Queue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="transform", daemon=True)
        self._thread.start()

    def crawled(self, source_id: str) -> None:
        """The source's crawl has ended: transform its items (whatever the crawl's status)."""
        self._crawled.put(source_id)

    def finish(self) -> ItemTables:
        """The columns of every crawled source's items, once the last is transformed.

        Raises:
            Exception: what transforming raised (a bug: the batch stays staged).
        """
        self._crawled.put(_DONE)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._columns.finish()

    def _run(self) -> None:
        self._load_models_once_items_arrive()
        while (source_id := self._crawled.get()) is not _DONE:
            if self._error is not None:
                continue  # drain: the error is raised by finish()
            try:
                for chunk in normalize_chunks(self._batch.raw_items_of(source_id), self._sources):
                    self._columns.add(chunk)
            except BaseException as exc:  # kept for finish(), which the flow waits on
                self._error = exc

    def _load_models_once_items_arrive(self) -> None:
        """Wait until a crawl has written an item (then load the models) or a crawl has ended
        (the models load with its items, if it has any)."""
        while self._crawled.empty():
            if self._batch.has_items():
                try:
                    load_models(korean=any(s.language == "ko" for s in self._sources.values()))
                except BaseException as exc:  # kept for finish(), as a transform's error is
                    self._error = exc
                return
            time.sleep(_LOOK_SECONDS)

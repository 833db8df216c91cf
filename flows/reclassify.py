"""`cityradar reclassify`'s entry: re-tag every stored item after a taxonomy or gazetteer change.

Not a flow: the work is one transaction on the warehouse (warehouse/reclassify.py, with the
tags from transforms/retagging.py), with nothing to orchestrate; this reads its setting.
"""

from __future__ import annotations

from pathlib import Path

from cityradar.settings import Settings
from warehouse.reclassify import ReclassifyResult
from warehouse.reclassify import reclassify as reclassify_warehouse

__all__ = ["ReclassifyResult", "reclassify"]


def reclassify(db_path: Path) -> ReclassifyResult:
    """Re-tag all items of the warehouse at ``db_path`` in DuckDB's memory for a load."""
    return reclassify_warehouse(db_path, memory_limit=Settings().db_memory_limit)

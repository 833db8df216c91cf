"""The gazetteer's places in the warehouse (core.places), for the views to place corrected cities."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from transforms.vocabularies import gazetteer


def refresh_places(con: duckdb.DuckDBPyConnection) -> int:
    """Replace core.places with the gazetteer's canonical places; returns how many there are.

    The caller holds the transaction (a migration, `label`, `reclassify`), so readers never see
    the table empty.
    """
    places = sorted(gazetteer().places.values(), key=lambda p: p.name)
    con.register(
        "fresh_places",
        pa.table(
            {
                "name": pa.array([p.name for p in places], pa.string()),
                "country": pa.array([p.country for p in places], pa.string()),
                "kind": pa.array([p.kind for p in places], pa.string()),
            }
        ),
    )
    try:
        con.execute("delete from core.places")
        con.execute("insert into core.places by name select * from fresh_places")
    finally:
        con.unregister("fresh_places")
    return len(places)

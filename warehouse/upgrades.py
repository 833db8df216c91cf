"""Data steps of migrations that SQL alone cannot do (they need cityradar's Python).

Each runs inside its migration's transaction, right after the migration's SQL.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb


def signatures_to_band_keys(con: duckdb.DuckDBPyConnection) -> None:
    """0004: band rows of the stored MinHash signatures, then the old signature tables go."""
    # imported here: datasketch brings SciPy (~1 s), which opening a warehouse must not cost
    import numpy as np
    import pyarrow as pa

    from transforms import clusters

    table = con.sql("select item_id, signature from core.item_signatures").to_arrow_table()
    if table.num_rows:
        flat = table.column("signature").combine_chunks().flatten().to_numpy().astype(np.uint64)
        keys = clusters.band_key_matrix(flat.reshape(table.num_rows, clusters.NUM_PERM))
        item_keys = np.array(
            [int(item_id, 16) for item_id in table.column("item_id").to_pylist()], np.uint64
        )
        con.register(
            "upgrade_bands",
            pa.table(
                {
                    "band_key": pa.array(keys.reshape(-1), pa.int32()),
                    "item_key": pa.array(np.repeat(item_keys, clusters.BANDS), pa.uint64()),
                }
            ),
        )
        con.execute("insert into core.story_bands select * from upgrade_bands")
        con.unregister("upgrade_bands")
    con.execute("drop table core.item_bands")
    con.execute("drop table core.item_signatures")


def places_of_corrections(con: duckdb.DuckDBPyConnection) -> object:
    """0006: the places corrections name, from the gazetteer."""
    # imported here: the gazetteer's module brings Kiwi, which opening a warehouse must not cost
    from warehouse.places import refresh_places

    return refresh_places(con)


# migration version -> its data step
UPGRADES: dict[int, Callable[[duckdb.DuckDBPyConnection], object]] = {
    4: signatures_to_band_keys,
    6: places_of_corrections,
}

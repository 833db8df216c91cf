"""Pure functions from raw items to normalised, tagged items: no I/O beyond the bundled data files."""

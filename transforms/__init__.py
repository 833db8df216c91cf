"""Pure functions from raw items to normalised, tagged items: no I/O beyond the bundled data files
(and the pipes to Kiwi's analyser process, transforms.kiwi_process)."""

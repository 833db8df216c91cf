"""The end-to-end benchmark's own arithmetic: memory peaks fall into the stage they happened in."""

from __future__ import annotations

import os
import time
from pathlib import Path

from bench.e2e import MemorySampler, _vm_rss_mib
from transforms import matching


def test_each_stage_gets_the_highest_sample_inside_its_window():
    sampler = MemorySampler()
    sampler.samples = [
        (100.0, 300.0),
        (101.0, 350.0),
        (103.0, 900.0),
        (104.5, 700.0),
        (105.2, 960.0),
    ]
    peaks = sampler.peaks_by_stage(100.0, {"crawl": 2.0, "transform": 2.5, "load": 1.0})
    assert peaks == {"crawl": 350.0, "transform": 900.0, "load": 960.0}


def test_the_sampler_reads_this_process_while_the_block_runs():
    with MemorySampler() as sampler:
        sampler._stop.wait(0.15)  # a sample or more before the ballast
        ballast = bytearray(64 * 1024 * 1024)
        ballast[::4096] = b"x" * len(ballast[::4096])  # touch every page
        sampler._stop.wait(0.3)
    assert len(sampler.samples) >= 3
    first, highest = sampler.samples[0][1], max(mib for _, mib in sampler.samples)
    assert highest - first >= 60  # the ballast was seen


def test_memory_samples_count_kiwis_process_too():
    matching.load_kiwi()
    matching._analyse(["부산시는 스마트시티를 추진한다."])  # loaded and answering
    pid = matching.analyser_pid()
    assert pid is not None
    with MemorySampler() as memory:
        time.sleep(0.3)
    own = _vm_rss_mib(Path(f"/proc/{os.getpid()}/status"))
    kiwi = _vm_rss_mib(Path(f"/proc/{pid}/status"))
    assert kiwi > 100  # Kiwi's model is hundreds of MiB
    assert max(mib for _, mib in memory.samples) > own + kiwi * 0.9

"""End-to-end ingest speed on a replay corpus, against a plain Scrapy baseline, in one run.

    python -m bench.e2e --sites 20 --articles 500

1. writes a corpus (bench.corpus) and serves it from its own process (bench.serve);
2. runs the baseline (bench.baseline: Scrapy + feedparser + trafilatura -> JSON Lines);
3. runs cityradar's ingest flow on a fresh data folder (crawl, transform, load), then again with
   nothing changed, then after adding 5% new articles to every site.

Each run, the baseline's and cityradar's, is its own process timed from outside, from its start to
its exit: start-up included, as a user waits for it. cityradar's runs call the ingest flow as
`cityradar ingest` does with no Prefect server configured (plain Python, flows/engine.py); the
figures by stage come from inside the process. Politeness delays are off for both
(delay 0; 8 requests per host for both), since they measure the sites' patience, not the code.
Prints one table and writes the figures as JSON (--json).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench import corpus as corpus_module
from bench.serve import corpus_server

PER_HOST = 8  # Scrapy's default per-domain concurrency, which the baseline uses


def ingest_once(sources: Path, data_dir: Path) -> dict[str, object]:
    """One ingest run in this process, as the command line runs it; its figures."""
    from flows.engine import use_plain_runs

    use_plain_runs()  # as `cityradar ingest` with no Prefect server configured
    from flows.ingest import ingest

    with MemorySampler() as memory:
        started = time.perf_counter()
        summary = ingest(sources_path=sources, data_dir=data_dir, crawl_delay=0.0, force=True)
        seconds = time.perf_counter() - started
    reports = summary.reports
    load = summary.load
    return {
        "seconds": seconds,
        "stages": summary.stage_seconds,
        "stage_peak_rss_mib": memory.peaks_by_stage(started, summary.stage_seconds),
        "extract_seconds": sum(r.extract_seconds for r in reports),
        "pages": sum(r.articles_fetched for r in reports),
        "requests": sum(r.requests for r in reports),
        "bytes": sum(r.bytes for r in reports),
        "entries": sum(r.items_seen for r in reports),
        "statuses": sorted({r.status for r in reports}),
        "items_new": load.items_new if load else 0,
        "items_in": load.items_in if load else 0,
        "peak_rss_mib": _rss_mib(resource.RUSAGE_SELF),
        # the flow process and Kiwi's analyser process together (sampled, so a little under)
        "peak_with_kiwi_mib": max((mib for _, mib in memory.samples), default=0.0),
        "peak_crawl_rss_mib": _largest_crawl_mib(),
    }


class MemorySampler:
    """This process's resident memory every 50 ms while the block runs, in a thread."""

    INTERVAL = 0.05

    def __init__(self) -> None:
        self.samples: list[tuple[float, float]] = []  # (perf_counter, MiB)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        from transforms.matching import analyser_pid

        own = Path(f"/proc/{os.getpid()}/status")
        while not self._stop.is_set():
            kiwi = analyser_pid()  # Kiwi analyses in a process of its own: its memory counts
            mib = _vm_rss_mib(own) + (_vm_rss_mib(Path(f"/proc/{kiwi}/status")) if kiwi else 0.0)
            self.samples.append((time.perf_counter(), mib))
            self._stop.wait(self.INTERVAL)

    def peaks_by_stage(self, started: float, stages: dict[str, float]) -> dict[str, float]:
        """The highest sample within each stage; stages run one after another from ``started``
        (crawl, transform, load), so each one's window follows the one before."""
        peaks, begin = {}, started
        for stage, seconds in stages.items():
            window = [mib for at, mib in self.samples if begin <= at <= begin + seconds]
            peaks[stage] = max(window, default=0.0)
            begin += seconds
        return peaks


def _vm_rss_mib(status: Path) -> float:
    """A process's resident memory now (0 when it has ended)."""
    try:
        lines = status.read_text().splitlines()
    except OSError:
        return 0.0
    return next((int(line.split()[1]) / 1024 for line in lines if line.startswith("VmRSS:")), 0.0)


def _rss_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def _largest_crawl_mib() -> float:
    """The largest crawl process: the warm server reports each child's peak when it ends;
    crawls started as new interpreters are this process's own (waited-for) children."""
    from spiders.process import warm_server

    server = warm_server()
    if server is not None and server.peak_child_rss_kib:
        return server.peak_child_rss_kib / 1024
    return _rss_mib(resource.RUSAGE_CHILDREN)


def run_child(*args: str, env: dict[str, str]) -> dict[str, object]:
    """Run ``python -m bench.e2e <args>`` (or another module) and read its last JSON line, with
    ``process_seconds``: the process's whole life, timed from here."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", *args], capture_output=True, text=True, env=env, check=False
    )
    process_seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{args[0]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["process_seconds"] = process_seconds
    return figures


def bench_env(data_dir: Path) -> dict[str, str]:
    """Settings for cityradar's runs: no politeness delay, the baseline's per-host concurrency."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYRADAR_")}
    env |= {
        "CITYRADAR_DATA_DIR": str(data_dir),
        "CITYRADAR_CRAWL_DELAY": "0",
        "CITYRADAR_CRAWL_CONCURRENCY_PER_HOST": str(PER_HOST),
        "CITYRADAR_CRAWL_TIMEOUT": "3600",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    return env


def main() -> None:
    """The whole benchmark."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--articles", type=int, default=500, help="articles per site")
    parser.add_argument("--work", type=Path, default=Path("data/bench/e2e"))
    parser.add_argument("--json", type=Path, default=None, help="write the figures here too")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument(
        "--command",
        action="store_true",
        help="time whole commands from outside, start-up included: the baseline's process, then "
        "`cityradar ingest` on a fresh folder and again with nothing changed (make bench-small)",
    )
    parser.add_argument(
        "--ingest-once", nargs=2, metavar=("SOURCES", "DATA_DIR"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.ingest_once:
        print(json.dumps(ingest_once(Path(args.ingest_once[0]), Path(args.ingest_once[1]))))
        return
    if args.command:
        figures = run_commands(args.sites, args.articles, args.work)
        print_command_report(figures)
    else:
        figures = run_benchmark(args.sites, args.articles, args.work, args.skip_baseline)
        print_report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1), encoding="utf-8")


def fresh_corpus(
    work: Path, sites: int, articles: int
) -> tuple[Path, Path, dict[str, Any], dict[str, object]]:
    """An empty work folder with a new corpus in it: the corpus and data folders, the corpus's
    manifest, and the figures so far (the corpus's own)."""
    shutil.rmtree(work, ignore_errors=True)
    corpus_dir, data_dir = work / "corpus", work / "data"
    corpus_dir.mkdir(parents=True)
    started = time.perf_counter()
    manifest = corpus_module.write_corpus(corpus_dir, sites, articles)
    figures: dict[str, object] = {
        "corpus": {
            "sites": sites,
            "articles": manifest["articles"],
            "mib": manifest["bytes"] / 2**20,
            "seconds_to_write": time.perf_counter() - started,
        }
    }
    return corpus_dir, data_dir, manifest, figures


def run_benchmark(sites: int, articles: int, work: Path, skip_baseline: bool) -> dict[str, object]:
    """Corpus, server, baseline, then the three cityradar runs."""
    corpus_dir, data_dir, manifest, figures = fresh_corpus(work, sites, articles)
    sources = corpus_dir / "sources.yaml"
    with corpus_server(corpus_dir):
        env = bench_env(data_dir)
        if not skip_baseline:
            figures["baseline"] = run_child(
                "bench.baseline",
                "--sources",
                str(sources),
                "--out",
                str(work / "baseline.jsonl"),
                env=env,
            )
        once = ("bench.e2e", "--ingest-once", str(sources), str(data_dir))
        figures["full"] = run_child(*once, env=env)
        figures["unchanged"] = run_child(*once, env=env)
        grown = corpus_module.grow_corpus(corpus_dir, 0.05)
        figures["new_5pct"] = run_child(*once, env=env)
        figures["new_5pct"]["articles_added"] = grown["articles"] - manifest["articles"]
    return figures


def run_commands(sites: int, articles: int, work: Path) -> dict[str, object]:
    """Corpus and server, then whole commands timed from outside as a user runs them: the
    baseline's script, `cityradar ingest` on a fresh folder, and again with nothing changed."""
    corpus_dir, data_dir, _, figures = fresh_corpus(work, sites, articles)
    sources = corpus_dir / "sources.yaml"
    env = bench_env(data_dir) | {"CITYRADAR_DB": str(data_dir / "cityradar.duckdb")}
    baseline = [sys.executable, "-m", "bench.baseline", "--sources", str(sources)]
    ingest = [str(Path(sys.executable).parent / "cityradar"), "ingest", "--sources", str(sources)]
    with corpus_server(corpus_dir):
        figures["baseline"] = timed_command([*baseline, "--out", str(work / "b.jsonl")], env)
        figures["full"] = timed_command([*ingest, "--force"], env)
        figures["unchanged"] = timed_command([*ingest, "--force"], env)
    return figures


def timed_command(command: list[str], env: dict[str, str]) -> dict[str, object]:
    """Seconds from start to exit of one command, its status, and the peak memory of it and its
    children (each run is the only child of this process at the time)."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{command[:3]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return {
        "seconds": seconds,
        "peak_rss_mib": _rss_mib(resource.RUSAGE_CHILDREN),
        "output_tail": done.stdout[-2000:],  # the command's own summary (stages, counts)
    }


def print_command_report(figures: dict) -> None:
    """The whole-command figures as a short table."""
    corpus, base, full, same = (
        figures["corpus"],
        figures["baseline"],
        figures["full"],
        figures["unchanged"],
    )
    print(
        f"corpus: {corpus['sites']} sites, {corpus['articles']} articles, {corpus['mib']:.0f} MiB"
    )
    print(f"baseline script, whole process: {base['seconds']:.1f} s")
    print(
        f"cityradar ingest, whole command: {full['seconds']:.1f} s = "
        f"{base['seconds'] / full['seconds']:.2f} x the baseline's speed"
    )
    print(
        f"nothing changed: {same['seconds']:.1f} s = {same['seconds'] / full['seconds']:.1%} of the "
        f"full run; peak memory of any command so far {same['peak_rss_mib']:.0f} MiB"
    )


def print_report(figures: dict) -> None:
    """The figures as a short table."""
    corpus, full = figures["corpus"], figures["full"]
    print(
        f"corpus: {corpus['sites']} sites, {corpus['articles']} articles, {corpus['mib']:.0f} MiB"
    )
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in full["stages"].items())
    print(
        f"cityradar full run: {full['process_seconds']:.1f} s, the whole process "
        f"({full['seconds']:.1f} s from the flow call), {full['pages']} article pages, "
        f"{full['pages'] / full['process_seconds']:.1f} pages/s; stages: {stages}; "
        f"extraction {full['extract_seconds']:.1f} s of CPU in the crawls"
    )
    load_s = full["stages"].get("load", 0) or 1e-9
    print(
        f"  loaded {full['items_new']} items, {full['items_new'] / load_s:,.0f} items/s in the load"
    )
    by_stage = ", ".join(f"{k} {v:.0f}" for k, v in full["stage_peak_rss_mib"].items())
    print(
        f"  peak memory: flow process and Kiwi's process together "
        f"{full['peak_with_kiwi_mib']:.0f} MiB (by stage, MiB: {by_stage}; the flow process "
        f"alone {full['peak_rss_mib']:.0f}), largest crawl process "
        f"{full['peak_crawl_rss_mib']:.0f} MiB"
    )
    if "baseline" in figures:
        base = figures["baseline"]
        # whole processes against each other, for the same pages (start-up included)
        ratio = base["process_seconds"] / full["process_seconds"]
        print(
            f"baseline (Scrapy + feedparser + trafilatura -> JSON Lines): "
            f"{base['process_seconds']:.1f} s, the whole process ({base['seconds']:.1f} s from "
            f"its crawl's start), {base['pages']} pages; "
            f"cityradar / baseline, whole processes = {ratio:.2f} x"
        )
    unchanged = figures["unchanged"]
    print(
        f"unchanged re-run: {unchanged['process_seconds']:.1f} s = "
        f"{unchanged['process_seconds'] / full['process_seconds']:.1%} of the full run "
        f"({unchanged['requests']} requests, statuses {unchanged['statuses']})"
    )
    new = figures["new_5pct"]
    print(
        f"5% new articles ({new['articles_added']} added): {new['process_seconds']:.1f} s, "
        f"{new['pages']} pages fetched, {new['items_new']} new items"
    )


if __name__ == "__main__":
    main()

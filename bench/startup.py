"""How long `cityradar` commands take as an operator types them: each a process of its own.

    python -m bench.startup [--runs 5] [--work data/bench/startup]

Times, as subprocesses of the installed `cityradar` (wall clock and CPU of the process and its
children), with no Prefect server configured:

- ``--help``;
- ``sources list`` of the shipped registry;
- ``search 스마트시티`` and ``search 자율주행버스를`` (a word with a particle: Kiwi is loaded) on
  the demo warehouse;
- ``digest --preview`` of the demo warehouse's week (into a scratch folder);
- ``ingest`` of 10 loopback sites with nothing changed (a replay corpus of bench.corpus, 10 sites
  x 20 articles served by bench.serve in its own process; loaded once before the clock, then
  every timed run finds 304s and known entries), politeness delay 0 as on any loopback site.

The demo warehouse is made once by ``cityradar demo`` into the work folder (kept between runs of
the benchmark: --fresh makes it again). Each command runs once untimed first (Python writes its
bytecode caches then, as on an operator's first run), then --runs times; the table shows the
median and the fastest, and checks that no command that needs no orchestration imported Prefect.
Prints one table and writes the figures as JSON (--json).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import corpus as corpus_module
from bench.serve import corpus_server

# the targets of issue 18, point 6 (seconds of wall clock on the 2-core benchmark machine)
TARGETS = {
    "sources list": 1.5,
    "search": 1.5,
    "digest --preview (demo)": 5.0,
    "ingest, nothing changed (10 sources)": 3.0,
}
SITES, ARTICLES = 10, 20
# what a command imported, written by the probe at exit (see PROBE)
PROBE = (
    "import atexit, json, os, sys\n"
    "atexit.register(lambda: open(os.environ['BENCH_MODULES'], 'w').write("
    "json.dumps(sorted({m.split('.')[0] for m in sys.modules}))))\n"
    "from flows.cli import main\n"
    "sys.argv[0] = 'cityradar'\n"
    "main()\n"
)


@dataclass
class Timing:
    """The runs of one command."""

    name: str
    argv: list[str]
    target: float | None = None
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    exit_codes: list[int] = field(default_factory=list)
    imports_prefect: bool | None = None

    def figures(self) -> dict[str, object]:
        """Median and fastest, for the JSON and the table."""
        return {
            "argv": self.argv,
            "runs": len(self.wall),
            "wall_median": statistics.median(self.wall),
            "wall_min": min(self.wall),
            "cpu_median": statistics.median(self.cpu),
            "exit_codes": sorted(set(self.exit_codes)),
            "imports_prefect": self.imports_prefect,
            "target": self.target,
            "met": None if self.target is None else statistics.median(self.wall) <= self.target,
        }


def command_env(data_dir: Path) -> dict[str, str]:
    """The operator's environment: no Prefect server, bytecode caches written, no delay."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CITYRADAR_", "PREFECT_API_URL")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    env |= {"CITYRADAR_DATA_DIR": str(data_dir), "CITYRADAR_CRAWL_DELAY": "0"}
    return env


def run_once(argv: list[str], env: dict[str, str], modules: Path | None = None) -> tuple:
    """One command as a subprocess: (wall s, CPU s of it and its children, exit code)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    if modules is None:
        command = [str(Path(sys.executable).with_name("cityradar")), *argv]
    else:
        command = [sys.executable, "-c", PROBE, *argv]
        env = {**env, "BENCH_MODULES": str(modules)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode, done


def measure(timing: Timing, env: dict[str, str], runs: int, work: Path) -> Timing:
    """A warm-up run that also records the imports, then ``runs`` timed runs."""
    modules = work / "modules.json"
    _, _, code, done = run_once(timing.argv, env, modules)
    if code not in (0, 3):
        raise RuntimeError(f"{timing.name} failed ({code}):\n{done.stdout}\n{done.stderr}")
    timing.imports_prefect = "prefect" in json.loads(modules.read_text(encoding="utf-8"))
    for _ in range(runs):
        wall, cpu, code, _ = run_once(timing.argv, env)
        timing.wall.append(wall)
        timing.cpu.append(cpu)
        timing.exit_codes.append(code)
    return timing


def demo_warehouse(work: Path, env: dict[str, str], fresh: bool) -> Path:
    """The demo's warehouse, made once by `cityradar demo`."""
    folder = work / "demo"
    db = folder / "cityradar.duckdb"
    if fresh or not db.exists():
        wall, _, code, done = run_once(["demo", "--data-dir", str(folder)], env)
        if code != 0:
            raise RuntimeError(f"cityradar demo failed:\n{done.stdout}\n{done.stderr}")
        print(f"(demo warehouse made in {wall:.0f} s)", file=sys.stderr)
    return db


def demo_week(db: Path) -> str:
    """The ISO week the demo's digest was made for (the folder it wrote)."""
    (week,) = [p.name for p in (db.parent / "digests").iterdir() if p.is_dir()]
    return week


def free_port() -> int:
    """A TCP port free on the corpus' loopback addresses right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_benchmark(work: Path, runs: int, fresh: bool) -> dict[str, object]:
    """Every command; the corpus server lives for the ingest runs only."""
    work.mkdir(parents=True, exist_ok=True)
    data = work / "data"
    env = command_env(data)
    db = demo_warehouse(work, env, fresh)
    week = demo_week(db)
    quick = [
        Timing("--help", ["--help"]),
        Timing("sources list", ["sources", "list"], TARGETS["sources list"]),
        Timing("search", ["search", "스마트시티", "--db", str(db)], TARGETS["search"]),
        Timing("search (a particle: Kiwi)", ["search", "자율주행버스를", "--db", str(db)]),
        Timing(
            "digest --preview (demo)",
            ["digest", "--preview", "--db", str(db), "--week", week, "--out", str(work / "out")],
            TARGETS["digest --preview (demo)"],
        ),
    ]
    timings = [measure(t, env, runs, work) for t in quick]
    timings.append(measure_ingest(work, env, runs))
    return {
        "runs": runs,
        "load_average": os.getloadavg(),
        "commands": {t.name: t.figures() for t in timings},
    }


def measure_ingest(work: Path, env: dict[str, str], runs: int) -> Timing:
    """`cityradar ingest` of 10 loopback sites, loaded once, then timed with nothing changed."""
    corpus_dir = work / "corpus"
    shutil.rmtree(corpus_dir, ignore_errors=True)
    shutil.rmtree(env["CITYRADAR_DATA_DIR"], ignore_errors=True)
    corpus_dir.mkdir(parents=True)
    corpus_module.write_corpus(corpus_dir, SITES, ARTICLES, port=free_port())
    with corpus_server(corpus_dir):
        argv = ["ingest", "--sources", str(corpus_dir / "sources.yaml")]
        _, _, code, done = run_once(argv, env)  # the first load, before the clock
        if code != 0:
            raise RuntimeError(f"the first ingest failed ({code}):\n{done.stdout}\n{done.stderr}")
        name = f"ingest, nothing changed ({SITES} sources)"
        return measure(Timing(name, argv, TARGETS[name]), env, runs, work)


def print_report(figures: dict) -> None:
    """One row per command."""
    load = ", ".join(f"{n:.1f}" for n in figures["load_average"])
    print(f"\n{figures['runs']} timed runs each; load average at the end: {load}")
    print(f"{'command':40} {'median':>7} {'fastest':>7} {'CPU':>6} {'target':>7}  met  Prefect")
    for name, row in figures["commands"].items():
        target = f"{row['target']:.1f} s" if row["target"] else "-"
        met = {None: "-", True: "yes", False: "NO"}[row["met"]]
        prefect = "imported" if row["imports_prefect"] else "no"
        print(
            f"{name:40} {row['wall_median']:6.2f}s {row['wall_min']:6.2f}s "
            f"{row['cpu_median']:5.2f}s {target:>7}  {met:4} {prefect}"
        )


def main() -> None:
    """The whole benchmark."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each command")
    parser.add_argument("--work", type=Path, default=Path("data/bench/startup"))
    parser.add_argument("--fresh", action="store_true", help="make the demo warehouse again")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here too")
    args = parser.parse_args()
    figures = run_benchmark(args.work.resolve(), args.runs, args.fresh)
    print_report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()

"""flows/engine.py: the same flow code as Prefect's objects, or as plain Python without Prefect.

The choice holds for a whole process, so plain runs are tested in a child Python of their own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PLAIN_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from flows import engine

    chosen = engine.use_plain_runs()

    tries = {}

    class MayPass(RuntimeError):
        pass

    def retry_may_pass(task, run, state):
        try:
            state.result()
        except MayPass:
            return True
        except Exception:
            return False
        return False

    @engine.task(name="work", cache_policy=engine.NONE, retry_condition_fn=retry_may_pass)
    def work(name, shared):
        tries[name] = (engine.attempt(), engine.tries_left())
        if name == "flaky" and engine.attempt() == 1:
            raise MayPass("the first try of flaky fails")
        if name == "broken":
            raise ValueError("broken always fails")
        return f"{name}:{shared}:{engine.attempt()}"

    @engine.flow(name="plain", workers=2)
    def run(names):
        futures = work.with_options(retries=2, retry_delay_seconds=0).map(
            names, shared=engine.unmapped("s")
        )
        outcome = {}
        for name, future in zip(names, futures):
            future.wait()
            if future.state.is_completed():
                outcome[name] = future.result()
            else:
                outcome[name] = "failed: " + future.state.message
        outcome["quoted"] = work(engine.quote("q"), "t")
        return outcome

    result = run(["steady", "flaky", "broken"])
    print(json.dumps({
        "chosen": chosen,
        "flow": type(run).__name__,
        "result": result,
        "tries": tries,
        "prefect": sorted(m for m in sys.modules if m.split(".")[0] == "prefect"),
        "run_id": engine.current_run_id(),
    }))
    """
)


def run_plain(script: str, cwd: Path = REPO, **env: str) -> dict:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API_URL")}
    environment |= env
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**environment, "PYTHONPATH": str(REPO)},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> dict:
    home = tmp_path_factory.mktemp("prefect-home")  # no profile that names a server
    return run_plain(PLAIN_SCRIPT, PREFECT_HOME=str(home))


def test_a_plain_run_imports_no_prefect(plain):
    assert plain["chosen"] is True
    assert plain["flow"] == "PlainFlow"
    assert plain["prefect"] == []
    assert plain["run_id"] is None


def test_map_runs_each_element_with_the_unmapped_argument_and_retries_what_may_pass(plain):
    result = plain["result"]
    assert result["steady"] == "steady:s:1"
    assert result["flaky"] == "flaky:s:2"  # failed once, passed on the second try
    # a failure that may not pass is not retried, and its future says why instead of raising
    assert result["broken"] == "failed: ValueError: broken always fails"
    assert plain["tries"]["steady"] == [1, 2]  # first of three tries: two left
    assert plain["tries"]["flaky"] == [2, 1]
    assert plain["tries"]["broken"] == [1, 2]


def test_a_quoted_argument_arrives_as_itself(plain):
    assert plain["result"]["quoted"] == "q:t:1"


def test_a_configured_prefect_server_keeps_prefect_runs(tmp_path):
    # the profile names a server: plain runs are refused, the decorators give Prefect's objects
    home = tmp_path / "prefect-home"
    home.mkdir()
    (home / "profiles.toml").write_text(
        'active = "team"\n[profiles.team]\nPREFECT_API_URL = "http://127.0.0.1:9/api"\n',
        encoding="utf-8",
    )
    script = textwrap.dedent(
        """
        import json
        from flows import engine
        chosen = engine.use_plain_runs()
        import flows.ingest
        print(json.dumps({"chosen": chosen, "flow": type(flows.ingest.ingest).__name__}))
        """
    )
    found = run_plain(script, PREFECT_HOME=str(home))
    assert found == {"chosen": False, "flow": "Flow"}


CHOICE = textwrap.dedent(
    """
    import json
    from flows import engine
    print(json.dumps({"chosen": engine.use_plain_runs()}))
    """
)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (".env", "CITYRADAR_DATA_DIR=data\nPREFECT_API_URL=http://127.0.0.1:9/api\n"),
        ("prefect.toml", '[api]\nurl = "http://127.0.0.1:9/api"\n'),
        ("pyproject.toml", '[tool.prefect.api]\nurl = "http://127.0.0.1:9/api"\n'),
    ],
)
def test_a_server_named_where_prefect_reads_settings_keeps_prefect_runs(tmp_path, name, text):
    (tmp_path / name).write_text(text, encoding="utf-8")
    home = tmp_path / "prefect-home"
    home.mkdir()
    assert run_plain(CHOICE, cwd=tmp_path, PREFECT_HOME=str(home)) == {"chosen": False}
    (tmp_path / name).write_text("# nothing about Prefect\n", encoding="utf-8")
    assert run_plain(CHOICE, cwd=tmp_path, PREFECT_HOME=str(home)) == {"chosen": True}


def test_flow_modules_imported_first_stay_prefect_flows():
    from prefect import Flow

    import flows.ingest  # noqa: F401  (the test process imports the flows as Prefect's)
    from flows import engine
    from flows.ingest import crawl_source, ingest

    assert engine.use_plain_runs() is False
    assert isinstance(ingest, Flow)
    assert crawl_source.name == "crawl-source"

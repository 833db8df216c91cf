"""How the flows run: as Prefect flows and tasks, or as plain Python in a command-line process.

Prefect is the distributed engine: deployments, `cityradar serve`, workers, the UI. A command
typed on one machine with no Prefect server configured gains nothing from it but its cost:
importing Prefect (~2 s of CPU) and starting Prefect's temporary server (~10 s) for every
command. So `cityradar ingest | digest | run | backfill | demo` run the very same flow code as
plain Python when no Prefect API is configured (``use_plain_runs``); everywhere else (workers,
``serve``, tests, anyone importing a flow) the decorators here give real Prefect objects.

The choice is made once per process, before the first flow module is imported: the flow
modules decorate with ``flow`` and ``task`` from here, and the decorators read the choice. The
other helpers (``get_run_logger``, ``quote``, ``unmapped``, ``attempt``, ``tries_left``) follow it.
Plain runs keep what the flows rely on: a thread pool of the flow's ``workers`` for ``map``,
retries with their delay and condition, futures that report failure instead of raising.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import threading
import time
import tomllib
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import ContextVar, copy_context
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PLAIN_LOGGER = "cityradar.flows"

# None until decided; then "plain" or "prefect" for the rest of the process
_mode: str | None = None
_mode_lock = threading.Lock()

_workers: ContextVar[int] = ContextVar("cityradar_flow_workers", default=4)
_tries: ContextVar[tuple[int, int]] = ContextVar("cityradar_task_tries", default=(1, 1))


def use_plain_runs() -> bool:
    """Run flows as plain Python in this process, unless a Prefect API is configured or a flow
    module was already imported as Prefect's; True when plain runs were chosen."""
    global _mode
    with _mode_lock:
        if _mode is None and not prefect_api_configured():
            _mode = "plain"
        return _mode == "plain"


def plain_runs() -> bool:
    """Whether this process runs flows as plain Python."""
    return _mode == "plain"


def _decide() -> bool:
    """Freeze the choice at the first decoration (Prefect unless plain runs were asked for)."""
    global _mode
    with _mode_lock:
        if _mode is None:
            _mode = "prefect"
        return _mode == "plain"


def prefect_api_configured() -> bool:
    """Whether Prefect would talk to a server: PREFECT_API_URL where Prefect reads it (the
    environment, ./.env, ./prefect.toml, ./pyproject.toml, the active profile), or in Prefect's
    settings when Prefect is already imported (a test harness), read without importing Prefect."""
    if os.environ.get("PREFECT_API_URL"):
        return True
    if "prefect.settings" in sys.modules:  # already paid for: ask Prefect itself
        from prefect.settings import PREFECT_API_URL

        return bool(PREFECT_API_URL.value())
    return _in_project_files() or bool(_profile_setting("PREFECT_API_URL"))


def _in_project_files() -> bool:
    """PREFECT_API_URL in ./.env, or the API url in ./prefect.toml or ./pyproject.toml."""
    try:
        lines = Path(".env").read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    for line in lines:
        key, _, value = line.partition("=")
        named = key.strip().removeprefix("export ").strip() == "PREFECT_API_URL"
        if named and value.strip().strip("'\""):
            return True
    for name, table in (("prefect.toml", ()), ("pyproject.toml", ("tool", "prefect"))):
        try:
            data = tomllib.loads(Path(name).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError):
            continue
        for key in table:
            data = data.get(key) or {}
        if (data.get("api") or {}).get("url"):
            return True
    return False


def _profile_setting(name: str) -> str | None:
    """A setting of the active Prefect profile (`prefect config set ...`), read without Prefect."""
    home = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
    path = Path(os.environ.get("PREFECT_PROFILES_PATH") or home / "profiles.toml").expanduser()
    try:
        profiles = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    active = os.environ.get("PREFECT_PROFILE") or profiles.get("active") or "ephemeral"
    value = profiles.get("profiles", {}).get(active, {}).get(name)
    return str(value) if value else None


# --- decorators --------------------------------------------------------------------------------


def flow(*, name: str, workers: int | None = None, **options: Any) -> Callable[[Callable], Any]:
    """``prefect.flow`` (with a thread pool of ``workers`` for its tasks), or a PlainFlow."""

    def decorate(fn: Callable) -> Any:
        if _decide():
            return PlainFlow(fn, name, workers)
        from prefect import flow as prefect_flow
        from prefect.task_runners import ThreadPoolTaskRunner

        if workers is not None:
            options["task_runner"] = ThreadPoolTaskRunner(max_workers=workers)
        return prefect_flow(name=name, **options)(fn)

    return decorate


def task(**options: Any) -> Callable[[Callable], Any]:
    """``prefect.task``, or a PlainTask that honours the same retry options."""

    def decorate(fn: Callable) -> Any:
        if _decide():
            return PlainTask(fn, options)
        from prefect import task as prefect_task

        return prefect_task(**_prefect_options(options))(fn)

    return decorate


class _NoCache:
    """Stands for Prefect's ``NONE`` cache policy until Prefect is asked to build the task."""

    def __repr__(self) -> str:
        return "NONE"


NONE = _NoCache()


def _prefect_options(options: dict[str, Any]) -> dict[str, Any]:
    if isinstance(options.get("cache_policy"), _NoCache):
        from prefect.cache_policies import NONE as PREFECT_NONE

        options = {**options, "cache_policy": PREFECT_NONE}
    return options


# --- what flow and task code calls -----------------------------------------------------------


def get_run_logger() -> Any:
    """The run's logger: Prefect's in a Prefect run, ``cityradar.flows`` in a plain one."""
    if plain_runs():
        return logging.getLogger(PLAIN_LOGGER)
    from prefect import get_run_logger as prefect_logger

    return prefect_logger()


def current_run_id() -> str | None:
    """The Prefect flow run this code runs in (None in a plain run)."""
    if plain_runs():
        return None
    from prefect import runtime

    run = runtime.flow_run.id
    return str(run) if run else None


def attempt() -> int:
    """Which try of the current task this is (1 for the first)."""
    if plain_runs():
        return _tries.get()[0]
    from prefect import runtime

    return runtime.task_run.run_count or 1


def tries_left() -> int:
    """How many more times the current task will be tried if this try fails (0: the last)."""
    if plain_runs():
        done, allowed = _tries.get()
        return allowed - done
    from prefect.context import TaskRunContext

    context = TaskRunContext.get()
    if context is None:  # the task's function called directly: no retries
        return 0
    return max(context.task.retries + 1 - (context.task_run.run_count or 1), 0)


@dataclass(frozen=True)
class _Unmapped:
    value: Any


@dataclass(frozen=True)
class _Quoted:
    value: Any


def unmapped(value: Any) -> Any:
    """A ``map`` argument passed whole to every call (Prefect's ``unmapped``)."""
    if plain_runs():
        return _Unmapped(value)
    from prefect.utilities.annotations import unmapped as prefect_unmapped

    return prefect_unmapped(value)


def quote(value: Any) -> Any:
    """An argument Prefect should not search for futures (a plain run passes it as it is)."""
    if plain_runs():
        return _Quoted(value)
    from prefect.utilities.annotations import quote as prefect_quote

    return prefect_quote(value)


# --- plain runs --------------------------------------------------------------------------------


class PlainFlow:
    """A flow function run as it is; its tasks share a thread pool of ``workers``."""

    def __init__(self, fn: Callable, name: str, workers: int | None) -> None:
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.name = name
        self.workers = workers

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the flow's body in this thread."""
        token = _workers.set(self.workers or _workers.get())
        try:
            return self.fn(*args, **kwargs)
        finally:
            _workers.reset(token)


class PlainTask:
    """A task function run in the calling thread (or a pool, by ``map``), with its retries."""

    def __init__(self, fn: Callable, options: dict[str, Any]) -> None:
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.options = options
        self.name = options.get("name") or fn.__name__

    def with_options(self, **changes: Any) -> PlainTask:
        """The same task with some options changed (retries, their delay...)."""
        return PlainTask(self.fn, {**self.options, **changes})

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the task now, retrying as its options say; raises its last error."""
        args = tuple(_unwrap(a) for a in args)
        kwargs = {k: _unwrap(v) for k, v in kwargs.items()}
        allowed = 1 + int(self.options.get("retries") or 0)
        for done in range(1, allowed + 1):
            token = _tries.set((done, allowed))
            try:
                return self.fn(*args, **kwargs)
            except Exception as exc:
                if done == allowed or not self._may_retry(exc):
                    raise
                delay = float(self.options.get("retry_delay_seconds") or 0)
                logging.getLogger(PLAIN_LOGGER).info(
                    "%s failed (%s); try %d of %d in %.1f s",
                    self.name,
                    exc,
                    done + 1,
                    allowed,
                    delay,
                )
                time.sleep(delay)
            finally:
                _tries.reset(token)
        raise AssertionError("unreachable")  # the last try returns or raises

    def map(self, *args: Any, **kwargs: Any) -> list[PlainFuture]:
        """One call per element of the iterable arguments (``unmapped`` ones passed whole), run
        in a pool of the flow's workers; the futures hold each call's result or error."""
        calls = _spread(args, kwargs)
        pool = ThreadPoolExecutor(max_workers=_workers.get(), thread_name_prefix=self.name)
        futures = [
            PlainFuture(pool.submit(copy_context().run, self._logged, call_args, call_kwargs))
            for call_args, call_kwargs in calls
        ]
        pool.shutdown(wait=False)  # the threads end when their calls do
        return futures

    def _logged(self, args: tuple, kwargs: dict[str, Any]) -> Any:
        try:
            return self(*args, **kwargs)
        except Exception as exc:  # kept in the future; the traceback goes to the run's log
            logging.getLogger(PLAIN_LOGGER).warning("%s failed: %s", self.name, exc, exc_info=True)
            raise

    def _may_retry(self, exc: Exception) -> bool:
        condition = self.options.get("retry_condition_fn")
        return True if condition is None else bool(condition(self, None, _Failed(exc)))


class PlainFuture:
    """What Prefect's futures offer the flows: ``wait``, ``result`` and a ``state``."""

    def __init__(self, future: Future) -> None:
        self._future = future

    def wait(self) -> None:
        """Block until the call ended."""
        self._future.exception()

    def done(self) -> bool:
        """Whether the call has ended."""
        return self._future.done()

    def result(self) -> Any:
        """The call's return value (raises its error)."""
        return self._future.result()

    @property
    def state(self) -> _Failed | _Completed:
        """Completed, or failed with the call's error."""
        error = self._future.exception()
        return _Completed() if error is None else _Failed(error)


class _Completed:
    message = ""

    def is_completed(self) -> bool:
        return True


class _Failed:
    """A failed call as retry conditions and futures see it (Prefect's State, in short)."""

    def __init__(self, error: BaseException) -> None:
        self.error = error
        self.message = f"{type(error).__name__}: {error}"

    def is_completed(self) -> bool:
        return False

    def result(self) -> Any:
        raise self.error


def _unwrap(value: Any) -> Any:
    return value.value if isinstance(value, _Unmapped | _Quoted) else value


def _spread(args: tuple, kwargs: dict[str, Any]) -> list[tuple[tuple, dict[str, Any]]]:
    """The arguments of each call of a ``map``: iterables zipped, ``unmapped`` ones repeated."""

    def spread(value: Any) -> bool:
        return isinstance(value, Iterable) and not isinstance(value, str | bytes | _Unmapped)

    args = tuple(list(a) if spread(a) else a for a in args)
    kwargs = {k: list(v) if spread(v) else v for k, v in kwargs.items()}
    lengths = {len(a) for a in (*args, *kwargs.values()) if isinstance(a, list)}
    if len(lengths) > 1:
        raise ValueError(f"map needs iterables of one length, got lengths {sorted(lengths)}")
    count = lengths.pop() if lengths else 0

    def nth(value: Any, n: int) -> Any:
        return value[n] if isinstance(value, list) else _unwrap(value)

    return [
        (tuple(nth(a, n) for a in args), {k: nth(v, n) for k, v in kwargs.items()})
        for n in range(count)
    ]


def is_done(future: Any) -> bool:
    """Whether a future of ``map`` has ended, its retries included (plain or Prefect's)."""
    if isinstance(future, PlainFuture):
        return future.done()
    return bool(future.state.is_final())

"""Warm crawl processes: a server that has imported Scrapy once and forks one child per crawl.

Every crawl still runs in a process of its own (Twisted's reactor cannot restart, and a hanging
site must be killed alone), but starting Python, Scrapy, lxml and trafilatura costs about a second
of CPU per process; on a run where nothing changed, that start-up was 90% of the work. The server
(``python -m spiders.forkserver``) imports all of it once, never starts a reactor or a thread, and
forks a child per crawl, which starts in milliseconds.

Protocol, one JSON object per line. The client writes ``{"job": N, "argv": [...], "env": {...},
"cwd": DIR, "log": FILE}`` to start a crawl (``spiders.run``'s arguments; the child's environment
and working directory; the file its output goes to) or ``{"kill": N}``; the server answers
``{"job": N, "pid": P}`` when the child started, then ``{"job": N, "exit": CODE, "max_rss_kib":
KIB}`` when it ended (CODE negative: killed by that signal; KIB: the child's peak memory). When
the client goes away, the server kills its children.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import json
import os
import selectors
import signal
import sys
import traceback
from collections.abc import Iterator

# Imported once here so that no crawl child imports them again (trafilatura alone is 0.8 s).
PRELOAD = (
    "spiders.run",
    "spiders.feed",
    "spiders.html_list",
    "spiders.sitemap",
    "spiders.middlewares",
    "spiders.pipelines",
    "spiders.documents",
    "spiders.resolver",
    "scrapy.crawler",
    "scrapy.robotstxt",
    "trafilatura",
)
# Scrapy's own components, loaded by name when a crawler starts; their modules are imported here
COMPONENT_SETTINGS = (
    "DOWNLOADER_MIDDLEWARES_BASE",
    "SPIDER_MIDDLEWARES_BASE",
    "EXTENSIONS_BASE",
    "DOWNLOAD_HANDLERS_BASE",
)
PR_SET_PDEATHSIG = 1  # prctl(2)
REAP_INTERVAL = 0.02  # seconds between looks for ended children


def preload() -> None:
    """Import what every crawl needs, without installing a reactor (each child installs its own)."""
    for name in PRELOAD:
        importlib.import_module(name)
    from scrapy.settings import default_settings
    from scrapy.utils.misc import walk_modules_iter

    from spiders import settings as project_settings

    # Every listed one (the project's lists where it has its own), even those switched off: a
    # crawler loads each class by name to normalise the settings' keys.
    for setting in COMPONENT_SETTINGS:
        listed = getattr(project_settings, setting, None) or getattr(default_settings, setting)
        # middlewares and extensions are keyed by path; download handlers map scheme -> path
        for key, value in listed.items():
            path = value if isinstance(value, str) else key
            importlib.import_module(path.rpartition(".")[0])
    # the spider loader imports every module of SPIDER_MODULES when a crawler starts
    for package in project_settings.SPIDER_MODULES:
        list(walk_modules_iter(package))
    if "twisted.internet.reactor" in sys.modules:  # a fork would share one reactor's state
        raise RuntimeError("a preloaded module installed a Twisted reactor")


def serve(requests_fd: int, replies_fd: int) -> None:
    """Fork a child per request until the client closes its end, then kill what still runs."""
    children: dict[int, int] = {}  # pid -> job
    selector = selectors.DefaultSelector()
    selector.register(requests_fd, selectors.EVENT_READ)
    pending = b""
    client_open = True
    while client_open:
        for _ in selector.select(timeout=REAP_INTERVAL):
            chunk = os.read(requests_fd, 1 << 16)
            client_open = bool(chunk)
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                _handle(json.loads(line), children, replies_fd)
        for pid, code, max_rss_kib in _reaped(children):
            _reply(replies_fd, {"job": children.pop(pid), "exit": code, "max_rss_kib": max_rss_kib})
    for pid, job in children.items():  # the client is gone or closing: no crawl outlives it
        _kill(pid)
        _, status = os.waitpid(pid, 0)
        with contextlib.suppress(BrokenPipeError):
            _reply(replies_fd, {"job": job, "exit": os.waitstatus_to_exitcode(status)})


def _handle(request: dict, children: dict[int, int], replies_fd: int) -> None:
    """Start a crawl, or kill one that has not ended yet."""
    if "kill" in request:
        for pid, job in children.items():
            if job == request["kill"]:
                _kill(pid)
        return
    pid = os.fork()
    if pid == 0:
        _run_child(request, replies_fd)  # never returns
    children[pid] = request["job"]
    _reply(replies_fd, {"job": request["job"], "pid": pid})


def _run_child(request: dict, replies_fd: int) -> None:
    """In the forked child: take the job's output file, environment and folder, then crawl."""
    code = 1
    try:
        _die_with_server()
        os.close(replies_fd)
        _redirect_output(request["log"])  # stdin too: the requests pipe is the server's
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        signal.signal(signal.SIGINT, signal.default_int_handler)  # the server ignores it
        from spiders import run

        code = run.main(request["argv"])
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _die_with_server() -> None:
    """Ask Linux to kill this child if the server dies: a crawl nobody watches could still be
    writing into a batch that a retry, or the next run, is reading."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:  # the server died before the request took effect
        os._exit(1)


def _redirect_output(log_path: str) -> None:
    """The child's stdout and stderr go to the crawl's log, its stdin to nothing."""
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)


def _reaped(children: dict[int, int]) -> Iterator[tuple[int, int, int]]:
    """Children that have ended since the last look: pid, exit code, peak memory (KiB)."""
    while children:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid in children:
            yield pid, os.waitstatus_to_exitcode(status), usage.ru_maxrss


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # ended meanwhile; the next look reaps it
        os.kill(pid, signal.SIGKILL)


def _reply(fd: int, message: dict) -> None:
    os.write(fd, json.dumps(message).encode() + b"\n")


def main() -> None:
    """Preload, say ready, serve. Replies go on a private copy of stdout; stray prints to stderr."""
    replies_fd = os.dup(1)
    os.dup2(2, 1)
    # Ctrl-C in a terminal reaches the whole process group: the crawls stop themselves, and
    # the server stays until its client closes the pipe, so no child is left unwatched
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    preload()
    _reply(replies_fd, {"ready": True})
    serve(0, replies_fd)
    # every child is reaped and every reply written: tearing down the imported modules would
    # only keep the client waiting (~0.3 s at the end of each run)
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()

"""Kiwi's analysis in a process of its own, so that it runs beside tagging.

kiwipiepy holds the interpreter lock while it analyses (given one text or an iterator of texts),
and while it loads. In the tagging process, the thread that analysed the next chunk therefore
never ran beside the tagging of this one: a Python loop beside it ran at 29 % of its speed, and
tagging with the analysis done first was as fast (docs/performance.md). In a child process Kiwi
has a core and an interpreter of its own: it loads while the gazetteer and the encoder load here,
and analyses the next chunk while this one is tagged.

The child reads requests on its standard input and answers on its standard output: a list of
texts in, each text's morphemes out as (start, end, nominal) spans, in marshal's format behind a
length. It ends when its input closes — when the parent closes it, and when the parent dies — and
it is a session of its own, so a Ctrl-C at the terminal reaches only the parent, which ends it.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import struct
import subprocess
import sys
import threading
from typing import IO, Any

# Kiwi tags of nouns and of what names start with besides nouns: numbers and serials (5-1생활권),
# Latin and Chinese letters (K-water, 世宗)
NOMINAL_TAGS = ("NN", "SN", "SL", "SH", "W_SERIAL")
# (start, end, nominal) of each morpheme of a piece of text, in Kiwi's order
Spans = list[tuple[int, int, bool]]

_LENGTH = struct.Struct("<Q")
_CLOSE_SECONDS = 5.0


class AnalyserGone(Exception):
    """The child process cannot be started, or ended before it answered."""


def new_kiwi() -> Any:
    """Kiwi as cityradar configures it (here, in the child, or in the fallback in-process)."""
    from kiwipiepy import Kiwi

    # without the multi-word dictionary: 250 MB less memory, the same tags (make eval)
    return Kiwi(num_workers=os.cpu_count() or 1, load_multi_dict=False)


def spans_of(kiwi: Any, pieces: list[str]) -> list[Spans]:
    """Kiwi's morphemes of each piece as spans, the pieces analysed together on every core."""
    if not pieces:
        return []
    return [
        [(t.start, t.start + t.len, t.tag.startswith(NOMINAL_TAGS)) for t in tokens]
        for tokens in kiwi.tokenize(iter(pieces))
    ]


class KiwiProcess:
    """A child process that loads Kiwi at once and then analyses what it is sent."""

    def __init__(self) -> None:
        """Start the child (it loads Kiwi while the caller goes on: ~1.5 s)."""
        try:
            self._child = subprocess.Popen(
                [sys.executable, "-m", "transforms.kiwi_process"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as error:
            raise AnalyserGone(f"cannot start Kiwi's process: {error}") from error
        self._lock = threading.Lock()  # one request at a time on the pipes

    @property
    def pid(self) -> int:
        """The child's process id (for measuring its memory)."""
        return self._child.pid

    def spans(self, pieces: list[str]) -> list[Spans]:
        """Each piece's morphemes, analysed in the child (the caller waits without holding the
        interpreter lock)."""
        assert self._child.stdin is not None
        assert self._child.stdout is not None
        with self._lock:
            try:
                _send(self._child.stdin, pieces)
                answer = _receive(self._child.stdout)
            except (OSError, EOFError, ValueError) as error:
                raise AnalyserGone(
                    f"Kiwi's process (pid {self._child.pid}) ended: {error or 'no answer'}"
                ) from error
        if len(answer) != len(pieces):
            raise AnalyserGone(f"Kiwi's process answered {len(answer)} of {len(pieces)} texts")
        return answer

    def close(self) -> None:
        """End the child: close its input, wait a moment, then kill it."""
        if self._child.stdin is not None and not self._child.stdin.closed:
            with contextlib.suppress(OSError):  # it is gone already
                self._child.stdin.close()
        try:
            self._child.wait(_CLOSE_SECONDS)
        except subprocess.TimeoutExpired:
            self._child.kill()
            self._child.wait()
        if self._child.stdout is not None:
            self._child.stdout.close()


def _send(stream: IO[bytes], value: Any) -> None:
    data = marshal.dumps(value)
    stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    length = _read_exactly(stream, _LENGTH.size)
    (size,) = _LENGTH.unpack(length)
    return marshal.loads(_read_exactly(stream, size))


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            raise EOFError("the other end closed the pipe")
        data += chunk
    return data


def serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """The child's loop: load Kiwi, then answer each request until the input closes."""
    kiwi = new_kiwi()
    kiwi.tokenize("준비")  # Kiwi builds its model on first use: before the first request
    while True:
        try:
            pieces = _receive(requests)
        except EOFError:
            return
        _send(answers, spans_of(kiwi, pieces))


def _main() -> None:
    # answers go on a copy of the standard output; anything printed goes to standard error
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    _main()

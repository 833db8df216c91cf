"""Kiwi in a process of its own: the same morphemes as in this process, an end with its parent,
and analysis here when the process is gone."""

from __future__ import annotations

import logging
import os
import signal
from pathlib import Path

import pytest

from training.eval_sets import load_set
from transforms import matching
from transforms.kiwi_process import KiwiProcess, spans_of
from transforms.matching import has_hangul

WRITTEN = Path(__file__).resolve().parents[2] / "eval" / "tagging_set.yaml"


@pytest.fixture(scope="module")
def korean_texts() -> list[str]:
    """Korean titles and leads of the written set."""
    texts = [t for g in load_set(WRITTEN) for t in (g.title, g.summary) if has_hangul(t or "")]
    assert len(texts) > 50
    return texts


@pytest.fixture
def process():
    child = KiwiProcess()
    yield child
    child.close()


def test_the_process_finds_the_morphemes_kiwi_finds_here(process, korean_texts):
    assert process.spans(korean_texts) == spans_of(matching._kiwi(), korean_texts)
    assert process.spans([]) == []
    assert process.spans(["고양이가 부산물을 먹었다"])[0][:2] == [(0, 3, True), (3, 4, False)]


def test_the_process_ends_when_closed_and_when_its_input_closes(korean_texts):
    closed = KiwiProcess()
    closed.spans(korean_texts[:2])
    closed.close()
    assert closed._child.returncode == 0
    orphan = KiwiProcess()  # as when the parent dies: its end of the pipe closes
    assert orphan._child.stdin is not None
    orphan._child.stdin.close()
    assert orphan._child.wait(30) == 0


def test_a_ctrl_c_at_the_terminal_does_not_reach_the_process(process):
    assert os.getsid(process.pid) == process.pid  # a session of its own
    assert os.getpgid(process.pid) != os.getpgid(os.getpid())


def test_texts_are_analysed_here_once_the_process_is_gone(korean_texts, caplog):
    matching.release_kiwi()
    expected = spans_of(matching._kiwi(), korean_texts[:5])
    matching.load_kiwi()
    pid = matching.analyser_pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    with caplog.at_level(logging.WARNING, logger="transforms.matching"):
        assert matching._analyse(korean_texts[:5]) == expected
        assert matching._analyse(korean_texts[:5]) == expected
    assert matching.analyser_pid() is None
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # one plain line, then analysis here
    assert f"Kiwi's process (pid {pid}) ended" in warnings[0]
    assert "analysed in this process from now on" in warnings[0]
    matching.release_kiwi()

"""The CLI's progress bars draw what flows report, and stay silent off a terminal."""

from __future__ import annotations

import io

from rich.console import Console

from cityradar.progress import progress, shown_with
from flows.bars import RichBars, progress_bars


def test_bars_show_each_piece_of_work_and_what_was_just_done():
    out = io.StringIO()
    bars = RichBars(Console(file=out, force_terminal=True, width=120))
    with bars.live(), shown_with(bars):
        progress().start("crawl", "Crawling (2 sources)", 2)
        progress().advance("crawl", note="seoul_news")
        progress().advance("crawl", note="molit_press")
        progress().finish("crawl")
        progress().start("load", "Loading 12 items", None)
        progress().finish("load")
    drawn = out.getvalue()
    assert "Crawling (2 sources)" in drawn
    assert "2/2" in drawn
    assert "molit_press" in drawn
    assert "Loading 12 items" in drawn


def test_nothing_is_drawn_off_a_terminal(capsys):
    with progress_bars() as bars:
        progress().start("crawl", "Crawling", 1)
        progress().advance("crawl")
    assert bars is None
    assert capsys.readouterr().err == ""

"""The text part against a golden file, and the HTML part as headless Chromium draws it.

Regenerate the golden file after an intended change with UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from digest.query import Totals
from digest.rank import Audience, build_digest
from digest.render import render_digest
from tests.helpers.week_data import data, member

GOLDEN = Path(__file__).parent / "golden" / "digest-2026-W47.txt"


def sample():
    week = data(
        member("g1", "c1", "molit", 1, org="ministry"),
        member("n1", "c1", "daily", 2),
        member("n2", "c2", "herald", 3, areas=("water",), cities=("Busan",)),
        member("n3", "c3", "daily", 4, areas=("energy",), cities=("Sejong",)),
    )
    week.totals = Totals(items=4, stories=3, sources=3, cities=3, collected=9)
    week.previous_totals = Totals(items=2, stories=2, sources=3, cities=4, collected=5)
    week.focus_counts = {"mobility": 2, "water": 1, "energy": 1}
    week.focus_average = {"mobility": 1.5, "water": 0.25}
    week.problem_sources = [("gone_feed", "Gone feed", "failing", "HTTP 404 Not Found")]
    return render_digest(build_digest(week, Audience(key_cities=("Seoul", "Busan"))))


def test_the_text_part_matches_the_golden_file():
    text = sample().text
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def _chromium() -> str | None:
    return next(
        (shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None
    )


@pytest.mark.slow  # a system test: it starts another process
def test_headless_chromium_draws_the_html(tmp_path):
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs it from Debian)")
        pytest.skip("chromium is not installed")
    from PIL import Image, ImageStat

    page = tmp_path / "digest.html"
    page.write_text(sample().standalone_html(), encoding="utf-8")
    shot = tmp_path / "digest.png"
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--screenshot={shot}",
            "--window-size=700,1400",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    image = Image.open(shot).convert("L")
    assert image.size == (700, 1400)
    # not blank: a real share of the page is ink, and it is not one flat colour
    dark = sum(image.histogram()[:128])  # pixels darker than mid-grey
    assert dark / (700 * 1400) > 0.01
    assert ImageStat.Stat(image).stddev[0] > 20

"""Saved copies of stories' pages, read from the file beside the warehouse (rendering: test_render)."""

from __future__ import annotations

import json

import pytest

from digest.saved_pages import (
    SavedPagesError,
    read_saved_pages,
    saved_pages_file,
    write_saved_pages,
)

SEOUL = "https://news.example.kr/1"


def test_entries_become_file_urls_of_saved_copies_inside_the_folder(tmp_path):
    (tmp_path / "site").mkdir()
    page = tmp_path / "site" / "1.html"
    page.write_text("<p>saved</p>", encoding="utf-8")
    (tmp_path / "elsewhere.html").write_text("outside", encoding="utf-8")
    path = saved_pages_file(tmp_path / "w.duckdb")
    write_saved_pages(
        path,
        {
            SEOUL: "site/1.html",
            "https://news.example.kr/2": "site/missing.html",  # never saved
            "https://news.example.kr/3": "../elsewhere.html",  # outside the folder
        },
    )
    assert path == tmp_path / "saved-pages.json"
    assert read_saved_pages(path) == {SEOUL: page.resolve().as_uri()}


def test_no_file_means_no_saved_copies(tmp_path):
    assert read_saved_pages(tmp_path / "saved-pages.json") == {}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "not readable as JSON"),
        (json.dumps(["site/1.html"]), "expected an object of story URL -> saved file path"),
        (json.dumps({SEOUL: 1}), "expected an object of story URL -> saved file path"),
    ],
)
def test_an_unusable_file_is_named_in_one_line(tmp_path, content, problem):
    path = tmp_path / "saved-pages.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SavedPagesError) as caught:
        read_saved_pages(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {problem}")
    assert "\n" not in message

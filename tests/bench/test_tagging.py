"""The tagger benchmark's input: train and dev items only, bodies of an article's length."""

from __future__ import annotations

import pytest

from bench import tagging
from training.labelled import DEFAULT_FOLDER, read_labelled


def test_bodies_are_made_of_the_summaries_of_later_items():
    texts = [(f"t{n}", f"s{n}") for n in range(10)]
    items = tagging.with_bodies(texts)
    assert (items[0].title, items[0].summary) == ("t0", "s0")
    assert items[0].body == items[0].for_tagging == "s1 s2 s3 s4 s5 s6 s7"
    assert items[8].body == "s9 s0 s1 s2 s3 s4 s5"  # wrapping around
    assert tagging.with_bodies(texts, stride=3)[0].body == "s3 s6 s9 s2 s5 s8 s1"


def test_bodies_are_cut_at_a_thousand_characters():
    texts = [("", "가" * 400)] * 9
    assert {len(item.body) for item in tagging.with_bodies(texts)} == {tagging.BODY_CHARS}


def test_the_written_eval_sets_stand_in_and_every_item_is_tagged():
    texts = tagging.eval_texts()
    assert len(texts) >= 200
    items = tagging.with_bodies(texts[:70])
    assert tagging.tag_all(items) == 70


def test_only_train_and_dev_items_are_taken():
    if not DEFAULT_FOLDER.is_dir():
        pytest.skip("../shared/labelled is not available")
    allowed = [
        (item.title, item.summary)
        for item in read_labelled(DEFAULT_FOLDER)
        if item.split in ("train", "dev")
    ]
    assert allowed
    assert tagging.labelled_texts(DEFAULT_FOLDER) == allowed


def test_loading_is_timed_until_kiwi_in_its_process_answers():
    from transforms import matching

    matching.release_kiwi()
    rules, learned, ready = tagging.load_everything()
    assert matching.analyser_pid() is not None  # Kiwi analyses in its own process
    assert 0 < rules < ready
    assert 0 < learned < ready
    assert ready >= rules + learned

"""`cityradar train` end to end: labelled news, grown items and analysts' corrections."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.batches import load_raws
from tests.helpers.written import write_written_folder
from training.labelled import LabelledItem, split_of
from training.retrain import corrections_for_training, retrain
from warehouse.corrections import LabelChange, read_corrections, record_correction
from warehouse.db import connect

FESTIVAL = {
    "link": "https://www.busan.example.kr/news/2",
    "guid": "n2",
    "title": "부산시, 가을 불꽃축제에 드론 500대 띄운다",
    "summary_html": "<p>광안리 해수욕장에서 불꽃축제가 열린다.</p>",
    "published_raw": "2026-11-19 09:00:00",
}


@pytest.fixture
def corrected_db(tmp_path: Path) -> tuple[Path, str]:
    """A warehouse with one story an analyst marked not smart-city."""
    path = tmp_path / "w.duckdb"
    with connect(path) as con:
        load_raws(con, "b1", [{**FESTIVAL, "seq": 0}])
        item_id = con.execute("select item_id from items").fetchone()[0]
    record_correction(
        path, item_id, LabelChange("analyst", is_smart_city=False, note="a festival show")
    )
    return path, item_id


def _labelled(url: str) -> LabelledItem:
    return LabelledItem("L1", url, "ko", "t", "s", frozenset(), frozenset(), False)


def test_a_correction_becomes_a_training_item_with_the_analysts_labels(corrected_db):
    db, item_id = corrected_db
    (item,) = corrections_for_training(read_corrections(db), labelled=[])
    assert (item.id, item.origin, item.split) == (item_id, "correction", "train")
    assert item.smart is False
    assert item.focus == frozenset()
    assert "드론" in item.title


def test_a_correction_of_a_held_out_story_stays_out_of_training(corrected_db):
    db, _ = corrected_db
    url = FESTIVAL["link"]
    held_out = _labelled(url)
    assert split_of(url) in {"train", "dev", "test"}
    kept = corrections_for_training(read_corrections(db), labelled=[held_out])
    assert bool(kept) == (held_out.split != "test")


def test_training_reads_the_labelled_folder_the_grown_items_and_the_corrections(
    corrected_db, tmp_path: Path
):
    db, _ = corrected_db
    folder = tmp_path / "labelled"
    rows = write_written_folder(folder)
    result = retrain(folder, db=db, out=tmp_path / "learned")
    assert result.rows["correction:train"] == 1
    assert result.rows["grown:train"] >= 280
    # every written item but those whose address falls in the test split
    trained = result.rows["labelled:train"] + result.rows["labelled:dev"]
    assert trained == sum(split_of(r["source_url"]) != "test" for r in rows)
    spec = json.loads((tmp_path / "learned" / "heads.json").read_text("utf-8"))
    assert spec["meta"]["rows"] == result.rows

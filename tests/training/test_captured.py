"""Tagging measured on real captured text (../shared/realdata), labelled in eval/."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.captured import read_captured
from training.eval_sets import load_realdata_set
from transforms.evaluation import evaluate, format_report
from transforms.tagging import tag_item

EVAL = Path(__file__).resolve().parents[2] / "eval"
pytestmark = pytest.mark.realdata


@pytest.mark.parametrize("labels", ["realdata_labels.yaml", "realdata_holdout.yaml"])
def test_every_labelled_item_is_found_in_the_captured_files(realdata, labels):
    items = load_realdata_set(EVAL / labels, realdata)
    assert len(items) >= 60
    assert all(item.title for item in items)
    assert len({item.id for item in items}) == len(items)
    report = format_report(evaluate(items))
    assert "\nko " in report


def test_each_reader_gives_title_and_text(realdata):
    korea_kr = read_captured(realdata / "koreanewskorea/korea_kr_2026-01-05.json")
    assert len(korea_kr) == 20
    feed = read_captured(realdata / "knews-rss/tech.xml")
    assert len(feed) == 224
    title, summary, _ = feed["https://www.nocutnews.co.kr/news/5584531"]
    assert title.startswith("대우건설 '푸르지오'")
    assert "한국서비스대상" in summary
    _, _, body = read_captured(realdata / "scrapping-webs/yonhap_en_test_article_2.json")["-"]
    assert body.startswith("SEOUL, April 19 (Yonhap) --")


def test_real_hard_negatives_stay_negative(realdata):
    titles = read_captured(realdata / "koreanewskorea/korea_kr_2026-01-05.json")
    by_product, _, _ = titles["156738146"]  # 영농부산물: agricultural by-products, not Busan
    assert "부산물" in by_product
    assert tag_item(by_product).cities == []
    newsis = read_captured(realdata / "knews-rss/newsis-economy.json")
    title, summary, _ = newsis["http://www.newsis.com/view?id=NISX20220801_0001962847"]
    assert summary.startswith("[부산=뉴시스]")  # a credit, not the story's place
    tags = tag_item(title, summary)
    assert tags.cities == []
    assert not tags.is_smart_city


def test_a_real_smart_city_story_is_found(realdata):
    feed = read_captured(realdata / "knews-rss/tech.xml")
    title, summary, _ = feed[
        "http://daily.hankooki.com/lpage/ittech/202202/dh20220221111738138240.htm"
    ]
    tags = tag_item(title, summary)
    assert tags.is_smart_city
    assert "Daegu" in [c.value for c in tags.cities]
    assert {"health_safety", "ai_data"} <= {f.value for f in tags.focus_areas}

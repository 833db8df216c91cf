"""Re-tagging stored items writes the tag rows the load writes (one function builds both)."""

from __future__ import annotations

from tests.helpers.batches import load_raws
from tests.helpers.factories import make_raw
from transforms.retagging import retag_chunks
from warehouse.db import connect
from warehouse.retag import replace_tags, stored_texts

STORIES = [
    {
        "link": "https://www.busan.example.kr/news/1",
        "guid": "n1",
        "title": "부산시, 스마트 횡단보도 설치",
        "summary_html": "<p>해운대에 스마트 횡단보도를 설치한다.</p>",
    },
    {
        "link": "https://www.busan.example.kr/news/2",
        "guid": "n2",
        "title": "보도자료",
        "summary_html": "<p>첨부 참조</p>",
        "attachments": [
            {
                "url": "https://www.busan.example.kr/f/2.hwpx",
                "name": "2.hwpx",
                "kind": "hwpx",
                "text": "인천 송도국제도시와 경기도 스마트 가로등 설치 계획",
            }
        ],
    },
]
TAG_ROWS = {
    "item_cities": "item_id, city, country, score, reasons, kind",
    "item_countries": "item_id, country, score, reasons",
    "item_focus_areas": "item_id, focus_area, score, reasons",
}


def tag_rows(con):
    return {
        table: con.execute(f"select {columns} from core.{table} order by all").fetchall()
        for table, columns in TAG_ROWS.items()
    }


def test_retagging_from_the_stored_text_writes_the_rows_the_load_wrote(tmp_path):
    with connect(tmp_path / "w.duckdb") as con:
        load_raws(con, "b1", [make_raw(seq=n, **story) for n, story in enumerate(STORIES)])
        loaded = tag_rows(con)
        for table in TAG_ROWS:
            con.execute(f"delete from core.{table}")
        replace_tags(con, [pair for chunk in retag_chunks(stored_texts(con)) for pair in chunk])
        assert tag_rows(con) == loaded
    kinds = {(city, kind) for _, city, _, _, _, kind in loaded["item_cities"]}
    assert kinds == {("Busan", "city"), ("Incheon", "city"), ("Gyeonggi", "province")}

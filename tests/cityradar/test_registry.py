"""The source registry: the shipped file, and errors that name the entry and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cityradar.registry import KINDS_WITH_SPIDER, RegistryError, load_sources, parse_sources
from spiders import SPIDER_CLASSES
from transforms.vocabularies import gazetteer

REPO = Path(__file__).resolve().parents[2]
GOOD = {
    "id": "seoul_news",
    "name": "Seoul news",
    "kind": "feed",
    "url": "https://news.seoul.go.kr/gov/feed/",
    "language": "ko",
    "country": "KR",
    "org_type": "city",
    "city": "Seoul",
    "timezone": "Asia/Seoul",
}


@pytest.fixture(scope="module")
def shipped():
    return load_sources(REPO / "sources.yaml", known_cities=gazetteer().places)


def test_shipped_registry_lists_at_least_25_enabled_sources(shipped):
    enabled = [s for s in shipped if s.enabled]
    assert len(enabled) >= 25


def test_shipped_registry_covers_the_sources_the_design_names(shipped):
    hosts = {s.host for s in shipped if s.enabled}
    for host in (
        "www.molit.go.kr",
        "www.msit.go.kr",
        "www.mois.go.kr",
        "news.seoul.go.kr",
        "info.daegu.go.kr",
        "www.korea.net",
        "en.yna.co.kr",
        "www.koreaherald.com",
        "feed.koreatimes.co.kr",
        "www.businesskorea.co.kr",
        "koreabizwire.com",
        "www.smartcitiesdive.com",
        "cities-today.com",
        "www.smartcitiesworld.net",
    ):
        assert host in hosts, host


def test_dead_korea_kr_rss_feeds_are_not_listed(shipped):
    assert not [s.url for s in shipped if "korea.kr/rss/" in s.url]


def test_disabled_entries_say_why(shipped):
    assert all(s.disabled_reason for s in shipped if not s.enabled)


def test_every_kind_the_registry_accepts_has_a_spider():
    assert set(SPIDER_CLASSES) == set(KINDS_WITH_SPIDER)


def test_every_board_the_issue_names_is_enabled(shipped):
    enabled = {s.id for s in shipped if s.enabled}
    assert {
        "korea_kr_press",
        "molit_press_list",
        "mois_press_list",
        "msit_en_press",
        "busan_press",
        "incheon_press",
        "sejong_press",
        "ifez_press",
        "daegu_newsroom",
        "jeonnam_gwangju_list",
        "gwangju_press",
        "yonhap_en_sitemap",
    } <= enabled


def test_the_daegu_newsroom_reads_its_rows_as_bundles(shipped):
    daegu = next(s for s in shipped if s.id == "daegu_newsroom")
    assert daegu.bundle is not None
    bundle_selectors = daegu.bundle.list_selectors()
    assert bundle_selectors.item == daegu.bundle.item
    assert bundle_selectors.body is None  # article fields stay with the source's selectors
    assert [s.id for s in shipped if s.bundle] == ["daegu_newsroom"]


def test_unverified_boards_say_so(shipped):
    by_id = {s.id: s for s in shipped}
    for source_id in (
        "sejong_press",
        "ifez_press",
        "busan_press",
        "daegu_newsroom",
        "msit_en_press",
    ):
        assert "not verified from here" in (by_id[source_id].notes or "").lower(), source_id
    assert "Verified on real saved pages" in (by_id["gwangju_press"].notes or "")


def test_a_good_entry_loads_with_defaults():
    (source,) = parse_sources([GOOD])
    assert source.enabled
    assert source.fetch_articles
    assert source.max_articles == 30


def test_an_html_board_may_leave_its_rows_to_be_found_on_the_page():
    (bare,) = parse_sources([{**GOOD, "kind": "html"}])
    (partial,) = parse_sources([{**GOOD, "kind": "html", "selectors": {"body": "div.view"}}])
    assert bare.selectors is None
    assert partial.selectors is not None
    assert partial.selectors.item is None
    assert partial.selectors.body == "div.view"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"timezone": "Asia/Seol"},
            "entry 1 (id 'seoul_news'), field 'timezone': 'Asia/Seol' is not an IANA",
        ),
        (
            {"url": "ftp://example.org/feed"},
            "field 'url': 'ftp://example.org/feed' is not an http(s) URL",
        ),
        ({"colour": "red"}, "field 'colour': unknown field (typo?)"),
        ({"language": "korean"}, "field 'language': 'korean' is not an ISO 639-1 code"),
        ({"country": "kr"}, "field 'country': 'kr' is not an ISO 3166-1 alpha-2 code"),
        ({"org_type": "blog"}, "field 'org_type':"),
        ({"id": "Seoul-News"}, "field 'id': must be lower_snake_case"),
        ({"enabled": False}, "field 'disabled_reason': say why the source is disabled"),
        ({"kind": "html", "selectors": {"itme": "li"}}, "field 'selectors.itme': unknown field"),
        (
            {"kind": "html", "selectors": {"item": "li", "date_pattern": "(\\d"}},
            "field 'selectors.date_pattern': not a regular expression",
        ),
        ({"obey_robots": False}, "field 'robots_reason': say why robots.txt is not obeyed"),
        ({"bundle": {"item": "table tr"}}, "field 'bundle': only an html board has bundle pages"),
        (
            {"kind": "html", "selectors": {"item": "tr"}, "bundle": {"link": "a::attr(href)"}},
            "field 'bundle.item': required",
        ),
        (
            {
                "kind": "html",
                "selectors": {"item": "tr"},
                "bundle": {"item": "tr", "date_pattern": "["},
            },
            "field 'bundle.date_pattern': not a regular expression",
        ),
        ({"method": "PUT"}, "field 'method':"),
        ({"pagination": {"param": "pageIndex", "max_pages": 0}}, "field 'pagination.max_pages':"),
        ({"city": "Seol"}, "field 'city': 'Seol' is not a known canonical city"),
        (
            {"url": "https://apis.data.go.kr/news?serviceKey=${DATA_KEY}"},
            "field 'url': ${DATA_KEY} must name a variable CITYRADAR_SECRET_<NAME>",
        ),
        (
            {"url": "https://${CITYRADAR_SECRET_HOST}/rss.xml"},
            "field 'url': a ${CITYRADAR_SECRET_*} may stand in the path or query, not the host",
        ),
        (
            {"headers": {"Authorization": "Bearer ${TOKEN}"}},
            "field 'headers': Authorization: ${TOKEN} must name a variable CITYRADAR_SECRET_",
        ),
        ({"user_agent": "  "}, "field 'user_agent': empty: leave user_agent out"),
        (
            {"user_agent": "Mozilla/5.0\r\nX-Injected: 1"},
            "field 'user_agent': must be one line of printable text",
        ),
        (
            {"user_agent": "Mozilla/5.0", "headers": {"user-agent": "curl/8"}},
            "field 'user_agent': given twice (also in headers)",
        ),
    ],
)
def test_a_bad_entry_is_named_with_its_field(change, expected):
    with pytest.raises(RegistryError) as error:
        parse_sources([{**GOOD, **change}], known_cities=gazetteer().places)
    assert expected in str(error.value)


def test_a_missing_field_is_named():
    entry = {k: v for k, v in GOOD.items() if k != "url"}
    with pytest.raises(RegistryError, match=r"entry 1 \(id 'seoul_news'\), field 'url': required"):
        parse_sources([entry])


def test_every_problem_is_reported_at_once_with_positions():
    second = {**GOOD, "id": "other", "timezone": "Nowhere/City"}
    duplicate = dict(GOOD)
    with pytest.raises(RegistryError) as error:
        parse_sources([GOOD, second, duplicate])
    message = str(error.value)
    assert "2 problem(s)" in message
    assert "entry 2 (id 'other'), field 'timezone'" in message
    assert "entry 3 (id 'seoul_news'), field 'id': duplicates entry 1" in message


def test_unreadable_files_are_reported_with_their_path(tmp_path):
    with pytest.raises(RegistryError, match="cannot read"):
        load_sources(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("- id: [unclosed\n", encoding="utf-8")
    with pytest.raises(RegistryError, match=r"broken\.yaml: not valid YAML"):
        load_sources(broken)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(yaml.safe_dump({"sources": [GOOD]}), encoding="utf-8")
    with pytest.raises(RegistryError, match="expected a list of sources, found dict"):
        load_sources(mapping)


def test_secret_placeholders_are_kept_as_written():
    url = "https://apis.data.go.kr/news?serviceKey=${CITYRADAR_SECRET_DATA_KEY}&rows=10"
    (source,) = parse_sources(
        [{**GOOD, "url": url, "headers": {"X-Token": "${CITYRADAR_SECRET_TOKEN}"}}]
    )
    assert source.url == url  # expanded only by the crawl, never stored with its value
    assert source.headers == {"X-Token": "${CITYRADAR_SECRET_TOKEN}"}
    assert source.host == "apis.data.go.kr"


def test_a_source_may_name_its_own_user_agent(shipped):
    (source,) = parse_sources([{**GOOD, "user_agent": " Mozilla/5.0 (X11; Linux x86_64) "}])
    assert source.user_agent == "Mozilla/5.0 (X11; Linux x86_64)"
    assert parse_sources([GOOD])[0].user_agent is None  # cityradar's own by default
    # the Korea Herald refuses non-browser clients (issue 20)
    herald = [s for s in shipped if s.id.startswith("koreaherald_")]
    assert len(herald) == 3
    assert all(s.user_agent and s.user_agent.startswith("Mozilla/5.0") for s in herald)

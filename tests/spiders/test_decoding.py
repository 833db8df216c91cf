"""Bytes to text: EUC-KR declared, undeclared or mislabelled comes out as readable Korean."""

from __future__ import annotations

import codecs

import pytest

from spiders.decoding import as_utf8_xml, declared_encoding, decode_body, normalise_codec
from tests.helpers.paths import FIXTURES

KOREAN = "부산시, 해운대 스마트 횡단보도 설치"


def test_declared_euc_kr_is_read_as_cp949_including_its_extra_syllables():
    body = (FIXTURES / "feeds/euckr_declared.xml").read_bytes()
    decoded = decode_body(body, "application/rss+xml")
    assert decoded.encoding == "cp949"
    assert KOREAN in decoded.text
    assert "똠방각하 뷁" in decoded.text  # not in EUC-KR proper: the CP949 superset is needed


def test_undeclared_euc_kr_is_detected():
    body = (FIXTURES / "feeds/euckr_undeclared.xml").read_bytes()
    assert declared_encoding(body) is None
    decoded = decode_body(body, "text/xml")
    assert decoded.encoding == "cp949"
    assert decoded.reason == "detected"
    assert KOREAN in decoded.text


def test_a_wrong_http_charset_loses_to_valid_utf8():
    text = "<p>서울특별시 스마트시티</p>"
    decoded = decode_body(text.encode("utf-8"), "text/html; charset=ISO-8859-1")
    assert decoded.text == text
    assert decoded.encoding == "utf-8"


def test_the_http_charset_is_used_when_the_bytes_are_not_utf8():
    decoded = decode_body(KOREAN.encode("cp949"), "text/html; charset=ks_c_5601-1987")
    assert decoded.text == KOREAN
    assert decoded.reason == "HTTP charset"


def test_a_meta_charset_is_used_when_the_header_has_none():
    body = (FIXTURES / "pages/busan_euckr_article.html").read_bytes()
    decoded = decode_body(body, "text/html")
    assert decoded.reason == "declared in the document"
    assert "스마트 횡단보도를 설치한다고" in decoded.text


def test_a_byte_order_mark_wins():
    decoded = decode_body(codecs.BOM_UTF8 + "안녕".encode(), "text/plain; charset=euc-kr")
    assert decoded.text == "안녕"


def test_feedparser_gets_utf8_with_a_matching_declaration():
    body = (FIXTURES / "feeds/euckr_declared.xml").read_bytes()
    xml = as_utf8_xml(decode_body(body, None))
    assert xml.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    assert KOREAN in xml.decode("utf-8")


@pytest.mark.parametrize(
    ("label", "codec"),
    [("EUC-KR", "cp949"), ("euc_kr", "cp949"), ("utf8", "utf-8"), ("nonsense-charset", None)],
)
def test_charset_labels_map_to_codecs(label, codec):
    assert normalise_codec(label) == codec

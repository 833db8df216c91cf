"""Attached documents: the file name a download's Content-Disposition gives, and its kind."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

from spiders.documents import attachment_kind, disposition_filename, sniffed_kind
from tests.helpers.documents import minimal_hwpx, minimal_pdf

NAME = "2026년 스마트시티 보도자료(최종).hwpx"


@pytest.mark.parametrize(
    "header",
    [
        # RFC 6266 / 5987, as the standards say
        b"attachment; filename*=UTF-8''" + quote(NAME).encode(),
        # both forms: the extended one wins, whichever comes first
        b"attachment; filename=\"fallback.hwpx\"; filename*=UTF-8''" + quote(NAME).encode(),
        b"attachment; filename*=utf-8''" + quote(NAME).encode() + b'; filename="fallback.hwpx"',
        # what Korean servers send in plain filename=: raw UTF-8, raw EUC-KR, quoted or not
        b'attachment; filename="' + NAME.encode() + b'"',
        b'attachment; filename="' + NAME.encode("euc-kr") + b'"',
        b"attachment; filename=" + NAME.encode("euc-kr"),
        # percent-encoded UTF-8 or EUC-KR in plain filename=
        b'attachment; filename="' + quote(NAME).encode() + b'"',
        b"attachment;filename=" + quote(NAME, encoding="euc-kr").encode(),
        # declared UTF-8, sent EUC-KR
        b"attachment; filename*=UTF-8''" + quote(NAME, encoding="euc-kr").encode(),
        # a mail-style encoded word
        b'inline; filename="=?UTF-8?B?' + base64.b64encode(NAME.encode()) + b'?="',
    ],
)
def test_a_korean_file_name_is_read_in_every_encoding_servers_use(header):
    assert disposition_filename(header) == NAME


@pytest.mark.parametrize(
    ("header", "name"),
    [
        (b'attachment; filename="report.pdf"', "report.pdf"),
        (b"attachment; filename=report.pdf;", "report.pdf"),
        (b'attachment; filename="100%Report.pdf"', "100%Report.pdf"),  # no escape in it
        # never a folder: only the file's own name is kept
        (b'attachment; filename="../../etc/passwd"', "passwd"),
        (b'attachment; filename="C:\\\\files\\\\annex.pdf"', "annex.pdf"),
        (b'attachment; filename=".."', None),
        (b"attachment", None),
        (b'attachment; filename=""', None),
        (b"", None),
        (None, None),
    ],
)
def test_plain_and_missing_names(header, name):
    assert disposition_filename(header) == name


@pytest.mark.parametrize(
    ("content_type", "kind"),
    [
        ("application/pdf", "pdf"),
        ("application/x-hwp", "hwp"),
        ("application/haansofthwp; charset=euc-kr", "hwp"),
        ("application/hwp+zip", "hwpx"),
        ("application/octet-stream", None),
    ],
)
def test_the_content_type_tells_the_kind(content_type, kind):
    link = "https://city.example.kr/fileDown.do?atchFileId=1"
    assert attachment_kind(link, "", content_type) == kind


def test_pdf_and_hwpx_are_known_by_their_first_bytes():
    assert sniffed_kind(minimal_pdf(["Annex"])) == "pdf"
    assert sniffed_kind(minimal_hwpx(["붙임"])) == "hwpx"
    assert sniffed_kind(b"PK\x03\x04 an ordinary zip") is None
    assert sniffed_kind(b"<!DOCTYPE html><html></html>") is None

"""Delivery to a real local SMTP server (aiosmtpd); the MIME is parsed back and both parts checked."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from cityradar.settings import SmtpSecurity
from digest.render import RenderedDigest
from digest.send import SmtpConfig, build_message, send_message
from digest.week import IsoWeek

DIGEST = RenderedDigest(
    subject="cityradar weekly digest 2026-W47 (16–22 Nov 2026): 2 smart-city stories",
    text="## 모빌리티·교통\n- [KO] 서울시, 심야 자율주행버스 강남 노선 확대\n",
    html="<html><body><h2>모빌리티·교통</h2><a href='https://a.example/1'>서울시, 심야 자율주행버스</a></body></html>",
)


def config(server) -> SmtpConfig:
    return SmtpConfig(
        server.host, server.port, SmtpSecurity.NONE, None, None, "radar@cityradar.example", 10
    )


def test_the_digest_arrives_as_multipart_alternative_text_first(smtp_server):
    message = build_message(
        DIGEST,
        "radar@cityradar.example",
        ["staff@example.org", "lead@example.org"],
        IsoWeek.parse("2026-W47"),
    )
    send_message(message, config(smtp_server))

    (envelope,) = smtp_server.envelopes
    assert envelope.mail_from == "radar@cityradar.example"
    assert envelope.rcpt_tos == ["staff@example.org", "lead@example.org"]
    received = message_from_bytes(envelope.content, policy=policy.default)
    assert received["Subject"] == DIGEST.subject
    assert received["List-Id"] == "cityradar weekly digest <weekly.digest.cityradar>"
    assert received["Message-ID"].endswith("@cityradar.example>")
    assert received["Date"]
    assert received.get_content_type() == "multipart/alternative"
    text, html = received.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    assert text.get_content_charset() == "utf-8"
    assert html.get_content_charset() == "utf-8"
    assert "서울시, 심야 자율주행버스 강남 노선 확대" in text.get_content()
    assert "<h2>모빌리티·교통</h2>" in html.get_content()


def test_no_recipients_is_a_clear_error():
    with pytest.raises(ValueError, match="no recipients"):
        build_message(DIGEST, "radar@cityradar.example", [], IsoWeek.parse("2026-W47"))


def test_an_unreachable_server_raises(smtp_server):
    dead = SmtpConfig("127.0.0.1", 9, SmtpSecurity.NONE, None, None, "radar@cityradar.example", 2)
    message = build_message(
        DIGEST, "radar@cityradar.example", ["staff@example.org"], IsoWeek.parse("2026-W47")
    )
    with pytest.raises(ConnectionRefusedError):
        send_message(message, dead)
    assert smtp_server.envelopes == []

"""Delivery to real local SMTP servers (aiosmtpd): the MIME parsed back, retries, TLS and login."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from types import SimpleNamespace
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from cityradar.settings import SmtpSecurity
from digest.render import CHART_CID, RenderedDigest
from digest.send import DeliveryFailed, DeliveryUnconfirmed, SmtpConfig, build_message, deliver
from digest.week import IsoWeek
from tests.helpers.network import free_port
from tests.helpers.tls import self_signed_localhost, server_context

WEEK = IsoWeek.parse("2026-W47")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
DIGEST = RenderedDigest(
    subject="cityradar weekly digest 2026-W47 (16–22 Nov 2026): 2 smart-city stories",
    text="## 모빌리티·교통\n- [KO] 서울시, 심야 자율주행버스 강남 노선 확대\n",
    html=(
        "<html><body><h2>모빌리티·교통</h2><img src='cid:focus-chart@cityradar'>"
        "<a href='https://a.example/1'>서울시, 심야 자율주행버스</a></body></html>"
    ),
    chart_png=PNG,
)
SENDER = "radar@cityradar.example"


def config(server, security=SmtpSecurity.NONE, **changes) -> SmtpConfig:
    fields = {"attempts": 3, "retry_wait": 0.01, **changes}
    return SmtpConfig(server.host, server.port, security, None, None, SENDER, 10, **fields)


def message(to="staff@example.org"):
    return build_message(DIGEST, SENDER, to, WEEK, name="Staff 직원")


class Moody:
    """aiosmtpd handler answering each DATA with the next scripted reply (then 250)."""

    def __init__(self, replies: list[str]) -> None:
        self.replies = replies
        self.envelopes: list[Any] = []
        self.tries = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.tries += 1
        if self.replies:
            return self.replies.pop(0)
        self.envelopes.append(envelope)
        return "250 OK"


def serve(handler, **options) -> tuple[Controller, SimpleNamespace]:
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    return controller, SimpleNamespace(host="127.0.0.1", port=controller.port)


def test_the_digest_arrives_as_multipart_alternative_text_first(smtp_server):
    sent = deliver(message(), config(smtp_server))

    assert sent.attempts == 1
    (envelope,) = smtp_server.envelopes
    assert envelope.mail_from == SENDER
    assert envelope.rcpt_tos == ["staff@example.org"]
    received = message_from_bytes(envelope.content, policy=policy.default)
    assert received["Subject"] == DIGEST.subject
    assert received["To"] == "Staff 직원 <staff@example.org>"
    assert received["List-Id"] == "cityradar weekly digest <weekly.digest.cityradar>"
    assert received["Message-ID"].endswith("@cityradar.example>")
    assert received["Date"]
    assert received.get_content_type() == "multipart/alternative"
    text, related = received.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert text.get_content_charset() == "utf-8"
    assert "서울시, 심야 자율주행버스 강남 노선 확대" in text.get_content()
    # the HTML part travels with its chart, so the mail loads nothing from outside
    assert related.get_content_type() == "multipart/related"
    html, chart = related.iter_parts()
    assert html.get_content_type() == "text/html"
    assert html.get_content_charset() == "utf-8"
    assert "<h2>모빌리티·교통</h2>" in html.get_content()
    assert chart.get_content_type() == "image/png"
    assert chart["Content-ID"] == f"<{CHART_CID}>"
    assert chart.get_content_disposition() == "inline"
    assert chart.get_content() == PNG


def test_a_server_that_says_try_later_is_retried_with_growing_pauses():
    handler = Moody(["451 4.3.0 try again later", "421 4.7.0 busy"])
    controller, server = serve(handler)
    waits: list[float] = []
    try:
        sent = deliver(message(), config(server, retry_wait=1.0), sleep=waits.append)
    finally:
        controller.stop()
    assert sent.attempts == 3
    assert handler.tries == 3
    assert len(handler.envelopes) == 1
    assert waits == [1.0, 2.0]  # doubled each time


def test_a_permanent_refusal_is_not_retried():
    handler = Moody(["550 5.1.1 no such mailbox"])
    controller, server = serve(handler)
    try:
        with pytest.raises(
            DeliveryFailed, match=re.escape("after 1 try: 550 5.1.1 no such mailbox")
        ) as err:
            deliver(message(), config(server), sleep=lambda _: None)
    finally:
        controller.stop()
    assert err.value.attempts == 1
    assert handler.tries == 1


def test_an_unreachable_server_fails_after_every_try():
    dead = SimpleNamespace(host="127.0.0.1", port=free_port())
    waits: list[float] = []
    with pytest.raises(DeliveryFailed, match="after 3 tries: ConnectionRefusedError") as err:
        deliver(message(), config(dead), sleep=waits.append)
    assert err.value.attempts == 3
    assert len(waits) == 2


def _authenticator(server, session, envelope, mechanism, auth_data):
    good = isinstance(auth_data, LoginPassword) and auth_data.password == b"s3cret"
    return AuthResult(success=good, handled=False)


def test_starttls_and_login(tmp_path, smtp_server):
    cert, key = self_signed_localhost(tmp_path)
    handler = Moody([])
    controller, server = serve(
        handler,
        tls_context=server_context(cert, key),
        require_starttls=True,
        authenticator=_authenticator,
        auth_require_tls=True,
        server_hostname="localhost",
    )
    server.host = "localhost"
    try:
        settings = config(server, SmtpSecurity.STARTTLS, ca_file=cert)
        sent = deliver(
            message(),
            SmtpConfig(**{**settings.__dict__, "user": "radar", "password": "s3cret"}),
        )
        with pytest.raises(DeliveryFailed, match="535"):  # a wrong password is not retried
            deliver(
                message(),
                SmtpConfig(**{**settings.__dict__, "user": "radar", "password": "wrong"}),
            )
    finally:
        controller.stop()
    assert sent.attempts == 1
    assert len(handler.envelopes) == 1


def test_ssl_from_the_first_byte(tmp_path):
    cert, key = self_signed_localhost(tmp_path)
    handler = Moody([])
    controller, server = serve(
        handler, ssl_context=server_context(cert, key), server_hostname="localhost"
    )
    server.host = "localhost"
    try:
        deliver(message(), config(server, SmtpSecurity.SSL, ca_file=cert))
        # a certificate the client does not trust is a failure, not something to retry
        with pytest.raises(DeliveryFailed, match="after 1 try: SSLCertVerificationError"):
            deliver(message(), config(server, SmtpSecurity.SSL))
    finally:
        controller.stop()
    assert len(handler.envelopes) == 1


class HangsUp:
    """Receives the whole message, then drops the connection instead of answering 250."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        server.transport.close()
        return "250 OK"  # never reaches the client


def deliver_counting_handovers(handler) -> tuple[object, list[str]]:
    """Deliver to a server run by ``handler``: the outcome (or the exception) and the handovers."""
    controller, server = serve(handler)
    handovers: list[str] = []
    try:
        outcome: object = deliver(
            message(),
            config(server),
            sleep=lambda _: None,
            on_handover=lambda: handovers.append("x"),
        )
    except DeliveryFailed as exc:
        outcome = exc
    finally:
        controller.stop()
    return outcome, handovers


def test_a_connection_lost_while_the_server_receives_is_never_retried():
    handler = HangsUp()
    error, handovers = deliver_counting_handovers(handler)
    assert isinstance(error, DeliveryUnconfirmed)
    assert "it may have been delivered" in str(error)
    assert error.attempts == 1  # a second try could mail the reader twice
    assert len(handler.envelopes) == 1
    assert handovers == ["x"]
    assert "Message-ID <" in str(error)


def test_a_refused_message_is_safe_to_retry_even_after_the_handover():
    handler = Moody(["451 4.3.0 try again later"])
    sent, handovers = deliver_counting_handovers(handler)
    assert sent.attempts == 2
    assert handovers == ["x", "x"]  # announced before each transmission
    assert len(handler.envelopes) == 1


def test_nothing_is_handed_over_when_the_envelope_is_refused():
    class RefusesRecipient(Moody):
        async def handle_RCPT(self, server, session, envelope, address, options):
            return "550 5.1.1 no such mailbox"

    handler = RefusesRecipient([])
    error, handovers = deliver_counting_handovers(handler)
    assert isinstance(error, DeliveryFailed)
    assert not isinstance(error, DeliveryUnconfirmed)
    assert str(error).endswith("recipient refused: staff@example.org: 550 5.1.1 no such mailbox")
    assert handovers == []
    assert handler.tries == 0

"""Deliver a rendered digest by SMTP: one multipart/alternative message per recipient.

The text part comes first and the HTML part last (clients show the last alternative they can
render); the chart travels inside the HTML part's multipart/related as an inline image, so the
mail loads nothing from outside. Transient failures (connection refused or dropped, timeouts, 4xx
replies) are retried with growing pauses; permanent ones (5xx, bad login) are not.

(Never name this module email.py: it would shadow the standard library.)
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential
from tenacity.nap import sleep as tenacity_sleep

from cityradar.settings import Settings, SmtpSecurity
from digest.render import CHART_CID, RenderedDigest
from digest.week import IsoWeek

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

LIST_ID = "cityradar weekly digest <weekly.digest.cityradar>"


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send."""

    host: str
    port: int
    security: SmtpSecurity
    user: str | None
    password: str | None = field(repr=False)  # never in a log line or a task's parameters
    sender: str
    timeout: float
    ca_file: Path | None = None
    attempts: int = 4
    retry_wait: float = 5.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig:
        """Read the CITYRADAR_SMTP_* settings."""
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            user=settings.smtp_user,
            password=password,
            sender=settings.smtp_from,
            timeout=settings.smtp_timeout,
            ca_file=settings.smtp_ca_file,
            attempts=settings.smtp_attempts,
            retry_wait=settings.smtp_retry_wait,
        )


@dataclass(frozen=True)
class Sent:
    """A delivered message: how many tries it took."""

    attempts: int


class DeliveryFailed(RuntimeError):
    """A message could not be delivered after its tries; ``attempts`` says how many."""

    def __init__(self, message: str, attempts: int) -> None:
        super().__init__(message)
        self.attempts = attempts


class DeliveryUnconfirmed(DeliveryFailed):
    """The connection broke while the server was receiving the message: it may have arrived.

    Sending it again could mail the recipient twice, so it is not retried; the operator checks
    the mailbox (by Message-ID) and resends if it is not there.
    """


def build_message(
    digest: RenderedDigest, sender: str, recipient: str, week: IsoWeek, name: str | None = None
) -> EmailMessage:
    """A UTF-8 multipart/alternative message for one recipient: text, then HTML (with the
    chart as a related inline image)."""
    message = EmailMessage()
    message["Subject"] = digest.subject
    message["From"] = sender
    message["To"] = formataddr((name, recipient)) if name else recipient
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=f"digest-{week}", domain=_domain(sender))
    message["List-Id"] = LIST_ID
    message["Auto-Submitted"] = "auto-generated"  # no vacation replies to a digest
    message.set_content(digest.text, subtype="plain", charset="utf-8")
    message.add_alternative(digest.html, subtype="html", charset="utf-8")
    if digest.chart_png is not None:
        html_part = message.get_body(preferencelist=("html",))
        if html_part is None:  # add_alternative just made it
            raise ValueError("the digest message has no HTML part")
        html_part.add_related(
            digest.chart_png,
            "image",
            "png",
            cid=f"<{CHART_CID}>",
            disposition="inline",
            filename="focus-areas.png",
        )
    return message


def read_message(path: Path) -> EmailMessage:
    """A message archived as .eml, to be sent as it was saved."""
    return message_from_bytes(path.read_bytes(), _class=EmailMessage, policy=policy.default)


def deliver(
    message: EmailMessage,
    config: SmtpConfig,
    sleep: Callable[[float], None] | None = None,
    on_handover: Callable[[], None] | None = None,
) -> Sent:
    """Send with retries; raises DeliveryFailed after the last try or on a permanent error.

    ``on_handover`` is called just before the message itself goes to the server (SMTP DATA):
    until then a failure means the server does not have it and another try is safe; after it,
    a broken connection leaves the outcome unknown, and DeliveryUnconfirmed is raised at once.
    """
    attempts = 0
    handed_over = False

    def handover() -> None:
        nonlocal handed_over
        if on_handover is not None:
            on_handover()
        handed_over = True

    def may_retry(exc: BaseException) -> bool:
        return not (handed_over and _outcome_unknown(exc)) and is_transient(exc)

    retrying = Retrying(
        stop=stop_after_attempt(config.attempts),
        wait=wait_exponential(multiplier=config.retry_wait, max=300),
        retry=retry_if_exception(may_retry),
        reraise=True,
        sleep=sleep or tenacity_sleep,  # tenacity's own default unless a test passes its clock
    )
    try:
        for attempt in retrying:
            with attempt:
                attempts, handed_over = attempt.retry_state.attempt_number, False
                send_message(message, config, handover)
    except (smtplib.SMTPException, OSError) as exc:
        where = f"{message['To']} through {config.host}:{config.port}"
        if handed_over and _outcome_unknown(exc):
            raise DeliveryUnconfirmed(
                f"the connection broke while {where} was receiving the digest "
                f"({describe(exc)}): it may have been delivered, so it is not sent again; look "
                f"for Message-ID {message['Message-ID']} and resend with --resend if it is missing",
                attempts,
            ) from exc
        raise DeliveryFailed(
            f"could not deliver to {where} after "
            f"{attempts} {'try' if attempts == 1 else 'tries'}: {describe(exc)}",
            attempts,
        ) from exc
    return Sent(attempts)


def _outcome_unknown(exc: BaseException) -> bool:
    """After DATA began, only an error reply to it says the server did not take the message."""
    return not isinstance(exc, smtplib.SMTPDataError)


class _AnnouncesData(smtplib.SMTP):
    """smtplib's DATA step, announced first: from there on the server may have the message."""

    on_data: Callable[[], None] | None = None

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        if self.on_data is not None:
            self.on_data()
        return super().data(msg)


class _SMTP(_AnnouncesData, smtplib.SMTP):
    pass


class _SMTPSSL(_AnnouncesData, smtplib.SMTP_SSL):
    pass


def send_message(
    message: EmailMessage, config: SmtpConfig, on_data: Callable[[], None] | None = None
) -> None:
    """Send once through the configured server; raises smtplib/OSError errors on failure.

    ``on_data`` is called right before the message is transmitted (after the envelope was
    accepted).
    """
    context = ssl.create_default_context(cafile=str(config.ca_file) if config.ca_file else None)
    client: _SMTP | _SMTPSSL
    if config.security is SmtpSecurity.SSL:
        client = _SMTPSSL(config.host, config.port, timeout=config.timeout, context=context)
    else:
        client = _SMTP(config.host, config.port, timeout=config.timeout)
    client.on_data = on_data
    with client:
        if config.security is SmtpSecurity.STARTTLS:
            client.starttls(context=context)
        if config.user:
            client.login(config.user, config.password or "")
        client.send_message(message)


def is_transient(exc: BaseException) -> bool:
    """Worth another try: the server was unreachable, dropped us, or answered 4xx."""
    if isinstance(exc, ssl.SSLError):  # a certificate or protocol problem stays until fixed
        return False
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):  # 535 bad login, 550 no such user, …
        return 400 <= exc.smtp_code < 500
    return isinstance(exc, OSError)  # refused, reset, timed out, disconnected


def describe(exc: BaseException) -> str:
    """A failure in one line."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = "; ".join(
            f"{address}: {code} {reply.decode('utf-8', 'replace')}"
            for address, (code, reply) in exc.recipients.items()
        )
        return f"recipient refused: {refused}"
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        text = error.decode("utf-8", "replace") if isinstance(error, bytes) else error
        return f"{exc.smtp_code} {text}".strip()
    return f"{type(exc).__name__}: {exc}".strip()


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].strip("> ") or "cityradar.local"

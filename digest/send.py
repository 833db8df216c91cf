"""Deliver a rendered digest by SMTP as multipart/alternative mail (text first, then HTML).

(Never name this module email.py: it would shadow the standard library.)
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from cityradar.settings import Settings, SmtpSecurity
from digest.render import RenderedDigest
from digest.week import IsoWeek

LIST_ID = "cityradar weekly digest <weekly.digest.cityradar>"


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send."""

    host: str
    port: int
    security: SmtpSecurity
    user: str | None
    password: str | None
    sender: str
    timeout: float

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
        )


def build_message(
    digest: RenderedDigest, sender: str, recipients: list[str], week: IsoWeek
) -> EmailMessage:
    """A UTF-8 multipart/alternative message; the HTML part comes last because clients
    show the last alternative they can render."""
    if not recipients:
        raise ValueError("no recipients: set CITYRADAR_DIGEST_TO or pass --to")
    message = EmailMessage()
    message["Subject"] = digest.subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=f"digest-{week}", domain=_domain(sender))
    message["List-Id"] = LIST_ID
    message.set_content(digest.text, subtype="plain", charset="utf-8")
    message.add_alternative(digest.html, subtype="html", charset="utf-8")
    return message


def send_message(message: EmailMessage, config: SmtpConfig) -> None:
    """Send through the configured server; raises smtplib/OSError errors on failure."""
    context = ssl.create_default_context()
    if config.security is SmtpSecurity.SSL:
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            config.host, config.port, timeout=config.timeout, context=context
        )
    else:
        client = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
    with client:
        if config.security is SmtpSecurity.STARTTLS:
            client.starttls(context=context)
        if config.user:
            client.login(config.user, config.password or "")
        client.send_message(message)


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].strip("> ") or "cityradar.local"

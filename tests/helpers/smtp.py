"""A handler for the real SMTP server (aiosmtpd) of the ``smtp_server`` fixture."""

from __future__ import annotations

from typing import Any


class Recorder:
    """aiosmtpd handler keeping every envelope it receives."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

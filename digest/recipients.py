"""Who gets the digest, and what each of them chose: the recipients file.

    recipients:
      - email: mobility-team@example.org
        name: Mobility team
        focus_areas: [mobility, energy]   # any of these (default: every area)
        cities: [Seoul, Busan]            # and naming any of these (default: anywhere)

Each recipient gets their own digest; their cities also become their key-city sections. The file
is validated on load, and an error names the entry and the field.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

from digest.rank import Audience
from transforms.vocabularies import FOCUS_AREAS, gazetteer

_ADDRESS = re.compile(r"^[^@\s<>,]+@[^@\s<>,]+\.[^@\s<>,]+$")


class RecipientsError(ValueError):
    """The recipients file cannot be used; the message names the entry and field."""


class Recipient(BaseModel):
    """One reader of the digest and their filters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    email: str
    name: str | None = None
    focus_areas: tuple[str, ...] = Field(default=())
    cities: tuple[str, ...] = Field(default=())

    @field_validator("email")
    @classmethod
    def _address(cls, value: str) -> str:
        value = value.strip()
        if not _ADDRESS.match(value):
            raise ValueError(f"{value!r} is not an email address")
        return value

    @field_validator("focus_areas")
    @classmethod
    def _known_areas(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [area for area in value if area not in FOCUS_AREAS]
        if unknown:
            raise ValueError(
                f"unknown focus area {unknown[0]!r}; use one of {', '.join(FOCUS_AREAS)}"
            )
        return value

    @field_validator("cities")
    @classmethod
    def _known_cities(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        places = gazetteer().places
        unknown = [city for city in value if city not in places]
        if unknown:
            raise ValueError(
                f"unknown city {unknown[0]!r}; use the canonical English name (Seoul, Incheon, …)"
            )
        return value

    def audience(self, key_cities: Sequence[str]) -> Audience:
        """The digest filter for this recipient; their own cities replace the default key cities."""
        return Audience(
            name=self.name or self.email,
            focus_areas=self.focus_areas,
            cities=self.cities,
            key_cities=self.cities or tuple(key_cities),
        )


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recipients: list[Recipient]


def load_recipients(path: Path, extra: Sequence[str] = ()) -> list[Recipient]:
    """The recipients of ``path`` (absent file: none), then the ``extra`` addresses not in it
    (CITYRADAR_DIGEST_TO), who get everything."""
    listed = _read(path) if path.exists() else []
    known = {r.email.lower() for r in listed}
    for address in extra:
        if address.lower() not in known:
            listed.append(_plain(address, "CITYRADAR_DIGEST_TO"))
            known.add(address.lower())
    return listed


def plain_recipients(addresses: Sequence[str]) -> list[Recipient]:
    """Recipients without filters (``--to``)."""
    return [_plain(address, "--to") for address in addresses]


def _plain(address: str, origin: str) -> Recipient:
    try:
        return Recipient(email=address)
    except ValidationError as exc:
        raise RecipientsError(f"{origin}: {exc.errors()[0]['msg']}") from None


def _read(path: Path) -> list[Recipient]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {"recipients": []}
    except yaml.YAMLError as exc:
        raise RecipientsError(f"{path}: not valid YAML: {exc}") from None
    try:
        found = _File.model_validate(raw).recipients
    except ValidationError as exc:
        raise RecipientsError(f"{path}: {_describe(exc, raw)}") from None
    emails = [r.email.lower() for r in found]
    for number, email in enumerate(emails):
        if email in emails[:number]:
            raise RecipientsError(f"{path}: recipient {number + 1} repeats {email}")
    return found


def _describe(exc: ValidationError, raw: object) -> str:
    """'recipient 2 (ops@x.org), field cities: ...' from pydantic's first error."""
    error = exc.errors()[0]
    location = list(error["loc"])
    if len(location) >= 2 and location[0] == "recipients" and isinstance(location[1], int):
        number = location[1]
        entries = raw.get("recipients") if isinstance(raw, dict) else None
        entry = entries[number] if isinstance(entries, list) and number < len(entries) else None
        who = f" ({entry.get('email')})" if isinstance(entry, dict) and entry.get("email") else ""
        field = ".".join(str(part) for part in location[2:]) or "entry"
        return f"recipient {number + 1}{who}, field {field}: {_message(error)}"
    return f"{'.'.join(str(p) for p in location) or 'file'}: {_message(error)}"


def _message(error: ErrorDetails) -> str:
    # pydantic prefixes a validator's own message with "Value error, "; the operator needs only ours
    return str(error["msg"]).removeprefix("Value error, ")

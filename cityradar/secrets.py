"""Secrets a source needs (an API key in its URL, a token in a header), kept out of everything
cityradar writes.

``sources.yaml`` names them as placeholders, ``${CITYRADAR_SECRET_DATA_GO_KR}``, in a source's URL
(path or query) or header values; the value lives in the environment (or ``.env``). The registry,
staging batches, the warehouse and every log keep the placeholder: only the crawl process expands
it, when it builds a request, and it redacts the value back into the placeholder in anything it
writes (items, the fetch log, the crawl report, its log lines).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from urllib.parse import quote, quote_plus, unquote

PREFIX = "CITYRADAR_SECRET_"
PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
NAME = re.compile(rf"^{PREFIX}[A-Z0-9_]+$")


class MissingSecret(LookupError):
    """A placeholder names a variable that is not set."""


def placeholders(text: str) -> list[str]:
    """The variable names of the placeholders in ``text``, in order."""
    return PLACEHOLDER.findall(text)


def bad_placeholder(text: str) -> str | None:
    """Why a placeholder in ``text`` is unusable, or None (for registry validation)."""
    for name in placeholders(text):
        if not NAME.match(name):
            return f"${{{name}}} must name a variable CITYRADAR_SECRET_<NAME> (A-Z, 0-9, _)"
    return None


def expand(text: str, env: Mapping[str, str] | None = None) -> str:
    """``text`` with each placeholder replaced by its variable's value.

    Raises:
        MissingSecret: a placeholder's variable is not set (or empty).
    """
    values = os.environ if env is None else env

    def value_of(match: re.Match[str]) -> str:
        name = match.group(1)
        value = values.get(name)
        if not value:
            raise MissingSecret(f"secret {name} is not set (sources.yaml uses ${{{name}}})")
        return value

    return PLACEHOLDER.sub(value_of, text)


class Redactor:
    """Replaces secret values, in the spellings a URL may give them, by their placeholders."""

    def __init__(self, secrets: Mapping[str, str]) -> None:
        spellings: dict[str, str] = {}
        for name, value in secrets.items():
            if len(value) < 4:  # too short to tell from ordinary text; not worth redacting
                continue
            for spelling in {value, quote(value, safe=""), quote_plus(value), unquote(value)}:
                spellings.setdefault(spelling, f"${{{name}}}")
        ordered = sorted(spellings, key=len, reverse=True)  # longest first: no partial hits
        self._pattern = (
            re.compile("|".join(re.escape(s) for s in ordered), re.IGNORECASE) if ordered else None
        )
        self._placeholder = {s.lower(): spellings[s] for s in ordered}

    def __call__(self, text: str) -> str:
        """``text`` without any secret value."""
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: self._placeholder[m.group(0).lower()], text)


_active = Redactor({})


def redact(text: str) -> str:
    """``text`` without the secrets this process was told to keep out of what it writes."""
    return _active(text)


def keep_out_of_writes(names: list[str], env: Mapping[str, str] | None = None) -> None:
    """From now on ``redact`` (used by every staging write) removes these variables' values."""
    global _active
    values = os.environ if env is None else env
    _active = Redactor({name: values[name] for name in names if values.get(name)})

"""The source registry (sources.yaml): one validated entry per source, errors that name entry and field."""

from __future__ import annotations

import re
from collections.abc import Container, Iterable
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cityradar.secrets import bad_placeholder, placeholders

Kind = Literal["feed", "html", "sitemap"]
OrgType = Literal["ministry", "city", "agency", "news", "trade"]

# The kinds a spider exists for. An enabled entry of another kind is refused at load time
# rather than skipped silently during a run; spiders/__init__.py holds the same list.
KINDS_WITH_SPIDER: frozenset[str] = frozenset({"feed", "html", "sitemap"})

SOURCE_ID = re.compile(r"^[a-z][a-z0-9_]{1,62}$")


class RegistryError(ValueError):
    """sources.yaml cannot be used; the message lists every problem found."""


def _regular_expression(value: str | None) -> str | None:
    """The value, when it compiles as a regular expression (a date_pattern)."""
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
    return value


class Selectors(BaseModel):
    """CSS selectors of an HTML list page and its article pages.

    List fields are read inside each ``item``; a selector may end in ``::attr(name)`` or
    ``::text``, otherwise the text of the first match is used.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    item: str | None = Field(
        default=None,
        description=(
            "each entry of the list; left out, the rows are found on the page by their repeated "
            "structure (spiders/board_inference.py) and the crawl report says which selectors it used"
        ),
    )
    link: str = Field(default="a::attr(href)", description="the entry's link, inside the item")
    title: str | None = Field(default=None, description="the entry's title; default: the link text")
    date: str | None = Field(default=None, description="the entry's date text")
    date_pattern: str | None = Field(
        default=None, description="regex picking the date out of the date text (or the item text)"
    )
    summary: str | None = None
    body: str | None = Field(default=None, description="article main text; default: extracted")
    article_date: str | None = None
    attachments: str | None = Field(default=None, description="links to attached documents")
    article_url: str | None = Field(
        default=None,
        description=(
            'the article\'s address where the list opens it by script (href="javascript:;" '
            'onclick="fn_detail(123)"): a template with {id}, the script\'s first argument, '
            'e.g. "/bbs/view.do?seq={id}"'
        ),
    )

    @field_validator("article_url")
    @classmethod
    def _has_id(cls, value: str | None) -> str | None:
        if value is not None and "{id}" not in value:
            raise ValueError("needs {id} where the script's argument goes, e.g. view.do?seq={id}")
        return value

    @field_validator("date_pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        return _regular_expression(value)


class Pagination(BaseModel):
    """How to reach the next list page: a query parameter that counts pages."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    param: str = Field(
        description="query parameter holding the page number (pageIndex, curPage...)"
    )
    start: int = Field(default=1, ge=0)
    max_pages: int = Field(default=3, ge=1, le=100)


class Bundle(BaseModel):
    """Selectors of a bundle page, for boards whose list rows are bundles, not articles.

    Some newsrooms list one row per day (or per batch) whose page holds a table of that day's
    releases, each linking to its own article. Each list row's link is then read with these
    selectors, and the entries they find are the board's real entries. One without a date of
    its own takes its bundle row's date; all do when neither ``date`` nor ``date_pattern`` is set.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    item: str = Field(description="each release on the bundle page")
    link: str = Field(default="a::attr(href)", description="the release's link, inside the item")
    title: str | None = Field(default=None, description="the release's title; default: link text")
    date: str | None = Field(default=None, description="the release's date text")
    date_pattern: str | None = Field(
        default=None, description="regex picking the date out of the date text (or the item text)"
    )

    @field_validator("date_pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        return _regular_expression(value)

    def list_selectors(self) -> Selectors:
        """The bundle page read as a list page: these selectors in the list's fields."""
        return Selectors(
            item=self.item,
            link=self.link,
            title=self.title,
            date=self.date,
            date_pattern=self.date_pattern,
        )


class Source(BaseModel):
    """One source: where it lives, what it is, and how to read its dates."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="stable identifier, lower_snake_case")
    name: str = Field(min_length=1)
    kind: Kind
    url: str
    language: str = Field(description="ISO 639-1 code of the source's main language")
    country: str = Field(description="ISO 3166-1 alpha-2 code")
    org_type: OrgType
    city: str = Field(default="", description="canonical city of a city government, else empty")
    timezone: str = Field(description="IANA zone used for dates given without an offset")
    enabled: bool = True
    disabled_reason: str | None = None
    notes: str | None = None
    fetch_articles: bool = Field(default=True, description="follow feed links on the same site")
    max_articles: int = Field(default=30, ge=0, le=1000)
    allowed_domains: tuple[str, ...] = Field(
        default=(), description="other hosts whose article pages may be fetched"
    )
    drop_params: tuple[str, ...] = Field(
        default=(), description="query parameters that are session tokens on this site"
    )
    method: Literal["GET", "POST"] = Field(default="GET", description="POST for POST-only feeds")
    headers: dict[str, str] = Field(
        default_factory=dict,
        description="extra request headers (Referer...); a value may hold ${CITYRADAR_SECRET_*}",
    )
    user_agent: str | None = Field(
        default=None,
        description=(
            "the User-Agent every request of this source sends (robots.txt, feed, list, sitemap, "
            "article, attachment) instead of cityradar's, for a site that refuses non-browser "
            "clients; robots.txt rules are still read for cityradar"
        ),
    )
    obey_robots: bool = True
    robots_reason: str | None = Field(default=None, description="why robots.txt is not obeyed")
    ca_file: str | None = Field(
        default=None,
        description="extra CA certificates (PEM) for a server with an incomplete chain",
    )
    selectors: Selectors | None = Field(
        default=None,
        description="CSS selectors (html); without them the board's rows are found on the page",
    )
    pagination: Pagination | None = None
    bundle: Bundle | None = Field(
        default=None, description="html: list rows are bundle pages; selectors of their entries"
    )
    max_age_days: int = Field(
        default=7, ge=1, le=3650, description="sitemap entries younger than this"
    )

    @property
    def has_archive(self) -> bool:
        """True when older entries can be read back: a paged HTML board, or a sitemap.

        A feed holds only its latest entries, so a backfill cannot go back in one.
        """
        return self.kind == "sitemap" or (self.kind == "html" and self.pagination is not None)

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not SOURCE_ID.match(value):
            raise ValueError("must be lower_snake_case: a letter, then letters, digits or _")
        return value

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{value!r} is not an http(s) URL")
        if placeholders(parts.netloc):
            raise ValueError("a ${CITYRADAR_SECRET_*} may stand in the path or query, not the host")
        problem = bad_placeholder(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("headers")
    @classmethod
    def _secret_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name, header in value.items():
            problem = bad_placeholder(header)
            if problem:
                raise ValueError(f"{name}: {problem}")
        return value

    @field_validator("user_agent")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not value:
            raise ValueError("empty: leave user_agent out to send cityradar's")
        # a line break would end the header and start another one (header injection)
        if any(ord(char) < 32 or ord(char) == 127 for char in value):
            raise ValueError("must be one line of printable text")
        return value

    @field_validator("language")
    @classmethod
    def _language_code(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z]{2,3}", value):
            raise ValueError(f"{value!r} is not an ISO 639-1 code such as 'ko' or 'en'")
        return value

    @field_validator("country")
    @classmethod
    def _country_code(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Z]{2}", value):
            raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 code such as 'KR'")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone such as 'Asia/Seoul'") from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Source:
        if not self.enabled and not self.disabled_reason:
            raise ValueError("disabled_reason: say why the source is disabled")
        if self.enabled and self.kind not in KINDS_WITH_SPIDER:
            raise ValueError(
                f"kind: no spider reads kind {self.kind!r} yet; "
                "set enabled: false with a disabled_reason"
            )
        if self.user_agent and any(name.lower() == "user-agent" for name in self.headers):
            raise ValueError("user_agent: given twice (also in headers); keep user_agent alone")
        if self.bundle is not None and self.kind != "html":
            raise ValueError("bundle: only an html board has bundle pages")
        if not self.obey_robots and not self.robots_reason:
            raise ValueError("robots_reason: say why robots.txt is not obeyed for this source")
        return self

    @property
    def host(self) -> str:
        """The host name of the source URL."""
        return urlsplit(self.url).hostname or ""


def load_sources(
    path: Path, known_cities: Container[str] | Iterable[str] | None = None
) -> list[Source]:
    """Read and validate a registry file.

    Args:
        path: the YAML file, a list of source entries.
        known_cities: canonical city names an entry's ``city`` may use; None skips the check.

    Returns:
        The sources in file order.

    Raises:
        RegistryError: naming every bad entry and field, or the file itself when unreadable.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read the source registry ({exc.strerror})") from exc
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RegistryError(f"{path}: not valid YAML: {exc}") from exc
    return parse_sources(document, origin=str(path), known_cities=known_cities)


def parse_sources(
    document: Any,
    origin: str = "sources.yaml",
    known_cities: Container[str] | Iterable[str] | None = None,
) -> list[Source]:
    """Validate an already-parsed registry document (a list of mappings; empty when None)."""
    if document is None:  # a file of comments only
        document = []
    if not isinstance(document, list):
        raise RegistryError(
            f"{origin}: expected a list of sources, found {type(document).__name__}"
        )
    # a container is asked name by name (the gazetteer's place names load the world's only
    # when a name is not Korean); any other iterable is read into a set
    cities = (
        known_cities
        if known_cities is None or isinstance(known_cities, Container)
        else set(known_cities)
    )
    problems: list[str] = []
    sources: list[Source] = []
    seen: dict[str, int] = {}
    for position, entry in enumerate(document, start=1):
        label = _entry_label(position, entry)
        if not isinstance(entry, dict):
            problems.append(f"{label}: expected a mapping of fields")
            continue
        try:
            source = Source.model_validate(entry)
        except ValidationError as exc:
            problems.extend(f"{label}, {_describe(error)}" for error in exc.errors())
            continue
        if source.id in seen:
            problems.append(f"{label}, field 'id': duplicates entry {seen[source.id]}")
        seen.setdefault(source.id, position)
        if cities is not None and source.city and source.city not in cities:
            problems.append(f"{label}, field 'city': {source.city!r} is not a known canonical city")
        sources.append(source)
    if problems:
        listing = "\n".join(f"  - {problem}" for problem in problems)
        raise RegistryError(f"{origin}: {len(problems)} problem(s)\n{listing}")
    return sources


def _entry_label(position: int, entry: Any) -> str:
    """'entry 3 (id 'x')' — the position always, the id when there is one."""
    if isinstance(entry, dict) and isinstance(entry.get("id"), str):
        return f"entry {position} (id {entry['id']!r})"
    return f"entry {position}"


def _describe(error: Any) -> str:
    """Turn one pydantic error into "field 'x': message"."""
    location = ".".join(str(part) for part in error["loc"])
    message = error["msg"].removeprefix("Value error, ")
    if not location:
        # model-level checks put the field name in front of their message
        field, _, rest = message.partition(": ")
        return f"field {field!r}: {rest}"
    if error["type"] == "extra_forbidden":
        return f"field {location!r}: unknown field (typo?)"
    if error["type"] == "missing":
        return f"field {location!r}: required"
    return f"field {location!r}: {message}"

"""From the week's clusters to the digest one reader gets: stories ranked, each shown once.

A story is a cluster of items. Its lead is the item shown: the official release when a
ministry, city or agency published one (the primary source), else the earliest report; the
other outlets are credited as "also reported by". Stories are ranked by how many outlets carried
them, whether an official source did, how late in the week they came, and their relevance.

Sections, in the order they are filled, so that no story appears twice: the top stories of each
focus area; policy updates (official releases and pages whose content changed) not shown above;
then each key city's stories not shown above.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from digest.query import Member, Totals, WeekData
from transforms.vocabularies import FOCUS_AREAS, focus_area_names

# Ranking weights: a second outlet is worth more than being official and recent together; being
# official is worth more than a week's recency; relevance (about 0-10) breaks ties.
OUTLET_WEIGHT = 3.0  # per outlet beyond the first: more than official + recency together
OFFICIAL_WEIGHT = 1.5  # a ministry, city or agency published it
RECENCY_WEIGHT = 1.0  # 1 at the week's end, 0 at its start
RELEVANCE_WEIGHT = 0.1  # per relevance point, up to RELEVANCE_CAP
RELEVANCE_CAP = 10.0

TOP_PER_FOCUS_AREA = 5
TOP_POLICY = 8
TOP_PER_CITY = 5
ALSO_SHOWN = 4  # outlets named in "also reported by"; more are counted


@dataclass(frozen=True)
class Story:
    """One story as the digest shows it: its lead item and who else carried it."""

    lead: Member
    also: tuple[str, ...]  # other outlets, by name
    changed: bool  # a page of the story changed its content in the week
    score: float
    focus_areas: tuple[str, ...]  # of all its items, the lead's first
    cities: tuple[str, ...]  # of all its items, the lead's first
    official: bool  # a ministry, city or agency published one of its items

    @property
    def also_shown(self) -> tuple[str, ...]:
        """The outlets named in "also reported by"."""
        return self.also[:ALSO_SHOWN]

    @property
    def also_more(self) -> int:
        """Outlets beyond those named."""
        return max(len(self.also) - ALSO_SHOWN, 0)


@dataclass
class Section:
    """A titled list of stories; ``more`` counts those left out, ``above`` those shown earlier."""

    key: str
    title_en: str
    title_ko: str
    stories: list[Story] = field(default_factory=list)
    more: int = 0
    above: int = 0


@dataclass(frozen=True)
class Audience:
    """Whose digest this is: their filters (empty: everything) and key cities."""

    name: str = "all"
    focus_areas: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()
    key_cities: tuple[str, ...] = ()

    @property
    def filtered(self) -> bool:
        """True when the reader chose focus areas or cities."""
        return bool(self.focus_areas or self.cities)

    def wants(self, story: Story) -> bool:
        """Whether the story passes the reader's filters (any chosen area, and any chosen city)."""
        if self.focus_areas and not set(self.focus_areas) & set(story.focus_areas):
            return False
        return not (self.cities and not set(self.cities) & set(story.cities))


@dataclass
class Digest:
    """One reader's digest of one week."""

    data: WeekData
    audience: Audience
    focus_sections: list[Section]
    policy: Section
    city_sections: list[Section]
    stories: int  # stories this reader gets (after their filters)

    @property
    def is_empty(self) -> bool:
        """True when the week has no story for this reader."""
        return self.stories == 0

    @property
    def totals(self) -> Totals:
        """The week's counts (of everything, not only this reader's selection)."""
        return self.data.totals

    def change(self, name: str) -> int:
        """A total's change from the previous week."""
        return getattr(self.data.totals, name) - getattr(self.data.previous_totals, name)


def build_digest(data: WeekData, audience: Audience) -> Digest:
    """Rank the week's stories and fill the reader's sections, each story once."""
    start, end = data.week.bounds(data.timezone)
    stories = [
        story
        for story in week_stories(data.clusters, data.changed, start, end)
        if audience.wants(story)
    ]
    stories.sort(key=lambda s: (-s.score, s.lead.moment, s.lead.item_id))
    shown: set[str] = set()
    focus_sections = _focus_sections(stories, audience, shown)
    policy = _fill(
        Section("policy", "Policy updates", "정책 소식"),
        [s for s in stories if s.official or s.changed],
        TOP_POLICY,
        shown,
    )
    city_sections = [
        _fill(
            Section(f"city:{city}", city, city),
            [s for s in stories if city in s.cities],
            TOP_PER_CITY,
            shown,
        )
        for city in audience.key_cities
    ]
    return Digest(
        data=data,
        audience=audience,
        focus_sections=focus_sections,
        policy=policy,
        city_sections=[s for s in city_sections if s.stories or s.above],
        stories=len(stories),
    )


def week_stories(
    clusters: dict[str, list[Member]], changed: set[str], start: datetime, end: datetime
) -> list[Story]:
    """The stories of [start, end): clusters whose first smart-city item falls in the week (a
    story told the week before was in that digest), and clusters with a page changed in it."""
    stories = []
    for members in clusters.values():
        smart = [m for m in members if m.is_smart_city]
        if not smart:
            continue
        is_changed = any(m.item_id in changed for m in members)
        if smart[0].moment < start and not is_changed:
            continue
        stories.append(_story(members, smart, is_changed, start, end))
    return stories


def score(outlets: int, official: bool, recency: float, relevance: float) -> float:
    """A story's rank: more outlets, an official source, later in the week, more relevant."""
    return (
        OUTLET_WEIGHT * (outlets - 1)
        + OFFICIAL_WEIGHT * official
        + RECENCY_WEIGHT * min(max(recency, 0.0), 1.0)
        + RELEVANCE_WEIGHT * min(relevance, RELEVANCE_CAP)
    )


def _story(
    members: Sequence[Member],
    smart: Sequence[Member],
    changed: bool,
    start: datetime,
    end: datetime,
) -> Story:
    official = [m for m in smart if m.official]
    lead = official[0] if official else smart[0]  # the primary source, else the first report
    also = _unique(m.source_name for m in members if m.source_id != lead.source_id)
    recency = (lead.moment - start) / (end - start)
    return Story(
        lead=lead,
        also=tuple(also),
        changed=changed,
        score=score(1 + len(also), bool(official), recency, max(m.relevance for m in smart)),
        focus_areas=tuple(_unique([*lead.focus_areas, *(a for m in smart for a in m.focus_areas)])),
        cities=tuple(_unique([*lead.cities, *(c for m in smart for c in m.cities)])),
        official=bool(official),
    )


def _focus_sections(stories: list[Story], audience: Audience, shown: set[str]) -> list[Section]:
    """A section per focus area (the reader's, if they chose), a story under its lead's first
    area; stories without one go under "Other"."""
    names = focus_area_names()
    areas = [a for a in FOCUS_AREAS if not audience.focus_areas or a in audience.focus_areas]
    sections = {a: Section(a, names[a]["en"], names[a]["ko"]) for a in areas}
    other = Section("other", "Other smart-city news", "기타 스마트시티 소식")
    grouped: dict[str, list[Story]] = {}
    for story in stories:
        home = next((a for a in story.focus_areas if a in sections), "other")
        grouped.setdefault(home, []).append(story)
    filled = [_fill(sections[a], grouped.get(a, []), TOP_PER_FOCUS_AREA, shown) for a in sections]
    filled.sort(key=lambda s: -(len(s.stories) + s.more))
    filled.append(_fill(other, grouped.get("other", []), TOP_PER_FOCUS_AREA, shown))
    return [s for s in filled if s.stories]


def _fill(section: Section, ranked: Iterable[Story], limit: int, shown: set[str]) -> Section:
    """Put up to ``limit`` stories not shown yet in the section; count the rest."""
    for story in ranked:
        if story.lead.item_id in shown:
            section.above += 1
        elif len(section.stories) < limit:
            section.stories.append(story)
            shown.add(story.lead.item_id)
        else:
            section.more += 1
    return section


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))

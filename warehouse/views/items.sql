-- items: one row per distinct story. Entries that share a canonical URL or a source GUID are
-- one story; cluster_id groups stories about the same event across outlets. Cities, focus areas
-- and is_smart_city are what analysts corrected (tag_corrections), else the tagger's; the
-- tagger's own stay beside them in tagger_*. Weeks are in the time zone of core.settings.
create or replace view items as
with
cities as (
    select
        item_id,
        list(city order by score desc, city) filter (where coalesce(kind, 'city') = 'city') as cities,
        list(city order by score desc, city) filter (where kind = 'province') as regions
    from core.item_cities
    group by item_id
),
countries as (
    select item_id, list(country order by score desc, country) as countries
    from core.item_countries
    group by item_id
),
focus as (
    select item_id, list(focus_area order by score desc, focus_area) as focus_areas
    from core.item_focus_areas
    group by item_id
)
select
    i.item_id,
    i.source_id,
    i.url,
    i.title,
    i.summary,
    i.body_text,
    i.language,
    i.published_at,
    i.fetched_at,
    coalesce(r.cities, c.cities, []::varchar[]) as cities,
    coalesce(k.countries, []::varchar[]) as countries,
    coalesce(r.focus_areas, f.focus_areas, []::varchar[]) as focus_areas,
    coalesce(r.is_smart_city, i.is_smart_city) as is_smart_city,
    coalesce(i.cluster_id, i.item_id) as cluster_id,
    i.relevance,
    i.published_raw,
    i.date_flag,
    i.version,
    i.first_seen_at,
    i.last_seen_at,
    i.licence,
    coalesce(c.regions, []::varchar[]) as regions,
    -- the story's moment, the one rule of when a story happened (its week, the digest's
    -- order): published_at holds only plausible dates, so a missing, unreadable or future one
    -- falls back to when the story was first seen
    coalesce(i.published_at, i.first_seen_at) as moment,
    -- the Monday of the moment's week in the warehouse's time zone (core.settings: the
    -- CITYRADAR_TIMEZONE the last writer stored), the zone the digest's weeks use too
    date_trunc('week', timezone(z.timezone, moment))::date
        as week_start,
    strftime(week_start, '%G-W%V') as week,
    i.relevance_reasons as smart_city_reasons,
    r.item_id is not null as corrected,
    r.note as correction_note,
    r.corrected_by,
    r.corrected_at,
    i.is_smart_city as tagger_is_smart_city,
    coalesce(c.cities, []::varchar[]) as tagger_cities,
    coalesce(f.focus_areas, []::varchar[]) as tagger_focus_areas
from core.items as i
left join cities as c using (item_id)
left join countries as k using (item_id)
left join focus as f using (item_id)
left join core.current_corrections as r using (item_id)
-- one row (migration 0009); a left join so that no story could ever vanish for want of it
left join core.settings as z on true;

comment on view items is 'One row per distinct story (exact duplicates across feeds collapsed). Current content; see item_versions for history.';
comment on column items.item_id is 'Stable id of the story (derived from its first canonical URL or GUID).';
comment on column items.source_id is 'The source that first published it (sources.source_id).';
comment on column items.url is 'Canonical URL: tracking parameters and session ids removed.';
comment on column items.title is 'Title as clean text.';
comment on column items.summary is 'Short summary as clean text (from the feed, else the start of the body).';
comment on column items.body_text is 'Main text of the article page, else the feed''s content.';
comment on column items.language is 'ISO 639-1 code detected from the text (ko, en, ...).';
comment on column items.published_at is 'Publication time in UTC; naive source dates read in the source''s time zone. Only a plausible time: NULL when the source gave none, or one that could not be read or lies more than a day after fetching (then published_raw keeps it and date_flag says why).';
comment on column items.fetched_at is 'When the current version was fetched (UTC).';
comment on column items.cities is 'Canonical city names, strongest evidence first; reasons in item_cities. An analyst''s correction replaces the list (in the analyst''s order; corrected, tagger_cities).';
comment on column items.countries is 'ISO 3166-1 alpha-2 codes, strongest first, as the tagger found them (corrections do not change them).';
comment on column items.focus_areas is 'Focus-area ids (mobility, water, energy, robotics, ai_data, governance, health_safety, buildings_infra, connectivity, environment), strongest first; reasons in item_focus_areas. An analyst''s correction replaces the list (corrected, tagger_focus_areas).';
comment on column items.is_smart_city is 'True when the story is about smart cities: the tagger''s verdict (relevance at or above the threshold, with an urban or public context; smart_city_reasons), unless an analyst corrected it (corrected, tagger_is_smart_city).';
comment on column items.cluster_id is 'Story cluster: items reporting the same story (wire copies, small edits) share it; the id of the earliest item. MinHash over character shingles, Korean and English.';
comment on column items.relevance is 'The tagger''s smart-city relevance score behind tagger_is_smart_city.';
comment on column items.published_raw is 'The publication date exactly as the source wrote it.';
comment on column items.date_flag is 'NULL when the date is sound; missing, unparsed, or future (more than a day after fetching: published_raw keeps it, published_at is NULL).';
comment on column items.version is 'Content version: 1, then +1 each time the source changed the text.';
comment on column items.first_seen_at is 'When cityradar first fetched the story (UTC).';
comment on column items.last_seen_at is 'When a feed last listed the story (UTC).';
comment on column items.regions is 'Korean provinces the story is about (Gyeonggi, South Jeolla...), strongest first.';
comment on column items.licence is '공공누리 (KOGL) type the article page shows: KOGL-1 (attribution) .. KOGL-4 (no commercial use, no derivatives); NULL when none is shown.';
comment on column items.moment is 'When the story happened for cityradar (UTC): published_at, else first_seen_at when the source gave no sound date (missing, unreadable or in the future). Its week is week; the digest orders and counts stories by it.';
comment on column items.week_start is 'Monday that starts the story''s ISO week, in the warehouse''s time zone (warehouse_settings.timezone, from CITYRADAR_TIMEZONE; Asia/Seoul unless set): for date arithmetic such as the previous four weeks.';
comment on column items.week is 'ISO week of the story''s moment (YYYY-Www, in the warehouse''s time zone, warehouse_settings.timezone). The digest''s weeks.';
comment on column items.smart_city_reasons is 'Why the tagger judged the story smart-city or not (tagger_is_smart_city): JSON list of {term, field, count, weight}, strongest first: the technology terms it matched and where, the share its focus areas add (term focus areas, field score), and the urban or public context it found (terms context: ...), or no urban or public context.';
comment on column items.corrected is 'True when an analyst corrected the story''s tags (tag_corrections): cities, focus_areas and is_smart_city then show the analyst''s labels where given.';
comment on column items.correction_note is 'The note of the story''s latest correction; NULL when none was given or the story was not corrected.';
comment on column items.corrected_by is 'Who made the story''s latest correction.';
comment on column items.corrected_at is 'When the story was last corrected (UTC).';
comment on column items.tagger_is_smart_city is 'The tagger''s own smart-city verdict, whatever an analyst says.';
comment on column items.tagger_cities is 'The tagger''s own cities, strongest first, whatever an analyst says.';
comment on column items.tagger_focus_areas is 'The tagger''s own focus areas, strongest first, whatever an analyst says.';

-- items: one row per distinct story. Entries that share a canonical URL or a source GUID are
-- one story; cluster_id groups stories about the same event across outlets.
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
    coalesce(c.cities, []::varchar[]) as cities,
    coalesce(k.countries, []::varchar[]) as countries,
    coalesce(f.focus_areas, []::varchar[]) as focus_areas,
    i.is_smart_city,
    coalesce(i.cluster_id, i.item_id) as cluster_id,
    i.relevance,
    i.published_raw,
    i.date_flag,
    i.version,
    i.first_seen_at,
    i.last_seen_at,
    i.licence,
    coalesce(c.regions, []::varchar[]) as regions,
    -- the Monday (Asia/Seoul) of the story's week; a date in the future is not trusted
    date_trunc('week', timezone('Asia/Seoul', coalesce(
        case when i.date_flag = 'future' then null else i.published_at end, i.first_seen_at
    )))::date as week_start,
    strftime(week_start, '%G-W%V') as week
from core.items as i
left join cities as c using (item_id)
left join countries as k using (item_id)
left join focus as f using (item_id);

comment on view items is 'One row per distinct story (exact duplicates across feeds collapsed). Current content; see item_versions for history.';
comment on column items.item_id is 'Stable id of the story (derived from its first canonical URL or GUID).';
comment on column items.source_id is 'The source that first published it (sources.source_id).';
comment on column items.url is 'Canonical URL: tracking parameters and session ids removed.';
comment on column items.title is 'Title as clean text.';
comment on column items.summary is 'Short summary as clean text (from the feed, else the start of the body).';
comment on column items.body_text is 'Main text of the article page, else the feed''s content.';
comment on column items.language is 'ISO 639-1 code detected from the text (ko, en, ...).';
comment on column items.published_at is 'Publication time in UTC; naive source dates read in the source''s time zone. NULL when the source gave none.';
comment on column items.fetched_at is 'When the current version was fetched (UTC).';
comment on column items.cities is 'Canonical city names, strongest evidence first; reasons in item_cities.';
comment on column items.countries is 'ISO 3166-1 alpha-2 codes, strongest first.';
comment on column items.focus_areas is 'Focus-area ids (mobility, water, energy, robotics, ai_data, governance, health_safety, buildings_infra, connectivity, environment), strongest first; reasons in item_focus_areas.';
comment on column items.is_smart_city is 'True when the story is about smart cities (relevance at or above the threshold).';
comment on column items.cluster_id is 'Story cluster: items reporting the same story (wire copies, small edits) share it; the id of the earliest item. MinHash over character shingles, Korean and English.';
comment on column items.relevance is 'Smart-city relevance score behind is_smart_city.';
comment on column items.published_raw is 'The publication date exactly as the source wrote it.';
comment on column items.date_flag is 'NULL when the date is sound; missing, unparsed, or future (more than a day after fetching).';
comment on column items.version is 'Content version: 1, then +1 each time the source changed the text.';
comment on column items.first_seen_at is 'When cityradar first fetched the story (UTC).';
comment on column items.last_seen_at is 'When a feed last listed the story (UTC).';
comment on column items.regions is 'Korean provinces the story is about (Gyeonggi, South Jeolla...), strongest first.';
comment on column items.licence is '공공누리 (KOGL) type the article page shows: KOGL-1 (attribution) .. KOGL-4 (no commercial use, no derivatives); NULL when none is shown.';
comment on column items.week_start is 'Monday (Asia/Seoul) that starts the story''s ISO week: for date arithmetic such as the previous four weeks.';
comment on column items.week is 'ISO week of the story (YYYY-Www, Asia/Seoul): of its publication, or of when it was first seen if the source gave no sound date. The digest''s weeks.';

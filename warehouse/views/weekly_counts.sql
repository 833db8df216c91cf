-- weekly_counts: one row per ISO week, focus area and city; focus_area or city is NULL for
-- stories tagged with none. A story tagged with two cities counts once for each, so rows do not
-- add up to the week's totals: those are weekly_totals.
create or replace view weekly_counts as
with by_area as (
    select item_id, cluster_id, source_id, is_smart_city, week, week_start, cities,
           unnest(case when len(focus_areas) = 0 then [null::varchar] else focus_areas end)
               as focus_area
    from items
), by_city as (
    select *, unnest(case when len(cities) = 0 then [null::varchar] else cities end) as city
    from by_area
)
select
    week,
    week_start,
    focus_area,
    city,
    count(*) as stories,
    count(*) filter (where is_smart_city) as smart_city_stories,
    count(distinct cluster_id) as events,
    count(distinct source_id) as sources
from by_city
group by week, week_start, focus_area, city;

comment on view weekly_counts is 'Story counts per ISO week (in the warehouse''s time zone, warehouse_settings), focus area and city, for breakdowns. A story with two cities or areas counts in each of its rows, so the rows do not add up to the week''s totals: those are weekly_totals.';
comment on column weekly_counts.week is 'ISO week, YYYY-Www (items.week).';
comment on column weekly_counts.week_start is 'Monday that starts the week (items.week_start).';
comment on column weekly_counts.focus_area is 'Focus-area id; NULL for stories with no focus area.';
comment on column weekly_counts.city is 'Canonical city name; NULL for stories tagged with no city.';
comment on column weekly_counts.stories is 'Distinct stories (items rows).';
comment on column weekly_counts.smart_city_stories is 'Of those, the ones about smart cities (items.is_smart_city).';
comment on column weekly_counts.events is 'Distinct story clusters: the same event told by several outlets counts once.';
comment on column weekly_counts.sources is 'Distinct sources that published the stories.';

-- weekly_totals: one row per ISO week that has stories: the week's totals as the digest shows
-- them (this week against the last) and its focus areas (the digest's chart). Unlike
-- weekly_counts, each story, event, source and city counts once in its week.
create or replace view weekly_totals as
with smart_cities as (
    select week_start, count(distinct city) as cities
    from (select week_start, unnest(cities) as city from items where is_smart_city)
    group by week_start
), smart_areas as (
    select week_start, map(list(focus_area order by focus_area), list(stories order by focus_area))
        as focus_areas
    from (
        select week_start, focus_area, count(distinct item_id) as stories
        from (select week_start, item_id, unnest(focus_areas) as focus_area
              from items where is_smart_city)
        group by week_start, focus_area
    )
    group by week_start
)
select
    i.week,
    i.week_start,
    count(*) as stories,
    count(*) filter (where i.is_smart_city) as smart_city_stories,
    count(distinct i.cluster_id) filter (where i.is_smart_city) as smart_city_events,
    count(distinct i.source_id) filter (where i.is_smart_city) as smart_city_sources,
    coalesce(any_value(c.cities), 0) as smart_city_cities,
    coalesce(any_value(a.focus_areas), map()::map(varchar, bigint)) as smart_city_focus_areas
from items as i
left join smart_cities as c using (week_start)
left join smart_areas as a using (week_start)
group by i.week, i.week_start;

comment on view weekly_totals is 'The totals of each ISO week (in the warehouse''s time zone, warehouse_settings): what the digest''s totals, its comparison with the week before and its focus-area chart read. Each story counts once in its week.';
comment on column weekly_totals.week is 'ISO week, YYYY-Www (items.week).';
comment on column weekly_totals.week_start is 'Monday that starts the week (items.week_start).';
comment on column weekly_totals.stories is 'Distinct stories of the week, smart-city or not (the digest''s "collected").';
comment on column weekly_totals.smart_city_stories is 'Of those, the ones about smart cities (items.is_smart_city; the digest''s "items").';
comment on column weekly_totals.smart_city_events is 'Distinct story clusters of the smart-city stories: an event told by several outlets counts once (the digest''s "stories").';
comment on column weekly_totals.smart_city_sources is 'Distinct sources of the smart-city stories.';
comment on column weekly_totals.smart_city_cities is 'Distinct cities the smart-city stories are tagged with (items.cities).';
comment on column weekly_totals.smart_city_focus_areas is 'Smart-city stories per focus area (a story counts once for each area it has; areas without one are absent): the digest''s chart. Read one with smart_city_focus_areas[''mobility''].';

-- Analysts' corrections, as the other views apply them. This file sorts before the views that
-- read it (view files run in name order).

-- core.current_corrections: one row per corrected story: for each label, the latest correction
-- that gives it (a later correction of the same label supersedes an earlier one; a label no
-- correction gives is NULL, and the tagger's stands). Internal: items shows the result.
create or replace view core.current_corrections as
select
    item_id,
    last(is_smart_city order by corrected_at, correction_id)
        filter (where is_smart_city is not null) as is_smart_city,
    last(focus_areas order by corrected_at, correction_id)
        filter (where focus_areas is not null) as focus_areas,
    last(cities order by corrected_at, correction_id)
        filter (where cities is not null) as cities,
    last(note order by corrected_at, correction_id) as note,
    last(corrected_by order by corrected_at, correction_id) as corrected_by,
    max(corrected_at) as corrected_at,
    count(*) as corrections
from tag_corrections
group by item_id;

-- places: one row per place the tagger knows, by its canonical name.
create or replace view places as
select name, country, kind
from core.places;

comment on view places is 'One row per place the tagger knows: the canonical names that items.cities, items.regions and tag_corrections.cities use.';
comment on column places.name is 'Canonical English name (Seoul, Incheon, Gyeonggi, Helsinki...).';
comment on column places.country is 'ISO 3166-1 alpha-2 code of its country.';
comment on column places.kind is 'city, or province for a Korean province.';

-- sources: one row per source in the registry (as last loaded), with what it has contributed.
create or replace view sources as
with contributed as (
    select
        source_id,
        count(*) as items,
        max(published_at) as last_published_at,
        max(first_seen_at) as last_new_item_at
    from core.items
    group by source_id
)
select
    s.source_id,
    s.name,
    s.kind,
    s.url,
    s.language,
    s.country,
    s.org_type,
    nullif(s.city, '') as city,
    s.timezone,
    s.enabled,
    coalesce(c.items, 0) as items,
    c.last_published_at,
    c.last_new_item_at,
    s.updated_at
from core.sources as s
left join contributed as c using (source_id);

comment on view sources is 'One row per source of the registry, with the number of stories it contributed.';
comment on column sources.source_id is 'Registry id (sources.yaml id).';
comment on column sources.name is 'Human name of the source.';
comment on column sources.kind is 'feed, html or sitemap.';
comment on column sources.url is 'Feed, list page or sitemap URL.';
comment on column sources.language is 'Main language (ISO 639-1).';
comment on column sources.country is 'Country of the publisher (ISO 3166-1 alpha-2).';
comment on column sources.org_type is 'ministry, city, agency, news or trade.';
comment on column sources.city is 'Canonical city of a city government, else NULL.';
comment on column sources.timezone is 'IANA zone used to read dates given without an offset.';
comment on column sources.enabled is 'False when the registry disables the source.';
comment on column sources.items is 'Distinct stories first published by this source.';
comment on column sources.last_published_at is 'Newest publication time among its stories (UTC).';
comment on column sources.last_new_item_at is 'When cityradar last found a new story from it (UTC).';
comment on column sources.updated_at is 'When the registry entry was last loaded (UTC).';

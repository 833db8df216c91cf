-- 0005: fewer and cheaper writes per loaded story.
--
-- * core.story_bands holds one row per story, its 64 band keys in a fixed-size array. 0004
--   wrote one row per band: 6.4M rows for 100k new stories, whose insert and checkpoint took
--   0.6 s of a 3.1 s load; as arrays they take 0.06 s, and the loader unnests the stories of
--   the clustering window when it joins.
-- * The texts (an item's title, summary and body, a raw record) are stored with zstd instead of
--   DuckDB's choice of dictionary + FSST, whose analysis of every segment cost more than the
--   rest of the insert (raw landing of 100k records: 0.36 s -> 0.16 s; a summary column 0.13 s
--   -> 0.08 s); zstd also packs prose tighter.
-- * core.views_applied keeps a fingerprint of the analyst views' SQL, so a writer recreates
--   them only when they change, not at every open.

create table core.story_bands_0005 (
    item_key  ubigint     not null,  -- the item id read as a 64-bit number (16 hex digits)
    band_keys integer[64] not null   -- one key per MinHash band (transforms.clusters)
);
insert into core.story_bands_0005
select item_key, list(band_key)::integer[64]
from core.story_bands
group by item_key
having count(*) = 64;
drop table core.story_bands;
alter table core.story_bands_0005 rename to story_bands;

create table core.items_0005 (
    item_id                varchar not null,
    source_id              varchar not null,
    url                    varchar,
    link_raw               varchar,
    guid                   varchar,
    title                  varchar not null using compression zstd,
    summary                varchar using compression zstd,
    body_text              varchar using compression zstd,
    language               varchar,
    published_at           timestamptz,
    published_raw          varchar,
    published_zone_assumed boolean,
    date_flag              varchar,
    fetched_at             timestamptz not null,
    first_seen_at          timestamptz not null,
    last_seen_at           timestamptz not null,
    authors                varchar[],
    categories             varchar[],
    content_hash           varchar not null,
    version                integer not null,
    cluster_id             varchar,
    is_smart_city          boolean not null,
    relevance              double,
    relevance_reasons      json,
    article_status         integer,
    article_error          varchar,
    batch_id               varchar not null,
    entry_fingerprint      varchar,
    licence                varchar
);
insert into core.items_0005 by name select * from core.items;
drop table core.items;
alter table core.items_0005 rename to items;

create table raw.items_0005 (
    batch_id  varchar     not null,
    source_id varchar     not null,
    seq       integer     not null,
    record    json        not null using compression zstd,
    landed_at timestamptz not null
);
insert into raw.items_0005 select * from raw.items;
drop table raw.items;
alter table raw.items_0005 rename to items;

-- One row: the fingerprint of the warehouse/views/*.sql the views were last made from.
create table core.views_applied (
    fingerprint varchar     not null,
    applied_at  timestamptz not null
);

-- 0004: tables shaped for bulk loads, and digest deliveries.
--
-- * Tables lose their primary keys: the loader writes each row once (it plans every story as
--   new, changed or unchanged and replaces whole sets per story, inside one transaction per
--   batch), and DuckDB's index upkeep on every insert and commit cost more than the rest of a
--   load (measured: 0.35 s of 3.2 s for 100k stories into 1M).
-- * Item versions hold only superseded content; the current content lives in core.items and
--   the item_versions view shows both.
-- * Story clusters keep one row per band of each recent story, with a 32-bit band key and a
--   64-bit item key, instead of the 128-value signature and 64 rows keyed by text.
--   warehouse.upgrades moves the stored signatures over and drops the old tables.

create table core.items_0004 (
    item_id                varchar not null,
    source_id              varchar not null,
    url                    varchar,
    link_raw               varchar,
    guid                   varchar,
    title                  varchar not null,
    summary                varchar,
    body_text              varchar,
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
insert into core.items_0004 by name select * from core.items;

create table raw.items_0004 (
    batch_id  varchar     not null,
    source_id varchar     not null,
    seq       integer     not null,
    record    json        not null,
    landed_at timestamptz not null
);
insert into raw.items_0004 select * from raw.items;
drop table raw.items;
alter table raw.items_0004 rename to items;

create table core.item_keys_0004 (
    key           varchar     not null,
    item_id       varchar     not null,
    first_seen_at timestamptz not null
);
insert into core.item_keys_0004 select * from core.item_keys;
drop table core.item_keys;
alter table core.item_keys_0004 rename to item_keys;

create table core.item_versions_0004 (
    item_id      varchar     not null,
    version      integer     not null,
    content_hash varchar     not null,
    title        varchar     not null,
    summary      varchar,
    body_text    varchar,
    published_at timestamptz,
    observed_at  timestamptz not null,
    batch_id     varchar     not null
);
insert into core.item_versions_0004
select v.* from core.item_versions as v
where not exists (select 1 from core.items as i where i.item_id = v.item_id and i.version = v.version);
drop table core.item_versions;
alter table core.item_versions_0004 rename to item_versions;

create table core.item_cities_0004 (
    item_id varchar not null,
    city    varchar not null,
    country varchar not null,
    score   double  not null,
    reasons json    not null,
    kind    varchar not null default 'city'
);
insert into core.item_cities_0004 select item_id, city, country, score, reasons, coalesce(kind, 'city') from core.item_cities;
drop table core.item_cities;
alter table core.item_cities_0004 rename to item_cities;

create table core.item_countries_0004 (
    item_id varchar not null,
    country varchar not null,
    score   double  not null,
    reasons json    not null
);
insert into core.item_countries_0004 select * from core.item_countries;
drop table core.item_countries;
alter table core.item_countries_0004 rename to item_countries;

create table core.item_focus_areas_0004 (
    item_id    varchar not null,
    focus_area varchar not null,
    score      double  not null,
    reasons    json    not null
);
insert into core.item_focus_areas_0004 select * from core.item_focus_areas;
drop table core.item_focus_areas;
alter table core.item_focus_areas_0004 rename to item_focus_areas;

create table core.item_attachments_0004 (
    item_id varchar not null,
    url     varchar not null,
    name    varchar,
    kind    varchar not null,
    bytes   bigint,
    sha256  varchar,
    text    varchar,
    error   varchar
);
insert into core.item_attachments_0004 select * from core.item_attachments;
drop table core.item_attachments;
alter table core.item_attachments_0004 rename to item_attachments;

drop table core.items;
alter table core.items_0004 rename to items;

-- One row per MinHash band of each story seen in the clustering window. item_key is the item id
-- read as a 64-bit number (item ids are 16 hex digits).
create table core.story_bands (
    band_key integer not null,
    item_key ubigint not null
);

-- One row per ISO week and recipient: a digest sent (or tried) and where its files are.
create table core.digest_deliveries (
    week       varchar     not null,
    recipient  varchar     not null,
    status     varchar     not null,  -- sent | failed | saved
    attempts   integer     not null,
    message_id varchar,
    subject    varchar,
    items      integer,
    html_path  varchar,
    eml_path   varchar,
    error      varchar,
    created_at timestamptz not null,
    sent_at    timestamptz,
    primary key (week, recipient)
);

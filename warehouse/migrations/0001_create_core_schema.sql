-- 0001: raw landing, current items with their versions, identity keys and tags, sources,
-- crawl runs and the fetch log. Tables only: analyst views live in warehouse/views/ and are
-- recreated on every connection that migrates.

create schema if not exists raw;
create schema if not exists core;

-- One row per raw item as crawled; append-only, for audit and re-processing.
create table raw.items (
    batch_id  varchar     not null,
    source_id varchar     not null,
    seq       integer     not null,
    record    json        not null,
    landed_at timestamptz not null,
    primary key (batch_id, source_id, seq)
);

-- One row per HTTP attempt (or its failure); append-only.
create table raw.fetches (
    batch_id      varchar     not null,
    source_id     varchar     not null,
    url           varchar     not null,
    kind          varchar     not null,
    fetched_at    timestamptz not null,
    status        integer,
    bytes         bigint,
    content_type  varchar,
    etag          varchar,
    last_modified varchar,
    body_sha256   varchar,
    duration_ms   double,
    error         varchar
);

-- One row per loaded staging batch: a batch id seen here is never loaded again.
create table core.batches (
    batch_id          varchar primary key,
    created_at        timestamptz,
    loaded_at         timestamptz not null,
    sources           integer not null,
    items_in          integer not null,
    items_new         integer not null,
    items_changed     integer not null,
    items_unchanged   integer not null,
    duplicates_folded integer not null
);

-- One row per source, as the registry last described it.
create table core.sources (
    source_id  varchar primary key,
    name       varchar not null,
    kind       varchar not null,
    url        varchar not null,
    language   varchar,
    country    varchar,
    org_type   varchar,
    city       varchar,
    timezone   varchar,
    enabled    boolean not null,
    config     json,
    updated_at timestamptz not null
);

-- One row per source per batch: how its crawl went.
create table core.crawl_runs (
    batch_id         varchar not null,
    source_id        varchar not null,
    started_at       timestamptz,
    finished_at      timestamptz,
    status           varchar not null,
    items_seen       integer not null,
    items_new        integer not null,
    articles_fetched integer not null,
    article_errors   integer not null,
    requests         integer not null,
    bytes            bigint not null,
    error            varchar,
    finish_reason    varchar,
    primary key (batch_id, source_id)
);

-- One row per distinct story: its current content.
create table core.items (
    item_id                varchar primary key,
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
    batch_id               varchar not null
);

-- Every key an item was ever known by (canonical URL, source GUID) -> its item id.
create table core.item_keys (
    key           varchar primary key,
    item_id       varchar not null,
    first_seen_at timestamptz not null
);

-- One row per content version of an item.
create table core.item_versions (
    item_id      varchar not null,
    version      integer not null,
    content_hash varchar not null,
    title        varchar not null,
    summary      varchar,
    body_text    varchar,
    published_at timestamptz,
    observed_at  timestamptz not null,
    batch_id     varchar not null,
    primary key (item_id, version)
);

create table core.item_cities (
    item_id varchar not null,
    city    varchar not null,
    country varchar not null,
    score   double  not null,
    reasons json    not null,
    primary key (item_id, city)
);

create table core.item_countries (
    item_id varchar not null,
    country varchar not null,
    score   double  not null,
    reasons json    not null,
    primary key (item_id, country)
);

create table core.item_focus_areas (
    item_id    varchar not null,
    focus_area varchar not null,
    score      double  not null,
    reasons    json    not null,
    primary key (item_id, focus_area)
);

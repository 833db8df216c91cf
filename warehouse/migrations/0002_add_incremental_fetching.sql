-- 0002: what incremental crawling, attachments and licences need.

-- what a feed or list said about an entry last time (its article is refetched when it changes)
alter table core.items add column entry_fingerprint varchar;
-- 공공누리 (KOGL) type shown on the article page: KOGL-1 .. KOGL-4
alter table core.items add column licence varchar;

alter table core.crawl_runs add column articles_skipped integer default 0;
alter table core.crawl_runs add column pages integer default 0;

-- One row per URL fetched with success: the validators for the next conditional GET.
create table core.http_cache (
    url           varchar primary key,
    source_id     varchar not null,
    kind          varchar not null,
    etag          varchar,
    last_modified varchar,
    body_sha256   varchar,
    status        integer not null,
    fetched_at    timestamptz not null
);

-- One row per item and attached document (PDF, HWP, HWPX...), with the text of readable ones.
create table core.item_attachments (
    item_id varchar not null,
    url     varchar not null,
    name    varchar,
    kind    varchar not null,
    bytes   bigint,
    sha256  varchar,
    text    varchar,
    error   varchar,
    primary key (item_id, url)
);

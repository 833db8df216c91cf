-- source_runs: one row per source per crawl: what each run of each source did.
create or replace view source_runs as
select
    r.source_id,
    r.batch_id,
    r.started_at,
    r.finished_at,
    epoch(r.finished_at - r.started_at) as duration_s,
    r.status,
    r.items_seen,
    r.items_new,
    r.articles_fetched,
    r.articles_skipped,
    r.article_errors,
    r.pages,
    r.requests,
    r.bytes,
    r.error,
    coalesce(r.network_down, false) as network_down,
    r.inferred_selectors
from core.crawl_runs as r;

comment on view source_runs is 'One row per source per crawl: status, entries seen, new stories, pages, bytes, duration and the error in words.';
comment on column source_runs.source_id is 'Registry id.';
comment on column source_runs.batch_id is 'Staging batch of the run.';
comment on column source_runs.started_at is 'When the crawl started (UTC).';
comment on column source_runs.finished_at is 'When the crawl ended (UTC).';
comment on column source_runs.duration_s is 'Seconds the crawl took.';
comment on column source_runs.status is 'ok, partial, unchanged, empty or failed.';
comment on column source_runs.items_seen is 'Entries found in the feed, list pages or sitemap.';
comment on column source_runs.items_new is 'Stories new to the warehouse.';
comment on column source_runs.articles_fetched is 'Article pages fetched.';
comment on column source_runs.articles_skipped is 'Article pages not fetched: known and unchanged, or over max_articles.';
comment on column source_runs.article_errors is 'Article pages that could not be fetched.';
comment on column source_runs.pages is 'Feed, list or sitemap pages fetched.';
comment on column source_runs.requests is 'HTTP requests made (robots.txt and retries included).';
comment on column source_runs.bytes is 'Bytes downloaded.';
comment on column source_runs.error is 'What went wrong, in words; NULL when nothing did.';
comment on column source_runs.network_down is 'True when every source of the run failed to reach its host (DNS, refused, no route) on two or more hosts: the network was down, not the source. Such runs count toward neither source_health nor the back-off.';
comment on column source_runs.inferred_selectors is 'The list selectors (item, link, title, date; JSON) the crawl found on the page itself, because the source has none or its configured ones matched nothing; NULL when the configured selectors were used.';

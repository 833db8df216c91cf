-- source_health: one row per source: how its latest crawl went and how it has been doing.
-- health: ok | degraded (zero items where it used to have some, selectors that stopped
--         matching, even when the rows were then found on the page, or some pages failed) | failing (the last crawl failed) | empty (never had
--         items) | never_run | disabled. A crawl answered "not modified" is ok.
-- Crawls of a run in which the network was down (source_runs.network_down) are not the
-- source's doing: they are left out here, so they count toward neither its health nor its
-- back-off (warehouse.state.run_history reads consecutive_failures and last_run_at from here).
create or replace view source_health as
with
runs as (
    select
        r.*,
        row_number() over (
            partition by r.source_id order by coalesce(r.finished_at, r.started_at) desc, r.batch_id desc
        ) as recency
    from core.crawl_runs as r
    where not coalesce(r.network_down, false)
),
outages as (
    select source_id, max(coalesce(finished_at, started_at)) as last_outage_at
    from core.crawl_runs
    where network_down
    group by source_id
),
latest as (
    select * from runs where recency = 1
),
history as (
    select
        source_id,
        max(items_seen) filter (where recency > 1) as best_items_before,
        coalesce(min(recency) filter (where status <> 'failed'), max(recency) + 1) - 1
            as consecutive_failures,
        max(finished_at) filter (where status in ('ok', 'partial', 'unchanged')) as last_success_at,
        count(*) filter (where finished_at >= now() - interval 7 day) as runs_7d,
        count(*) filter (where finished_at >= now() - interval 7 day and status = 'failed')
            as failures_7d
    from runs
    group by source_id
),
judged as (
    select
        s.source_id,
        s.name,
        s.kind,
        s.enabled,
        l.finished_at as last_run_at,
        l.status as last_run_status,
        l.items_seen as last_items_seen,
        l.items_new as last_items_new,
        l.bytes as last_bytes,
        epoch(l.finished_at - l.started_at) as last_duration_s,
        l.error as last_error,
        l.inferred_selectors,
        h.best_items_before,
        coalesce(h.consecutive_failures, 0) as consecutive_failures,
        h.last_success_at,
        coalesce(h.runs_7d, 0) as runs_7d,
        coalesce(h.failures_7d, 0) as failures_7d,
        -- an outage since the latest crawl that counts: the health shown predates it
        case
            when o.last_outage_at > coalesce(l.finished_at, '-infinity'::timestamptz)
                then o.last_outage_at
        end as network_down_at,
        case
            when not s.enabled then 'disabled'
            when l.source_id is null then 'never_run'
            when l.status = 'failed' then 'failing'
            when l.status = 'unchanged' then 'ok'
            when l.items_seen = 0 and coalesce(h.best_items_before, 0) > 0 then 'degraded'
            when l.status = 'partial' then 'degraded'
            -- configured selectors matched nothing; the rows were found on the page instead
            when l.inferred_selectors is not null and l.error is not null then 'degraded'
            when l.items_seen = 0 and l.error is not null then 'degraded'  -- selectors matched nothing
            when l.items_seen = 0 then 'empty'
            else 'ok'
        end as health
    from core.sources as s
    left join latest as l using (source_id)
    left join history as h using (source_id)
    left join outages as o using (source_id)
)
select
    source_id,
    name,
    kind,
    enabled,
    health,
    nullif(concat_ws(
        '; ',
        case
            when health = 'degraded' and last_items_seen = 0
                then concat_ws(
                    '; ',
                    format('0 items in the last crawl; earlier crawls had up to {}', best_items_before),
                    last_error
                )
            else last_error
        end,
        case
            when network_down_at is not null
                then format(
                    'not reached since {} UTC: the network was down (not counted)',
                    strftime(timezone('UTC', network_down_at), '%Y-%m-%d %H:%M')
                )
        end
    ), '') as problem,
    last_run_at,
    last_run_status,
    last_items_seen,
    last_items_new,
    last_bytes,
    last_duration_s,
    consecutive_failures,
    last_success_at,
    runs_7d,
    failures_7d,
    network_down_at,
    inferred_selectors
from judged;

comment on view source_health is 'One row per source: its health judged from the latest crawl and its history. Crawls of runs in which the network was down (source_runs.network_down) are left out: they count toward neither health nor back-off.';
comment on column source_health.source_id is 'Registry id.';
comment on column source_health.name is 'Human name of the source.';
comment on column source_health.kind is 'feed, html or sitemap.';
comment on column source_health.enabled is 'False when the registry disables the source.';
comment on column source_health.health is 'ok, degraded (0 items where it used to have some, configured list selectors that matched nothing (even when the rows were then found on the page), or pages failed), failing (last crawl failed), empty (never had items), never_run, disabled.';
comment on column source_health.problem is 'What went wrong, in words (and, after a network outage, since when the source was not reached); NULL when nothing did.';
comment on column source_health.last_run_at is 'When the latest crawl finished (UTC); crawls in a network outage are left out (see network_down_at). The back-off counts from here.';
comment on column source_health.last_run_status is 'ok, partial, unchanged (304 or same body as last time), empty or failed, as the crawl reported it.';
comment on column source_health.last_items_seen is 'Entries the latest crawl found.';
comment on column source_health.last_items_new is 'Stories new to the warehouse from the latest crawl.';
comment on column source_health.last_bytes is 'Bytes downloaded by the latest crawl.';
comment on column source_health.last_duration_s is 'Seconds the latest crawl took.';
comment on column source_health.consecutive_failures is 'Failed crawls in a row up to the latest (network outages left out): what the back-off waits on.';
comment on column source_health.last_success_at is 'When a crawl last succeeded (UTC).';
comment on column source_health.runs_7d is 'Crawls in the last 7 days.';
comment on column source_health.failures_7d is 'Failed crawls in the last 7 days.';
comment on column source_health.network_down_at is 'When the latest crawl found the network down (source_runs.network_down), if that came after last_run_at: the health shown is from before it. NULL otherwise.';
comment on column source_health.inferred_selectors is 'The list selectors (item, link, title, date; JSON) the latest crawl found on the page itself, because the source has none or its configured ones matched nothing (then health is degraded and problem says so): pin them in sources.yaml. NULL when the configured selectors were used.';

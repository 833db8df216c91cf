-- 0007: crawls that failed because this machine's network was down are kept apart.
--
-- When every source of a run fails to reach its host (DNS, refused, no route) on at least two
-- hosts, the network is down, not the sources (cityradar/outage.py). The run marks its crawl
-- reports network_down; source_health, and with it the back-off, leaves those runs out, so the
-- sources are tried again at the next run as if the outage had not happened.

alter table core.crawl_runs add column network_down boolean default false;

-- Runs recorded before this migration carry no mark. A batch whose every source failed with one
-- of the connection errors cityradar writes (spiders/errors.py), on at least two hosts, was such
-- an outage: marking it releases the sources an offline run put into back-off.
update core.crawl_runs set network_down = true
where batch_id in (
    select r.batch_id
    from core.crawl_runs as r
    left join core.sources as s using (source_id)
    group by r.batch_id
    having count(*) >= 2
       and count(distinct lower(regexp_extract(s.url, '^[A-Za-z][A-Za-z0-9+.-]*://([^/?#]+)', 1))) >= 2
       and bool_and(
            r.status = 'failed' and r.items_seen = 0 and (
                r.error like 'DNS lookup failed%'
                or r.error like 'connection refused%'
                or (r.error like 'could not connect%'
                    and (r.error ilike '%no route%' or r.error ilike '%unreachable%'))
            )
       )
);

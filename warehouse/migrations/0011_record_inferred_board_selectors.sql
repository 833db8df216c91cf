-- 0011: a crawl records the list selectors it found on the page itself.
--
-- An html source without list selectors, or whose configured selectors match nothing after a
-- redesign, has its rows found on the page by their repeated structure (spiders/board_inference.py).
-- The selectors used are kept per crawl (item, link, title, date as JSON), so the operator sees
-- the fallback in source_health and can pin them in sources.yaml. NULL when the configured
-- selectors were used.

alter table core.crawl_runs add column inferred_selectors json;

-- search(q): one row per story that contains every term of q (terms separated by spaces), best
-- first. A term matches anywhere in the title, summary or body, case folded, so Korean words are
-- found with their particles (부산 finds 부산시가, 부산에서). Ranked with BM25 (k1 1.2, b 0.75),
-- the title counting twice. `cityradar search` strips particles from a query first.
create or replace macro search(q) as table
with terms as (
    select distinct lower(term) as term
    from unnest(string_split(trim(q), ' ')) as t(term)
    where term <> ''
), docs as (
    select item_id,
           lower(concat_ws(' ', title, title, coalesce(summary, ''), coalesce(body_text, ''))) as text
    from core.items
), stats as (
    select count(*) as n, greatest(avg(length(text)), 1) as avgdl from docs
), hits as (
    select d.item_id, t.term, length(d.text) as dl,
           (length(d.text) - length(replace(d.text, t.term, ''))) // length(t.term) as tf
    from docs as d, terms as t
    where contains(d.text, t.term)
), df as (
    select term, count(*) as df from hits group by term
), scored as (
    select h.item_id,
           sum(ln(1 + (s.n - df.df + 0.5) / (df.df + 0.5))
               * h.tf * 2.2 / (h.tf + 1.2 * (0.25 + 0.75 * h.dl / s.avgdl))) as score,
           count(*) as terms_matched
    from hits as h join df using (term) cross join stats as s
    group by h.item_id
)
select i.item_id, round(sc.score, 3) as score, i.title, i.url, i.published_at, i.week,
       i.language, i.source_id, i.cities, i.focus_areas, i.is_smart_city, i.cluster_id
from scored as sc join items as i using (item_id)
where sc.terms_matched = (select count(*) from terms)
order by sc.score desc, i.published_at desc nulls last, i.item_id;

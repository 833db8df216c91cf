-- 0008: published_at holds only a plausible publication time.
--
-- A date more than a day after the fetch (a typo's 2082, a scheduled event given as the date)
-- used to be stored in published_at with date_flag 'future', so `order by published_at desc`
-- put it first. Now it stays in published_raw, with the flag, and published_at is NULL; the
-- story's moment (its week, the digest) is then when it was first seen. The stored rows follow.

update core.items set published_at = null
where date_flag = 'future' and published_at is not null;

-- earlier versions carry no flag: the same rule, against when that version was fetched
update core.item_versions set published_at = null
where published_at > observed_at + interval 1 day;

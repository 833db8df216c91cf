-- 0010: a raw record names the page its entry was listed on listing_url, not feed_url.
--
-- RawItem.feed_url held the feed, the board list page or the sitemap an entry was found on, so
-- it was renamed listing_url (cityradar/items.py). The records already landed in raw.items take
-- the new key too, so one query reads every row: record->>'listing_url'. No column or analyst
-- view held the old name.
--
-- A plain text replace is exact here: the key is written unescaped only where it is a key (a
-- quote inside a JSON string is always escaped), and no nested object of a record has one.

update raw.items
set record = replace(record::varchar, '"feed_url":', '"listing_url":')::json
where contains(record::varchar, '"feed_url":');

-- 0010: a raw record names the feed, board list page or sitemap it was found on its listing.
--
-- RawItem.feed_url and feed_language held a board list page's or a sitemap's URL and language
-- as well as a feed's, so they were renamed listing_url and listing_language
-- (cityradar/items.py). The records already landed in raw.items take the new keys too, so one
-- query reads every row: record->>'listing_url'. No column or analyst view held the old names.
--
-- A plain text replace is exact here: a key is written unescaped only where it is a key (a
-- quote inside a JSON string is always escaped), and no nested object of a record has these.

update raw.items
set record = replace(
    replace(record::varchar, '"feed_url":', '"listing_url":'),
    '"feed_language":', '"listing_language":'
)::json
where contains(record::varchar, '"feed_url":') or contains(record::varchar, '"feed_language":');

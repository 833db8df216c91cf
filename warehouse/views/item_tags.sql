-- item_cities: one row per item and city, with the evidence. When an analyst corrected a
-- story's cities, its city rows are the analyst's (tag_source analyst), with the tagger's evidence
-- where the tagger found the same city; its provinces stay the tagger's.
create or replace view item_cities as
with corrected as (
    select item_id, unnest(cities) as city
    from core.current_corrections
    where cities is not null
)
select item_id, city, country, coalesce(kind, 'city') as kind, score, reasons,
       'tagger' as tag_source
from core.item_cities as t
where coalesce(t.kind, 'city') <> 'city'
   or t.item_id not in (select item_id from core.current_corrections where cities is not null)
union all
select c.item_id, c.city, coalesce(p.country, t.country) as country, 'city' as kind, t.score,
       coalesce(t.reasons, '[]'::json) as reasons, 'analyst' as tag_source
from corrected as c
left join core.places as p on p.name = c.city
left join core.item_cities as t on t.item_id = c.item_id and t.city = c.city;

comment on view item_cities is 'One row per item and place (city or Korean province) it is tagged with, and why.';
comment on column item_cities.item_id is 'items.item_id.';
comment on column item_cities.city is 'Canonical city name.';
comment on column item_cities.country is 'The city''s country (ISO 3166-1 alpha-2).';
comment on column item_cities.kind is 'city, or province for a Korean province (shown in items.regions).';
comment on column item_cities.score is 'Strength of the evidence (title counts more than body; the source''s own city adds 1); NULL for a city an analyst added that the tagger did not find.';
comment on column item_cities.reasons is 'JSON list of {term, field, count}: the names matched and where (field source = the source is this city''s government); [] for a city an analyst added that the tagger did not find.';
comment on column item_cities.tag_source is 'tagger, or analyst when an analyst corrected the story''s cities (tag_corrections; the note is items.correction_note).';

-- item_focus_areas: one row per item and focus area, with the evidence. When an analyst corrected
-- a story's focus areas, its rows are the analyst's (tag_source analyst), with the tagger's
-- evidence where the tagger found the same area.
create or replace view item_focus_areas as
with corrected as (
    select item_id, unnest(focus_areas) as focus_area
    from core.current_corrections
    where focus_areas is not null
)
select item_id, focus_area, score, reasons, 'tagger' as tag_source
from core.item_focus_areas
where item_id not in (select item_id from core.current_corrections where focus_areas is not null)
union all
select c.item_id, c.focus_area, t.score, coalesce(t.reasons, '[]'::json) as reasons,
       'analyst' as tag_source
from corrected as c
left join core.item_focus_areas as t
    on t.item_id = c.item_id and t.focus_area = c.focus_area;

comment on view item_focus_areas is 'One row per item and focus area it is tagged with, and why.';
comment on column item_focus_areas.item_id is 'items.item_id.';
comment on column item_focus_areas.focus_area is 'Focus-area id.';
comment on column item_focus_areas.score is 'Sum of matched term weights x field weight; tagged from the taxonomy threshold up. NULL for an area an analyst added that the tagger did not find.';
comment on column item_focus_areas.reasons is 'JSON list of {term, field, count, weight}; [] for an area an analyst added that the tagger did not find.';
comment on column item_focus_areas.tag_source is 'tagger, or analyst when an analyst corrected the story''s focus areas (tag_corrections; the note is items.correction_note).';

-- item_versions: one row per item and content version (superseded versions kept in
-- core.item_versions, the current one read from core.items).
create or replace view item_versions as
select item_id, version, content_hash, title, summary, body_text, published_at, observed_at,
       batch_id, false as is_current
from core.item_versions
union all
select item_id, version, content_hash, title, summary, body_text, published_at,
       fetched_at as observed_at, batch_id, true as is_current
from core.items;

comment on view item_versions is 'One row per content version of an item: policy pages change, and each change is kept.';
comment on column item_versions.item_id is 'items.item_id.';
comment on column item_versions.version is '1 for the first content seen, +1 per change.';
comment on column item_versions.content_hash is 'Hash of title and body that identifies the version.';
comment on column item_versions.title is 'Title in this version.';
comment on column item_versions.summary is 'Summary in this version.';
comment on column item_versions.body_text is 'Main text in this version.';
comment on column item_versions.published_at is 'Publication time stated in this version (UTC); NULL when it gave none, or one more than a day after its fetch (as items.published_at).';
comment on column item_versions.observed_at is 'When cityradar fetched this version (UTC).';
comment on column item_versions.batch_id is 'Staging batch that brought it.';
comment on column item_versions.is_current is 'True for the content items shows now; false for content a later version replaced.';

-- item_attachments: one row per item and attached document.
create or replace view item_attachments as
select item_id, url, name, kind, bytes, text, error
from core.item_attachments;

comment on view item_attachments is 'One row per item and attached document (PDF, HWP, HWPX...) of a government release, with the text of PDF and HWPX files.';
comment on column item_attachments.item_id is 'items.item_id.';
comment on column item_attachments.url is 'Where the document was linked from the article page.';
comment on column item_attachments.name is 'The file name as the page gives it (link text, title, a name beside the link) or, when the page names no file, as the download does (Content-Disposition); else the link text.';
comment on column item_attachments.kind is 'pdf, hwpx, hwp, doc... from the name, the Content-Type or the first bytes (unknown when neither the link nor the download said).';
comment on column item_attachments.bytes is 'Size of the downloaded document; NULL when it was not downloaded.';
comment on column item_attachments.text is 'Text extracted from PDF and HWPX documents; NULL for other kinds.';
comment on column item_attachments.error is 'Why the document could not be fetched or read; NULL when it was.';

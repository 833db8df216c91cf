-- 0006: analysts' corrections of the tags, kept apart from the tagger's own (which reloads and
-- `cityradar reclassify` rewrite), and the places a correction may name.
--
-- * tag_corrections lives in the main schema beside the views: analysts write it, with
--   `cityradar label` or plain SQL, and the views apply each story's latest word on each label
--   (warehouse/views/corrections.sql). Nothing in the pipeline writes or deletes its rows.
-- * core.places holds the gazetteer's canonical names with their country and kind, so the views
--   can give a corrected city its country; warehouse.upgrades fills it, and `label` and
--   `reclassify` refresh it after a gazetteer change.

create sequence tag_correction_ids;

-- tag_corrections: one row per correction an analyst made to a story's tags, kept as history.
create table tag_corrections (
    correction_id bigint primary key default nextval('tag_correction_ids'),
    item_id       varchar     not null,
    is_smart_city boolean,
    focus_areas   varchar[] check (
        focus_areas is null or list_has_all(
            ['mobility', 'water', 'energy', 'robotics', 'ai_data', 'governance', 'health_safety',
             'buildings_infra', 'connectivity', 'environment'],
            focus_areas
        )
    ),
    cities        varchar[],
    note          varchar,
    corrected_by  varchar     not null,
    corrected_at  timestamptz not null default now(),
    -- a correction corrects something: a note alone goes with a label
    check (is_smart_city is not null or focus_areas is not null or cities is not null)
);

comment on table tag_corrections is 'One row per correction an analyst made to a story''s tags; write it with `cityradar label` or with SQL. For each label, a story''s latest correction that gives it wins; a label no correction gives stays as the tagger says. Rows are never deleted: the history is training data.';
comment on column tag_corrections.correction_id is 'Number of the correction, given by the sequence tag_correction_ids (leave it out when inserting).';
comment on column tag_corrections.item_id is 'items.item_id of the story corrected.';
comment on column tag_corrections.is_smart_city is 'The analyst''s smart-city verdict; NULL keeps the tagger''s (or an earlier correction''s).';
comment on column tag_corrections.focus_areas is 'The story''s focus areas as the analyst says, all of them ([] for none; only smart-city stories have any); NULL keeps the tagger''s. Ids of the fixed ten only (a CHECK refuses others).';
comment on column tag_corrections.cities is 'The story''s cities as the analyst says, all of them, by canonical name (see the places view; [] for none); NULL keeps the tagger''s. Korean provinces (items.regions) are not corrected here.';
comment on column tag_corrections.note is 'Why: what the tagger got wrong, or why the call is borderline.';
comment on column tag_corrections.corrected_by is 'Who made the correction.';
comment on column tag_corrections.corrected_at is 'When the correction was made (UTC; defaults to now).';

-- One row per place of the gazetteer the tags were last refreshed from.
create table core.places (
    name    varchar not null,  -- canonical English name
    country varchar not null,  -- ISO 3166-1 alpha-2
    kind    varchar not null   -- city | province
);

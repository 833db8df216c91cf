-- 0003: story clusters (MinHash signatures and their band keys) and the kind of a tagged place.

-- city | province: Korean provinces are tagged too, and shown apart from cities
alter table core.item_cities add column kind varchar default 'city';

-- One row per recent item: its MinHash signature over character shingles of its text.
create table core.item_signatures (
    item_id   varchar primary key,
    signature ubigint[] not null
);

-- Band keys of the signatures: items sharing a key are candidates for the same story.
create table core.item_bands (
    band_key bigint  not null,
    item_id  varchar not null
);

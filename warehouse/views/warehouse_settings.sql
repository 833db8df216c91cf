-- warehouse_settings: one row per warehouse file (so a single row): the settings the views follow,
-- as the last writer stored them.
create or replace view warehouse_settings as
select timezone from core.settings;

comment on view warehouse_settings is 'The settings the views follow (one row), stored by the last process that wrote the file: the time zone of every week (items.week, week_start, weekly_counts, weekly_totals) and of the digest.';
comment on column warehouse_settings.timezone is 'IANA time zone of the weeks: CITYRADAR_TIMEZONE (Asia/Seoul unless set). For your own weeks: timezone((select timezone from warehouse_settings), now()).';
